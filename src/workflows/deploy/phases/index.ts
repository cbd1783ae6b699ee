// Every deploy phase, in the order a cluster is built; each plan step belongs to exactly one of them.
import type { Action } from '../../../domain/cluster/actions.js';
import { addOsds } from './add-osds.js';
import { bootstrapServices } from './bootstrap-services.js';
import { configureLxd } from './configure-lxd.js';
import { formMicrocloud } from './form-microcloud.js';
import { installSnaps } from './install-snaps.js';
import { joinLxd } from './join-lxd.js';
import { joinMicroceph } from './join-microceph.js';
import { joinMicroovn } from './join-microovn.js';
import type { DeployPhase } from './phase.js';

export type { DeployPhase, RunState, StepContext } from './phase.js';

export const DEPLOY_PHASES: readonly DeployPhase[] = [
  installSnaps,
  formMicrocloud,
  bootstrapServices,
  joinMicroceph,
  joinMicroovn,
  joinLxd,
  addOsds,
  configureLxd,
];

/** The phase that carries out `action`. */
export function phaseOf(action: Action): DeployPhase {
  const phase = DEPLOY_PHASES.find((p) => p.owns(action));
  if (phase === undefined) throw new Error(`no deploy phase carries out ${action.kind}`);
  return phase;
}
