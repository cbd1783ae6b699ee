// The world: every simulated machine plus what crosses hosts (clusters, join tokens, MicroCloud sessions, the
// snap store), and the runtime around it (clock, latencies, faults, command records).
// `World.state` is plain JSON; the rest is runtime and is not serialised.

import { createHash } from 'node:crypto';

import { defaultSnapStore, type SnapStore } from './catalog.js';
import { VirtualClock, type Clock } from './clock.js';
import { FaultPlan } from './faults.js';
import type { Machine } from './machine.js';
import type { Program } from './program.js';

// ---------------------------------------------------------------------------------------------------------
// Cross-host state.

export type ClusterService = 'microceph' | 'microovn' | 'microcloud' | 'lxd';

export interface ClusterMemberRecord {
  name: string;
  /** World key of the machine this member runs on. */
  host: string;
  /** `ip:port` (MicroCeph 7443, MicroOVN 6443, MicroCloud 9443, LXD 8443). */
  address: string;
  certificatePem: string;
  certificateFingerprint: string;
  /**
   * Modelled time the join completed; null while it is still running. The member shows as PENDING until
   * `cluster.settle` has passed after this (§11.3).
   */
  joinedAt: number | null;
}

/** A microcluster join token record: single use, bound to a name, optional expiry (§1.3, mcl tokens). */
export interface JoinTokenRecord {
  name: string;
  secret: string;
  issuedAt: number;
  expiresAt: number | null;
}

export interface OsdRecord {
  osd: number;
  /** Member (hostname) the OSD lives on, MicroCeph's `location`. */
  member: string;
  host: string;
  /** Stable path recorded by MicroCeph (by-id when available). */
  path: string;
  /** Kernel name of the whole disk, to find it again in the machine model. */
  device: string;
  encrypted: boolean;
}

export interface CephPool {
  name: string;
  size: number;
  crushRule: string;
  /** LXD's placeholder image (`lxd_<pool>`) is in it: another LXD pool already uses it (driver_ceph.go). */
  lxdPlaceholder: boolean;
}

/** A CephFS filesystem (`ceph fs new NAME META DATA`). */
export interface CephFilesystem {
  name: string;
  metaPool: string;
  dataPool: string;
}

export interface CephClusterData {
  osds: OsdRecord[];
  nextOsd: number;
  pools: CephPool[];
  /** `osd_pool_default_size`; set by `pool set-rf ""` (§3.6). */
  defaultPoolSize: number;
  /** MicroCeph cluster config (`cluster config list`): public_network, cluster_network, ... */
  config: Record<string, string>;
  /** Services per member: mon, mgr, mds (first three members), set at bootstrap/join. */
  services: { member: string; service: string }[];
  filesystems: CephFilesystem[];
  /**
   * The automatic CRUSH failure domain: MicroCeph moves it from `osd` to `host` once three members have OSDs
   * (updateFailureDomain) and back down when a disk removal leaves fewer (scaleDownFailureDomain).
   */
  failureDomain?: 'osd' | 'host';
}

export interface OvnClusterData {
  /** central (first three members), chassis, switch. */
  services: { member: string; service: string }[];
  /** ovn-encap-ip per member when an underlay IP was given (§1.3). */
  encapIp: Record<string, string>;
}

export type LxdPoolDriver = 'zfs' | 'ceph' | 'cephfs' | 'dir';
export type LxdObjectStatus = 'Pending' | 'Created' | 'Errored';

/** An LXD storage pool (lxd/db storage_pools + storage_pools_nodes + storage_pools_config). */
export interface LxdStoragePool {
  name: string;
  driver: LxdPoolDriver;
  description: string;
  status: LxdObjectStatus;
  /** Cluster-wide config. */
  config: Record<string, string>;
  /**
   * Member-specific config per member the pool is defined on (`--target`); a standalone server's own
   * entry is `none`, LXD's name for the local node before clustering.
   */
  memberConfig: Record<string, Record<string, string>>;
  /** Members where the pool exists locally (its LocalStatus is Created). */
  createdOn: string[];
}

export interface LxdNetwork {
  /** Database ID: OVN object names derive from it (lxd-net<ID>). */
  id: number;
  name: string;
  type: 'physical' | 'ovn' | 'bridge';
  description: string;
  status: LxdObjectStatus;
  config: Record<string, string>;
  memberConfig: Record<string, Record<string, string>>;
  /** Members where the network exists locally (its LocalStatus is Created). */
  createdOn: string[];
}

export interface LxdProfile {
  description: string;
  config: Record<string, string>;
  devices: Record<string, Record<string, string>>;
}

/** A custom storage volume; `member` is null on remote (Ceph) pools, `none` on a standalone server. */
export interface LxdVolume {
  pool: string;
  name: string;
  member: string | null;
  contentType: 'filesystem';
  description: string;
  config: Record<string, string>;
  createdAt: number;
}

/**
 * An LXD database: the cluster's (ClusterState.lxd) or a standalone server's own (LxdDaemon.standalone).
 * Member-local server config (core.https_address, storage.images_volume, ...) lives on each daemon.
 */
export interface LxdClusterData {
  /** Cluster-wide server config (lxd/cluster/config keys and user.*). */
  config: Record<string, string>;
  storagePools: LxdStoragePool[];
  networks: LxdNetwork[];
  profiles: Record<string, LxdProfile>;
  volumes: LxdVolume[];
  nextNetworkId: number;
  /** Members in the EVACUATED state (`lxc cluster evacuate`), until `lxc cluster restore`. */
  evacuated?: string[];
  /** Pending certificate add tokens (`lxc config trust add` without a certificate): token operations. */
  certificateTokens?: CertificateAddTokenRecord[];
  /** Projects, authorization groups and identities (lxd-auth.ts); absent until first read: default only. */
  projects?: LxdProject[];
  authGroups?: LxdAuthGroup[];
  identities?: LxdIdentity[];
}

export interface LxdProject {
  name: string;
  description: string;
  config: Record<string, string>;
}

/** api.Permission. */
export interface LxdPermission {
  entityType: string;
  url: string;
  entitlement: string;
}

export interface LxdAuthGroup {
  name: string;
  description: string;
  permissions: LxdPermission[];
}

/** An identity LXD knows: an OIDC user after their first login, or a trusted TLS client. */
export interface LxdIdentity {
  authMethod: 'oidc' | 'tls';
  /** api.IdentityType*: only OIDC clients and fine-grained TLS clients can be given groups. */
  type: string;
  identifier: string;
  name: string;
  groups: string[];
}

/** api.CertificateAddToken as the token operation holds it; expiresAt 0 means no expiry. */
export interface CertificateAddTokenRecord {
  clientName: string;
  fingerprint: string;
  addresses: string[];
  secret: string;
  expiresAt: number;
}

/** What a fresh LXD database holds: the default project's default profile (lxd/db/cluster/open.go). */
export function emptyLxdDatabase(): LxdClusterData {
  return {
    config: {},
    storagePools: [],
    networks: [],
    profiles: { default: { description: 'Default LXD profile', config: {}, devices: {} } },
    volumes: [],
    nextNetworkId: 1,
  };
}

export interface ClusterState {
  id: string;
  service: ClusterService;
  createdAt: number;
  certificatePem: string;
  /** SHA-256 of the cluster certificate: what join tokens carry (§10.7). */
  fingerprint: string;
  members: ClusterMemberRecord[];
  tokens: JoinTokenRecord[];
  ceph: CephClusterData | null;
  ovn: OvnClusterData | null;
  lxd: LxdClusterData | null;
}

export interface JoinIntent {
  name: string;
  host: string;
  address: string;
  certificateFingerprint: string;
  services: Record<string, string>;
  receivedAt: number;
}

/** A MicroCloud trust-establishment session on one host (§1.2). */
export interface MicroCloudSession {
  host: string;
  role: 'initiating' | 'joining';
  passphrase: string;
  startedAt: number;
  timeoutMs: number;
  /** Initiator: versions of its services, what joiners are validated against. */
  services: Record<string, string>;
  /** Initiator: intents received so far. */
  intents: JoinIntent[];
  failedAttempts: number;
  /** Initiator: set once the intents were confirmed; joiners wait for this. */
  confirmed: string[];
  /** Initiator: joiners that have joined the MicroCloud cluster (their sessions end successfully). */
  joined: string[];
  /** Set when the session ends; `null` message means it ended normally. */
  ended: { at: number; error: string | null } | null;
}

export interface WorldState {
  version: 1;
  /** Seed for deterministic secrets and certificates. */
  seed: string;
  idSequence: number;
  machines: Record<string, Machine>;
  clusters: Record<string, ClusterState>;
  sessions: Record<string, MicroCloudSession>;
  store: SnapStore;
  /**
   * Whether multicast between hosts works; clouds usually drop it (§9 item 1). `linkDown`: hosts whose link
   * is down (a namespace lab's cut): they have no route to anyone.
   */
  network: { multicast: boolean; linkDown: string[] };
}

// ---------------------------------------------------------------------------------------------------------
// Runtime: latencies and records.

/** Operations with a modelled duration. Programs call `spend(world, key)` at the point the work happens. */
export type LatencyKey =
  | 'command'
  | 'snap.install'
  | 'snap.refresh'
  | 'snap.connect'
  | 'snap.restart'
  | 'daemon.restart'
  | 'cluster.heartbeat'
  | 'microceph.bootstrap'
  | 'microceph.join'
  | 'microceph.disk-add'
  | 'microceph.disk-remove'
  | 'microovn.bootstrap'
  | 'microovn.join'
  | 'microcloud.bootstrap'
  | 'microcloud.join'
  | 'lxd.bootstrap'
  | 'lxd.join'
  | 'token.issue'
  | 'cluster.settle';

export type LatencyTable = Record<LatencyKey, number>;

export const ZERO_LATENCY: LatencyTable = {
  command: 0,
  'snap.install': 0,
  'snap.refresh': 0,
  'snap.connect': 0,
  'snap.restart': 0,
  'daemon.restart': 0,
  'cluster.heartbeat': 0,
  'microceph.bootstrap': 0,
  'microceph.join': 0,
  'microceph.disk-add': 0,
  'microceph.disk-remove': 0,
  'microovn.bootstrap': 0,
  'microovn.join': 0,
  'microcloud.bootstrap': 0,
  'microcloud.join': 0,
  'lxd.bootstrap': 0,
  'lxd.join': 0,
  'token.issue': 0,
  'cluster.settle': 0,
};

/** Latencies of a real small cluster, for demos and timeout tests (seconds turned into ms). */
export const REALISTIC_LATENCY: LatencyTable = {
  command: 50,
  'snap.install': 20_000,
  'snap.refresh': 15_000,
  'snap.connect': 1_000,
  'snap.restart': 3_000,
  // A refreshed LXD or microcluster daemon starts again in a few seconds; its peers hear from it at the next
  // heartbeat (LXD's interval is 10 s).
  'daemon.restart': 5_000,
  'cluster.heartbeat': 10_000,
  'microceph.bootstrap': 30_000,
  'microceph.join': 15_000,
  'microceph.disk-add': 10_000,
  'microceph.disk-remove': 10_000,
  'microovn.bootstrap': 10_000,
  'microovn.join': 8_000,
  'microcloud.bootstrap': 5_000,
  'microcloud.join': 5_000,
  'lxd.bootstrap': 5_000,
  'lxd.join': 10_000,
  'token.issue': 200,
  'cluster.settle': 3_000,
};

export interface CommandRecord {
  sequence: number;
  host: string;
  argv: string[];
  startedAt: number;
  /** null while running, or when the caller aborted a hung command. */
  finishedAt: number | null;
  exitCode: number | null;
  connectionDropped: boolean;
  /** Kinds of the faults that applied to this run. */
  faults: string[];
}

export interface ProgramEntry {
  run: Program;
  /** Snap whose installation puts the command into /snap/bin; null for OS programs. */
  snap: string | null;
  /** Absolute paths the command is reachable under (besides the bare name on PATH). */
  paths: string[];
}

export interface World {
  state: WorldState;
  clock: Clock;
  latency: LatencyTable;
  faults: FaultPlan;
  records: CommandRecord[];
  /** Extra or replacement programs, consulted before the built-in ones. */
  programs: Map<string, ProgramEntry>;
}

export interface CreateWorldOptions {
  clock?: Clock;
  latency?: Partial<LatencyTable>;
  seed?: string;
  multicast?: boolean;
  store?: SnapStore;
}

export function createWorld(machines: Machine[], options: CreateWorldOptions = {}): World {
  const clock = options.clock ?? new VirtualClock();
  const state: WorldState = {
    version: 1,
    seed: options.seed ?? 'mc-sim',
    idSequence: 0,
    machines: {},
    clusters: {},
    sessions: {},
    store: options.store ?? defaultSnapStore(clock.now()),
    network: { multicast: options.multicast ?? false, linkDown: [] },
  };
  const world: World = {
    state,
    clock,
    latency: { ...ZERO_LATENCY, ...options.latency },
    faults: new FaultPlan(),
    records: [],
    programs: new Map(),
  };
  for (const machine of machines) addMachine(world, machine);
  return world;
}

export function addMachine(world: World, machine: Machine): void {
  if (world.state.machines[machine.name]) throw new Error(`machine ${machine.name} already exists`);
  world.state.machines[machine.name] = machine;
}

export function getMachine(world: World, name: string): Machine {
  const machine = world.state.machines[name];
  if (!machine) throw new Error(`no simulated machine named ${name}`);
  return machine;
}

/** Waits for the modelled duration of an operation. */
export async function spend(world: World, key: LatencyKey, signal?: AbortSignal): Promise<void> {
  const ms = world.latency[key];
  if (ms > 0) await world.clock.sleep(ms, signal);
}

/** Deterministic hex material: same seed, same sequence of calls, same secrets in every run. */
export function nextHex(world: World, bytes: number): string {
  let out = '';
  while (out.length < bytes * 2) {
    world.state.idSequence += 1;
    out += createHash('sha256').update(`${world.state.seed}:${world.state.idSequence}`).digest('hex');
  }
  return out.slice(0, bytes * 2);
}

export function nextId(world: World, prefix: string): string {
  return `${prefix}-${nextHex(world, 6)}`;
}

/** A stand-in X.509 certificate: PEM armour around deterministic bytes; the fingerprint is SHA-256 of them. */
export function fakeCertificate(world: World): { pem: string; fingerprint: string } {
  const der = Buffer.from(nextHex(world, 96), 'hex');
  const body = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  const pem = `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
  return { pem, fingerprint: createHash('sha256').update(der).digest('hex') };
}

/** A secret like shared.RandomCryptoString: 64 hex chars. */
export function randomSecret(world: World): string {
  return nextHex(world, 32);
}

export function allMachines(world: World): Machine[] {
  return Object.values(world.state.machines);
}

/** Records of the commands one host ran, in start order. */
export function commandsOn(world: World, host: string): CommandRecord[] {
  return world.records.filter((record) => record.host === host);
}

/** The JSON-serialisable part of the world, deep-copied. */
export function snapshotState(world: World): WorldState {
  return structuredClone(world.state);
}
