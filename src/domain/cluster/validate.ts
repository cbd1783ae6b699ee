// designCluster: every check that needs the hosts' facts, then the concrete design the planner reads. Pure:
// the facts are gathered before, nothing is changed here. Every problem is reported at once; a design is
// only returned when there is none. The rule families live in their own modules:
//   hosts.ts      host names, clocks
//   services.ts   snap channels and versions, LXD's floor, service states, existing clusters
//   ports.ts      the services' ports
//   addresses.ts  cluster addresses and their subnet
//   disks.ts      explicit disks and disk filters
//   network.ts    OVN uplinks and underlay, the UPLINK range, FAN, Ceph networks

import type { HostFacts } from '../facts/index.js';
import type { Inventory } from '../inventory/types.js';
import { chooseAddresses } from './addresses.js';
import { DesignContext, type DesignOptions } from './context.js';
import { designDisks } from './disks.js';
import { checkClocks, checkHostNames } from './hosts.js';
import {
  checkRangeAgainstMembers,
  checkUnderlays,
  designCephNetworks,
  designFan,
  checkFanMap,
  designUplinkNetwork,
  designUplinks,
} from './network.js';
import { checkPorts } from './ports.js';
import {
  checkMicroCloudInitiator,
  checkServiceStates,
  checkSetUpOutsideMicroCloud,
  checkSnaps,
  checkStuckPendingMembers,
} from './services.js';
import { listWords } from './issues.js';
import {
  SERVICE_LABELS,
  snapsOf,
  type ClusterDesign,
  type ClusterSpec,
  type DeployIssue,
  type EngineChoice,
  type MemberDesign,
} from './types.js';

export { formatDeployIssue } from './issues.js';
export type { DesignOptions } from './context.js';

/** The MicroCloud engine whenever the MicroCloud snap is wanted; the reason names where that was decided. */
export function chooseEngine(spec: ClusterSpec): EngineChoice {
  const written = spec.positions['services.microcloud'];
  const where = written === undefined ? '' : ` (${written.file}:${written.line}:${written.col})`;
  if (spec.services.microcloud) {
    return {
      kind: 'microcloud',
      reason:
        written === undefined
          ? 'services.microcloud is on by default: MicroCloud forms and owns the cluster'
          : `services.microcloud: true${where}: MicroCloud forms and owns the cluster`,
      lookupTimeout: spec.lookupTimeout,
      sessionTimeout: spec.sessionTimeout,
    };
  }
  const labels = snapsOf(spec.services).map((snap) => SERVICE_LABELS[snap]);
  return {
    kind: 'direct',
    reason: `services.microcloud: false${where}: mc forms the ${listWords(labels)} cluster${labels.length === 1 ? '' : 's'} itself, without the MicroCloud snap`,
  };
}

export type ClusterDesignResult = { ok: true; design: ClusterDesign } | { ok: false; issues: DeployIssue[] };

export function designCluster(
  inventory: Inventory,
  spec: ClusterSpec,
  facts: ReadonlyMap<string, HostFacts>,
  options: DesignOptions = {},
): ClusterDesignResult {
  const ctx = new DesignContext(inventory, spec, facts, options);
  checkHostNames(ctx);
  checkServiceStates(ctx);
  checkMicroCloudInitiator(ctx);
  checkSetUpOutsideMicroCloud(ctx);
  checkStuckPendingMembers(ctx);
  checkSnaps(ctx);
  checkPorts(ctx);
  checkClocks(ctx);
  const addresses = chooseAddresses(ctx);
  const disks = designDisks(ctx);
  const uplink = designUplinkNetwork(ctx);
  const uplinks = designUplinks(ctx, addresses, uplink !== null);
  checkUnderlays(ctx);
  checkRangeAgainstMembers(ctx, uplink, addresses);
  const fan = designFan(ctx, uplink);
  checkFanMap(ctx, fan);
  const ceph = designCephNetworks(ctx, addresses);
  if (ctx.issues.size > 0) return { ok: false, issues: ctx.issues.list() };

  const members = ctx.hosts.flatMap((host): MemberDesign[] => {
    const address = addresses.get(host.name);
    if (address === undefined) return [];
    const memberDisks = disks.get(host.name);
    return [
      {
        host: host.name,
        address: address.choice,
        localDisk: memberDisks?.local ?? null,
        cephDisks: memberDisks?.ceph ?? [],
        uplinkInterface: uplinks.get(host.name) ?? null,
        underlayIp: host.system.underlayIp ?? null,
      },
    ];
  });
  return {
    ok: true,
    design: {
      initiator: spec.initiator,
      engine: chooseEngine(spec),
      members,
      services: { ...spec.services },
      channels: { ...spec.channels },
      lxdMinVersion: spec.lxdMinVersion,
      uplink,
      fan,
      lxd: spec.lxd,
      ceph,
      warnings: ctx.warnings,
    },
  };
}
