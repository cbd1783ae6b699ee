// LXD as MicroCloud leaves it (§3): server keys, per-member pending pools and networks, then the cluster-wide
// pools (CephFS after Ceph), UPLINK then `default`, the default profile and the images/backups volumes. Only
// what is missing is planned, and only keys the server's API extensions allow.

import type { Action } from './actions.js';
import type { ConfigureContext, PlanStep, SkippedSetting } from './plan.js';
import type { ClusterState, LxdClusterState } from './state.js';
import { LXD_HTTPS_ANY, OVN_NORTHBOUND_PORT, urlHost, type ClusterDesign } from './types.js';

/** The rbd features MicroCloud sets where LXD lacks storage_ceph_use_rbd_defaults (§3.1). */
export const CEPH_RBD_FEATURES = 'layering,striping,exclusive-lock,object-map,fast-diff,deep-flatten';

/** The OSD pools of the CephFS filesystem `lxd_cephfs` that LXD creates with cephfs.create_missing. */
const CEPHFS_POOLS = { meta: 'lxd_cephfs_meta', data: 'lxd_cephfs_data' } as const;

const POOL_DESCRIPTIONS = {
  local: 'Local storage on ZFS',
  remote: 'Distributed storage on Ceph',
  'remote-fs': 'Distributed file-system storage using CephFS',
} as const;

export function planLxdConfiguration(
  design: ClusterDesign,
  state: ClusterState,
  context: ConfigureContext,
  anchor: string,
): { steps: PlanStep[]; skipped: SkippedSetting[] } {
  const lxd: LxdClusterState = state.lxd ?? {
    serverConfig: {},
    apiExtensions: [...context.apiExtensions],
    pools: [],
    networks: [],
    profileDevices: {},
    memberConfig: {},
  };
  const has = (extension: string): boolean => context.apiExtensions.includes(extension);
  const steps: PlanStep[] = [];
  // What MicroCloud would set but this LXD cannot take: shown in the plan, never silently left out.
  const skipped: SkippedSetting[] = [];
  const add = (id: string, action: Action, done: boolean): void => {
    steps.push({ id: `configure:${id}`, host: anchor, action, done });
  };

  // Server and cluster keys (§3.1).
  for (const [member, config] of Object.entries(lxd.memberConfig)) {
    if (config['core.https_address'] !== LXD_HTTPS_ANY) {
      add(
        `https:${member}`,
        { kind: 'lxd-config', key: 'core.https_address', value: LXD_HTTPS_ANY, target: member },
        false,
      );
    }
  }
  if (has('instances_migration_stateful')) {
    add(
      'migration-stateful',
      { kind: 'lxd-config', key: 'instances.migration.stateful', value: 'true' },
      lxd.serverConfig['instances.migration.stateful'] === 'true',
    );
  } else {
    skipped.push({
      setting: 'instances.migration.stateful=true',
      reason: 'this LXD lacks the API extension instances_migration_stateful (LXD 5.21 has it)',
    });
  }
  if (design.services.microcloud && context.microcloudVersion !== null) {
    add(
      'user-microcloud',
      { kind: 'lxd-config', key: 'user.microcloud', value: context.microcloudVersion },
      lxd.serverConfig['user.microcloud'] === context.microcloudVersion,
    );
  }
  // Set wherever MicroOVN runs, OVN network or not: LXD 5.21 reaches MicroOVN only through it (§3.1).
  if (design.services.microovn && !has('ovn_dynamic_northbound_connection')) {
    // One entry per member running OVN's central databases, in MicroOVN's order as MicroCloud lists them.
    // MicroOVN runs `central` on its first three members: the members still to join count, in join order
    // (the initiator first, then inventory order), until there are three.
    const central = [...(state.ovnCentral ?? [])];
    const joinOrder = [
      ...design.members.filter((m) => m.host === design.initiator),
      ...design.members.filter((m) => m.host !== design.initiator),
    ];
    for (const m of joinOrder) if (central.length < 3 && !central.includes(m.host)) central.push(m.host);
    const value = central
      .flatMap((host) => design.members.filter((m) => m.host === host))
      .map((m) => `ssl:${urlHost(m)}:${OVN_NORTHBOUND_PORT}`)
      .join(',');
    // The same members in another order reach the same databases.
    const entries = (connection: string): string => connection.split(',').sort().join(',');
    add(
      'ovn-northbound',
      { kind: 'lxd-config', key: 'network.ovn.northbound_connection', value },
      entries(lxd.serverConfig['network.ovn.northbound_connection'] ?? '') === entries(value),
    );
  }

  const pool = (name: string) => lxd.pools.find((p) => p.name === name);
  const network = (name: string) => lxd.networks.find((n) => n.name === name);
  const definedOn = (entry: { locations: string[]; status: string } | undefined, member: string): boolean =>
    entry !== undefined && (entry.status === 'Created' || entry.locations.includes(member));

  const localMembers = design.members.filter((m) => m.localDisk !== null);
  const osds = design.members.reduce((n, m) => n + m.cephDisks.length, 0);
  const ceph = design.services.microceph && design.ceph !== null && osds > 0;
  const cephfs = ceph && design.ceph?.cephfs === true;
  const uplink = design.uplink;
  const fan = uplink === null ? design.fan : null;
  /** The Ceph-backed pools every member defines, with the source LXD 5.21 still wants per member (§3.2). */
  const remotePools = [
    ...(ceph ? [{ pool: 'remote', driver: 'ceph', source: 'lxd_remote' } as const] : []),
    ...(cephfs ? [{ pool: 'remote-fs', driver: 'cephfs', source: 'lxd_cephfs' } as const] : []),
  ];

  // Per-member definitions (§3.2), member by member as MicroCloud does.
  for (const member of design.members) {
    const target = member.host;
    if (member.localDisk !== null) {
      const config: Record<string, string> = { source: member.localDisk.value.path };
      if (member.localDisk.value.wipe) config['source.wipe'] = 'true';
      add(
        `pending:local:${target}`,
        {
          kind: 'lxd-storage-create',
          pool: 'local',
          driver: 'zfs',
          description: POOL_DESCRIPTIONS.local,
          config,
          target,
        },
        definedOn(pool('local'), target),
      );
    }
    for (const remote of remotePools) {
      add(
        `pending:${remote.pool}:${target}`,
        {
          kind: 'lxd-storage-create',
          pool: remote.pool,
          driver: remote.driver,
          description: POOL_DESCRIPTIONS[remote.pool],
          config: has('storage_remote_drop_source') ? {} : { source: remote.source },
          target,
        },
        definedOn(pool(remote.pool), target),
      );
    }
    if (uplink !== null && member.uplinkInterface !== null) {
      add(
        `pending:UPLINK:${target}`,
        {
          kind: 'lxd-network-create',
          network: 'UPLINK',
          type: 'physical',
          config: { parent: member.uplinkInterface.value },
          target,
        },
        definedOn(network('UPLINK'), target),
      );
    }
    // The inventory's own pools and networks (cluster.lxd), defined without config: none is per member.
    for (const own of design.lxd.storagePools) {
      add(
        `pending:${own.name}:${target}`,
        {
          kind: 'lxd-storage-create',
          pool: own.name,
          driver: own.kind,
          description: own.description,
          config: {},
          target,
        },
        definedOn(pool(own.name), target),
      );
    }
    for (const own of design.lxd.networks) {
      add(
        `pending:${own.name}:${target}`,
        { kind: 'lxd-network-create', network: own.name, type: own.kind, config: {}, target },
        definedOn(network(own.name), target),
      );
    }
    if (fan !== null) {
      add(
        `pending:lxdfan0:${target}`,
        {
          kind: 'lxd-network-create',
          network: 'lxdfan0',
          type: 'bridge',
          config: {},
          target,
        },
        definedOn(network('lxdfan0'), target),
      );
    }
  }

  // Cluster-wide objects (§3.3): pools, CephFS after Ceph, then UPLINK and `default`.
  const created = (entry: { status: string } | undefined): boolean => entry?.status === 'Created';
  /**
   * A create that failed midway (on one member) leaves the object Errored with its global config stored; LXD
   * refuses the same create again ("... already partially created. Please do not specify any global config
   * when re-running create") and takes it without config, creating it on the members that lack it.
   */
  const resumable = <A extends { config: Record<string, string> }>(
    entry: { status: string } | undefined,
    action: A,
  ): A | (A & { resume: true }) =>
    entry?.status === 'Errored' ? { ...action, config: {}, resume: true } : action;
  const addPool = (name: string, action: Extract<Action, { kind: 'lxd-storage-create' }>): void => {
    add(`pool:${name}`, resumable(pool(name), action), created(pool(name)));
  };
  const addNetwork = (name: string, action: Extract<Action, { kind: 'lxd-network-create' }>): void => {
    add(`network:${name}`, resumable(network(name), action), created(network(name)));
  };
  // A step of its own, so that a description that failed after its network was created is set on the next run.
  const describe = (name: string, description: string): void => {
    const entry = network(name);
    add(
      `network:${name}:description`,
      { kind: 'lxd-network-describe', network: name, description },
      created(entry) && entry?.description === description,
    );
  };
  if (localMembers.length > 0) {
    addPool('local', {
      kind: 'lxd-storage-create',
      pool: 'local',
      driver: 'zfs',
      description: POOL_DESCRIPTIONS.local,
      config: {},
    });
  }
  if (ceph) {
    const config: Record<string, string> = { 'ceph.osd.pool_name': 'lxd_remote', 'ceph.rbd.du': 'false' };
    if (!has('storage_ceph_use_rbd_defaults')) config['ceph.rbd.features'] = CEPH_RBD_FEATURES;
    addPool('remote', {
      kind: 'lxd-storage-create',
      pool: 'remote',
      driver: 'ceph',
      description: POOL_DESCRIPTIONS.remote,
      config,
    });
  }
  if (cephfs) {
    // LXD refuses cephfs.create_missing (and the pool keys) once the filesystem exists ("CephFS filesystem
    // already exists"): after the LXD pool was deleted by hand, its OSD pools, and so the filesystem mc made
    // on them, are still there, and the pool is created on the existing filesystem.
    const cephPools = state.ceph?.pools.map((p) => p.name) ?? [];
    const filesystemMade = [CEPHFS_POOLS.meta, CEPHFS_POOLS.data].every((name) => cephPools.includes(name));
    addPool('remote-fs', {
      kind: 'lxd-storage-create',
      pool: 'remote-fs',
      driver: 'cephfs',
      description: POOL_DESCRIPTIONS['remote-fs'],
      config: filesystemMade
        ? { 'cephfs.path': 'lxd_cephfs' }
        : {
            'cephfs.create_missing': 'true',
            'cephfs.meta_pool': CEPHFS_POOLS.meta,
            'cephfs.data_pool': CEPHFS_POOLS.data,
            'cephfs.path': 'lxd_cephfs',
          },
    });
  }
  let nicNetwork: string | null = null;
  let uplinkConfig: Record<string, string> | null = null;
  if (uplink !== null) {
    const config: Record<string, string> = {};
    uplinkConfig = config;
    if (uplink.ipv4Gateway !== undefined) config['ipv4.gateway'] = uplink.ipv4Gateway;
    if (uplink.ipv4Gateway !== undefined && uplink.ipv4Range !== undefined)
      config['ipv4.ovn.ranges'] = uplink.ipv4Range;
    if (uplink.ipv6Gateway !== undefined) config['ipv6.gateway'] = uplink.ipv6Gateway;
    if (uplink.dnsServers.length > 0) config['dns.nameservers'] = uplink.dnsServers.join(',');
    addNetwork('UPLINK', {
      kind: 'lxd-network-create',
      network: 'UPLINK',
      type: 'physical',
      config,
    });
    describe('UPLINK', 'Uplink for OVN networks');
    addNetwork('default', {
      kind: 'lxd-network-create',
      network: 'default',
      type: 'ovn',
      config: { network: 'UPLINK' },
    });
    describe('default', 'Default OVN network');
    nicNetwork = 'default';
  } else if (fan !== null) {
    addNetwork('lxdfan0', {
      kind: 'lxd-network-create',
      network: 'lxdfan0',
      type: 'bridge',
      config: { 'bridge.mode': 'fan', 'fan.underlay_subnet': fan.underlaySubnet },
    });
    describe('lxdfan0', 'Default Ubuntu fan powered bridge');
    nicNetwork = 'lxdfan0';
  }

  // The inventory's own (cluster.lxd), after MicroCloud's. Keys it sets that LXD holds otherwise are set once
  // the object exists: a changed inventory, or an Errored object resumed with the config of its first create.
  // A Pending one (defined on the members, never created: a deploy stopped before the create) gets its config
  // from the create.
  const setDiffering = (
    entity: 'storage' | 'network',
    entry: { status: string; config: Record<string, string> } | undefined,
    name: string,
    wanted: Record<string, string>,
  ): void => {
    if (entry === undefined || entry.status === 'Pending') return;
    const config = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => entry.config[k] !== v));
    if (Object.keys(config).length === 0) return;
    const stored = Object.fromEntries(Object.keys(config).map((k) => [k, entry.config[k] ?? '']));
    add(`${entity}:${name}:config`, { kind: 'lxd-object-set', entity, name, config, stored }, false);
  };
  // MicroCloud's uplink keys that were changed by hand (`lxc network set UPLINK ...`) go back to the inventory's.
  if (uplinkConfig !== null && created(network('UPLINK')))
    setDiffering('network', network('UPLINK'), 'UPLINK', uplinkConfig);
  for (const own of design.lxd.storagePools) {
    addPool(own.name, {
      kind: 'lxd-storage-create',
      pool: own.name,
      driver: own.kind,
      description: own.description,
      config: own.config,
    });
    setDiffering('storage', pool(own.name), own.name, own.config);
  }
  for (const own of design.lxd.networks) {
    addNetwork(own.name, {
      kind: 'lxd-network-create',
      network: own.name,
      type: own.kind,
      config: own.config,
    });
    setDiffering('network', network(own.name), own.name, own.config);
    if (own.description !== '') describe(own.name, own.description);
  }
  // As `lxd init` does: the first of them serve the default profile where MicroCloud's give nothing.
  nicNetwork ??= design.lxd.networks[0]?.name ?? null;

  // Default profile (§3.4): add what is missing, keep what is there.
  if (nicNetwork !== null) {
    add(
      'profile:eth0',
      {
        kind: 'lxd-profile-device',
        device: 'eth0',
        config: { name: 'eth0', network: nicNetwork, type: 'nic' },
      },
      lxd.profileDevices['eth0'] !== undefined,
    );
  }
  const rootPool = ceph
    ? 'remote'
    : localMembers.length > 0
      ? 'local'
      : (design.lxd.storagePools[0]?.name ?? null);
  if (rootPool !== null) {
    add(
      'profile:root',
      { kind: 'lxd-profile-device', device: 'root', config: { path: '/', pool: rootPool, type: 'disk' } },
      lxd.profileDevices['root'] !== undefined,
    );
  }

  // Per-member images and backups volumes on `local` (§3.5).
  const usedBy = pool('local')?.usedBy ?? [];
  for (const member of localMembers) {
    const target = member.host;
    for (const volume of ['images', 'backups']) {
      add(
        `volume:${volume}:${target}`,
        { kind: 'lxd-volume-create', pool: 'local', volume, target },
        usedBy.includes(`/1.0/storage-pools/local/volumes/custom/${volume}?target=${target}`),
      );
    }
    for (const volume of ['backups', 'images']) {
      const key = `storage.${volume}_volume`;
      add(
        `${key}:${target}`,
        { kind: 'lxd-config', key, value: `local/${volume}`, target },
        lxd.memberConfig[target]?.[key] === `local/${volume}`,
      );
    }
  }
  return { steps, skipped };
}
