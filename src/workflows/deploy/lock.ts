// The deploy lock (after k0sctl's): a file on every host, created exclusively, kept fresh by a heartbeat
// while the deploy runs, removed at the end. A lock whose heartbeat stopped (its deploy died) is stale and
// is taken over with a warning; so is, at once (however fresh its heartbeat), the lock of a deploy from this
// machine whose process is gone (a host that went away mid-deploy keeps the lock its deploy could not
// remove): either way the warning names that dead deploy. A live one stops the deploy unless --force-unlock.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { quoteArg } from '../../transport/quote.js';
import type { Session } from '../session.js';
import { StepError } from './remote.js';

/** A lock not touched for this long belongs to a deploy that is gone. */
export const STALE_AFTER_S = 90;
const HEARTBEAT_MS = 20_000;

/** /run/lock is world-writable tmpfs: no sudo needed, and a reboot clears it. MC_LOCK_DIR moves it (labs). */
const LOCK_FILE = '"${MC_LOCK_DIR:-/run/lock}/mc-deploy.lock"';

export interface HeldLock {
  release(): Promise<void>;
}

/** Who holds a lock, as its first line says: `RUNID USER@HOST pid PID since TIME [boot BOOTID]`. */
interface LockHolder {
  runId: string;
  /** For messages: `USER@HOST pid PID since TIME`. */
  who: string;
  pid: number | undefined;
  boot: string | undefined;
}

function parseLockHolder(line: string): LockHolder {
  const [runId = '', ...rest] = line.trim().split(' ');
  const text = rest.join(' ');
  const boot = / boot (\S+)$/.exec(text)?.[1];
  const pid = / pid (\d+)\b/.exec(text)?.[1];
  return {
    runId,
    who: boot === undefined ? text : text.slice(0, -` boot ${boot}`.length),
    pid: pid === undefined ? undefined : Number(pid),
    boot,
  };
}

/** This boot of this machine (Linux): a pid in a lock names a process here only if the boot ids match. */
function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as another user's process.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock taken by an mc deploy on this machine, in this boot, whose process has ended. */
function heldByDeadLocalDeploy(holder: LockHolder, boot = bootId()): boolean {
  return (
    boot !== undefined &&
    holder.boot === boot &&
    holder.pid !== undefined &&
    holder.pid !== process.pid &&
    !processRunning(holder.pid)
  );
}

/**
 * `replacing`: the run id of a dead deploy's lock, removed only if the file still holds it; the exclusive
 * create that follows then decides between two deploys that both saw it.
 */
function acquireScript(owner: string, force: boolean, replacing?: string): string {
  const info = quoteArg(owner);
  return [
    `f=${LOCK_FILE}`,
    force
      ? 'rm -f "$f"'
      : replacing !== undefined
        ? `[ "$(cut -d' ' -f1 "$f" 2>/dev/null)" = ${quoteArg(replacing)} ] && rm -f "$f"`
        : ':',
    `if ( set -C; printf '%s\\n' ${info} > "$f" ) 2>/dev/null; then echo ACQUIRED; exit 0; fi`,
    `age=$(( $(date +%s) - $(stat -c %Y "$f" 2>/dev/null || date +%s) ))`,
    `if [ "$age" -gt ${STALE_AFTER_S} ]; then prev=$(head -n1 "$f" 2>/dev/null); t="$f.$$"; printf '%s\\n' ${info} > "$t" && mv -f "$t" "$f"; echo "TAKEN $age"; printf '%s\\n' "$prev"; exit 0; fi`,
    'echo "HELD $age"; head -n1 "$f"',
  ].join('\n');
}

/** The lock could not be taken on some hosts: why, for each (a StepError with a hint, or a transport error). */
export class DeployLockError extends StepError {
  constructor(readonly problems: { host: string; error: Error }[]) {
    super(problems.map((p) => `${p.host}: ${p.error.message}`).join('; '));
  }
}

export async function acquireDeployLock(
  session: Session,
  hosts: readonly string[],
  force: boolean,
): Promise<HeldLock> {
  const boot = bootId();
  const owner = `${randomBytes(6).toString('hex')} ${userInfo().username}@${hostname()} pid ${process.pid} since ${new Date().toISOString()}${boot === undefined ? '' : ` boot ${boot}`}`;
  const runId = owner.split(' ')[0] as string;
  const locked: string[] = [];
  const problems: DeployLockError['problems'] = [];
  const take = async (host: string, replacing?: string): Promise<string[]> => {
    const connection = await session.pool.get(host);
    const result = await connection.exec(acquireScript(owner, force, replacing), {
      timeoutMs: session.options.commandTimeoutMs,
      become: false,
    });
    const lines = result.stdout.trim().split('\n');
    return lines.length > 0 && lines[0] !== '' ? lines : [result.stderr.trim() || '(no answer)'];
  };
  const settled = await Promise.allSettled(
    hosts.map(async (host) => {
      let [status = '', holderLine = ''] = await take(host);
      let holder = parseLockHolder(holderLine);
      if (status.startsWith('HELD') && heldByDeadLocalDeploy(holder, boot)) {
        const dead = holder;
        [status = '', holderLine = ''] = await take(host, dead.runId);
        holder = parseLockHolder(holderLine);
        if (status === 'ACQUIRED') {
          session.bus.emit({
            type: 'warning',
            host,
            message: `took over the deploy lock of a deploy that is no longer running (${dead.who})`,
          });
          locked.push(host);
          return;
        }
      }
      if (status === 'ACQUIRED') locked.push(host);
      else if (status.startsWith('TAKEN')) {
        locked.push(host);
        // Stale by age (the script took it over itself); named as above when its deploy is known dead.
        const age = status.split(' ')[1] ?? '?';
        session.bus.emit({
          type: 'warning',
          host,
          message: heldByDeadLocalDeploy(holder, boot)
            ? `took over the deploy lock of a deploy that is no longer running (${holder.who})`
            : `took over a stale deploy lock (${holder.who === '' ? 'holder unknown' : holder.who}, no heartbeat for ${age} s)`,
        });
      } else if (status.startsWith('HELD')) {
        problems.push({
          host,
          error: new StepError(
            `another deploy holds the lock (${holder.who}, last heartbeat ${status.split(' ')[1] ?? '?'} s ago)`,
            'wait for that deploy to finish; if it is gone, run mc deploy --force-unlock',
          ),
        });
      } else {
        problems.push({ host, error: new StepError(`could not take the deploy lock: ${status}`) });
      }
    }),
  );
  for (const [i, result] of settled.entries()) {
    if (result.status === 'rejected') {
      const err: unknown = result.reason;
      problems.push({ host: hosts[i] as string, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }
  const release = async (): Promise<void> => {
    clearInterval(heartbeat);
    await Promise.all(
      locked.map(async (host) => {
        try {
          const connection = await session.pool.get(host);
          await connection.exec(
            `f=${LOCK_FILE}; [ "$(cut -d' ' -f1 "$f" 2>/dev/null)" = ${runId} ] && rm -f "$f"; true`,
            {
              timeoutMs: 30_000,
              become: false,
            },
          );
        } catch {
          // An unreachable host keeps its lock, its heartbeat stopped: the next deploy from this machine
          // takes it over at once (this process is gone by then), one from elsewhere once it is stale.
        }
      }),
    );
  };
  const heartbeat = setInterval(() => {
    for (const host of locked) {
      void session.pool
        .get(host)
        .then((c) =>
          c.exec(`f=${LOCK_FILE}; [ "$(cut -d' ' -f1 "$f")" = ${runId} ] && touch "$f"; true`, {
            timeoutMs: 30_000,
            become: false,
          }),
        )
        .catch(() => undefined);
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  if (problems.length > 0) {
    await release();
    throw new DeployLockError(problems);
  }
  return { release };
}
