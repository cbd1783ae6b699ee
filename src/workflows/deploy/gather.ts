// What the planner reads: every host's facts (one round trip each, as `mc probe`) and the running cluster's
// state, asked of one member of each service in one round trip per member.
import { randomBytes } from 'node:crypto';
import { isMember, orderedMembers } from '../../domain/cluster/plan.js';
import {
  EMPTY_CLUSTER_STATE,
  clusterStateCommands,
  parseClusterState,
  type ClusterState,
} from '../../domain/cluster/state.js';
import type { ClusterDesign } from '../../domain/cluster/types.js';
import { parseSnapList, type HostFacts } from '../../domain/facts/index.js';
import { framedScript, splitFramed } from '../../domain/framed.js';
import type { Session } from '../session.js';
import { StepError } from './remote.js';

export interface ClusterSnapshot {
  state: ClusterState;
  /** LXD's API extensions where LXD runs; null when no host has LXD yet. */
  apiExtensions: string[] | null;
  /** The installed MicroCloud version on the LXD member asked. */
  microcloudVersion: string | null;
}

export async function gatherClusterState(
  session: Session,
  design: ClusterDesign,
  facts: ReadonlyMap<string, HostFacts>,
): Promise<ClusterSnapshot> {
  const ordered = orderedMembers(design).map((m) => m.host);
  const memberOf = (service: 'lxd' | 'microceph' | 'microovn'): string | undefined =>
    ordered.find((host) => isMember(facts.get(host), service, host));
  const lxdHost = memberOf('lxd');
  const cephHost = design.services.microceph ? memberOf('microceph') : undefined;
  const ovnHost = design.services.microovn ? memberOf('microovn') : undefined;
  const lxdFacts = lxdHost === undefined ? undefined : facts.get(lxdHost)?.services.lxd;
  const lxdMembers = lxdFacts?.state === 'clustered' ? lxdFacts.members.map((m) => m.name) : [];

  const state: ClusterState = { ...EMPTY_CLUSTER_STATE };
  let microcloudVersion: string | null = null;
  const asks = new Map<string, { lxd: string[]; ceph: boolean; ovn: boolean }>();
  const ask = (host: string) => {
    let entry = asks.get(host);
    if (entry === undefined) asks.set(host, (entry = { lxd: [], ceph: false, ovn: false }));
    return entry;
  };
  if (lxdHost !== undefined) ask(lxdHost).lxd = lxdMembers;
  if (cephHost !== undefined) ask(cephHost).ceph = true;
  if (ovnHost !== undefined) ask(ovnHost).ovn = true;
  await Promise.all(
    [...asks].map(async ([host, what]) => {
      const query = { lxdMembers: what.lxd, microceph: what.ceph, microovn: what.ovn };
      const commands = clusterStateCommands(query);
      if (host === lxdHost && design.services.microcloud) {
        commands.push({ name: 'microcloudSnap', command: 'snap list microcloud' });
      }
      const nonce = randomBytes(6).toString('hex');
      const connection = await session.pool.get(host);
      const result = await connection.exec(framedScript(commands, nonce), {
        timeoutMs: session.options.commandTimeoutMs,
        become: true,
      });
      const outputs = splitFramed(result.stdout, nonce);
      let part: ClusterState;
      try {
        part = parseClusterState(query, outputs);
      } catch (err) {
        throw new StepError(
          `${host}: reading the cluster's state: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      if (what.lxd.length > 0) state.lxd = part.lxd;
      if (what.ceph) state.ceph = part.ceph;
      if (what.ovn) state.ovnCentral = part.ovnCentral;
      const snap = outputs.get('microcloudSnap');
      if (snap !== undefined && snap.exitCode === 0) {
        const version = parseSnapList(snap.stdout).find((s) => s.name === 'microcloud')?.version;
        microcloudVersion = version === undefined ? null : microcloudRelease(version);
      }
    }),
  );
  // Before LXD is clustered, any member whose LXD answers tells which extensions it has.
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
