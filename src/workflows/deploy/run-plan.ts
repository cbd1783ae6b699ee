// Runs a plan phase: stages one after another, the lanes of a stage side by side, a lane's steps in order.
// Every step is an event; the first failure stops the deploy after the lanes running beside it finish.
import { describeAction } from '../../domain/cluster/actions.js';
import type { PlanPhase, PlanStep } from '../../domain/cluster/plan.js';
import { TransportError } from '../../transport/errors.js';
import type { Session } from '../session.js';
import { withoutHostPrefix } from '../session.js';
import { execute, type ExecuteContext } from './execute.js';
import { Remote, StepError } from './remote.js';

export interface PhaseResult {
  ok: boolean;
  changed: number;
}

const NEXT_STEP = 'then run mc deploy again: it continues from where the cluster stands';

export async function runPhase(
  session: Session,
  phase: PlanPhase,
  dmCryptReady: Set<string>,
): Promise<PhaseResult> {
  const { bus } = session;
  const pending = phase.stages.flatMap((s) => s.lanes.flat()).filter((s) => !s.done);
  if (pending.length === 0) return { ok: true, changed: 0 };
  const started = Date.now();
  bus.emit({
    type: 'phase-start',
    phase: phase.id,
    title: phase.title,
    hosts: [...new Set(pending.map((s) => s.host))],
  });
  let changed = 0;
  let failed = false;
  const runLane = async (lane: PlanStep[]): Promise<void> => {
    for (const step of lane) {
      if (step.done) continue;
      if (failed) return;
      const title = describeAction(step.action);
      const stepStarted = Date.now();
      bus.emit({ type: 'step-start', host: step.host, step: step.id, title });
      try {
        const connection = await session.pool.get(step.host);
        const remote = new Remote(session, step.host, step.id, connection);
        const context: ExecuteContext = {
          remote,
          on: async (host) => new Remote(session, host, step.id, await session.pool.get(host)),
          dmCryptReady,
        };
        await execute(step.action, context);
        const ms = Date.now() - stepStarted;
        changed += 1;
        bus.emit({ type: 'step-done', host: step.host, step: step.id, changed: true, summary: title, ms });
        session.recordSuccess(step.host, true, ms);
      } catch (err) {
        failed = true;
        const ms = Date.now() - stepStarted;
        const message = withoutHostPrefix(step.host, err instanceof Error ? err.message : String(err));
        const cause =
          err instanceof TransportError
            ? `${err.hint === undefined ? 'check that the host is reachable' : err.hint}, ${NEXT_STEP}`
            : err instanceof StepError && err.hint !== undefined
              ? err.hint
              : `fix the cause on ${step.host}, ${NEXT_STEP}`;
        bus.emit({ type: 'step-failed', host: step.host, step: title, error: message, hint: cause, ms });
        if (err instanceof TransportError) session.recordUnreachable(step.host, err);
        else session.recordFailure(step.host, `${title}: ${message}`);
        return;
      }
    }
  };
  for (const stage of phase.stages) {
    await Promise.all(stage.lanes.map(runLane));
    if (failed) break;
  }
  bus.emit({ type: 'phase-done', phase: phase.id, ok: !failed, changed, ms: Date.now() - started });
  return { ok: !failed, changed };
}
