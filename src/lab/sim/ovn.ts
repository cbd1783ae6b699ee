// The MicroOVN model (24.03): which OVN services each member runs after bootstrap and join (§10.8).

import type { Machine } from './machine.js';
import { memberNameOf } from './microcluster.js';
import type { ClusterState, OvnClusterData } from './world.js';

export function ovnData(cluster: ClusterState): OvnClusterData {
  cluster.ovn ??= { services: [], encapIp: {} };
  return cluster.ovn;
}

const CENTRAL_UNITS = ['microovn.ovn-northd', 'microovn.ovn-ovsdb-server-nb', 'microovn.ovn-ovsdb-server-sb'];

function enable(machine: Machine, unit: string): void {
  machine.services[unit] = { enabled: true, active: true };
}

/**
 * Every member runs chassis and switch; `central` (northd + NB/SB databases) runs on the first three
 * members, which is why LXD 5.21's northbound connection lists at most three hosts (§3.1).
 */
export function afterOvnMemberAdded(machine: Machine, cluster: ClusterState, encapIp: string | null): void {
  const data = ovnData(cluster);
  const member = memberNameOf(machine, 'microovn');
  const centralCount = data.services.filter((s) => s.service === 'central').length;
  if (centralCount < 3) {
    data.services.push({ member, service: 'central' });
    for (const unit of CENTRAL_UNITS) enable(machine, unit);
  }
  data.services.push({ member, service: 'chassis' }, { member, service: 'switch' });
  enable(machine, 'microovn.chassis');
  enable(machine, 'microovn.switch');
  if (encapIp) data.encapIp[member] = encapIp;
}

export function ovnServicesOn(cluster: ClusterState, member: string): string[] {
  return (cluster.ovn?.services ?? []).filter((s) => s.member === member).map((s) => s.service);
}
