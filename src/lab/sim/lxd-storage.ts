// LXD storage pools and custom volumes (lxd/storage_pools.go, storage_pools_utils.go, storage_volumes.go,
// lxd/db/storage_pools.go, lxd/storage/drivers driver_{dir,zfs,ceph,cephfs}.go at lxd-5.21.3): pending
// per-member definitions with `--target`, the final create once every member has one (§3.2, §3.3), the
// drivers' effects (ZFS on a member's disk, OSD pools and CephFS in the host's MicroCeph cluster), and the
// `images`/`backups` volumes MicroCloud adds (§3.5).

import { cephData } from './ceph.js';
import { GiB, resolveBlockPath, type Machine } from './machine.js';
import { clusterOf } from './microcluster.js';
import {
  LxdError,
  createLocalPoolOnDisk,
  joinedMembers,
  localMemberName,
  lxdCluster,
  lxdDatabase,
  memberMachine,
  peerNotifyError,
  resolveTarget,
} from './lxd.js';
import { NotModelledError } from './program.js';
import type { LxdClusterData, LxdPoolDriver, LxdStoragePool, World } from './world.js';

/** db.NodeSpecificStorageConfig: keys that may (and must) be given per member. */
export const NODE_SPECIFIC_STORAGE_KEYS = [
  'size',
  'source',
  'source.wipe',
  'volatile.initial_source',
  'zfs.pool_name',
  'lvm.thinpool_name',
  'lvm.vg_name',
];

export interface PoolRequest {
  name: string;
  driver: string;
  description: string;
  config: Record<string, string>;
}

type Validator = (value: string) => string | null;

const anyValue: Validator = () => null;
const boolValue: Validator = (v) =>
  v === '' || ['true', 'false', 'yes', 'no', '1', '0', 'on', 'off'].includes(v.toLowerCase())
    ? null
    : `Invalid value for a boolean ${JSON.stringify(v)}`;
const int64Value: Validator = (v) =>
  v === '' || /^[-+]?\d+$/.test(v) ? null : `Invalid value for an integer ${JSON.stringify(v)}`;

/** units.ParseByteSizeString's errors. */
export const sizeValue: Validator = (v) => {
  if (v === '') return null;
  const match = /^(\d*)(.*)$/.exec(v);
  const digits = match?.[1] ?? '';
  const suffix = match?.[2] ?? '';
  if (digits === '') return `Invalid value: ${v}`;
  if (
    ![
      '',
      'B',
      ' bytes',
      'kB',
      'MB',
      'GB',
      'TB',
      'PB',
      'EB',
      'KiB',
      'MiB',
      'GiB',
      'TiB',
      'PiB',
      'EiB',
    ].includes(suffix)
  )
    return `Invalid value: ${v}`;
  return null;
};

/** Common pool rules (lxd/storage/utils.go validatePoolCommonRules) plus each driver's Validate(). */
const COMMON_RULES: Record<string, Validator> = {
  source: anyValue,
  'source.wipe': boolValue,
  'volatile.initial_source': anyValue,
  'rsync.bwlimit': sizeValue,
  'rsync.compression': boolValue,
};

const DRIVER_RULES: Record<LxdPoolDriver, Record<string, Validator>> = {
  dir: {},
  zfs: {
    size: sizeValue,
    'zfs.pool_name': anyValue,
    'zfs.clone_copy': (v) => (v === 'rebase' ? null : boolValue(v)),
    'zfs.export': boolValue,
  },
  ceph: {
    'ceph.cluster_name': anyValue,
    'ceph.osd.force_reuse': boolValue,
    'ceph.osd.pg_num': anyValue,
    'ceph.osd.pool_name': anyValue,
    'ceph.osd.data_pool_name': anyValue,
    'ceph.rbd.clone_copy': boolValue,
    'ceph.rbd.du': boolValue,
    'ceph.rbd.features': anyValue,
    'ceph.user.name': anyValue,
    'volatile.pool.pristine': anyValue,
  },
  cephfs: {
    'cephfs.cluster_name': anyValue,
    'cephfs.fscache': boolValue,
    'cephfs.path': anyValue,
    'cephfs.user.name': anyValue,
    'cephfs.create_missing': boolValue,
    'cephfs.osd_pg_num': int64Value,
    'cephfs.meta_pool': anyValue,
    'cephfs.data_pool': anyValue,
    'volatile.pool.pristine': anyValue,
  },
};

const KNOWN_UNMODELLED_DRIVERS = ['btrfs', 'lvm', 'powerflex', 'cephobject'];

/** storagePools.LoadByType + ValidateName + driver Validate (storagePoolValidate). */
function validatePool(name: string, driver: string, config: Record<string, string>): LxdPoolDriver {
  if (KNOWN_UNMODELLED_DRIVERS.includes(driver)) throw new NotModelledError(`the ${driver} storage driver`);
  if (!(driver in DRIVER_RULES)) throw new LxdError('Unknown driver');
  const known = driver as LxdPoolDriver;
  if (/\s/.test(name)) throw new LxdError('Storage name cannot contain white space');
  const rules = { ...COMMON_RULES, ...DRIVER_RULES[known] };
  for (const [key, rule] of Object.entries(rules)) {
    const problem = rule(config[key] ?? '');
    if (problem) throw new LxdError(`Invalid value for option ${JSON.stringify(key)}: ${problem}`);
  }
  for (const key of Object.keys(config)) {
    if (key in rules || key.startsWith('user.')) continue;
    if (key.startsWith('volume.')) throw new NotModelledError(`storage pool volume defaults (${key})`);
    throw new LxdError(`Invalid option ${JSON.stringify(key)}`);
  }
  return known;
}

function findPool(database: LxdClusterData, name: string): LxdStoragePool | undefined {
  return database.storagePools.find((p) => p.name === name);
}

/** GetStoragePoolInAnyState's not-found error. */
export function requirePool(database: LxdClusterData, name: string): LxdStoragePool {
  const pool = findPool(database, name);
  if (!pool) throw new LxdError('Storage pool not found');
  return pool;
}

function globalKeysSet(pool: LxdStoragePool): boolean {
  return Object.keys(pool.config).some((key) => !NODE_SPECIFIC_STORAGE_KEYS.includes(key));
}

/**
 * POST /1.0/storage-pools[?target=]: with a target only the member's pending definition is recorded;
 * without one the pool is created on every member (clustered or partially created) or on this server.
 */
export function createStoragePool(
  world: World,
  machine: Machine,
  request: PoolRequest,
  target: string | null,
): void {
  if (request.name === '') throw new LxdError('No name provided');
  if (request.name.includes('/')) throw new LxdError('Storage pool names may not contain slashes');
  if (request.driver === '') throw new LxdError('No driver provided');
  const database = lxdDatabase(world, machine);
  if (target !== null) {
    for (const key of Object.keys(request.config)) {
      if (!NODE_SPECIFIC_STORAGE_KEYS.includes(key))
        throw new LxdError(`Config key ${JSON.stringify(key)} may not be used as member-specific key`);
    }
    const driver = validatePool(request.name, request.driver, request.config);
    createPendingPool(world, machine, database, target, request.name, driver, request.config);
    return;
  }
  const existing = findPool(database, request.name);
  const cluster = lxdCluster(world, machine);
  const count = cluster ? joinedMembers(cluster).length : 1;
  if (count > 1 || (existing && existing.status !== 'Created')) {
    createPoolOnCluster(world, machine, database, existing ?? null, request);
    return;
  }
  // storagePoolCreateGlobal: a single-member database; removed again when the local create fails.
  if (existing) throw new LxdError(`Storage pool ${JSON.stringify(request.name)} already exists`);
  const driver = validatePool(request.name, request.driver, request.config);
  const member = localMemberName(machine);
  const global: Record<string, string> = {};
  const local: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.config)) {
    if (NODE_SPECIFIC_STORAGE_KEYS.includes(key)) local[key] = value;
    else global[key] = value;
  }
  const pool: LxdStoragePool = {
    name: request.name,
    driver,
    description: request.description,
    status: 'Pending',
    config: global,
    memberConfig: { [member]: local },
    createdOn: [],
  };
  database.storagePools.push(pool);
  try {
    const created = createPoolLocally(world, machine, pool, { ...global, ...local }, true);
    applyCreatedConfig(pool, member, created);
    pool.status = 'Created';
  } catch (error) {
    database.storagePools = database.storagePools.filter((p) => p !== pool);
    throw error;
  }
}

/** CreatePendingStoragePool (lxd/db/storage_pools.go). */
function createPendingPool(
  world: World,
  machine: Machine,
  database: LxdClusterData,
  target: string,
  name: string,
  driver: LxdPoolDriver,
  config: Record<string, string>,
): void {
  let pool = findPool(database, name);
  if (pool) {
    if (pool.driver !== driver) throw new LxdError('Storage pool already exists with a different driver');
    if (pool.status !== 'Pending') throw new LxdError('Storage pool is not in pending state');
  }
  resolveTarget(world, machine, target);
  if (pool && pool.memberConfig[target]) {
    throw new LxdError(`The storage pool already defined on member ${JSON.stringify(target)}`);
  }
  if (!pool) {
    pool = { name, driver, description: '', status: 'Pending', config: {}, memberConfig: {}, createdOn: [] };
    database.storagePools.push(pool);
  }
  pool.memberConfig[target] = { ...config };
}

/** storagePoolsPostCluster: global config, then the local member, then every other member. */
function createPoolOnCluster(
  world: World,
  machine: Machine,
  database: LxdClusterData,
  existing: LxdStoragePool | null,
  request: PoolRequest,
): void {
  for (const key of Object.keys(request.config)) {
    if (NODE_SPECIFIC_STORAGE_KEYS.includes(key))
      throw new LxdError(`Config key ${JSON.stringify(key)} is cluster member specific`);
  }
  if (existing) {
    if (existing.status === 'Created') throw new LxdError('The storage pool is already created');
    if (request.driver !== existing.driver) {
      throw new LxdError(
        `Requested storage pool driver ${JSON.stringify(request.driver)} doesn't match driver in existing database record ${JSON.stringify(existing.driver)}`,
      );
    }
  }
  if (!existing) throw new LxdError('Pool not pending on any node (use --target <node> first)');
  const pool = existing;
  const cluster = lxdCluster(world, machine);
  const members = cluster ? joinedMembers(cluster) : [];
  if (existing.status === 'Errored' || globalKeysSet(existing)) {
    if (Object.keys(request.config).length > 0) {
      throw new LxdError(
        'Storage pool already partially created. Please do not specify any global config when re-running create',
      );
    }
  } else {
    const missing = members.filter((m) => !pool.memberConfig[m.name]).map((m) => m.name);
    if (missing.length > 0) throw new LxdError(`Pool not defined on cluster members: ${missing.join(', ')}`);
    pool.config = { ...request.config };
    if (request.description !== '') pool.description = request.description;
  }
  pool.status = 'Errored';
  const local = localMemberName(machine);
  const order = [...members.filter((m) => m.name === local), ...members.filter((m) => m.name !== local)];
  let globalFromLocal: Record<string, string> | null = null;
  for (const member of order) {
    if (pool.createdOn.includes(member.name)) continue;
    const host = cluster ? memberMachine(world, cluster, member) : machine;
    const merged = { ...pool.config, ...(globalFromLocal ?? {}), ...(pool.memberConfig[member.name] ?? {}) };
    try {
      const created = createPoolLocally(world, host, pool, merged, member.name === local);
      applyCreatedConfig(pool, member.name, created);
      if (member.name === local) {
        globalFromLocal = {};
        for (const [key, value] of Object.entries(created)) {
          if (!NODE_SPECIFIC_STORAGE_KEYS.includes(key)) globalFromLocal[key] = value;
        }
      }
    } catch (error) {
      if (member.name === local || !(error instanceof LxdError)) throw error;
      throw peerNotifyError(world, machine, member, error.message);
    }
  }
  pool.status = 'Created';
}

/** Stores a member's driver-filled config: node-specific keys per member, the rest cluster-wide. */
function applyCreatedConfig(pool: LxdStoragePool, member: string, created: Record<string, string>): void {
  const node: Record<string, string> = {};
  for (const [key, value] of Object.entries(created)) {
    if (NODE_SPECIFIC_STORAGE_KEYS.includes(key)) {
      if (value !== '') node[key] = value;
    } else if (value !== '') pool.config[key] = value;
  }
  pool.memberConfig[member] = node;
  if (!pool.createdOn.includes(member)) pool.createdOn.push(member);
}

export const LXD_VAR = '/var/snap/lxd/common/lxd';

/** The size LXD picks for a loop-backed pool: 20 % of the free space, 5 to 30 GiB (loopFileSizeDefault). */
function loopFileSizeDefault(machine: Machine): string {
  // Free space of /var/snap/lxd/common/lxd: the root filesystem minus what a fresh cloud image uses.
  const root = machine.blockDevices.flatMap((d) => d.partitions).find((p) => p.mountpoints.includes('/'));
  const available = Math.floor(((root?.sizeBytes ?? 0) - 4 * GiB) / GiB);
  if (available > 30) return '30GiB';
  if (available > 5) return `${Math.floor(available / 5)}GiB`;
  if (available === 5) return '5GiB';
  throw new LxdError('Insufficient free space to create default sized 5GiB pool');
}

/**
 * One member's part of the create (storagePoolCreateLocal → backend Create → driver Create): validation
 * of the merged config, then the driver. Remote drivers only run their Create on the member that handles
 * the request; the others just mount. Returns the driver's resulting config.
 */
export function createPoolLocally(
  world: World,
  machine: Machine,
  pool: LxdStoragePool,
  merged: Record<string, string>,
  handlesRequest: boolean,
): Record<string, string> {
  validatePool(pool.name, pool.driver, merged);
  const config = { ...merged };
  const remote = pool.driver === 'ceph' || pool.driver === 'cephfs';
  if (remote) requireMicroCeph(world, machine, pool.driver);
  if (remote && !handlesRequest) return config;
  switch (pool.driver) {
    case 'dir': {
      if (config['source'] && config['source'] !== `${LXD_VAR}/storage-pools/${pool.name}`)
        throw new NotModelledError('dir storage pools on a custom source directory');
      config['source'] = `${LXD_VAR}/storage-pools/${pool.name}`;
      return config;
    }
    case 'zfs':
      return createZfs(machine, pool.name, config);
    case 'ceph':
      return createCeph(world, machine, pool.name, config);
    case 'cephfs':
      return createCephfs(world, machine, config);
  }
}

/** Ceph pools need the host's MicroCeph (the lxd snap reads its ceph.conf and keyring). */
function requireMicroCeph(world: World, machine: Machine, driver: string): void {
  if (!clusterOf(world, machine, 'microceph')) {
    throw new NotModelledError(`the ${driver} storage driver without a MicroCeph cluster on the host`);
  }
}

/** driver_zfs.go Create: loop file, a whole disk, or (not modelled) an existing zpool/dataset. */
function createZfs(machine: Machine, name: string, config: Record<string, string>): Record<string, string> {
  const source = config['source'] ?? '';
  config['volatile.initial_source'] = source;
  const loopPath = `${LXD_VAR}/disks/${name}.img`;
  if (source === '' || source === loopPath) {
    config['source'] = loopPath;
    config['zfs.pool_name'] ||= name;
    config['size'] ||= loopFileSizeDefault(machine);
    if ((config['zfs.pool_name'] ?? '').includes('/'))
      throw new LxdError("zfs.pool_name can't point to a dataset when source isn't set");
    return config;
  }
  if (!source.startsWith('/'))
    throw new NotModelledError('ZFS storage pools on an existing zpool or dataset');
  if (!resolveBlockPath(machine, source)) throw new LxdError('Custom loop file locations are not supported');
  config['zfs.pool_name'] ||= name;
  delete config['size'];
  if ((config['zfs.pool_name'] ?? '').includes('/'))
    throw new LxdError("zfs.pool_name can't point to a dataset when source isn't set");
  const wipe = ['true', '1', 'yes', 'on'].includes((config['source.wipe'] ?? '').toLowerCase());
  const problem = createLocalPoolOnDisk(machine, source, wipe, config['zfs.pool_name'] ?? name);
  if (problem) throw new LxdError(problem);
  delete config['source.wipe'];
  config['source'] = config['zfs.pool_name'] ?? name;
  return config;
}

/** driver_ceph.go Create: the OSD pool (created if missing) and LXD's placeholder image in it. */
function createCeph(
  world: World,
  machine: Machine,
  name: string,
  config: Record<string, string>,
): Record<string, string> {
  const ceph = cephData(clusterOf(world, machine, 'microceph') as NonNullable<ReturnType<typeof clusterOf>>);
  config['volatile.initial_source'] = config['source'] ?? '';
  config['ceph.cluster_name'] ||= 'ceph';
  config['ceph.user.name'] ||= 'admin';
  config['ceph.osd.pg_num'] ||= '32';
  if (sizeValue(config['ceph.osd.pg_num'] ?? '') !== null)
    throw new LxdError(sizeValue(config['ceph.osd.pg_num'] ?? '') as string);
  const source = config['source'] ?? '';
  const poolName = config['ceph.osd.pool_name'] ?? '';
  if (source !== '' && poolName !== '' && source !== poolName) {
    throw new LxdError(
      'The "source" and "ceph.osd.pool_name" property must not differ for Ceph OSD storage pools',
    );
  }
  if (source !== '') config['ceph.osd.pool_name'] = source;
  if ((config['ceph.osd.pool_name'] ?? '') === '') {
    config['ceph.osd.pool_name'] = name;
    config['source'] = name;
  }
  const osdPool = config['ceph.osd.pool_name'] as string;
  const existing = ceph.pools.find((p) => p.name === osdPool);
  if (!existing) {
    ceph.pools.push({
      name: osdPool,
      size: ceph.defaultPoolSize,
      crushRule: 'replicated_rule',
      lxdPlaceholder: true,
    });
    config['volatile.pool.pristine'] = 'true';
  } else if (existing.lxdPlaceholder) {
    const force = ['true', '1', 'yes', 'on'].includes((config['ceph.osd.force_reuse'] ?? '').toLowerCase());
    if (!force) {
      throw new LxdError(
        `Pool '${osdPool}' in cluster '${config['ceph.cluster_name'] ?? 'ceph'}' seems to be in use by another LXD instance`,
      );
    }
    config['volatile.pool.pristine'] = 'false';
  } else {
    existing.lxdPlaceholder = true;
    config['volatile.pool.pristine'] = 'true';
  }
  return config;
}

/** driver_cephfs.go Create: an existing filesystem, or a new one with its OSD pools (create_missing). */
function createCephfs(
  world: World,
  machine: Machine,
  config: Record<string, string>,
): Record<string, string> {
  const ceph = cephData(clusterOf(world, machine, 'microceph') as NonNullable<ReturnType<typeof clusterOf>>);
  config['cephfs.cluster_name'] ||= 'ceph';
  config['cephfs.user.name'] ||= 'admin';
  const source = config['source'] ?? '';
  if (source === '') throw new LxdError('Missing required source name/path');
  if ((config['cephfs.path'] ?? '') !== '' && config['cephfs.path'] !== source)
    throw new LxdError('cephfs.path must match the source');
  config['cephfs.path'] = source;
  const fsName = source.split('/')[0] ?? '';
  const exists = ceph.filesystems.some((fs) => fs.name === fsName);
  if (exists) {
    for (const key of ['create_missing', 'osd_pg_num', 'meta_pool', 'data_pool']) {
      if ((config[`cephfs.${key}`] ?? '') !== '')
        throw new LxdError(`Invalid config key "cephfs.${key}": CephFS filesystem already exists`);
    }
    return config;
  }
  if (!['true', '1', 'yes', 'on'].includes((config['cephfs.create_missing'] ?? '').toLowerCase())) {
    throw new LxdError(`The requested ${JSON.stringify(fsName)} CephFS doesn't exist`);
  }
  config['cephfs.osd_pg_num'] ||= '32';
  for (const key of ['cephfs.meta_pool', 'cephfs.data_pool']) {
    const pool = config[key] ?? '';
    if (pool === '')
      throw new LxdError(`Missing required key ${JSON.stringify(key)} for creating cephfs osd pool`);
    if (!ceph.pools.some((p) => p.name === pool))
      ceph.pools.push({
        name: pool,
        size: ceph.defaultPoolSize,
        crushRule: 'replicated_rule',
        lxdPlaceholder: false,
      });
  }
  ceph.filesystems.push({
    name: fsName,
    metaPool: config['cephfs.meta_pool'] as string,
    dataPool: config['cephfs.data_pool'] as string,
  });
  return config;
}

/**
 * DELETE /1.0/storage-pools/NAME: refused while volumes or profiles use it (pool.IsUsed / UsedBy);
 * otherwise gone from every member. Driver cleanup (zpool destroy, OSD pool removal) is not modelled:
 * disks keep their ZFS labels as they would after `zpool destroy`.
 */
export function deleteStoragePool(world: World, machine: Machine, name: string): void {
  const database = lxdDatabase(world, machine);
  const pool = requirePool(database, name);
  const usedByVolumes = database.volumes.some((v) => v.pool === name);
  const usedByProfiles = Object.values(database.profiles).some((p) =>
    Object.values(p.devices).some((d) => d['type'] === 'disk' && d['pool'] === name),
  );
  if (usedByVolumes || usedByProfiles) throw new LxdError('The storage pool is currently in use');
  database.storagePools = database.storagePools.filter((p) => p !== pool);
}

// ---------------------------------------------------------------------------------------------------------
// Custom volumes.

/**
 * POST /1.0/storage-pools/POOL/volumes (storagePoolVolumesPost → doVolumeCreateOrCopy): a filesystem
 * custom volume on this member (local pools) or cluster-wide (Ceph pools).
 */
export function createCustomVolume(
  world: World,
  machine: Machine,
  poolName: string,
  volumeName: string,
  contentType: string,
  config: Record<string, string>,
): void {
  if (volumeName === '') throw new LxdError('Invalid volume name: Cannot be empty');
  if (volumeName.includes('/'))
    throw new LxdError(`Invalid volume name ${JSON.stringify(volumeName)}: Cannot contain slashes`);
  if (!['filesystem', 'block', 'iso'].includes(contentType))
    throw new LxdError('Invalid volume content type name');
  if (contentType !== 'filesystem') throw new NotModelledError(`${contentType} custom volumes`);
  if (contentType === 'filesystem' && Object.keys(config).length > 0)
    throw new NotModelledError('custom volume config keys');
  const database = lxdDatabase(world, machine);
  const pool = requirePool(database, poolName);
  const remote = pool.driver === 'ceph' || pool.driver === 'cephfs';
  const member = remote ? null : localMemberName(machine);
  if (
    database.volumes.some(
      (v) => v.pool === poolName && v.name === volumeName && (v.member === member || remote),
    )
  )
    throw new LxdError('Volume by that name already exists');
  if (pool.status === 'Pending') throw new LxdError('Specified pool is not fully created');
  database.volumes.push({
    pool: poolName,
    name: volumeName,
    member,
    contentType: 'filesystem',
    description: '',
    config: {},
    createdAt: world.clock.now(),
  });
}
