// What to deploy: the inventory's `cluster:` section as the user wrote it (ClusterSpec), and the concrete
// design mc derives from it and the probed facts (ClusterDesign). Both are plain data; the planner and the
// deploy phases read only the design.

import type { SourcePosition } from '../inventory/types.js';

/** The services MicroCloud may leave out; LXD is always deployed. */
export type OptionalService = 'microceph' | 'microovn' | 'microcloud';
export type SnapName = 'lxd' | OptionalService;

/** Install order used upstream (microcloud.md §7): MicroCeph and MicroOVN before LXD, MicroCloud last. */
export const SNAP_INSTALL_ORDER: readonly SnapName[] = ['microceph', 'microovn', 'lxd', 'microcloud'];

/** How messages name the services. */
export const SERVICE_LABELS: Readonly<Record<SnapName, string>> = {
  lxd: 'LXD',
  microceph: 'MicroCeph',
  microovn: 'MicroOVN',
  microcloud: 'MicroCloud',
};

/** Each service's API port (§0). */
export const SERVICE_PORT: Readonly<Record<SnapName, number>> = {
  lxd: 8443,
  microceph: 7443,
  microovn: 6443,
  microcloud: 9443,
};

/** OVN's databases on MicroOVN's central members (§0). */
export const OVN_NORTHBOUND_PORT = 6641;
export const OVN_SOUTHBOUND_PORT = 6642;

/** LXD listens on every address once clustered (§3.1). */
export const LXD_HTTPS_ANY = `[::]:${SERVICE_PORT.lxd}`;

/** The member's address as the host part of `host:port` or a URL: an IPv6 address in brackets. */
export function urlHost(member: MemberDesign): string {
  const address = member.address.value;
  return address.includes(':') ? `[${address}]` : address;
}

/** The snaps of the enabled services, LXD first. */
export function snapsOf(services: Readonly<Record<OptionalService, boolean>>): SnapName[] {
  const optional: OptionalService[] = ['microceph', 'microovn', 'microcloud'];
  return ['lxd', ...optional.filter((service) => services[service])];
}

/** The MicroCloud 2 LTS set (§7). */
export const DEFAULT_CHANNELS: Readonly<Record<SnapName, string>> = {
  lxd: '5.21/stable',
  microceph: 'squid/stable',
  microovn: '24.03/stable',
  microcloud: '2/stable',
};

/** MicroCloud 2 refuses LXD older than 5.21 (§7); the lab lowers it for Debian's LXD 5.0. */
export const DEFAULT_LXD_MIN_VERSION = '5.21';

/** An explicit disk, as in the preseed's `storage.local` / `storage.ceph[]` (§2.1). */
export interface DiskSpec {
  path: string;
  wipe: boolean;
  /** Ceph only: dm-crypt on the OSD. */
  encrypt: boolean;
  origin: SourcePosition;
}

/** A disk filter (§4.3): an LXD filter expression over /1.0/resources disk fields. */
export interface DiskFilterSpec {
  find: string;
  findMin: number;
  /** Unset: no upper bound. */
  findMax?: number;
  wipe: boolean;
  encrypt: boolean;
  origin: SourcePosition;
}

/** `cluster.systems.<host>`: per-host settings; every key optional. */
export interface SystemSpec {
  /** Inventory host name; must equal the host's `hostname`. */
  host: string;
  /** The cluster (MicroCloud internal) address; unset: see ClusterDesign's address choice. */
  address?: string;
  uplinkInterface?: string;
  underlayIp?: string;
  localDisk?: DiskSpec;
  /** Unset: disk filters may apply; an empty list means "no Ceph disks on this host". */
  cephDisks?: DiskSpec[];
  /** Where the host's entry is; the section's origin when the host has no entry. */
  origin: SourcePosition;
}

export interface OvnSpec {
  ipv4Gateway?: string;
  ipv4Range?: string;
  ipv6Gateway?: string;
  dnsServers?: string[];
}

export interface CephSpec {
  cephfs: boolean;
  internalNetwork?: string;
  publicNetwork?: string;
}

export interface ClusterSpec {
  origin: SourcePosition;
  services: Record<OptionalService, boolean>;
  channels: Record<SnapName, string>;
  /** `major.minor`: the oldest LXD daemon mc accepts. */
  lxdMinVersion: string;
  /** The host that bootstraps the cluster; default: the first host of the inventory. */
  initiator: string;
  /** Seconds the initiator waits for every joiner (MicroCloud's `lookup_timeout`, §2.1). */
  lookupTimeout: number;
  /** Seconds the trust session stays open (MicroCloud's `session_timeout`, §1.2). */
  sessionTimeout: number;
  /** One entry per inventory host, in inventory order. */
  systems: SystemSpec[];
  /** Null when the section has no `ovn:` key. */
  ovn: OvnSpec | null;
  ceph: CephSpec;
  storage: { local: DiskFilterSpec[]; ceph: DiskFilterSpec[] };
  /** LXD objects of the inventory's own, beside MicroCloud's (`cluster.lxd`). */
  lxd: LxdObjectsSpec;
  /**
   * Positions of every key written in the section, by dotted path relative to `cluster` (e.g.
   * `ovn.ipv4_range`, `systems.micro1.storage.ceph.0.path`), so checks that need facts can still point
   * at the line. Use positionIn() to fall back to the nearest written ancestor.
   */
  positions: Record<string, SourcePosition>;
}

/**
 * A storage pool or network the inventory adds beside MicroCloud's, written as in an LXD preseed
 * (`storage_pools:` / `networks:` entries): created on every member, cluster-wide.
 */
export interface LxdObjectSpec {
  name: string;
  /** The pool's driver (`dir`) or the network's type (`bridge`). */
  kind: string;
  description: string;
  /** Cluster-wide config, as LXD stores it. */
  config: Record<string, string>;
}

export interface LxdObjectsSpec {
  storagePools: LxdObjectSpec[];
  networks: LxdObjectSpec[];
}

/** Why the design uses a value: shown in the plan so that no choice is silent. */
export type ChoiceSource = 'inventory' | 'filter' | 'probed';

export interface Choice<T> {
  value: T;
  source: ChoiceSource;
  /** e.g. "the only global address", "alphabetically first eligible uplink of enp6s0, enp7s0". */
  reason: string;
}

export interface DiskChoice {
  /** Stable path (§4.2 order: by-id, by-path, /dev/NAME). */
  path: string;
  wipe: boolean;
  encrypt: boolean;
  /** Kernel name and size, for display. */
  device: string;
  sizeBytes: number;
  /**
   * The disk already serves this purpose on this host (a resumed or grown deployment): the partitions of the
   * ZFS pool `local`, or a Ceph OSD of a bootstrapped MicroCeph. The plan must not add it again.
   */
  existing?: boolean;
}

export interface MemberDesign {
  /** Inventory name, which is also the host name and the member name in every service. */
  host: string;
  address: Choice<string>;
  localDisk: Choice<DiskChoice> | null;
  cephDisks: Choice<DiskChoice>[];
  uplinkInterface: Choice<string> | null;
  underlayIp: string | null;
}

export interface UplinkDesign {
  ipv4Gateway?: string;
  ipv4Range?: string;
  ipv6Gateway?: string;
  dnsServers: string[];
}

/** MicroCloud's defaults (§2.1): one minute to find the joiners, an hour for the session. */
export const DEFAULT_LOOKUP_TIMEOUT_SECONDS = 60;
export const DEFAULT_SESSION_TIMEOUT_SECONDS = 3600;

/**
 * Who forms the cluster. The MicroCloud engine: mc installs and holds the snaps, then MicroCloud's own daemon
 * forms LXD, MicroCeph and MicroOVN from a unicast preseed (§2), and owns the cluster afterwards. The direct
 * engine: mc forms each service's cluster itself, as MicroCloud would (§1.3), without the MicroCloud snap.
 */
export type EngineChoice =
  | { kind: 'microcloud'; reason: string; lookupTimeout: number; sessionTimeout: number }
  | { kind: 'direct'; reason: string };

export interface ClusterDesign {
  initiator: string;
  engine: EngineChoice;
  /** Inventory order. */
  members: MemberDesign[];
  services: Record<OptionalService, boolean>;
  channels: Record<SnapName, string>;
  lxdMinVersion: string;
  /** OVN networking (UPLINK + `default`); null without MicroOVN or without uplink settings (§2.2). */
  uplink: UplinkDesign | null;
  /** The FAN fallback of §2.2/§3.3 when there is no OVN networking and the initiator has an IPv4 default route. */
  fan: { underlaySubnet: string } | null;
  /** The inventory's own pools and networks (`cluster.lxd`), created after MicroCloud's. */
  lxd: LxdObjectsSpec;
  /** Null without MicroCeph. */
  ceph: { cephfs: boolean; internalNetwork: string; publicNetwork: string } | null;
  /** Non-fatal findings (fewer than 3 OSD hosts, ...), shown before the plan. */
  warnings: string[];
}

/** A problem found before anything changes: located in the inventory, on a host, or both. */
export interface DeployIssue {
  message: string;
  /** Where in the inventory to fix it, when the problem is in what the user wrote. */
  position?: SourcePosition;
  /** The host the problem was found on. */
  host?: string;
  /** What to do next, when the message alone does not say it. */
  hint?: string;
}

export function positionIn(spec: Pick<ClusterSpec, 'positions' | 'origin'>, path: string): SourcePosition {
  for (let at = path; at !== ''; at = at.includes('.') ? at.slice(0, at.lastIndexOf('.')) : '') {
    const found = spec.positions[at];
    if (found) return found;
  }
  return spec.origin;
}
