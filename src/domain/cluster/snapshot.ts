// What the planner reads of the running cluster, without the I/O: which member is asked what (one round trip
// per host: the first member of each service, initiator first), and how the answers make one snapshot.
// src/workflows/deploy/gather.ts runs the asks over SSH; the domain tests run them against the simulator.

import { parseSnapList, type HostFacts } from '../facts/index.js';
import type { FramedCommand, FramedOutput } from '../framed.js';
import { isMember, orderedMembers } from './plan.js';
import {
  ClusterStateError,
  EMPTY_CLUSTER_STATE,
  clusterStateCommands,
  parseClusterState,
  type ClusterState,
  type ClusterStateQuery,
} from './state.js';
import type { ClusterDesign } from './types.js';

export interface ClusterSnapshot {
  state: ClusterState;
  /** LXD's API extensions where LXD runs; null when no host has LXD yet. */
  apiExtensions: string[] | null;
  /** The installed MicroCloud version on the LXD member asked. */
  microcloudVersion: string | null;
}

export interface ClusterStateAsk {
  host: string;
  query: ClusterStateQuery;
  /** What to run there as root: the query's commands, and on the LXD member MicroCloud's `snap list`. */
  commands: FramedCommand[];
}

export interface ClusterStateAnswer {
  ask: ClusterStateAsk;
  /** Each command's outputs by name (splitFramed); a missing command did not run to its end. */
  outputs: ReadonlyMap<string, FramedOutput>;
}

const MICROCLOUD_SNAP = 'microcloudSnap';

/** One ask per host that is the first member (initiator first) of LXD, MicroCeph or MicroOVN. */
export function clusterStateAsks(
  design: ClusterDesign,
  facts: ReadonlyMap<string, HostFacts>,
): ClusterStateAsk[] {
  const ordered = orderedMembers(design).map((m) => m.host);
  const memberOf = (service: 'lxd' | 'microceph' | 'microovn'): string | undefined =>
    ordered.find((host) => isMember(facts.get(host), service, host));
  const lxdHost = memberOf('lxd');
  const cephHost = design.services.microceph ? memberOf('microceph') : undefined;
  const ovnHost = design.services.microovn ? memberOf('microovn') : undefined;
  const lxdFacts = lxdHost === undefined ? undefined : facts.get(lxdHost)?.services.lxd;
  const lxdMembers = lxdFacts?.state === 'clustered' ? lxdFacts.members.map((m) => m.name) : [];

  const queries = new Map<string, ClusterStateQuery>();
  const ask = (host: string): ClusterStateQuery => {
    let query = queries.get(host);
    if (query === undefined)
      queries.set(host, (query = { lxdMembers: [], microceph: false, microovn: false }));
    return query;
  };
  if (lxdHost !== undefined) ask(lxdHost).lxdMembers = lxdMembers;
  if (cephHost !== undefined) ask(cephHost).microceph = true;
  if (ovnHost !== undefined) ask(ovnHost).microovn = true;
  return [...queries].map(([host, query]) => {
    const commands = clusterStateCommands(query);
    if (host === lxdHost && design.services.microcloud) {
      commands.push({ name: MICROCLOUD_SNAP, command: 'snap list microcloud' });
    }
    return { host, query, commands };
  });
}

/**
 * The answers of clusterStateAsks as one snapshot. Before LXD is clustered, the API extensions are those of
 * any member whose LXD answers, and MicroCloud's version that installed on the initiator.
 * Throws ClusterStateError naming the host whose answer does not read.
 */
export function clusterSnapshot(
  design: ClusterDesign,
  facts: ReadonlyMap<string, HostFacts>,
  answers: readonly ClusterStateAnswer[],
): ClusterSnapshot {
  const state: ClusterState = { ...EMPTY_CLUSTER_STATE };
  let microcloudVersion: string | null = null;
  for (const { ask, outputs } of answers) {
    let part: ClusterState;
    try {
      part = parseClusterState(ask.query, outputs);
    } catch (err) {
      throw new ClusterStateError(
        `${ask.host}: reading the cluster's state: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (ask.query.lxdMembers.length > 0) state.lxd = part.lxd;
    if (ask.query.microceph) state.ceph = part.ceph;
    if (ask.query.microovn) state.ovnCentral = part.ovnCentral;
    const snap = outputs.get(MICROCLOUD_SNAP);
    if (snap !== undefined && snap.exitCode === 0) {
      const version = parseSnapList(snap.stdout).find((s) => s.name === 'microcloud')?.version;
      microcloudVersion = version === undefined ? null : microcloudRelease(version);
    }
  }
  const servers = design.members.flatMap((m) => {
    const lxd = facts.get(m.host)?.services.lxd;
    return lxd !== undefined && 'server' in lxd ? [lxd.server] : [];
  });
  const apiExtensions = state.lxd?.apiExtensions ?? servers[0]?.apiExtensions ?? null;
  if (microcloudVersion === null && design.services.microcloud) {
    const installed = facts.get(design.initiator)?.snaps.find((s) => s.name === 'microcloud');
    microcloudVersion = installed === undefined ? null : microcloudRelease(installed.version);
  }
  return { state, apiExtensions, microcloudVersion };
}

/** MicroCloud reports its release (`2.1.3`), not the snap's version string (`2.1.3-3e8b183`), §3.1. */
export function microcloudRelease(snapVersion: string): string {
  return snapVersion.split('-')[0] ?? snapVersion;
}
