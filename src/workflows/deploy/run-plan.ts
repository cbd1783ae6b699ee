// Runs a phase: stages one after another, the lanes of a stage side by side, a lane's steps in order. The
// deploy's steps are carried out by the deploy phase that owns them (phases/): the change, then the check that
// it took effect; day-2 commands (remove, reset, upgrade) bring their own step kinds through the same loop.
// Every step is an event; the first failure stops the run after the lanes running beside it finish.
import { describeAction } from '../../domain/cluster/actions.js';
import type { PlanPhase, PlanStep } from '../../domain/cluster/plan.js';
import { TransportError } from '../../transport/errors.js';
import type { Session } from '../session.js';
import { withoutHostPrefix } from '../session.js';
import { acquireDeployLock, DeployLockError, type HeldLock } from './lock.js';
import { phaseOf, type RunState, type StepContext } from './phases/index.js';
import { Remote, StepError } from './remote.js';

export interface PhaseResult {
  ok: boolean;
  changed: number;
}

const NEXT_STEP = 'then run mc deploy again: it continues from where the cluster stands';

/** A step any mc workflow runs: one change on one host; `done` steps are skipped. */
export interface RunnableStep {
  id: string;
  host: string;
  done?: boolean;
}

/** A phase as the runner sees it: stages in order, the lanes of a stage side by side. */
export interface RunnablePhase<S extends RunnableStep> {
  id: string;
  title: string;
  stages: { lanes: S[][] }[];
}

/** How a workflow's steps are carried out: the deploy's phases, or a day-2 command's own step kinds. */
export interface StepRunner<S extends RunnableStep> {
  /** The step's line in the live output and the recap. */
  describe(step: S): string;
  /** Makes the change and checks it took effect; throws when it did not. */
  carryOut(step: S, remote: Remote, on: (host: string) => Promise<Remote>): Promise<void>;
  /** What to run once a failure's cause is fixed. */
  next?: string;
}

/**
 * The one phase loop of mc: every step an event, the first failure stops the phase after the lanes running
 * beside it finish, and the recap records each host's outcome.
 */
export async function runSteps<S extends RunnableStep>(
  session: Session,
  phase: RunnablePhase<S>,
  runner: StepRunner<S>,
): Promise<PhaseResult> {
  const { bus } = session;
  const pending = phase.stages.flatMap((s) => s.lanes.flat()).filter((s) => s.done !== true);
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
  const runLane = async (lane: S[]): Promise<void> => {
    for (const step of lane) {
      if (step.done === true) continue;
      if (failed) return;
      const title = runner.describe(step);
      const stepStarted = Date.now();
      bus.emit({ type: 'step-start', host: step.host, step: step.id, title });
      try {
        const connection = await session.pool.get(step.host);
        const remote = new Remote(session, step.host, step.id, connection);
        const on = async (host: string): Promise<Remote> =>
          new Remote(session, host, step.id, await session.pool.get(host));
        await runner.carryOut(step, remote, on);
        const ms = Date.now() - stepStarted;
        changed += 1;
        bus.emit({ type: 'step-done', host: step.host, step: step.id, changed: true, summary: title, ms });
        session.recordSuccess(step.host, true, ms);
      } catch (err) {
        failed = true;
        reportFailure(session, step.host, title, err, Date.now() - stepStarted, runner.next ?? NEXT_STEP);
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

/** A deploy plan phase, each step carried out by the deploy phase that owns it (phases/). */
export async function runPhase(session: Session, phase: PlanPhase, run: RunState): Promise<PhaseResult> {
  return runSteps<PlanStep>(session, phase, {
    describe: (step) => describeAction(step.action),
    async carryOut(step, remote, on) {
      const context: StepContext = { remote, on, ...run };
      const owner = phaseOf(step.action);
      await owner.run(step.action, context);
      await owner.verify(step.action, context);
    },
  });
}

/**
 * A step that failed, as an event naming the host, the step and what to do next, and in the recap: the
 * host a transport failure names is unreachable (it or its link went away), the step's host failed otherwise.
 */
export function reportFailure(
  session: Session,
  host: string,
  title: string,
  err: unknown,
  ms = 0,
  /** What to run once the cause is fixed (day-2 commands name themselves). */
  next = NEXT_STEP,
): void {
  const message = withoutHostPrefix(host, err instanceof Error ? err.message : String(err));
  const cause =
    err instanceof TransportError
      ? `${(err.hint ?? 'check that the host is reachable').replace(/, then run the command again$/, '')}, ${next}`
      : err instanceof StepError && err.hint !== undefined
        ? err.hint
        : `fix the cause on ${host}, ${next}`;
  session.bus.emit({ type: 'step-failed', host, step: title, error: message, hint: cause, ms });
  // The host that went away may be another than the step's: the member that issues the join token.
  const lost = err instanceof TransportError ? (hostNamedBy(session, err) ?? host) : undefined;
  if (lost !== undefined) session.recordUnreachable(lost, err);
  if (lost !== host) session.recordFailure(host, `${title}: ${message}`);
}

/** The host a transport error names first (`host: ...`), when it is one of the run's. */
export function hostNamedBy(session: Session, err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : '';
  return session.hosts.find((h) => message.startsWith(`${h}: `));
}

/**
 * The deploy lock on hosts, for every command that changes a cluster; a host whose lock another run holds is
 * reported as a failed step with what to do next, and the command stops (undefined).
 */
export async function takeDeployLock(
  session: Session,
  hosts: readonly string[],
  forceUnlock: boolean,
  next = NEXT_STEP,
): Promise<HeldLock | undefined> {
  try {
    return await acquireDeployLock(session, [...hosts], forceUnlock);
  } catch (err) {
    if (!(err instanceof DeployLockError)) throw err;
    for (const { host, error } of err.problems)
      reportFailure(session, host, 'take the deploy lock', error, 0, next);
    return undefined;
  }
}
