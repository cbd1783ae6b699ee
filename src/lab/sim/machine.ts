// The machine model: a plain-JSON description and state of one simulated Ubuntu host. Simulated programs
// read and write it; nothing here knows about programs. Keep every field JSON-serialisable (no Date, Map,
// class instances) so a whole world can be snapshotted with structuredClone or JSON.

import type { LxdClusterData } from './world.js';
import { canonicalIp, formatIPv4, isGlobalUnicast, linkLocalFromMac, parseCidr, parseIPv4 } from './net.js';

export type UbuntuRelease = '22.04' | '24.04';
export type Architecture = 'amd64' | 'arm64';

export interface OsRelease {
  id: 'ubuntu';
  versionId: UbuntuRelease;
  versionCodename: 'jammy' | 'noble';
  prettyName: string;
}

export interface FilesystemSignature {
  /** blkid TYPE: ext4, vfat, xfs, zfs_member, ceph_bluestore, crypto_LUKS, LVM2_member, swap ... */
  type: string;
  uuid: string;
  label: string | null;
}

export interface Partition {
  name: string;
  number: number;
  major: number;
  minor: number;
  sizeBytes: number;
  filesystem: FilesystemSignature | null;
  mountpoints: string[];
  readOnly: boolean;
}

/** How the disk is attached; decides lsblk TRAN and LXD's resources `type`. */
export type DiskBus = 'virtio' | 'scsi' | 'nvme' | 'sata' | 'usb';

export interface BlockDevice {
  name: string;
  type: 'disk' | 'rom' | 'loop';
  bus: DiskBus;
  major: number;
  minor: number;
  sizeBytes: number;
  model: string | null;
  vendor: string | null;
  serial: string | null;
  wwn: string | null;
  /** Names under /dev/disk/by-id (without the directory), e.g. scsi-0QEMU_QEMU_HARDDISK_lxd_disk1. */
  byId: string[];
  /** Names under /dev/disk/by-path, e.g. pci-0000:06:00.0-scsi-0:0:0:1. */
  byPath: string[];
  readOnly: boolean;
  rotational: boolean;
  removable: boolean;
  partitionTable: 'gpt' | 'dos' | null;
  /** Signature on the whole device (no partition table), e.g. a filesystem made directly on /dev/sdb. */
  filesystem: FilesystemSignature | null;
  /** Non-zero bytes with no recognisable signature: still not pristine for MicroCeph (§4.2). */
  hasData: boolean;
  mountpoints: string[];
  partitions: Partition[];
}

export type NicKind = 'loopback' | 'physical' | 'bond' | 'vlan' | 'bridge';

export interface AddressAssignment {
  address: string;
  prefix: number;
  scope: 'global' | 'link' | 'host';
  /** Set by DHCP/SLAAC; iproute2 prints `dynamic` and finite lifetimes for these. */
  dynamic: boolean;
}

export interface Nic {
  name: string;
  ifindex: number;
  kind: NicKind;
  state: 'UP' | 'DOWN';
  /** Link detected (LOWER_UP). */
  carrier: boolean;
  mac: string;
  mtu: number;
  addresses: AddressAssignment[];
  /** Bridge or bond this NIC is enslaved to. */
  master: string | null;
  vlan: { parent: string; id: number } | null;
  /** PCI address of the device for physical NICs (parentdev in `ip -d link`). */
  pciAddress: string | null;
}

export interface Route {
  /** `default` or a CIDR. Connected routes of configured addresses are implied and not stored here. */
  destination: string;
  gateway: string | null;
  dev: string;
  protocol: 'static' | 'dhcp' | 'boot' | 'kernel' | 'ra';
  metric: number | null;
}

export interface InstalledSnap {
  name: string;
  version: string;
  revision: number;
  /** Tracking channel as snap list prints it, always track/risk: `5.21/stable`, `latest/stable`. */
  tracking: string;
  publisher: string;
  type: 'app' | 'base' | 'snapd' | 'os';
  confinement: 'strict' | 'classic';
  base: string | null;
  held: boolean;
  /** Cohort key given at install/refresh, or null. `+` is kept verbatim. */
  cohort: string | null;
  installedAt: number;
  /** `snap set` values (snapd keeps them as JSON; a value that is not JSON is a string). */
  config?: Record<string, unknown>;
}

export interface SnapConnection {
  /** `snap:plug`, e.g. microceph:dm-crypt. */
  plug: string;
  /** `snap:slot`; the system slot is written `:dm-crypt` like snapd does. */
  slot: string;
  connectedAt: number;
}

export interface ServiceUnitState {
  enabled: boolean;
  active: boolean;
}

/** One microcluster-based daemon (microceph, microovn, microcloud) on this machine. */
export interface MicroclusterDaemon {
  /** World cluster this daemon belongs to; null until bootstrap or join. */
  clusterId: string | null;
  memberName: string | null;
  /** `ip:port` the daemon listens on once initialised. */
  address: string | null;
  serverCertificate: { pem: string; fingerprint: string };
  startedAt: number;
}

/** The LXD daemon (lxd snap): member-local state; cluster-wide state lives in the world's LXD cluster. */
export interface LxdDaemon {
  clusterId: string | null;
  /** Cluster member name once clustered (`none` is LXD's name for the local node before that). */
  serverName: string | null;
  /** Member-local server config: the lxd/node/config.go keys (core.https_address, cluster.https_address, ...). */
  config: Record<string, string>;
  /** The database of a not-clustered server; null while clustered (the cluster's database is used). */
  standalone: LxdClusterData | null;
  /** The server certificate; once clustered the cluster certificate is served instead. */
  certificate: { pem: string; fingerprint: string };
  /** Users (uids) whose lxc client configuration exists, so lxc's first-run notice is not printed again. */
  clientConfigured: number[];
  startedAt: number;
}

export type MicroclusterServiceName = 'microceph' | 'microovn' | 'microcloud';
export type DaemonName = MicroclusterServiceName | 'lxd';

export interface MachineDaemons {
  microceph?: MicroclusterDaemon;
  microovn?: MicroclusterDaemon;
  microcloud?: MicroclusterDaemon;
  lxd?: LxdDaemon;
}

export interface Machine {
  /** Key of the machine in the world: the name the inventory and SSH layer use. */
  name: string;
  /** What `hostname` returns; may differ from `name` to model a misnamed host (§2.1 systems[].name). */
  hostname: string;
  os: OsRelease;
  kernel: string;
  architecture: Architecture;
  cpus: number;
  memoryBytes: number;
  /** Modules present under /sys/module (dm_crypt is needed for OSD encryption, §4.4). */
  kernelModules: string[];
  /** util-linux version decides lsblk columns (ID-LINK needs 2.39, §10.2). */
  utilLinuxVersion: string;
  blockDevices: BlockDevice[];
  nics: Nic[];
  routes: Route[];
  snaps: InstalledSnap[];
  snapConnections: SnapConnection[];
  /** `snap.app` -> unit state, for installed snaps' services. */
  services: Record<string, ServiceUnitState>;
  daemons: MachineDaemons;
  /**
   * Whether `ip` has Ubuntu's FAN patch (`fan-map`), as every Ubuntu release does; false models Debian's or
   * upstream's iproute2, where LXD's FAN bridge cannot be set up.
   */
  fanMap?: boolean;
}

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export interface DataDiskSpec {
  sizeBytes: number;
  /** Serial, used for the by-id name; a disk without serial and without wwn has no by-id link (§4.2, #73). */
  serial?: string | null;
  model?: string;
  bus?: DiskBus;
  wwn?: string | null;
  rotational?: boolean;
}

export interface DefaultMachineOptions {
  release?: UbuntuRelease;
  architecture?: Architecture;
  hostname?: string;
  cpus?: number;
  memoryBytes?: number;
  /** Management subnet; the host gets address network+10+index unless `address` is given. */
  managementCidr?: string;
  address?: string;
  gateway?: string;
  /** Data disks; default three empty QEMU SCSI disks of 10, 20 and 40 GiB (lxd_disk1..3). */
  dataDisks?: DataDiskSpec[];
  /** State of the uplink NIC enp6s0 (default UP, no addresses, like the tutorial netplan). */
  uplinkState?: 'UP' | 'DOWN';
  /** 22.04 server images ship the lxd 5.0 snap (§7); default true on 22.04, false on 24.04. */
  preinstalledLxd?: boolean;
}

const RELEASES: Record<
  UbuntuRelease,
  { codename: 'jammy' | 'noble'; pretty: string; kernel: string; utilLinux: string }
> = {
  '22.04': {
    codename: 'jammy',
    pretty: 'Ubuntu 22.04.5 LTS',
    kernel: '5.15.0-131-generic',
    utilLinux: '2.37.2',
  },
  '24.04': {
    codename: 'noble',
    pretty: 'Ubuntu 24.04.2 LTS',
    kernel: '6.8.0-60-generic',
    utilLinux: '2.39.3',
  },
};

function hex2(value: number): string {
  return (value % 256).toString(16).padStart(2, '0');
}

/** A stable pseudo-UUID derived from text, so fixtures do not change between runs. */
export function stableUuid(seed: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const hex: string[] = [];
  for (let round = 0; round < 4; round++) {
    for (const char of `${seed}#${round}`) {
      h1 = Math.imul(h1 ^ char.charCodeAt(0), 0x01000193) >>> 0;
      h2 = Math.imul(h2 + char.charCodeAt(0), 0x5bd1e995) >>> 0;
    }
    hex.push(((h1 ^ h2) >>> 0).toString(16).padStart(8, '0'));
  }
  const all = hex.join('');
  return `${all.slice(0, 8)}-${all.slice(8, 12)}-4${all.slice(13, 16)}-a${all.slice(17, 20)}-${all.slice(20, 32)}`;
}

function rootDisk(release: UbuntuRelease, hostKey: string): BlockDevice {
  const size = 20 * GiB;
  const efi = 105 * MiB;
  const biosBoot = 4 * MiB;
  const boot = release === '24.04' ? 913 * MiB : 0;
  const partitions: Partition[] = [
    {
      name: 'vda1',
      number: 1,
      major: 252,
      minor: 1,
      sizeBytes: size - efi - biosBoot - boot - 1 * MiB,
      filesystem: { type: 'ext4', uuid: stableUuid(`${hostKey}/root`), label: 'cloudimg-rootfs' },
      mountpoints: ['/'],
      readOnly: false,
    },
    {
      name: 'vda14',
      number: 14,
      major: 252,
      minor: 14,
      sizeBytes: biosBoot,
      filesystem: null,
      mountpoints: [],
      readOnly: false,
    },
    {
      name: 'vda15',
      number: 15,
      major: 252,
      minor: 15,
      sizeBytes: efi,
      filesystem: {
        type: 'vfat',
        uuid: stableUuid(`${hostKey}/efi`).slice(0, 9).toUpperCase(),
        label: 'UEFI',
      },
      mountpoints: ['/boot/efi'],
      readOnly: false,
    },
  ];
  if (release === '24.04') {
    partitions.push({
      name: 'vda16',
      number: 16,
      major: 259,
      minor: 0,
      sizeBytes: boot,
      filesystem: { type: 'ext4', uuid: stableUuid(`${hostKey}/boot`), label: 'BOOT' },
      mountpoints: ['/boot'],
      readOnly: false,
    });
  }
  return {
    name: 'vda',
    type: 'disk',
    bus: 'virtio',
    major: 252,
    minor: 0,
    sizeBytes: size,
    model: null,
    vendor: '0x1af4',
    // Virtio disks without a serial get no /dev/disk/by-id link (§4.2, microcloud#73).
    serial: null,
    wwn: null,
    byId: [],
    byPath: ['pci-0000:04:00.0', 'virtio-pci-0000:04:00.0'],
    readOnly: false,
    rotational: true,
    removable: false,
    partitionTable: 'gpt',
    filesystem: null,
    hasData: true,
    mountpoints: [],
    partitions,
  };
}

/** A data disk with the names QEMU/udev give it; `slot` numbers the disk (1 -> sda). */
export function dataDisk(slot: number, spec: DataDiskSpec): BlockDevice {
  const bus = spec.bus ?? 'scsi';
  const serial = spec.serial === undefined ? `lxd_disk${slot}` : spec.serial;
  const wwn = spec.wwn ?? null;
  const letter = String.fromCharCode('a'.charCodeAt(0) + slot - 1);
  const byId: string[] = [];
  let name: string;
  let major: number;
  let minor: number;
  let byPath: string[];
  let model: string | null;
  if (bus === 'nvme') {
    name = `nvme${slot - 1}n1`;
    major = 259;
    minor = slot * 2;
    model = spec.model ?? 'QEMU NVMe Ctrl';
    if (serial) byId.push(`nvme-${model.replace(/ /g, '_')}_${serial}`);
    byPath = [`pci-0000:0${slot + 6}:00.0-nvme-1`];
  } else if (bus === 'virtio') {
    name = `vd${String.fromCharCode('a'.charCodeAt(0) + slot)}`;
    major = 252;
    minor = slot * 16;
    model = spec.model ?? null;
    if (serial) byId.push(`virtio-${serial}`);
    byPath = [`pci-0000:0${slot + 6}:00.0`, `virtio-pci-0000:0${slot + 6}:00.0`];
  } else {
    name = `sd${letter}`;
    major = 8;
    minor = (slot - 1) * 16;
    model = spec.model ?? 'QEMU HARDDISK';
    if (serial) byId.push(`scsi-0QEMU_QEMU_HARDDISK_${serial}`);
    byPath = [`pci-0000:06:00.0-scsi-0:0:0:${slot}`];
  }
  if (wwn) byId.push(`wwn-${wwn}`);
  return {
    name,
    type: 'disk',
    bus,
    major,
    minor,
    sizeBytes: spec.sizeBytes,
    model,
    vendor: bus === 'scsi' ? 'QEMU' : null,
    serial,
    wwn,
    byId: byId.sort(),
    byPath,
    readOnly: false,
    rotational: spec.rotational ?? bus !== 'nvme',
    removable: false,
    partitionTable: null,
    filesystem: null,
    hasData: false,
    mountpoints: [],
    partitions: [],
  };
}

function macFor(index: number, nicSlot: number): string {
  return `00:16:3e:${hex2(index >> 8)}:${hex2(index)}:${hex2(nicSlot)}`;
}

/**
 * A realistic fresh cloud VM: root disk vda (partitioned, mounted at /), empty data disks with by-id
 * names, enp5s0 with the management address and default route, enp6s0 up without addresses (uplink).
 * `index` is 1-based and makes addresses, MACs and UUIDs unique and stable.
 */
export function defaultMachine(name: string, index: number, opts: DefaultMachineOptions = {}): Machine {
  const release = opts.release ?? '24.04';
  const facts = RELEASES[release];
  const cidr = parseCidr(opts.managementCidr ?? '10.1.123.0/24');
  if (!cidr || cidr.family !== 'inet') throw new Error(`managementCidr must be an IPv4 CIDR`);
  const networkValue = parseIPv4(cidr.network) ?? 0;
  const address = opts.address ?? formatIPv4(networkValue + 10 + index);
  const gateway = opts.gateway ?? formatIPv4(networkValue + 1);
  const dataDisks = opts.dataDisks ?? [
    { sizeBytes: 10 * GiB },
    { sizeBytes: 20 * GiB },
    { sizeBytes: 40 * GiB },
  ];
  const mgmtMac = macFor(index, 1);
  const uplinkMac = macFor(index, 2);
  const machine: Machine = {
    name,
    hostname: opts.hostname ?? name,
    os: { id: 'ubuntu', versionId: release, versionCodename: facts.codename, prettyName: facts.pretty },
    kernel: facts.kernel,
    architecture: opts.architecture ?? 'amd64',
    cpus: opts.cpus ?? 4,
    memoryBytes: opts.memoryBytes ?? 8 * GiB,
    kernelModules: ['dm_crypt', 'zfs', 'rbd', 'openvswitch', 'geneve'],
    utilLinuxVersion: facts.utilLinux,
    blockDevices: [rootDisk(release, name), ...dataDisks.map((spec, i) => dataDisk(i + 1, spec))],
    nics: [
      {
        name: 'lo',
        ifindex: 1,
        kind: 'loopback',
        state: 'UP',
        carrier: true,
        mac: '00:00:00:00:00:00',
        mtu: 65536,
        addresses: [
          { address: '127.0.0.1', prefix: 8, scope: 'host', dynamic: false },
          { address: '::1', prefix: 128, scope: 'host', dynamic: false },
        ],
        master: null,
        vlan: null,
        pciAddress: null,
      },
      {
        name: 'enp5s0',
        ifindex: 2,
        kind: 'physical',
        state: 'UP',
        carrier: true,
        mac: mgmtMac,
        mtu: 1500,
        addresses: [
          { address, prefix: cidr.prefix, scope: 'global', dynamic: false },
          { address: linkLocalFromMac(mgmtMac), prefix: 64, scope: 'link', dynamic: false },
        ],
        master: null,
        vlan: null,
        pciAddress: '0000:05:00.0',
      },
      {
        name: 'enp6s0',
        ifindex: 3,
        kind: 'physical',
        state: opts.uplinkState ?? 'UP',
        carrier: true,
        mac: uplinkMac,
        mtu: 1500,
        // Tutorial netplan: link-local: [] and no DHCP, so no addresses at all (§10.3).
        addresses: [],
        master: null,
        vlan: null,
        pciAddress: '0000:06:00.0',
      },
    ],
    routes: [{ destination: 'default', gateway, dev: 'enp5s0', protocol: 'static', metric: null }],
    snaps: [],
    snapConnections: [],
    services: {},
    daemons: {},
  };
  return machine;
}

// ---------------------------------------------------------------------------------------------------------
// Queries used by several programs.

export interface ResolvedBlockPath {
  disk: BlockDevice;
  partition: Partition | null;
}

/** Resolves /dev/NAME, /dev/disk/by-id/X[-partN] and /dev/disk/by-path/Y[-partN] like the kernel's links. */
export function resolveBlockPath(machine: Machine, path: string): ResolvedBlockPath | null {
  for (const disk of machine.blockDevices) {
    if (path === `/dev/${disk.name}`) return { disk, partition: null };
    for (const part of disk.partitions) if (path === `/dev/${part.name}`) return { disk, partition: part };
    for (const [dir, names] of [
      ['/dev/disk/by-id/', disk.byId],
      ['/dev/disk/by-path/', disk.byPath],
    ] as const) {
      if (!path.startsWith(dir)) continue;
      const rest = path.slice(dir.length);
      for (const link of names) {
        if (rest === link) return { disk, partition: null };
        const partMatch = rest.startsWith(`${link}-part`) ? Number(rest.slice(link.length + 5)) : NaN;
        const part = disk.partitions.find((p) => p.number === partMatch);
        if (part) return { disk, partition: part };
      }
    }
  }
  return null;
}

/**
 * LXD's device_id: the by-id names are read in sorted order and the last one wins, so wwn-… beats scsi-…
 * (§4.1). Empty when the disk has no by-id link.
 */
export function lxdDeviceId(disk: BlockDevice): string {
  return [...disk.byId].sort().at(-1) ?? '';
}

export function lxdDevicePath(disk: BlockDevice): string {
  return [...disk.byPath].sort().at(-1) ?? '';
}

/** MicroCloud FormatDiskPath / MicroCeph setStablePath: by-id, else by-path, else /dev/NAME (§4.2). */
export function stableDiskPath(disk: BlockDevice): string {
  const id = lxdDeviceId(disk);
  if (id) return `/dev/disk/by-id/${id}`;
  const byPath = lxdDevicePath(disk);
  if (byPath) return `/dev/disk/by-path/${byPath}`;
  return `/dev/${disk.name}`;
}

/** LXD counts a disk as mounted if it or any of its partitions is (§4.1). */
export function isDiskMounted(disk: BlockDevice): boolean {
  return disk.mountpoints.length > 0 || disk.partitions.some((p) => p.mountpoints.length > 0);
}

/** MicroCeph's pristine check: no partition table, no signature, no stray data (§4.2). */
export function isDiskPristine(disk: BlockDevice): boolean {
  return (
    disk.partitionTable === null && disk.filesystem === null && !disk.hasData && disk.partitions.length === 0
  );
}

/** Makes a disk blank, as `--wipe` / wipefs + zeroing would. */
export function wipeDisk(disk: BlockDevice): void {
  disk.partitionTable = null;
  disk.filesystem = null;
  disk.hasData = false;
  disk.partitions = [];
  disk.mountpoints = [];
}

/** All configured addresses, in interface (kernel) order. */
export function machineAddresses(machine: Machine): { nic: Nic; assignment: AddressAssignment }[] {
  return [...machine.nics]
    .sort((a, b) => a.ifindex - b.ifindex)
    .flatMap((nic) => nic.addresses.map((assignment) => ({ nic, assignment })));
}

export function hasAddress(machine: Machine, address: string): boolean {
  const wanted = canonicalIp(address);
  return (
    wanted !== null &&
    machineAddresses(machine).some(({ assignment }) => canonicalIp(assignment.address) === wanted)
  );
}

/**
 * LXD util.NetworkInterfaceAddress, which MicroCeph/MicroOVN use when no address flag is given: the first
 * global-unicast address of the first non-loopback interface in kernel order (§1.4 caveat).
 */
export function defaultInterfaceAddress(machine: Machine): string {
  for (const { nic, assignment } of machineAddresses(machine)) {
    if (nic.kind === 'loopback') continue;
    if (isGlobalUnicast(assignment.address)) return assignment.address;
  }
  return '';
}

/** The machine whose interfaces carry `address`, if any: how the simulator routes host-to-host calls. */
export function machineWithAddress(machines: Iterable<Machine>, address: string): Machine | undefined {
  for (const machine of machines) if (hasAddress(machine, address)) return machine;
  return undefined;
}
