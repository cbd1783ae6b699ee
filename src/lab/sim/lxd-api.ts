// LXD API objects as GET returns them (lxd-5.21.3 shared/api: Server, ClusterMember, StoragePool, Network,
// Profile, Resources): what `lxc query`, `lxc ... show|list` and MicroCloud read (§10.4-§10.6). Values are
// GoValues so the same object renders as yaml.v2 or encoding/json.

import { lxdApiExtensions } from './lxd-extensions.js';
import {
  LxdError,
  canonicalNetworkAddress,
  daemonVersionOf,
  goSplitHostPort,
  isClustered,
  localMemberName,
  lxdCluster,
  lxdDaemonOf,
  lxdDatabase,
  lxdMemberViews,
  serverConfigOf,
  servedCertificate,
  type LxdMemberView,
} from './lxd.js';
import { NODE_SPECIFIC_NETWORK_KEYS } from './lxd-network.js';
import { NODE_SPECIFIC_STORAGE_KEYS } from './lxd-storage.js';
import {
  isDiskMounted,
  lxdDeviceId,
  lxdDevicePath,
  machineAddresses,
  type BlockDevice,
  type Machine,
} from './machine.js';
import { isGlobalUnicast } from './net.js';
import { NotModelledError } from './program.js';
import { goMap, type GoStruct, type GoValue } from './yaml-v2.js';
import type { LxdClusterData, LxdNetwork, LxdStoragePool, World } from './world.js';

/** osarch names LXD reports per Debian architecture (kernel architecture first, then its personalities). */
const ARCHITECTURES: Record<Machine['architecture'], { kernel: string; all: string[] }> = {
  amd64: { kernel: 'x86_64', all: ['x86_64', 'i686'] },
  arm64: { kernel: 'aarch64', all: ['aarch64', 'armv7l'] },
};

export function architectureName(machine: Machine): string {
  return ARCHITECTURES[machine.architecture].kernel;
}

/** Storage driver versions of the 5.21 snap as /1.0 reports them (values illustrative). */
const DRIVER_VERSIONS: Record<string, { version: string; remote: boolean }> = {
  btrfs: { version: '6.6.3', remote: false },
  ceph: { version: '19.2.0', remote: true },
  cephfs: { version: '19.2.0', remote: true },
  cephobject: { version: '19.2.0', remote: true },
  dir: { version: '1', remote: false },
  lvm: { version: '2.03.16(2) (2022-05-18) / 1.02.185 (2022-05-18) / 4.48.0', remote: false },
  powerflex: { version: '1.16 (nvme-cli)', remote: true },
  zfs: { version: '2.2.2-0ubuntu9.1', remote: false },
};

/** util.ListenAddresses for the environment's `addresses`. */
function listenAddresses(machine: Machine, configured: string): string[] {
  if (configured === '') return [];
  const split = goSplitHostPort(canonicalNetworkAddress(configured));
  if (!split) return [];
  if (split.host !== '' && split.host !== '0.0.0.0' && split.host !== '::') {
    return [split.host.includes(':') ? `[${split.host}]:${split.port}` : `${split.host}:${split.port}`];
  }
  return machineAddresses(machine)
    .map(({ assignment }) => assignment.address)
    .filter((ip) => isGlobalUnicast(ip) && !(split.host === '0.0.0.0' && ip.includes(':')))
    .map((ip) => (ip.includes(':') ? `[${ip}]:${split.port}` : `${ip}:${split.port}`));
}

/** Drivers of the pools created on this member, in creation order (readStoragePoolDriversCache). */
function usedDrivers(database: LxdClusterData, member: string): string[] {
  const drivers: string[] = [];
  for (const pool of database.storagePools) {
    if (pool.createdOn.includes(member) && !drivers.includes(pool.driver)) drivers.push(pool.driver);
  }
  return drivers;
}

/** GET /1.0 (api10Get) for a trusted local client. */
export function serverApi(world: World, machine: Machine): GoStruct {
  const daemon = lxdDaemonOf(machine);
  const version = daemonVersionOf(world, machine, 'lxd') ?? '';
  const extensions = lxdApiExtensions(version);
  if (!extensions) throw new NotModelledError(`LXD ${version} (5.21.2-5.21.4 and 6.9 are modelled)`);
  // Endpoints.NetworkPublicKey: the network certificate exists whether or not LXD listens on the network.
  const certificate = servedCertificate(world, machine);
  const database = lxdDatabase(world, machine);
  const drivers = usedDrivers(database, localMemberName(machine));
  const arch = ARCHITECTURES[machine.architecture];
  const environment: GoStruct = {
    addresses: listenAddresses(machine, daemon.config['core.https_address'] ?? ''),
    architectures: arch.all,
    certificate: certificate.pem,
    certificate_fingerprint: certificate.fingerprint,
    driver: 'lxc | qemu',
    driver_version: '6.0.0 | 8.2.2',
    instance_types: ['container', 'virtual-machine'],
    firewall: 'nftables',
    kernel: 'Linux',
    kernel_architecture: arch.kernel,
    kernel_features: goMap({
      idmapped_mounts: 'true',
      netnsid_getifaddrs: 'true',
      seccomp_listener: 'true',
      seccomp_listener_continue: 'true',
      uevent_injection: 'true',
      unpriv_binfmt: 'true',
      unpriv_fscaps: 'true',
    }),
    kernel_version: machine.kernel,
    lxc_features: goMap({
      cgroup2: 'true',
      core_scheduling: 'true',
      devpts_fd: 'true',
      idmapped_mounts_v2: 'true',
      mount_injection_file: 'true',
      network_gateway_device_route: 'true',
      network_ipvlan: 'true',
      network_l2proxy: 'true',
      network_phys_macvlan_mtu: 'true',
      network_veth_router: 'true',
      pidfd: 'true',
      seccomp_allow_deny_syntax: 'true',
      seccomp_notify: 'true',
      seccomp_proxy_send_notify_fd: 'true',
    }),
    os_name: 'Ubuntu',
    os_version: machine.os.versionId,
    project: 'default',
    server: 'lxd',
    server_clustered: isClustered(machine),
    server_event_mode: 'full-mesh',
    server_name: isClustered(machine) ? localMemberName(machine) : machine.hostname,
    server_pid: 1000 + (daemon.startedAt % 30000),
    server_version: version,
    server_lts: true,
    storage: drivers.join(' | '),
    storage_version: drivers.map((d) => DRIVER_VERSIONS[d]?.version ?? '').join(' | '),
    storage_supported_drivers: Object.entries(DRIVER_VERSIONS).map(([name, info]) => ({
      Name: name,
      Version: info.version,
      Remote: info.remote,
    })),
  };
  return {
    config: goMap(serverConfigOf(world, machine)),
    api_extensions: [...extensions],
    api_status: 'stable',
    api_version: '1.0',
    auth: 'trusted',
    public: false,
    auth_methods: ['tls'],
    auth_user_name: 'root',
    auth_user_method: 'unix',
    environment,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Cluster members.

/** Go's time.Duration String for a positive duration under an hour: `4.2s`, `1m3.5s`. */
function goDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const seconds = Number(((ms % 60_000) / 1000).toFixed(3)).toString();
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/**
 * api.ClusterMember (db NodeInfo.ToAPI): an evacuated member says so; one whose heartbeat is older than the
 * offline threshold is Offline ("No heartbeat for …"); the others are online.
 */
export function memberApi(view: LxdMemberView, now: number): GoStruct {
  const offline = !view.evacuated && view.lastHeartbeat !== null;
  return {
    server_name: view.record.name,
    url: `https://${view.record.address}`,
    database: view.database,
    status: view.evacuated ? 'Evacuated' : offline ? 'Offline' : 'Online',
    message: view.evacuated
      ? 'Unavailable due to maintenance'
      : view.lastHeartbeat !== null
        ? `No heartbeat for ${goDuration(now - view.lastHeartbeat)} (${new Date(view.lastHeartbeat).toISOString()})`
        : 'Fully operational',
    architecture: architectureName(view.machine),
    roles: view.roles,
    failure_domain: 'default',
    description: '',
    config: goMap({}),
    groups: ['default'],
  };
}

/** GET /1.0/cluster/members?recursion=1; "Server is not clustered" on a standalone server. */
export function clusterMembersApi(world: World, machine: Machine): GoStruct[] {
  const cluster = lxdCluster(world, machine);
  if (!cluster) throw new LxdError('Server is not clustered');
  return lxdMemberViews(world, cluster).map((view) => memberApi(view, world.clock.now()));
}

// ---------------------------------------------------------------------------------------------------------
// Storage pools.

function poolUsedBy(world: World, machine: Machine, pool: LxdStoragePool, member: string | null): string[] {
  const database = lxdDatabase(world, machine);
  const clustered = isClustered(machine);
  const usedBy: string[] = [];
  for (const volume of database.volumes) {
    if (volume.pool !== pool.name) continue;
    if (member !== null && volume.member !== null && volume.member !== member) continue;
    const target = clustered && volume.member !== null ? `?target=${volume.member}` : '';
    usedBy.push(`/1.0/storage-pools/${pool.name}/volumes/custom/${volume.name}${target}`);
  }
  for (const [name, profile] of Object.entries(database.profiles)) {
    if (Object.values(profile.devices).some((d) => d['type'] === 'disk' && d['pool'] === pool.name))
      usedBy.push(`/1.0/profiles/${name}`);
  }
  return usedBy;
}

/**
 * GET /1.0/storage-pools/NAME[?target=]: cluster-wide config only when clustered and not targeted;
 * the member's own config and local status otherwise (storagePoolGet).
 */
export function storagePoolApi(
  world: World,
  machine: Machine,
  pool: LxdStoragePool,
  targeted: boolean,
): GoStruct {
  const member = localMemberName(machine);
  const memberSpecific = targeted || !isClustered(machine);
  const config: Record<string, string> = { ...pool.config };
  if (memberSpecific) Object.assign(config, pool.memberConfig[member] ?? {});
  else for (const key of NODE_SPECIFIC_STORAGE_KEYS) delete config[key];
  const status = memberSpecific ? (pool.createdOn.includes(member) ? 'Created' : 'Pending') : pool.status;
  return {
    name: pool.name,
    description: pool.description,
    driver: pool.driver,
    status,
    config: goMap(config),
    used_by: poolUsedBy(world, machine, pool, targeted ? member : null),
    locations: Object.keys(pool.memberConfig),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Networks.

function networkUsedBy(database: LxdClusterData, name: string, member: string): string[] {
  const usedBy: string[] = [];
  for (const network of database.networks) {
    if (network.name === name || network.status !== 'Created') continue;
    const parent = network.memberConfig[member]?.['parent'];
    if (network.config['network'] === name || parent === name) usedBy.push(`/1.0/networks/${network.name}`);
  }
  for (const [profileName, profile] of Object.entries(database.profiles)) {
    if (Object.values(profile.devices).some((d) => d['type'] === 'nic' && d['network'] === name))
      usedBy.push(`/1.0/profiles/${profileName}`);
  }
  return usedBy;
}

/** doNetworkGet for a managed network. */
export function managedNetworkApi(
  world: World,
  machine: Machine,
  network: LxdNetwork,
  targeted: boolean,
): GoStruct {
  const member = localMemberName(machine);
  const allNodes = isClustered(machine) && !targeted;
  const config: Record<string, string> = { ...network.config, ...(network.memberConfig[member] ?? {}) };
  if (allNodes) for (const key of NODE_SPECIFIC_NETWORK_KEYS) delete config[key];
  const database = lxdDatabase(world, machine);
  return {
    name: network.name,
    description: network.description,
    type: network.type,
    managed: true,
    status: allNodes ? network.status : network.createdOn.includes(member) ? 'Created' : 'Pending',
    config: goMap(config),
    used_by: networkUsedBy(database, network.name, member),
    locations: Object.keys(network.memberConfig),
  };
}

/** doNetworkGet for a host interface LXD does not manage (type from sysfs). */
export function hostInterfaceApi(world: World, machine: Machine, name: string): GoStruct | null {
  const nic = machine.nics.find((n) => n.name === name);
  if (!nic || name.startsWith('veth')) return null;
  const type = nic.kind;
  const database = lxdDatabase(world, machine);
  return {
    name,
    description: '',
    type,
    managed: false,
    status: '',
    config: goMap({}),
    used_by: type === 'loopback' ? [] : networkUsedBy(database, name, localMemberName(machine)),
    locations: null,
  };
}

/** GET /1.0/networks?recursion=1: managed networks, then the host's other interfaces. */
export function networksApi(world: World, machine: Machine): GoStruct[] {
  const database = lxdDatabase(world, machine);
  const managed = database.networks.map((n) => managedNetworkApi(world, machine, n, false));
  const names = new Set(database.networks.map((n) => n.name));
  const unmanaged = [...machine.nics]
    .sort((a, b) => a.ifindex - b.ifindex)
    .filter((nic) => !names.has(nic.name))
    .map((nic) => hostInterfaceApi(world, machine, nic.name))
    .filter((n): n is GoStruct => n !== null);
  return [...managed, ...unmanaged];
}

/** GET /1.0/networks/NAME[?target=]: managed first, then a host interface, else "Network not found". */
export function networkApi(world: World, machine: Machine, name: string, targeted: boolean): GoStruct {
  const network = lxdDatabase(world, machine).networks.find((n) => n.name === name);
  if (network) return managedNetworkApi(world, machine, network, targeted);
  const host = hostInterfaceApi(world, machine, name);
  if (!host) throw new LxdError('Network not found');
  return host;
}

// ---------------------------------------------------------------------------------------------------------
// Profiles.

export function profileApi(world: World, machine: Machine, name: string): GoStruct {
  const profile = lxdDatabase(world, machine).profiles[name];
  if (!profile) throw new LxdError('Profile not found');
  const devices = new Map<string, GoValue>(
    Object.entries(profile.devices).map(([device, config]) => [device, goMap(config)]),
  );
  return {
    name,
    description: profile.description,
    config: goMap(profile.config),
    devices,
    used_by: [],
  };
}

// ---------------------------------------------------------------------------------------------------------
// Resources (lxd/resources, shared/api/resource.go at lxd-5.21.3).

function pciAddressOf(byPath: string[]): string | undefined {
  for (const path of byPath) {
    const match = /^(?:virtio-)?pci-([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f])/.exec(path);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

function diskApi(disk: BlockDevice): GoStruct {
  const type = disk.bus === 'sata' ? 'scsi' : disk.bus;
  const entry: GoStruct = {
    id: disk.name,
    device: `${disk.major}:${disk.minor}`,
  };
  if (disk.model) entry['model'] = disk.model;
  entry['type'] = disk.type === 'rom' ? 'cdrom' : type;
  entry['read_only'] = disk.readOnly;
  entry['mounted'] = isDiskMounted(disk);
  entry['size'] = disk.type === 'rom' ? 0 : disk.sizeBytes;
  entry['removable'] = disk.removable;
  if (disk.wwn) entry['wwn'] = disk.wwn;
  entry['numa_node'] = 0;
  const devicePath = lxdDevicePath(disk);
  if (devicePath) entry['device_path'] = devicePath;
  entry['block_size'] = 512;
  if (disk.bus === 'scsi') entry['firmware_version'] = '2.5+';
  entry['rpm'] = disk.rotational ? 1 : 0;
  if (disk.serial) entry['serial'] = disk.serial;
  entry['device_id'] = lxdDeviceId(disk);
  entry['partitions'] = disk.partitions.map((part) => ({
    id: part.name,
    device: `${part.major}:${part.minor}`,
    read_only: part.readOnly,
    size: part.sizeBytes,
    partition: part.number,
    mounted: part.mountpoints.length > 0,
  }));
  const pci = pciAddressOf(disk.byPath);
  if (pci) entry['pci_address'] = pci;
  return entry;
}

/** GET /1.0/resources: CPU, memory, disks and NICs of the machine model (§10.4). */
export function resourcesApi(machine: Machine): GoStruct {
  const arch = architectureName(machine);
  const cores = Array.from({ length: machine.cpus }, (_, core) => ({
    core,
    die: 0,
    threads: [{ id: core, numa_node: 0, thread: 0, online: true, isolated: false }],
  }));
  const disks = machine.blockDevices.filter((d) => d.type !== 'loop').map(diskApi);
  const cards = machine.nics
    .filter((nic) => nic.kind === 'physical' && nic.pciAddress !== null)
    .sort((a, b) => a.ifindex - b.ifindex)
    .map((nic) => ({
      driver: 'virtio_net',
      driver_version: '1.0.0',
      ports: [
        {
          id: nic.name,
          address: nic.mac,
          port: 0,
          protocol: 'ethernet',
          auto_negotiation: false,
          link_detected: nic.carrier && nic.state === 'UP',
        },
      ],
      numa_node: 0,
      pci_address: nic.pciAddress as string,
      vendor: 'Red Hat, Inc.',
      vendor_id: '1af4',
      product: 'Virtio network device',
      product_id: '1000',
    }));
  const usedMemory = Math.floor(machine.memoryBytes / 8);
  return {
    cpu: {
      architecture: arch,
      sockets: [{ name: 'QEMU Virtual CPU', vendor: 'GenuineIntel', socket: 0, cores }],
      total: machine.cpus,
    },
    memory: {
      nodes: [
        { numa_node: 0, hugepages_used: 0, hugepages_total: 0, used: usedMemory, total: machine.memoryBytes },
      ],
      hugepages_total: 0,
      hugepages_used: 0,
      hugepages_size: 2097152,
      used: usedMemory,
      total: machine.memoryBytes,
    },
    gpu: { cards: [], total: 0 },
    network: { cards, total: cards.length },
    storage: { disks, total: disks.length },
    usb: { devices: [], total: 0 },
    pci: { devices: [], total: 0 },
    system: {
      uuid: '',
      vendor: 'QEMU',
      product: 'Standard PC (Q35 + ICH9, 2009)',
      family: 'Unknown',
      version: 'pc-q35-8.2',
      sku: 'Unknown',
      serial: 'Unknown',
      type: 'virtual-machine',
      firmware: { vendor: 'EFI Development Kit II / OVMF', date: '02/02/2022', version: '0.0.0' },
      chassis: { vendor: 'QEMU', type: 'Other', serial: 'Unknown', version: 'pc-q35-8.2' },
      motherboard: { vendor: '', product: '', serial: '', version: '' },
    },
  };
}
