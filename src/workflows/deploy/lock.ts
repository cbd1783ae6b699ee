// The deploy lock (after k0sctl's): a file on every host, created exclusively, kept fresh by a heartbeat
// while the deploy runs, removed at the end. A lock whose heartbeat stopped (its deploy died) is stale and
// is taken over with a warning; a live one stops the deploy unless --force-unlock.
import { randomBytes } from 'node:crypto';
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

function acquireScript(owner: string, force: boolean): string {
  const info = quoteArg(owner);
  return [
    `f=${LOCK_FILE}`,
    force ? 'rm -f "$f"' : ':',
    `if ( set -C; printf '%s\\n' ${info} > "$f" ) 2>/dev/null; then echo ACQUIRED; exit 0; fi`,
    `age=$(( $(date +%s) - $(stat -c %Y "$f" 2>/dev/null || date +%s) ))`,
    `if [ "$age" -gt ${STALE_AFTER_S} ]; then t="$f.$$"; printf '%s\\n' ${info} > "$t" && mv -f "$t" "$f"; echo "TAKEN $age"; head -n1 "$f.prev" 2>/dev/null; exit 0; fi`,
    'echo "HELD $age"; head -n1 "$f"',
  ].join('\n');
}

export async function acquireDeployLock(
  session: Session,
  hosts: readonly string[],
  force: boolean,
): Promise<HeldLock> {
  const owner = `${randomBytes(6).toString('hex')} ${userInfo().username}@${hostname()} pid ${process.pid} since ${new Date().toISOString()}`;
  const runId = owner.split(' ')[0] as string;
  const locked: string[] = [];
  const problems: string[] = [];
  await Promise.all(
    hosts.map(async (host) => {
      const connection = await session.pool.get(host);
      const result = await connection.exec(acquireScript(owner, force), {
        timeoutMs: session.options.commandTimeoutMs,
        become: false,
      });
      const [status = '', holder = ''] = result.stdout.trim().split('\n');
      if (status === 'ACQUIRED') locked.push(host);
      else if (status.startsWith('TAKEN')) {
        locked.push(host);
        session.bus.emit({
          type: 'warning',
          host,
          message: `took over a stale deploy lock (no heartbeat for ${status.split(' ')[1] ?? '?'} s)`,
        });
      } else if (status.startsWith('HELD')) {
        problems.push(`${host}: another deploy holds the lock (${holder.split(' ').slice(1).join(' ')})`);
      } else {
        problems.push(
          `${host}: could not take the deploy lock: ${result.stderr.trim() || result.stdout.trim()}`,
        );
      }
    }),
  );
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
          // An unreachable host keeps its lock; the heartbeat stopped, so it goes stale.
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
    throw new StepError(
      problems.join('; '),
      'wait for that deploy to finish; if it is gone, run mc deploy --force-unlock',
    );
  }
  return { release };
}
