// The closing message of a deploy that verified: what the cluster now has (from the plan, which lists every
// step whether done before or now), the next steps that work on it, and, when the default profile lacks a
// root disk or a NIC, what an instance needs before it can start.
import { allSteps, type Plan } from './plan.js';
import { SERVICE_LABELS, type ClusterDesign, type OptionalService } from './types.js';

export interface DeploySummary {
  /** An instance can be launched as it is: the default profile has a root disk and a NIC. */
  ready: boolean;
  lines: string[];
}

export function deploySummary(design: ClusterDesign, plan: Plan): DeploySummary {
  const members = design.members.map((m) => m.host);
  const actions = allSteps(plan).map((step) => step.action);
  // Cluster-wide objects only: a pending per-member create carries a target.
  const pools = unique(
    actions.flatMap((a) => (a.kind === 'lxd-storage-create' && a.target === undefined ? [a.pool] : [])),
  );
  const networks = unique(
    actions.flatMap((a) => (a.kind === 'lxd-network-create' && a.target === undefined ? [a.network] : [])),
  );
  const devices = new Set(actions.flatMap((a) => (a.kind === 'lxd-profile-device' ? [a.device] : [])));
  const services = (['microceph', 'microovn', 'microcloud'] as OptionalService[]).filter(
    (s) => design.services[s],
  );
  const on = design.initiator;
  const lines = [
    `Cluster: LXD on ${members.join(', ')}${services.map((s) => `; ${SERVICE_LABELS[s]}`).join('')}.`,
    `Storage pools: ${pools.length > 0 ? pools.join(', ') : 'none'}. Networks: ${networks.length > 0 ? networks.join(', ') : 'none'}.`,
  ];
  const missing: string[] = [];
  // Through the inventory, so that mc deploy sets up every member's part (a cluster's pool or network is
  // created per member first).
  if (!devices.has('root')) {
    missing.push(
      'a root disk: give the hosts a disk for the local pool (cluster.systems.<host>.storage.local, or a cluster.storage.local filter) or Ceph disks, or list a dir pool under cluster.lxd.storage_pools, then run mc deploy again',
    );
  }
  if (!devices.has('eth0')) {
    missing.push(
      'a network: set cluster.ovn (with MicroOVN), or give the initiator an IPv4 default route for the FAN network, or list a bridge under cluster.lxd.networks, then run mc deploy again',
    );
  }
  if (missing.length === 0) {
    lines.push(`Next: mc status -i <inventory>; on ${on}: lxc cluster list, lxc launch ubuntu:24.04 c1`);
  } else {
    lines.push(`Next: mc status -i <inventory>; on ${on}: lxc cluster list`);
    lines.push(`Before an instance can start, the default profile needs ${missing.join('; and ')}.`);
  }
  return { ready: missing.length === 0, lines };
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
