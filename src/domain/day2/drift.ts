// `mc status --check`: every difference between the running cluster and the inventory, each named by its kind
// and with what repairs it. The differences `mc deploy` repairs are exactly the steps its plan proposes (so
// `mc plan` on a drifted cluster shows the same); members the inventory does not list, and states the deploy
// refuses to touch, are reported with the reason. Pure.

import { describeAction, type Action } from '../cluster/actions.js';
import { pendingSteps, type Plan } from '../cluster/plan.js';
import type { HostFacts } from '../facts/index.js';
import { membersFromFacts, SERVICE_LABEL, type RemovableService } from './remove.js';

export type DriftKind =
  | 'snap missing'
  | 'snap channel'
  | 'snap hold'
  | 'service not set up'
  | 'member missing'
  | 'OSD missing'
  | 'Ceph replication'
  | 'LXD config'
  | 'storage pool'
  | 'network'
  | 'network description'
  | 'storage pool config'
  | 'network config'
  | 'profile device'
  | 'storage volume'
  | 'member not in inventory'
  | 'refused';

export interface Drift {
  kind: DriftKind;
  /** The host the difference is on (or the deploy step would run on). */
  host: string;
  detail: string;
  /** `mc deploy` (what it will do), or why it will not and what to do. */
  repair: string;
}

function kindOf(action: Action): DriftKind {
  switch (action.kind) {
    case 'snap-install':
      return 'snap missing';
    case 'snap-refresh':
      return 'snap channel';
    case 'snap-hold':
      return 'snap hold';
    case 'microcluster-bootstrap':
    case 'microceph-bootstrap':
    case 'lxd-bootstrap':
      return 'service not set up';
    case 'microcluster-join':
    case 'lxd-join':
    case 'lxd-join-clear':
    case 'microcloud-preseed':
      return 'member missing';
    case 'ceph-disk-add':
      return 'OSD missing';
    case 'ceph-replication':
      return 'Ceph replication';
    case 'lxd-config':
      return 'LXD config';
    case 'lxd-storage-create':
      return 'storage pool';
    case 'lxd-network-create':
      return 'network';
    case 'lxd-object-set':
      return action.entity === 'storage' ? 'storage pool config' : 'network config';
    case 'lxd-network-describe':
      return 'network description';
    case 'lxd-profile-device':
      return 'profile device';
    case 'lxd-volume-create':
      return 'storage volume';
  }
}

/** The deploy's pending steps as differences, each repaired by that step. */
export function driftFromPlan(plan: Plan): Drift[] {
  return pendingSteps(plan).map((step) => ({
    kind: kindOf(step.action),
    host: step.host,
    detail: describeAction(step.action),
    repair: `mc deploy will ${describeAction(step.action)}`,
  }));
}

/** Members a service lists that the inventory does not: mc deploy never removes a member. */
export function extraMembers(facts: ReadonlyMap<string, HostFacts>, hosts: readonly string[]): Drift[] {
  const members = membersFromFacts(facts, hosts);
  const drifts: Drift[] = [];
  for (const [service, list] of Object.entries(members) as [RemovableService, string[]][]) {
    const anchor = hosts.find((h) => list.includes(h)) ?? hosts[0] ?? '';
    for (const member of list.filter((m) => !hosts.includes(m))) {
      drifts.push({
        kind: 'member not in inventory',
        host: anchor,
        detail: `${SERVICE_LABEL[service]} lists ${member}, which the inventory does not`,
        repair: `mc deploy does not remove members: add ${member} to the inventory and run mc remove ${member}, or keep it by adding it to the inventory`,
      });
    }
  }
  return drifts;
}
