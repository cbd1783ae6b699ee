// The shape every per-host step shares: connect (lazily, through the pool), run, report events,
// and record the host's outcome for the recap. One host's failure never stops the others.
import type { Connection } from '../transport/connection.js';
import { TransportError } from '../transport/errors.js';
import { forEachHost } from '../transport/pool.js';
import { withoutHostPrefix } from './session.js';
import type { Session } from './session.js';

export interface StepOutcome {
  summary?: string;
  changed?: boolean;
  /** A non-zero exit the step wants to report as a failure, with its message. */
  failed?: string;
}

export async function runPerHost(
  session: Session,
  step: string,
  title: string,
  fn: (host: string, connection: Connection) => Promise<StepOutcome>,
): Promise<void> {
  const { bus } = session;
  await forEachHost(session.activeHosts(), session.options.forks, async (host) => {
    let connection: Connection;
    try {
      connection = await session.pool.get(host);
    } catch (err) {
      session.recordUnreachable(host, err);
      return;
    }
    const started = Date.now();
    bus.emit({ type: 'step-start', host, step, title });
    try {
      const outcome = await fn(host, connection);
      const ms = Date.now() - started;
      if (outcome.failed !== undefined) {
        bus.emit({ type: 'step-failed', host, step, error: outcome.failed, ms });
        session.recordFailure(host, outcome.failed);
      } else {
        bus.emit({
          type: 'step-done',
          host,
          step,
          ms,
          ...(outcome.changed === undefined ? {} : { changed: outcome.changed }),
          ...(outcome.summary === undefined ? {} : { summary: outcome.summary }),
        });
        session.recordSuccess(host, outcome.changed === true, ms);
      }
    } catch (err) {
      const ms = Date.now() - started;
      const error = withoutHostPrefix(host, err instanceof Error ? err.message : String(err));
      const hint = err instanceof TransportError ? err.hint : undefined;
      bus.emit({ type: 'step-failed', host, step, error, ms, ...(hint === undefined ? {} : { hint }) });
      if (err instanceof TransportError && !connection.isAlive) session.recordUnreachable(host, err);
      else session.recordFailure(host, error);
    }
  });
}
