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
import { endLeftover, recordedCommandLine, type RecordedCommand } from '../recorded-process.js';
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
 * `microcloud preseed` runs with its pid recorded (recorded-process.ts), so that the next run ends one that an
 * earlier run started and could not stop (its link was cut, mc died): a daemon keeps one trust session per
 * host, so a new preseed would fail with "There already is an active session". Nothing secret on its command
 * line: the passphrase goes on stdin.
 */
const PRESEED: RecordedCommand = { pidFile: 'mc-microcloud-preseed.pid', argv: ['microcloud', 'preseed'] };

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
  await endLeftover(remote, PRESEED);
  const result = await remote.run(recordedCommandLine(PRESEED), {
    stdin,
    shownAs: PRESEED.argv.join(' '),
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
