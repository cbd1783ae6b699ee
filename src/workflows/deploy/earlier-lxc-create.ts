// A cluster-wide `lxc network|storage create` outlives a cut SSH session: LXD goes on notifying the other
// members and finishes the create once the link is back (measured 1.1-1.6 s after it on real LXD 5.0.2). Its
// pid is recorded, and the next deploy waits for it before it reads LXD's state for the configure plan, so that
// the plan is not made from a state the earlier run's command is still changing.
import { quoteArg, shellJoin } from '../../transport/quote.js';
import type { Session } from '../session.js';
import { awaitLeftoverScript, recordedCommandLine } from './recorded-process.js';
import { Remote, StepError } from './remote.js';

const PID_FILE = 'mc-lxc-create.pid';
const WAIT_S = 60;

/** The command line of a create: recorded when it is cluster-wide (no --target), plain otherwise. */
export function clusterCreateLine(argv: string[], target: string | undefined): string {
  return target === undefined ? recordedCommandLine({ pidFile: PID_FILE, argv }) : shellJoin(argv);
}

/**
 * Waits on each host for a cluster-wide create an earlier mc run started and left running; the hosts where
 * one still runs after the wait, each with its error.
 */
export async function awaitEarlierCreates(
  session: Session,
  hosts: readonly string[],
): Promise<{ host: string; error: unknown }[]> {
  const script = awaitLeftoverScript(PID_FILE, ['lxc'], WAIT_S);
  const outcomes = await Promise.all(
    hosts.map(async (host) => {
      try {
        const remote = new Remote(session, host, 'configure:earlier-create', await session.pool.get(host));
        const result = await remote.run(`sh -c ${quoteArg(script)}`, {
          quiet: true,
          timeoutMs: (WAIT_S + 30) * 1000,
        });
        const waited = /^waited (\d+)$/m.exec(result.stdout);
        if (waited !== null) {
          session.bus.emit({
            type: 'warning',
            host,
            message: `waited for an \`lxc … create\` an earlier mc run left running (pid ${waited[1] ?? '?'}) to finish before reading LXD's state`,
          });
        }
        const alive = /^alive (\d+)$/m.exec(result.stdout);
        if (alive === null) return undefined;
        return {
          host,
          error: new StepError(
            `an \`lxc … create\` an earlier mc run started (pid ${alive[1] ?? '?'}) still runs after ${WAIT_S} s`,
            `check that process on ${host} (LXD may be waiting for another member), then run mc deploy again`,
          ),
        };
      } catch (error) {
        return { host, error };
      }
    }),
  );
  return outcomes.filter((o): o is { host: string; error: unknown } => o !== undefined);
}
