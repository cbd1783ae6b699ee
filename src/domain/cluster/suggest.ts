// A `cluster:` section written from probed facts (`mc inventory from-vagrant --cluster`): every choice made
// explicit, so that the inventory says what deploy will use. It follows the rules the design applies to a
// host without explicit settings (disks and NICs eligible as `mc probe` shows them, the alphabetically
// first eligible uplink that is up); the caller then checks the result with designCluster.
import { stringify } from 'yaml';
import type { DiskVerdict, HostFacts, InterfaceVerdict } from '../facts/index.js';

export interface ProbedHost {
  host: string;
  facts: HostFacts;
  disks: DiskVerdict[];
  uplinks: InterfaceVerdict<string>[];
  /** The address mc reached the host on (Vagrant's management network, or 127.0.0.1 for VirtualBox). */
  reachedAt: string;
}

export interface SuggestedCluster {
  /** The section, YAML, ending in a newline. */
  yaml: string;
  /** What could not be chosen and why, one line each. */
  notes: string[];
}

/** The UPLINK network behind the uplink NICs (for the Vagrantfile: its uplink network, the host as gateway). */
export interface UplinkNetwork {
  ipv4Gateway: string;
  ipv4Range: string;
}

/** Without an uplink network, no uplink NIC is written: deploy then sets up MicroCloud's FAN fallback. */
export function suggestClusterSection(
  hosts: readonly ProbedHost[],
  uplinkNetwork: UplinkNetwork | undefined,
): SuggestedCluster {
  const notes: string[] = [];
  const addresses = clusterAddresses(hosts, notes);
  const systems: Record<string, Record<string, unknown>> = {};
  for (const probed of hosts) {
    const system: Record<string, unknown> = {};
    const address = addresses.get(probed.host);
    if (address !== undefined) system.address = address;
    const uplink = probed.uplinks
      .filter((verdict) => verdict.eligible && verdict.interface.adminUp)
      .map((verdict) => verdict.interface.name)
      .sort()[0];
    // Without an UPLINK network the uplink NICs are not used: nothing to write.
    if (uplinkNetwork !== undefined) {
      if (uplink === undefined)
        notes.push(`${probed.host}: no NIC can carry the OVN uplink (mc probe shows why)`);
      else system.ovn_uplink_interface = uplink;
    }
    const storage = chooseDisks(probed, notes);
    if (storage !== undefined) system.storage = storage;
    systems[probed.host] = system;
  }
  const cluster: Record<string, unknown> = { systems };
  if (uplinkNetwork !== undefined) {
    cluster.ovn = { ipv4_gateway: uplinkNetwork.ipv4Gateway, ipv4_range: uplinkNetwork.ipv4Range };
  }
  const yaml = stringify({ cluster }, { lineWidth: 0 });
  return { yaml, notes };
}

/**
 * Vagrant VMs have the cluster network and one or more networks Vagrant itself uses: libvirt's management
 * network (the address mc reached them on), VirtualBox's NAT (10.0.2.15 on every VM). The cluster network
 * is the one IPv4 subnet every host has an address in, a different one on each host, apart from the
 * address mc connected to. None or several such subnets: no address is written, and deploy's own rule
 * applies (shown by `mc plan`).
 */
function clusterAddresses(hosts: readonly ProbedHost[], notes: string[]): Map<string, string> {
  const perSubnet = new Map<string, Map<string, string>>();
  for (const probed of hosts) {
    for (const nic of probed.facts.network.interfaces) {
      if (nic.kind === 'loopback') continue;
      for (const entry of nic.addresses) {
        if (entry.family !== 'inet' || entry.scope !== 'global' || entry.address === probed.reachedAt)
          continue;
        const subnet = ipv4Subnet(entry.address, entry.prefixLength);
        if (subnet === undefined) continue;
        const members = perSubnet.get(subnet) ?? new Map<string, string>();
        perSubnet.set(subnet, members);
        if (!members.has(probed.host)) members.set(probed.host, entry.address);
      }
    }
  }
  const shared = [...perSubnet.entries()].filter(
    ([, members]) =>
      members.size === hosts.length && new Set(members.values()).size === hosts.length && hosts.length > 0,
  );
  const [only] = shared;
  if (only !== undefined && shared.length === 1) return only[1];
  notes.push(
    shared.length === 0
      ? 'no network other than the one mc connects on joins every host: no cluster address written, mc plan shows the one deploy chooses'
      : `several networks join every host (${shared.map(([subnet]) => subnet).join(', ')}): no cluster address written; set cluster.systems.NAME.address`,
  );
  return new Map();
}

/**
 * Local storage gets the smallest eligible disk, Ceph every other one (the Vagrantfile makes the Ceph disk
 * the larger). One eligible disk goes to local storage.
 */
function chooseDisks(probed: ProbedHost, notes: string[]): Record<string, unknown> | undefined {
  const eligible = probed.disks
    .filter((disk) => disk.local.eligible && disk.stablePath.kind !== 'kernel')
    .sort(
      (a, b) => a.device.sizeBytes - b.device.sizeBytes || a.stablePath.path.localeCompare(b.stablePath.path),
    );
  const [local, ...rest] = eligible;
  if (local === undefined) {
    notes.push(`${probed.host}: no disk is free for local storage or Ceph (mc probe shows why)`);
    return undefined;
  }
  const ceph = rest.filter((disk) => disk.ceph.eligible).map((disk) => ({ path: disk.stablePath.path }));
  if (ceph.length === 0) notes.push(`${probed.host}: no second disk for Ceph`);
  return { local: local.stablePath.path, ceph };
}

function ipv4Subnet(address: string, prefixLength: number): string | undefined {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  const value = parts.reduce((acc, part) => acc * 256 + part, 0);
  const size = 2 ** (32 - prefixLength);
  const network = Math.floor(value / size) * size;
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256);
  return `${octets.join('.')}/${prefixLength}`;
}
