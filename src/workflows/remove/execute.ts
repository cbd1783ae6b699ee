// Runs a removal phase: its lanes side by side (MicroCeph beside MicroOVN), a lane's steps in order, each
// step one command on a member that stays, with the run's timeout. The first failure stops the removal
// after the lanes beside it finish; the next `mc remove` plans again from where the cluster stands.
import {
  describeRemoval,
  type RemovalAction,
  type RemovalPhase,
  type RemovalStep,
} from '../../domain/day2/remove.js';
import { shellJoin } from '../../transport/quote.js';
import { reportFailure } from '../deploy/run-plan.js';
import { Remote } from '../deploy/remote.js';
import type { Session } from '../session.js';

/** The command that carries out one removal step. */
export function removalCommand(action: RemovalAction): string {
  switch (action.kind) {
    case 'lxd-config-unset':
      return shellJoin(['lxc', 'config', 'unset', action.key, '--target', action.member]);
    case 'lxd-volume-delete':
      return shellJoin([
        'lxc',
        'storage',
        'volume',
        'delete',
        action.pool,
        action.volume,
        '--target',
        action.member,
      ]);
    case 'lxd-member-remove':
      // --yes answers lxc's "Are you really sure you want to force removing ...?" (a forced removal only).
      return shellJoin([
        'lxc',
        'cluster',
        'remove',
        action.member,
        ...(action.force ? ['--force', '--yes'] : []),
      ]);
    case 'ceph-shrink':
      return shellJoin(['microceph', 'pool', 'set-rf', '--size', String(action.size), ...action.pools]);
    case 'microcloud-remove':
      return shellJoin(['microcloud', 'remove', action.member, ...(action.force ? ['--force'] : [])]);
    case 'microcluster-member-remove':
      return shellJoin([
        action.service,
        'cluster',
        'remove',
        action.member,
        ...(action.force ? ['--force'] : []),
      ]);
  }
}

export const NEXT_STEP = 'then run mc remove again: it continues from where the cluster stands';

export async function runRemovalPhase(
  session: Session,
  phase: RemovalPhase,
): Promise<{ ok: boolean; changed: number }> {
  const { bus } = session;
  const started = Date.now();
  const steps = phase.lanes.flat();
  bus.emit({
    type: 'phase-start',
    phase: phase.id,
    title: phase.title,
    hosts: [...new Set(steps.map((s) => s.host))],
  });
  let changed = 0;
  let failed = false;
  const runLane = async (lane: RemovalStep[]): Promise<void> => {
    for (const step of lane) {
      if (failed) return;
      const title = describeRemoval(step.action);
      const stepStarted = Date.now();
      bus.emit({ type: 'step-start', host: step.host, step: step.id, title });
      try {
        const remote = new Remote(session, step.host, step.id, await session.pool.get(step.host));
        await remote.run(removalCommand(step.action));
        const ms = Date.now() - stepStarted;
        changed += 1;
        bus.emit({ type: 'step-done', host: step.host, step: step.id, changed: true, summary: title, ms });
        session.recordSuccess(step.host, true, ms);
      } catch (err) {
        failed = true;
        reportFailure(session, step.host, title, err, Date.now() - stepStarted, NEXT_STEP);
        return;
      }
    }
  };
  await Promise.all(phase.lanes.map(runLane));
  bus.emit({ type: 'phase-done', phase: phase.id, ok: !failed, changed, ms: Date.now() - started });
  return { ok: !failed, changed };
}
