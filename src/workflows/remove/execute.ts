// Runs a removal phase through the deploy's phase loop: its lanes side by side (MicroCeph beside MicroOVN),
// a lane's steps in order, each step one command on a member that stays, with the run's timeout. The first
// failure stops the removal after the lanes beside it finish; the next `mc remove` plans again from where
// the cluster stands.
import {
  describeRemoval,
  type RemovalAction,
  type RemovalPhase,
  type RemovalStep,
} from '../../domain/day2/remove.js';
import { shellJoin } from '../../transport/quote.js';
import { runSteps, type PhaseResult } from '../deploy/run-plan.js';
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

/** A removal phase through the deploy's phase loop: one stage, its lanes side by side. */
export async function runRemovalPhase(session: Session, phase: RemovalPhase): Promise<PhaseResult> {
  return runSteps<RemovalStep>(
    session,
    { id: phase.id, title: phase.title, stages: [{ lanes: phase.lanes }] },
    {
      describe: (step) => describeRemoval(step.action),
      async carryOut(step, remote) {
        await remote.run(removalCommand(step.action));
      },
      next: NEXT_STEP,
    },
  );
}
