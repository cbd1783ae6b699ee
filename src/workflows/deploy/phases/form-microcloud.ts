// The MicroCloud engine: MicroCloud's own daemon forms (or grows) the cluster from one unicast preseed (§2),
// the same text on every host on stdin with the run's passphrase. The initiator starts first; each joiner
// starts once the initiator's trust session is open, which its daemon shows by holding UDP 0.0.0.0:9444 (the
// multicast responder mc2's api/session.go opens right after the session starts and closes when it ends; the
// initiator's "Searching for joining systems" line is printed before the session opens, so it proves
// nothing). Joiners are refused with "No active session" before that (§1.2), and the initiator gives up on
// any joiner not there within lookup_timeout. Success is the initiator's last line "MicroCloud is ready" and
// each joiner's "Successfully joined the MicroCloud cluster and closing the session." (§2.3).
import type { Action } from '../../../domain/cluster/actions.js';
import { preseedStdin, type Preseed } from '../../../domain/cluster/preseed.js';
import { CommandStoppedError } from '../../../transport/errors.js';
import { quoteArg } from '../../../transport/quote.js';
import { errorLines, StepError, waitFor, type Remote } from '../remote.js';
import { definePhase, type StepContext } from './phase.js';

type PreseedAction = Extract<Action, { kind: 'microcloud-preseed' }>;

export const INITIATOR_READY = 'MicroCloud is ready';
export const JOINER_JOINED = 'Successfully joined the MicroCloud cluster and closing the session.';
/** mc2 service/service_handler.go CloudMulticastPort: bound by the initiator only while its session is open. */
const SESSION_UDP_PORT = 9444;
/** The initiator first waits up to a minute for each service's daemon (§1.1 item 1), then opens the session. */
const SESSION_OPEN_WAIT_MS = 5 * 60_000;
/** After the lookup, setupCluster: MicroCloud's own tests allow 30 minutes for the whole setup (§1.3). */
const SETUP_ALLOWANCE_S = 30 * 60;

const NEXT = 'then run mc deploy again: it continues from where the cluster stands';

/**
 * The pid of the `microcloud preseed` mc last started on the host, written by its shell just before it execs
 * the preseed (so the pid is the preseed's). /run/lock is tmpfs: a reboot clears it; MC_LOCK_DIR moves it
 * (labs), as for the deploy lock. Nothing secret in it: the passphrase goes on stdin.
 */
const PRESEED_PID_FILE = '"${MC_LOCK_DIR:-/run/lock}/mc-microcloud-preseed.pid"';
const PRESEED_COMMAND = `sh -c ${quoteArg(`echo $$ > ${PRESEED_PID_FILE} && exec microcloud preseed`)}`;
/** Grace after TERM before KILL, in seconds; the whole check stays well inside its command timeout. */
const LEFTOVER_GRACE_S = 5;
const LEFTOVER_TIMEOUT_MS = 30_000;

/**
 * Ends a preseed an earlier mc run started on the host and could not stop (its link was cut, mc died): a
 * daemon keeps one trust session per host, so a new preseed would fail with "There already is an active
 * session". Only the pid mc recorded, only while its command line is still `microcloud preseed`, then its
 * process group (the one mc's command wrapper made); prints `ended PID` when it did.
 */
const END_LEFTOVER_PRESEED = [
  `f=${PRESEED_PID_FILE}`,
  '[ -f "$f" ] || exit 0',
  'pid=$(cat "$f")',
  'case "$pid" in ""|*[!0-9]*) rm -f "$f"; exit 0 ;; esac',
  `args=$(tr '\\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || args=`,
  'case "$args" in',
  `  'microcloud preseed '|*'/microcloud preseed '|*' microcloud preseed ') ;;`,
  '  *) rm -f "$f"; exit 0 ;;',
  'esac',
  `pgid=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f3)`,
  'case "$pgid" in ""|*[!0-9]*|0|1) target=$pid ;; *) target=-$pgid ;; esac',
  // dash's kill takes no `--`: a negative number is the group.
  'kill -TERM "$target" 2>/dev/null',
  'i=0',
  `while kill -0 "$pid" 2>/dev/null && [ $i -lt ${LEFTOVER_GRACE_S} ]; do sleep 1; i=$((i + 1)); done`,
  'kill -0 "$pid" 2>/dev/null && kill -KILL "$target" 2>/dev/null && sleep 1',
  'if kill -0 "$pid" 2>/dev/null; then echo "alive $pid"; exit 0; fi',
  'rm -f "$f"',
  'echo "ended $pid"',
].join('\n');

async function endLeftoverPreseed(remote: Remote): Promise<void> {
  const result = await remote.run(`sh -c ${quoteArg(END_LEFTOVER_PRESEED)}`, {
    quiet: true,
    timeoutMs: LEFTOVER_TIMEOUT_MS,
  });
  const alive = /^alive (\d+)$/m.exec(result.stdout);
  if (alive !== null) {
    throw new StepError(
      `a microcloud preseed an earlier mc run started (pid ${alive[1] ?? '?'}) did not end on TERM and KILL`,
      `check that process on ${remote.host}, then run mc deploy again`,
    );
  }
  const ended = /^ended (\d+)$/m.exec(result.stdout);
  if (ended !== null) {
    remote.session.bus.emit({
      type: 'warning',
      host: remote.host,
      message: `ended microcloud preseed (pid ${ended[1] ?? '?'}) left running by an earlier mc run`,
    });
  }
}

function preseedTimeoutMs(remote: Remote, preseed: Preseed): number {
  return Math.max(
    remote.session.options.commandTimeoutMs,
    (preseed.lookupTimeout + SETUP_ALLOWANCE_S) * 1000,
  );
}

/**
 * `microcloud preseed` on the step's host; its output streams live under the step. MicroCloud prints its
 * error last on stderr (`⨯ Error: ...`): that is the failure's message, not the progress lines before it.
 */
async function runPreseed(action: PreseedAction, context: StepContext): Promise<string> {
  const { remote, formation } = context;
  const stdin = preseedStdin(action.preseed, formation.sessionPassphrase());
  await endLeftoverPreseed(remote);
  const result = await remote.run(PRESEED_COMMAND, {
    stdin,
    allowFailure: true,
    timeoutMs: preseedTimeoutMs(remote, action.preseed),
    ...(action.role === 'joiner' ? { signal: formation.signal } : {}),
  });
  if (result.code !== 0) {
    const why = result.code === null ? `killed by ${result.signal ?? 'a signal'}` : `exit ${result.code}`;
    const said = errorLines(result.stderr, 1).replace(/^⨯\s*/, '');
    throw new StepError(`microcloud preseed failed (${why})${said === '' ? '' : `: ${said}`}`);
  }
  return result.stdout;
}

/** The next step for a failed preseed, from MicroCloud's message. */
function hintFor(message: string, action: PreseedAction, host: string): string {
  const missing = /System "([^"]+)" hasn't reached out/.exec(message);
  if (missing !== null) {
    return `${missing[1] ?? 'a joiner'} did not reach ${action.preseed.initiatorHost} (${action.preseed.initiatorAddress}:9443) within lookup_timeout (${action.preseed.lookupTimeout} s): check that it is up and reaches that address, or raise cluster.lookup_timeout; ${NEXT}`;
  }
  if (/No active session/.test(message)) {
    return `the initiator ${action.preseed.initiatorHost} had no trust session open: see its error; ${NEXT}`;
  }
  return `fix the cause on ${host} (MicroCloud's message above), ${NEXT}`;
}

async function waitForSession(context: StepContext, initiator: string): Promise<void> {
  const { formation } = context;
  const remote = await context.on(initiator);
  await waitFor(
    `the trust session of ${initiator} to open`,
    SESSION_OPEN_WAIT_MS,
    async () => {
      if (formation.initiatorEnded(initiator) || formation.signal.aborted) {
        throw new StepError(
          `not started: the preseed on the initiator ${initiator} ended before its trust session opened`,
          `see ${initiator}'s error; ${NEXT}`,
        );
      }
      const sockets = await remote.run('ss -Hlun', { quiet: true, allowFailure: true });
      return sockets.stdout.split('\n').some((line) => line.includes(`:${SESSION_UDP_PORT} `));
    },
    `check the microcloud daemon on ${initiator} (snap services microcloud), ${NEXT}`,
  );
}

export const formMicrocloud = definePhase({
  title: 'form the cluster with MicroCloud',
  owns: (action): action is PreseedAction => action.kind === 'microcloud-preseed',
  async run(action, context) {
    const { remote, formation } = context;
    try {
      if (action.role === 'initiator') {
        const running = runPreseed(action, context);
        formation.initiatorRunning(remote.host, running);
        try {
          const stdout = await running;
          const last = stdout.trimEnd().split('\n').at(-1)?.trim();
          if (last !== INITIATOR_READY) {
            throw new StepError(
              `microcloud preseed ended without "${INITIATOR_READY}" (last line: ${last ?? 'none'})`,
              `see the output above, ${NEXT}`,
            );
          }
        } catch (err) {
          formation.stop(`the initiator ${remote.host} failed`);
          throw err;
        }
        return;
      }
      await waitForSession(context, action.preseed.initiatorHost);
      const stdout = await runPreseed(action, context);
      if (!stdout.split('\n').some((line) => line.trim() === JOINER_JOINED)) {
        throw new StepError(
          `microcloud preseed ended without "${JOINER_JOINED}"`,
          `see the output above, ${NEXT}`,
        );
      }
    } catch (err) {
      if (err instanceof CommandStoppedError) {
        throw new StepError(
          `stopped: ${formation.stoppedBecause ?? 'the formation stopped'}`,
          `see that host's error; ${NEXT}`,
        );
      }
      if (err instanceof StepError && err.hint === undefined) {
        throw new StepError(err.message, hintFor(err.message, action, remote.host));
      }
      throw err;
    }
  },
});
