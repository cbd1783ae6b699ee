// The MicroCeph model (squid): what bootstrap and join set up, OSD creation with MicroCeph's disk rules,
// the available-disk filter, pools and replication. Used by the `microceph` program and by MicroCloud.
// Error texts are MicroCeph's (canonical/microceph squid, microceph/ceph/osd.go) unless noted.

import {
  isDiskMounted,
  isDiskPristine,
  lxdDeviceId,
  lxdDevicePath,
  machineAddresses,
  resolveBlockPath,
  stableDiskPath,
  wipeDisk,
  GiB,
  type BlockDevice,
  type Machine,
} from './machine.js';
import { DaemonError, memberNameOf } from './microcluster.js';
import { formatCidr, networkOf, parseCidr } from './net.js';
import { spend, type CephClusterData, type ClusterState, type World } from './world.js';

/** constants.MinOSDSize: 2 GiB (§4.2). */
export const MIN_OSD_SIZE = 2 * GiB;

/** Services MicroCeph places on up to three members each (bootstrap and join hooks). */
const CEPH_CONTROL_SERVICES = ['mds', 'mgr', 'mon'] as const;

export function cephData(cluster: ClusterState): CephClusterData {
  cluster.ceph ??= {
    osds: [],
    nextOsd: 1,
    pools: [],
    // Ceph's own default until MicroCloud or the user sets a replication factor (§3.6).
    defaultPoolSize: 3,
    config: {},
    services: [],
    filesystems: [],
  };
  return cluster.ceph;
}

/** The subnet (CIDR) of the interface that carries `ip` on this machine. */
export function subnetOf(machine: Machine, ip: string): string | null {
  for (const { assignment } of machineAddresses(machine)) {
    if (assignment.address === ip) return `${networkOf(ip, assignment.prefix)}/${assignment.prefix}`;
  }
  return null;
}

function enableUnit(machine: Machine, unit: string): void {
  machine.services[unit] = { enabled: true, active: true };
}

export interface CephBootstrapOptions {
  monIp: string;
  publicNetwork: string | null;
  clusterNetwork: string | null;
}

/**
 * Validation done before the daemon is asked to bootstrap (microceph cluster_bootstrap.go
 * preCheckBootstrapConfig and the network parsing behind it).
 */
export function checkCephBootstrap(options: CephBootstrapOptions): string | null {
  for (const value of [options.publicNetwork, options.clusterNetwork]) {
    if (value !== null && parseCidr(value) === null) return `invalid CIDR address: ${value}`;
  }
  if (options.publicNetwork !== null) {
    const cidr = parseCidr(options.publicNetwork);
    if (cidr && networkOf(options.monIp, cidr.prefix) !== cidr.network) {
      return `provided mon-ip ${options.monIp} is not available on provided public network ${options.publicNetwork}`;
    }
  }
  return null;
}

/** Post-bootstrap: networks recorded in the cluster config, mon/mgr/mds on the first member (§10.7). */
export function afterCephBootstrap(
  machine: Machine,
  cluster: ClusterState,
  options: CephBootstrapOptions,
): void {
  const data = cephData(cluster);
  const derived = subnetOf(machine, options.monIp);
  const publicNetwork = options.publicNetwork ?? derived ?? '';
  const normalise = (text: string): string => {
    const cidr = parseCidr(text);
    return cidr ? formatCidr(cidr) : text;
  };
  data.config['public_network'] = normalise(publicNetwork);
  data.config['cluster_network'] = normalise(options.clusterNetwork ?? publicNetwork);
  for (const service of CEPH_CONTROL_SERVICES) {
    data.services.push({ member: memberNameOf(machine, 'microceph'), service });
    enableUnit(machine, `microceph.${service}`);
  }
}

/** Join hook: a new member takes mon, mgr and mds while fewer than three members run them. */
export function afterCephJoin(machine: Machine, cluster: ClusterState): void {
  const data = cephData(cluster);
  for (const service of CEPH_CONTROL_SERVICES) {
    if (data.services.filter((s) => s.service === service).length >= 3) continue;
    data.services.push({ member: memberNameOf(machine, 'microceph'), service });
    enableUnit(machine, `microceph.${service}`);
  }
}

export interface DiskAddRequest {
  paths: string[];
  wipe: boolean;
  encrypt: boolean;
}

/** types.DiskAddReport: one per requested path, `Path` as the caller wrote it. */
export interface DiskAddReport {
  path: string;
  report: 'Success' | 'Failure';
  error: string;
}

/** setStablePath for a partition: by-id-partN, else by-path-partN, else the kernel name. */
function stablePartitionPath(disk: BlockDevice, number: number): string {
  const id = lxdDeviceId(disk);
  if (id) return `/dev/disk/by-id/${id}-part${number}`;
  const byPath = lxdDevicePath(disk);
  if (byPath) return `/dev/disk/by-path/${byPath}-part${number}`;
  return `/dev/${disk.partitions.find((p) => p.number === number)?.name ?? disk.name}`;
}

function encryptionProblem(machine: Machine): string | null {
  // checkEncryptSupport: the dm-crypt plug must be connected, the dm_crypt module present (§4.4).
  const connected = machine.snapConnections.some((c) => c.plug === 'microceph:dm-crypt');
  if (!connected) {
    const helper =
      'use "sudo snap connect microceph:dm-crypt ; sudo snap restart microceph.daemon" to enable encryption.';
    return `dm-crypt interface connection missing: \n${helper}`;
  }
  if (!machine.kernelModules.includes('dm_crypt')) {
    return 'missing dm_crypt module: stat /sys/module/dm_crypt: no such file or directory';
  }
  return null;
}

/**
 * One OSD, in MicroCeph's order: stable path, disk record (a failure after this burns the OSD number, as the
 * SQLite AUTOINCREMENT does), partitions and pristine checks unless --wipe, then the mounted check, wipe and
 * encryption (prepareDisk), then the OSD itself.
 */
async function addOneDisk(
  world: World,
  machine: Machine,
  cluster: ClusterState,
  requestedPath: string,
  options: { wipe: boolean; encrypt: boolean },
  signal?: AbortSignal,
): Promise<DiskAddReport> {
  const fail = (error: string): DiskAddReport => ({ path: requestedPath, report: 'Failure', error });
  const data = cephData(cluster);
  const resolved = requestedPath.startsWith('/dev/') ? resolveBlockPath(machine, requestedPath) : null;
  if (!resolved) return fail(`failed to set stable disk path: invalid disk path: ${requestedPath}`);
  const { disk, partition } = resolved;
  const path = partition ? stablePartitionPath(disk, partition.number) : stableDiskPath(disk);
  if (data.osds.some((osd) => osd.member === memberNameOf(machine, 'microceph') && osd.path === path)) {
    return fail('failed to record disk: This "disks" entry already exists');
  }
  const osdNumber = data.nextOsd;
  data.nextOsd += 1;
  if (!partition && !options.wipe && disk.partitions.length > 0) {
    return fail(`data device ${path} has partitions - use --wipe to override`);
  }
  const pristine = partition ? partition.filesystem === null : isDiskPristine(disk);
  if (!options.wipe && !pristine) {
    return fail(`data device ${path} is not pristine (contains data) - use --wipe to override`);
  }
  const mounted = partition ? partition.mountpoints.length > 0 : isDiskMounted(disk);
  if (mounted) {
    return fail(
      `failed to prepare data device: device ${path} is currently mounted and cannot be used - aborting`,
    );
  }
  // prepareDisk wipes before it checks encryption support, so a failed --encrypt still leaves a wiped disk.
  if (options.wipe) {
    if (partition) partition.filesystem = null;
    else wipeDisk(disk);
  }
  if (options.encrypt) {
    const problem = encryptionProblem(machine);
    if (problem)
      return fail(`failed to prepare data device: encryption unsupported on this machine: ${problem}`);
  }
  await spend(world, 'microceph.disk-add', signal);
  const signature = {
    type: options.encrypt ? 'crypto_LUKS' : 'ceph_bluestore',
    uuid: `${cluster.id}-osd-${osdNumber}`,
    label: null,
  };
  if (partition) {
    partition.filesystem = signature;
  } else {
    disk.filesystem = signature;
    disk.hasData = true;
  }
  data.osds.push({
    osd: osdNumber,
    member: memberNameOf(machine, 'microceph'),
    host: machine.name,
    path,
    device: partition ? partition.name : disk.name,
    encrypted: options.encrypt,
  });
  machine.services['microceph.osd'] = { enabled: true, active: true };
  if (osdMembers(data).size >= 3) data.failureDomain = 'host';
  // The mgr creates its `.mgr` pool once the first OSD is up.
  if (!data.pools.some((p) => p.name === '.mgr')) {
    data.pools.push({
      name: '.mgr',
      size: data.defaultPoolSize,
      crushRule: 'replicated_rule',
      lxdPlaceholder: false,
    });
  }
  return { path: requestedPath, report: 'Success', error: '' };
}

/** POST /1.0/disks: each path on its own, reports in request order (osd.go AddBulkDisks). */
export async function addDisks(
  world: World,
  machine: Machine,
  cluster: ClusterState,
  request: DiskAddRequest,
  signal?: AbortSignal,
): Promise<DiskAddReport[]> {
  const reports: DiskAddReport[] = [];
  for (const path of request.paths) {
    reports.push(await addOneDisk(world, machine, cluster, path, request, signal));
  }
  return reports;
}

export interface AvailableDisk {
  Model: string;
  Size: string;
  Type: string;
  Path: string;
}

/**
 * common.FilterAvailableDisks: skips read-only, partitioned, smaller than 2 GiB, already an OSD here,
 * mounted disks (§4.2). `Type` is LXD's resources bus type, `Size` IEC with two decimals.
 */
export function availableDisks(
  machine: Machine,
  cluster: ClusterState | null,
  formatSize: (bytes: number) => string,
): AvailableDisk[] {
  const configured =
    cluster?.ceph?.osds.filter((osd) => osd.member === memberNameOf(machine, 'microceph')) ?? [];
  return machine.blockDevices
    .filter((disk) => disk.type === 'disk')
    .filter((disk) => !disk.readOnly)
    .filter((disk) => disk.partitions.length === 0)
    .filter((disk) => disk.sizeBytes >= MIN_OSD_SIZE)
    .filter((disk) => !configured.some((osd) => osd.path === stableDiskPath(disk)))
    .filter((disk) => !isDiskMounted(disk))
    .map((disk) => ({
      Model: disk.model ?? '',
      Size: formatSize(disk.sizeBytes),
      Type: disk.bus,
      Path: stableDiskPath(disk),
    }));
}

/**
 * PUT /1.0/pools-op (`pool set-rf`): "" sets the default size, "*" every existing pool, names those pools.
 * Unknown pool names fail like the underlying `ceph osd pool set` (ENOENT).
 */
export function setReplicationFactor(cluster: ClusterState, pools: string[], size: number): void {
  const data = cephData(cluster);
  for (const name of pools) {
    if (name === '') {
      data.defaultPoolSize = size;
      continue;
    }
    if (name === '*') {
      for (const pool of data.pools) pool.size = size;
      continue;
    }
    const pool = data.pools.find((p) => p.name === name);
    if (!pool) throw new DaemonError(`Failed to set pool size: Error ENOENT: unrecognized pool '${name}'`);
    pool.size = size;
  }
}

/** Members with at least one OSD, leaving out OSD `except`. */
function osdMembers(data: CephClusterData, except?: number): Set<string> {
  return new Set(data.osds.filter((o) => o.osd !== except).map((o) => o.member));
}

export interface DiskRemoveRequest {
  osd: number;
  bypassSafety: boolean;
  confirmDowngrade: boolean;
  prohibitCrushScaledown: boolean;
}

/**
 * DELETE /1.0/disks/{osd} (`microceph disk remove`), as api/disks.go cmdDisksDelete and ceph/osd.go
 * doRemoveOSD order it: the failure-domain downgrade needs confirming (unless prohibited), then the OSD must
 * exist, at least 4 OSDs must be there (unless --bypass-safety-checks), Ceph must find it safe to destroy (its
 * data has copies elsewhere: no pool wants more copies than the OSDs left), then the OSD is purged, its
 * device wiped when the request runs on the machine that holds it (clearStorage opens the path locally), and
 * its record dropped. Errors are the daemon's texts.
 */
export async function removeDisk(
  world: World,
  machine: Machine,
  cluster: ClusterState,
  request: DiskRemoveRequest,
  signal?: AbortSignal,
): Promise<void> {
  const data = cephData(cluster);
  const { osd } = request;
  const downgrade = data.failureDomain === 'host' && osdMembers(data, osd).size < 3;
  if (!request.prohibitCrushScaledown && downgrade && !request.confirmDowngrade) {
    throw new DaemonError(
      `removing osd.${osd} would require a downgrade of the automatic crush rule from 'host' to 'osd' level. ` +
        `Likely this will result in additional data movement. Please confirm by setting the ` +
        `'--confirm-failure-domain-downgrade' flag to true`,
    );
  }
  if (osd < 0) throw new DaemonError('OSD must be a positive integer');
  const record = data.osds.find((o) => o.osd === osd);
  if (!record) throw new DaemonError(`osd.${osd} not found`);
  if (!request.bypassSafety && data.osds.length <= 3) {
    throw new DaemonError(`cannot remove osd.${osd} we need at least 3 OSDs, have ${data.osds.length}`);
  }
  if (!request.prohibitCrushScaledown && downgrade) data.failureDomain = 'osd';
  const left = data.osds.length - 1;
  if (!request.bypassSafety && data.pools.some((p) => p.size > left)) {
    throw new DaemonError(`osd.${osd} failed to reach safe-to-destroy`);
  }
  await spend(world, 'microceph.disk-remove', signal);
  if (record.host === machine.name) {
    const disk = machine.blockDevices.find((d) => d.name === record.device);
    if (disk) wipeDisk(disk);
  }
  data.osds = data.osds.filter((o) => o !== record);
}

export function osdCountOn(cluster: ClusterState, member: string): number {
  return cluster.ceph?.osds.filter((osd) => osd.member === member).length ?? 0;
}

export function servicesOn(cluster: ClusterState, member: string): string[] {
  return (cluster.ceph?.services ?? []).filter((s) => s.member === member).map((s) => s.service);
}
