// The LXD model, limited to what MicroCloud reads and writes through LXD's API (§1.1, §1.3, §3): whether LXD
// is initialised, its version, bootstrapping and joining its cluster, and the pools, networks, profile and
// volumes MicroCloud creates. An `lxc` program can later be built on the same state.

import { resolveBlockPath, stableUuid, type Machine } from './machine.js';
import { DaemonError } from './microcluster.js';
import { joinHostPort } from './net.js';
import { installedSnap } from './snapd.js';
import {
  fakeCertificate,
  nextId,
  randomSecret,
  spend,
  type ClusterState,
  type LxdClusterData,
  type World,
} from './world.js';

export const LXD_PORT = 8443;

/** The daemon version a snap revision reports (LXD ServerVersion, microcluster status version). */
export function daemonVersionOf(world: World, machine: Machine, snapName: string): string | null {
  const snap = installedSnap(machine, snapName);
  if (!snap) return null;
  for (const channel of world.state.store.channels) {
    if (channel.snap !== snapName || channel.architecture !== machine.architecture) continue;
    const revision = channel.history.find((rev) => rev.revision === snap.revision);
    if (revision) return revision.daemonVersion;
  }
  return null;
}

export function lxdCluster(world: World, machine: Machine): ClusterState | null {
  const id = machine.daemons.lxd?.clusterId;
  return id ? (world.state.clusters[id] ?? null) : null;
}

/** MicroCloud's isInitialized: clustered, or any storage pool (so `lxd init --auto` counts, §1.1). */
export function isLxdInitialized(world: World, machine: Machine): boolean {
  const daemon = machine.daemons.lxd;
  if (!daemon) return false;
  return daemon.clusterId !== null || daemon.standalonePools.length > 0;
}

/** LXD 5.21 lacks `ovn_dynamic_northbound_connection` and `storage_remote_drop_source` (§3.1 table). */
export function lxdIsLts521(version: string): boolean {
  return /^5\.21(\.|$)/.test(version);
}

/** LXD-side state of an LXD cluster, created empty on first use. */
export function lxdData(cluster: ClusterState): LxdClusterData {
  cluster.lxd ??= {
    config: {},
    memberConfig: {},
    storagePools: [],
    networks: [],
    profiles: { default: { devices: {} } },
    volumes: [],
  };
  return cluster.lxd;
}

/** MicroCloud's LXD Bootstrap: server config keys then `PUT /1.0/cluster` (mc2 service/lxd.go, §1.3). */
export async function bootstrapLxd(
  world: World,
  machine: Machine,
  ip: string,
  microcloudVersion: string,
): Promise<ClusterState> {
  const daemon = machine.daemons.lxd;
  if (!daemon) throw new DaemonError('LXD is not installed');
  const id = nextId(world, 'lxd');
  const certificate = fakeCertificate(world);
  const address = joinHostPort(ip, LXD_PORT);
  daemon.clusterId = id;
  daemon.serverName = machine.hostname;
  const cluster: ClusterState = {
    id,
    service: 'lxd',
    createdAt: world.clock.now(),
    certificatePem: certificate.pem,
    fingerprint: certificate.fingerprint,
    members: [
      {
        name: machine.hostname,
        host: machine.name,
        address,
        certificatePem: certificate.pem,
        certificateFingerprint: certificate.fingerprint,
        joinedAt: null,
      },
    ],
    tokens: [],
    ceph: null,
    ovn: null,
    lxd: null,
  };
  const data = lxdData(cluster);
  data.config['core.https_address'] = '[::]:8443';
  data.config['user.microcloud'] = microcloudVersion;
  data.config['instances.migration.stateful'] = 'true';
  data.memberConfig[machine.hostname] = { 'cluster.https_address': address };
  world.state.clusters[id] = cluster;
  await spend(world, 'lxd.bootstrap');
  (cluster.members[0] as { joinedAt: number | null }).joinedAt = world.clock.now();
  return cluster;
}

/** `POST /1.0/cluster/members` join token: base64 JSON with server_name, fingerprint, addresses (§10.5). */
export function issueLxdToken(world: World, cluster: ClusterState, name: string): string {
  const secret = randomSecret(world);
  const now = world.clock.now();
  // cluster.join_token_expiry defaults to 3H (§1.3).
  const expiresAt = now + 3 * 3_600_000;
  cluster.tokens.push({ name, secret, issuedAt: now, expiresAt });
  return Buffer.from(
    JSON.stringify({
      server_name: name,
      fingerprint: cluster.fingerprint,
      addresses: cluster.members.map((m) => m.address),
      secret,
      expires_at: new Date(expiresAt).toISOString(),
    }),
  ).toString('base64');
}

/** LXD join with a token (mc2 service/lxd_join.go): the secret must be known, unused and unexpired. */
export async function joinLxd(
  world: World,
  machine: Machine,
  cluster: ClusterState,
  token: string,
  ip: string,
): Promise<void> {
  const daemon = machine.daemons.lxd;
  if (!daemon) throw new DaemonError('LXD is not installed');
  let secret = '';
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { secret?: unknown };
    secret = typeof parsed.secret === 'string' ? parsed.secret : '';
  } catch {
    throw new DaemonError('Invalid cluster join token');
  }
  const record = cluster.tokens.find((t) => t.secret === secret && t.name === machine.hostname);
  if (!record || (record.expiresAt !== null && record.expiresAt <= world.clock.now())) {
    throw new DaemonError('Failed to join cluster: No matching cluster join token found');
  }
  cluster.tokens = cluster.tokens.filter((t) => t !== record);
  const address = joinHostPort(ip, LXD_PORT);
  const member = {
    name: machine.hostname,
    host: machine.name,
    address,
    certificatePem: cluster.certificatePem,
    certificateFingerprint: cluster.fingerprint,
    joinedAt: null as number | null,
  };
  cluster.members.push(member);
  daemon.clusterId = cluster.id;
  daemon.serverName = machine.hostname;
  lxdData(cluster).memberConfig[machine.hostname] = { 'cluster.https_address': address };
  await spend(world, 'lxd.join');
  member.joinedAt = world.clock.now();
}

/**
 * A local ZFS pool on a member's disk: the disk ends up with ZFS's two partitions (so it is no longer offered
 * anywhere, §4.2). Without `source.wipe` a disk that carries data makes zpool refuse it.
 */
export function createLocalPoolOnDisk(machine: Machine, path: string, wipe: boolean): string | null {
  const resolved = resolveBlockPath(machine, path);
  if (!resolved || resolved.partition) return `Failed to find disk "${path}"`;
  const { disk } = resolved;
  const signature =
    disk.filesystem?.type ?? disk.partitions.find((p) => p.filesystem)?.filesystem?.type ?? null;
  if (!wipe && (signature !== null || disk.partitionTable !== null)) {
    // zpool create's refusal as LXD relays it (message modelled on zpool's vdev check).
    const what = signature ? `contains a filesystem of type '${signature}'` : 'contains a partition table';
    return `Failed to run: zpool create local ${path}: exit status 1 (invalid vdev specification\nuse '-f' to override the following errors:\n${path} ${what})`;
  }
  const uuid = stableUuid(`${machine.name}/${disk.name}/zfs`);
  disk.partitionTable = 'gpt';
  disk.filesystem = null;
  disk.hasData = true;
  disk.partitions = [
    {
      name: disk.name.startsWith('nvme') ? `${disk.name}p1` : `${disk.name}1`,
      number: 1,
      major: disk.major,
      minor: disk.minor + 1,
      sizeBytes: disk.sizeBytes - 8 * 1024 * 1024 - 1024 * 1024,
      filesystem: { type: 'zfs_member', uuid, label: 'local' },
      mountpoints: [],
      readOnly: false,
    },
    {
      name: disk.name.startsWith('nvme') ? `${disk.name}p9` : `${disk.name}9`,
      number: 9,
      major: disk.major,
      minor: disk.minor + 9,
      sizeBytes: 8 * 1024 * 1024,
      filesystem: null,
      mountpoints: [],
      readOnly: false,
    },
  ];
  return null;
}
