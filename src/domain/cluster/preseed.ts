// MicroCloud's preseed (§2.1) as mc runs it: built from the design and the probed facts, always in unicast mode
// (`initiator_address` and every `systems[].address`, never `lookup_subnet`, §2.3). Pure.
//
// Disks are passed as explicit paths, also where the inventory chose them by filter: mc resolves the filters
// with MicroCloud's own rules (§4.3) while planning, so the preseed holds exactly the disks the plan showed.
// The session passphrase is not part of the model: preseedStdin() adds it to the text sent on stdin, so only
// the caller that generated it ever holds it.

import { stringify } from 'yaml';
import type { HostFacts } from '../facts/index.js';
import type { ClusterDesign, DiskChoice, MemberDesign } from './types.js';

/** Bootstrap: the initiator is among the systems and forms a new cluster. Add: new systems join a cluster. */
export type PreseedMode = 'bootstrap' | 'add';

export interface PreseedDisk {
  path: string;
  wipe: boolean;
  /** Ceph only. */
  encrypt: boolean;
}

export interface PreseedSystem {
  /** The inventory host this system is. */
  host: string;
  /** `systems[].name`: the host's `hostname`, which MicroCloud compares with os.Hostname(). */
  name: string;
  address: string;
  ovnUplinkInterface: string | null;
  ovnUnderlayIp: string | null;
  localDisk: PreseedDisk | null;
  cephDisks: PreseedDisk[];
}

export interface PreseedOvn {
  ipv4Gateway?: string;
  ipv4Range?: string;
  ipv6Gateway?: string;
  dnsServers: string[];
}

export interface PreseedCeph {
  cephfs: boolean;
  /** Set only when some system brings Ceph disks: MicroCloud refuses the networks otherwise (§2.1). */
  internalNetwork?: string;
  publicNetwork?: string;
}

export interface Preseed {
  mode: PreseedMode;
  /** The inventory host at `initiator_address`: the initiator in bootstrap mode, an existing member in add mode. */
  initiatorHost: string;
  initiatorAddress: string;
  lookupTimeout: number;
  sessionTimeout: number;
  /** Bootstrap: every member, inventory order. Add: only the new members. */
  systems: PreseedSystem[];
  /** Bootstrap only, with OVN networking: the UPLINK network; a grown cluster keeps the one it has. */
  ovn: PreseedOvn | null;
  /** Bootstrap only, with MicroCeph: the new cluster's Ceph settings. */
  ceph: PreseedCeph | null;
}

export interface PreseedOptions {
  mode: PreseedMode;
  /** Add mode: the hosts that join, in any order (the preseed lists them in inventory order). */
  newHosts?: readonly string[];
  /** Add mode: the existing member whose address is `initiator_address`; default: the design's initiator. */
  via?: string;
}

/** A programming error: the caller asked for a preseed the design cannot give. */
export class PreseedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreseedError';
  }
}

function preseedDisk(disk: DiskChoice): PreseedDisk {
  return { path: disk.path, wipe: disk.wipe, encrypt: disk.encrypt };
}

function memberOf(design: ClusterDesign, host: string): MemberDesign {
  const member = design.members.find((candidate) => candidate.host === host);
  if (member === undefined) throw new PreseedError(`${host} is not a member of the cluster design`);
  return member;
}

function systemOf(
  design: ClusterDesign,
  member: MemberDesign,
  facts: ReadonlyMap<string, HostFacts>,
): PreseedSystem {
  const hostname = facts.get(member.host)?.hostname;
  if (hostname === undefined || hostname === null) {
    throw new PreseedError(`no host name was probed on ${member.host}`);
  }
  const ovn = design.services.microovn;
  return {
    host: member.host,
    name: hostname,
    address: member.address.value,
    ovnUplinkInterface: ovn ? (member.uplinkInterface?.value ?? null) : null,
    ovnUnderlayIp: ovn ? member.underlayIp : null,
    localDisk: member.localDisk === null ? null : preseedDisk(member.localDisk.value),
    cephDisks: design.services.microceph ? member.cephDisks.map((disk) => preseedDisk(disk.value)) : [],
  };
}

/**
 * The preseed mc runs for this design. Bootstrap mode lists every member with the design's initiator as
 * `initiator_address`; add mode lists only `newHosts`, pointed at `via` (an existing member, §2.2/§3.7).
 */
export function buildPreseed(
  design: ClusterDesign,
  facts: ReadonlyMap<string, HostFacts>,
  options: PreseedOptions,
): Preseed {
  if (design.engine.kind !== 'microcloud') {
    throw new PreseedError('the direct engine runs no preseed (services.microcloud is off)');
  }
  const { lookupTimeout, sessionTimeout } = design.engine;
  if (options.mode === 'bootstrap') {
    const systems = design.members.map((member) => systemOf(design, member, facts));
    const withCeph = systems.some((system) => system.cephDisks.length > 0);
    return {
      mode: 'bootstrap',
      initiatorHost: design.initiator,
      initiatorAddress: memberOf(design, design.initiator).address.value,
      lookupTimeout,
      sessionTimeout,
      systems,
      ovn:
        design.uplink === null
          ? null
          : {
              ...(design.uplink.ipv4Gateway === undefined ? {} : { ipv4Gateway: design.uplink.ipv4Gateway }),
              ...(design.uplink.ipv4Range === undefined ? {} : { ipv4Range: design.uplink.ipv4Range }),
              ...(design.uplink.ipv6Gateway === undefined ? {} : { ipv6Gateway: design.uplink.ipv6Gateway }),
              dnsServers: [...design.uplink.dnsServers],
            },
      ceph:
        design.ceph === null
          ? null
          : {
              cephfs: design.ceph.cephfs,
              ...(withCeph
                ? { internalNetwork: design.ceph.internalNetwork, publicNetwork: design.ceph.publicNetwork }
                : {}),
            },
    };
  }
  const newHosts = new Set(options.newHosts ?? []);
  if (newHosts.size === 0) throw new PreseedError('add mode needs the new hosts');
  const via = options.via ?? design.initiator;
  if (newHosts.has(via)) throw new PreseedError(`${via} is new, so it cannot take the new members in`);
  for (const host of newHosts) memberOf(design, host);
  return {
    mode: 'add',
    initiatorHost: via,
    initiatorAddress: memberOf(design, via).address.value,
    lookupTimeout,
    sessionTimeout,
    systems: design.members
      .filter((member) => newHosts.has(member.host))
      .map((member) => systemOf(design, member, facts)),
    ovn: null,
    ceph: null,
  };
}

/**
 * The preseed the cluster needs now: bootstrap mode while no host has a MicroCloud; add mode for the hosts
 * outside it, through the initiator when it is a member, else the first member (§2.2, §3.7); `members` when every
 * host is one already and there is nothing to run.
 */
export function preseedFor(
  design: ClusterDesign,
  facts: ReadonlyMap<string, HostFacts>,
): Preseed | { members: string[] } {
  const hosts = design.members.map((member) => member.host);
  const members = hosts.filter((host) => facts.get(host)?.services.microcloud.state === 'bootstrapped');
  if (members.length === 0) return buildPreseed(design, facts, { mode: 'bootstrap' });
  const newHosts = hosts.filter((host) => !members.includes(host));
  if (newHosts.length === 0) return { members };
  const via = members.includes(design.initiator) ? design.initiator : (members[0] ?? design.initiator);
  return buildPreseed(design, facts, { mode: 'add', newHosts, via });
}

/** The document in MicroCloud's key names and order (§2.1), without the passphrase. */
function preseedDocument(preseed: Preseed, passphrase: string | undefined): Record<string, unknown> {
  const disk = (entry: PreseedDisk, ceph: boolean): Record<string, unknown> => ({
    path: entry.path,
    ...(entry.wipe ? { wipe: true } : {}),
    ...(ceph && entry.encrypt ? { encrypt: true } : {}),
  });
  const systems = preseed.systems.map((system) => {
    const storage = {
      ...(system.localDisk === null ? {} : { local: disk(system.localDisk, false) }),
      ...(system.cephDisks.length === 0 ? {} : { ceph: system.cephDisks.map((entry) => disk(entry, true)) }),
    };
    return {
      name: system.name,
      address: system.address,
      ...(system.ovnUplinkInterface === null ? {} : { ovn_uplink_interface: system.ovnUplinkInterface }),
      ...(system.ovnUnderlayIp === null ? {} : { ovn_underlay_ip: system.ovnUnderlayIp }),
      ...(Object.keys(storage).length === 0 ? {} : { storage }),
    };
  });
  const { ovn, ceph } = preseed;
  return {
    initiator_address: preseed.initiatorAddress,
    lookup_timeout: preseed.lookupTimeout,
    ...(passphrase === undefined ? {} : { session_passphrase: passphrase }),
    session_timeout: preseed.sessionTimeout,
    systems,
    ...(ovn === null
      ? {}
      : {
          ovn: {
            ...(ovn.ipv4Gateway === undefined ? {} : { ipv4_gateway: ovn.ipv4Gateway }),
            ...(ovn.ipv4Range === undefined ? {} : { ipv4_range: ovn.ipv4Range }),
            ...(ovn.ipv6Gateway === undefined ? {} : { ipv6_gateway: ovn.ipv6Gateway }),
            // MicroCloud reads a comma-separated string (§2.1).
            ...(ovn.dnsServers.length === 0 ? {} : { dns_servers: ovn.dnsServers.join(',') }),
          },
        }),
    ...(ceph === null
      ? {}
      : {
          ceph: {
            cephfs: ceph.cephfs,
            ...(ceph.internalNetwork === undefined ? {} : { internal_network: ceph.internalNetwork }),
            ...(ceph.publicNetwork === undefined ? {} : { public_network: ceph.publicNetwork }),
          },
        }),
  };
}

function toYaml(document: Record<string, unknown>): string {
  // Plain block style, no line folding: the same bytes for the same preseed.
  return stringify(document, { lineWidth: 0, indentSeq: false });
}

/** The preseed as YAML, without `session_passphrase`: what `mc preseed export` prints and logs may show. */
export function renderPreseed(preseed: Preseed): string {
  return toYaml(preseedDocument(preseed, undefined));
}

/**
 * The text for `microcloud preseed`'s stdin: the rendered preseed with the session passphrase. The result is a
 * secret; send it on stdin only, never log or show it.
 */
export function preseedStdin(preseed: Preseed, passphrase: string): string {
  if (preseed.systems.length + (preseed.mode === 'add' ? 1 : 0) > 1 && passphrase === '') {
    // MicroCloud: "Missing session passphrase".
    throw new PreseedError('a preseed for more than one system needs a session passphrase');
  }
  return toYaml(preseedDocument(preseed, passphrase));
}
