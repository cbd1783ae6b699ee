// The microcluster framework shared by MicroCeph, MicroOVN and MicroCloud (§0 `mcl`): bootstrap, join
// tokens, joins, member roles and statuses. Error texts are the framework's own (canonical/microcluster v2):
// each is quoted where it is produced.

import type { MicroclusterDaemon, Machine, MicroclusterServiceName } from './machine.js';
import { hasAddress, machineWithAddress } from './machine.js';
import { joinHostPort, splitHostPort } from './net.js';
import { seenOffline } from './restart.js';
import {
  allMachines,
  fakeCertificate,
  nextId,
  randomSecret,
  spend,
  type ClusterMemberRecord,
  type ClusterState,
  type World,
} from './world.js';

/** Listen ports (§0 key facts). */
export const MICROCLUSTER_PORT: Record<MicroclusterServiceName, number> = {
  microceph: 7443,
  microovn: 6443,
  microcloud: 9443,
};

/**
 * An error whose message is exactly what the daemon returns and the CLI prints after `Error: `. `status` is
 * the HTTP status its API answers with: LXD's response.SmartError gives 500 unless the error wraps an
 * api.StatusError (canonical/lxd lxd/response/smart.go), so only the errors that carry one set it.
 */
export class DaemonError extends Error {
  constructor(
    message: string,
    readonly status = 500,
  ) {
    super(message);
    this.name = 'DaemonError';
  }
}

// mcl rest/types/database.go DatabaseNotReady / DatabaseReady status strings.
export const DATABASE_NOT_READY = 'Database is not yet initialized';
const DATABASE_READY = 'Database is online';

export function clusterOf(
  world: World,
  machine: Machine,
  service: MicroclusterServiceName,
): ClusterState | null {
  const id = machine.daemons[service]?.clusterId;
  return id ? (world.state.clusters[id] ?? null) : null;
}

/**
 * Endpoints not marked AllowedBeforeInit answer 503 with the database status before bootstrap/join
 * (mcl internal/rest/rest.go + db IsOpen), which every CLI prints verbatim.
 */
export function requireCluster(
  world: World,
  machine: Machine,
  service: MicroclusterServiceName,
): ClusterState {
  const cluster = clusterOf(world, machine, service);
  if (!cluster) throw new DaemonError(DATABASE_NOT_READY, 503);
  return cluster;
}

/** The member name this host has in the service's cluster: its hostname unless the control API named it. */
export function memberNameOf(machine: Machine, service: MicroclusterServiceName): string {
  return machine.daemons[service]?.memberName ?? machine.hostname;
}

/** A fresh, uninitialised daemon as the snap's install hook leaves it. */
export function freshDaemon(world: World): MicroclusterDaemon {
  return {
    clusterId: null,
    memberName: null,
    address: null,
    serverCertificate: fakeCertificate(world),
    startedAt: world.clock.now(),
  };
}

/** The service's daemon on this host; bootstrap and join refuse one already initialised (mcl control.go). */
function uninitialisedDaemon(machine: Machine, service: MicroclusterServiceName): MicroclusterDaemon {
  const daemon = machine.daemons[service];
  if (!daemon) throw new Error(`${service} daemon is not installed on ${machine.name}`);
  if (daemon.clusterId) throw new DaemonError(`Unable to initialize cluster: ${DATABASE_READY}`);
  return daemon;
}

/** `ip:port` the daemon will listen on; an address the host does not have cannot be bound. */
function listenAddress(machine: Machine, service: MicroclusterServiceName, ip: string): string {
  const hostPort = joinHostPort(ip, MICROCLUSTER_PORT[service]);
  // mcl internal/endpoints/network.go: "Failed to listen on https socket: %w" around Go's net.Listen error.
  if (!hasAddress(machine, ip)) {
    throw new DaemonError(
      `Failed to listen on https socket: listen tcp ${hostPort}: bind: cannot assign requested address`,
    );
  }
  return hostPort;
}

/**
 * This host's member record, not yet joined (PENDING) until its bootstrap or join has taken its time. The
 * CLIs name the member after the hostname; the control API takes any name (§1.4 caveat).
 */
function newMember(
  machine: Machine,
  daemon: MicroclusterDaemon,
  address: string,
  name: string,
): ClusterMemberRecord {
  return {
    name,
    host: machine.name,
    address,
    certificatePem: daemon.serverCertificate.pem,
    certificateFingerprint: daemon.serverCertificate.fingerprint,
    joinedAt: null,
  };
}

/** Marks the daemon as a member of the cluster (or, with null, as uninitialised again). */
function claimDaemon(
  daemon: MicroclusterDaemon,
  clusterId: string | null,
  member: ClusterMemberRecord | null,
): void {
  daemon.clusterId = clusterId;
  daemon.memberName = member?.name ?? null;
  daemon.address = member?.address ?? null;
}

export interface BootstrapResult {
  cluster: ClusterState;
  member: ClusterMemberRecord;
}

/**
 * `cluster bootstrap` / NewCluster: refuses an initialised daemon ("Unable to initialize cluster: Database is
 * online", mcl control.go) and an address the host does not have; takes `<service>.bootstrap` time.
 */
export async function bootstrapCluster(
  world: World,
  machine: Machine,
  service: MicroclusterServiceName,
  ip: string,
  signal?: AbortSignal,
  name = machine.hostname,
): Promise<BootstrapResult> {
  const daemon = uninitialisedDaemon(machine, service);
  const hostPort = listenAddress(machine, service, ip);
  // Claim the daemon before waiting so a concurrent second bootstrap sees it initialised.
  const id = nextId(world, service);
  const member = newMember(machine, daemon, hostPort, name);
  claimDaemon(daemon, id, member);
  const certificate = fakeCertificate(world);
  const cluster: ClusterState = {
    id,
    service,
    createdAt: world.clock.now(),
    certificatePem: certificate.pem,
    fingerprint: certificate.fingerprint,
    members: [member],
    tokens: [],
    ceph: null,
    ovn: null,
    lxd: null,
  };
  world.state.clusters[id] = cluster;
  try {
    await spend(world, `${service}.bootstrap`, signal);
  } catch (error) {
    delete world.state.clusters[id];
    claimDaemon(daemon, null, null);
    throw error;
  }
  member.joinedAt = world.clock.now();
  return { cluster, member };
}

interface TokenPayload {
  secret: string;
  fingerprint: string;
  join_addresses: string[];
}

/** Go's strict base64.StdEncoding decoding, with its `illegal base64 data at input byte N` error. */
export function decodeGoBase64(text: string): { ok: true; data: string } | { ok: false; error: string } {
  const alphabet = /[A-Za-z0-9+/]/;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char === '=' && i >= text.length - 2 && text.length % 4 === 0) continue;
    if (!alphabet.test(char)) return { ok: false, error: `illegal base64 data at input byte ${i}` };
  }
  if (text.length % 4 !== 0) {
    return { ok: false, error: `illegal base64 data at input byte ${text.length - (text.length % 4)}` };
  }
  return { ok: true, data: Buffer.from(text, 'base64').toString('utf8') };
}

/** mcl internal/rest/types/tokens.go DecodeToken, with Go's error texts for bad input. */
export function decodeJoinToken(
  token: string,
): { ok: true; payload: TokenPayload } | { ok: false; error: string } {
  const decoded = decodeGoBase64(token);
  if (!decoded.ok) return decoded;
  const text = decoded.data;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // encoding/json: an invalid first byte is reported as such, anything else as a truncated document.
    const first = text.trimStart()[0];
    if (first !== undefined && !/[[{"\-0-9tfn]/.test(first)) {
      return { ok: false, error: `invalid character '${first}' looking for beginning of value` };
    }
    return { ok: false, error: 'unexpected end of JSON input' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
    if (kind === 'null') return { ok: true, payload: { secret: '', fingerprint: '', join_addresses: [] } };
    return { ok: false, error: `json: cannot unmarshal ${kind} into Go value of type types.Token` };
  }
  const record = value as Record<string, unknown>;
  const payload: TokenPayload = { secret: '', fingerprint: '', join_addresses: [] };
  for (const key of ['secret', 'fingerprint'] as const) {
    const field = record[key];
    if (field === undefined || field === null) continue;
    if (typeof field !== 'string') {
      return {
        ok: false,
        error: `json: cannot unmarshal ${typeof field} into Go struct field Token.${key} of type string`,
      };
    }
    payload[key] = field;
  }
  const addresses = record['join_addresses'];
  if (Array.isArray(addresses))
    payload.join_addresses = addresses.filter((a): a is string => typeof a === 'string');
  return { ok: true, payload };
}

export function encodeJoinToken(payload: TokenPayload): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64');
}

/**
 * `cluster add NAME` / NewJoinToken: a single-use record bound to NAME with an optional expiry, and a token
 * carrying the secret, the cluster fingerprint and every member address (§10.7, mcl tokens.go).
 */
export async function issueJoinToken(
  world: World,
  machine: Machine,
  service: MicroclusterServiceName,
  name: string,
  lifetimeMs: number | null,
): Promise<string> {
  const cluster = requireCluster(world, machine, service);
  await spend(world, 'token.issue');
  const now = world.clock.now();
  // tokensPost deletes expired records first, then inserts; `name` is UNIQUE in core_token_records.
  cluster.tokens = cluster.tokens.filter((t) => t.expiresAt === null || t.expiresAt > now);
  if (cluster.tokens.some((t) => t.name === name)) {
    throw new DaemonError(
      'Failed to create "core_token_records" entry: UNIQUE constraint failed: core_token_records.name',
    );
  }
  const secret = randomSecret(world);
  cluster.tokens.push({
    name,
    secret,
    issuedAt: now,
    expiresAt: lifetimeMs === null || lifetimeMs === 0 ? null : now + lifetimeMs,
  });
  return encodeJoinToken({
    secret,
    fingerprint: cluster.fingerprint,
    join_addresses: cluster.members.map((m) => m.address),
  });
}

/** Which cluster answers at `ip:port` for this service, if any daemon listens there. */
function clusterListeningAt(
  world: World,
  service: MicroclusterServiceName,
  hostPort: string,
): ClusterState | null {
  const split = splitHostPort(hostPort);
  if (!split || split.port !== MICROCLUSTER_PORT[service]) return null;
  const target = machineWithAddress(allMachines(world), split.host);
  if (!target) return null;
  const daemon = target.daemons[service];
  if (!daemon?.clusterId || daemon.address !== joinHostPort(split.host, split.port)) return null;
  return world.state.clusters[daemon.clusterId] ?? null;
}

/**
 * `cluster join TOKEN` / JoinCluster. Tries each join address; an unreachable address or a certificate
 * that does not match the token's fingerprint is skipped silently, so a token from another cluster ends as
 * "N join attempts were unsuccessful. Last error: %!w(<nil>)" (mcl control.go joinWithToken). The existing
 * member validates the token: unknown or already used secret -> "CoreTokenRecord not found" (404), expired ->
 * "Token expired", issued for another name -> "Joining server certificate SAN does not contain join token
 * name" (mcl cluster.go clusterPost). The joiner's certificate names the member (`name`: the hostname for
 * the CLIs, the control request's name for the API), which is what the token's name is checked against.
 * The joiner's API answers with the status of the last error it wrapped (404, 409, or 500).
 */
export async function joinCluster(
  world: World,
  machine: Machine,
  service: MicroclusterServiceName,
  token: string,
  ip: string,
  signal?: AbortSignal,
  name = machine.hostname,
): Promise<BootstrapResult> {
  const daemon = uninitialisedDaemon(machine, service);
  const decoded = decodeJoinToken(token);
  if (!decoded.ok) throw new DaemonError(decoded.error);
  const hostPort = listenAddress(machine, service, ip);
  const { payload } = decoded;
  let lastError: string | null = null;
  let lastStatus = 500;
  for (const address of payload.join_addresses) {
    const cluster = clusterListeningAt(world, service, address);
    if (!cluster || cluster.fingerprint !== payload.fingerprint) continue;
    const now = world.clock.now();
    lastStatus = 500;
    if (cluster.members.some((m) => m.address === hostPort)) {
      lastError = `Remote with address "${hostPort}" exists`;
      continue;
    }
    const record = cluster.tokens.find((t) => t.secret === payload.secret);
    if (!record) {
      lastError = 'CoreTokenRecord not found';
      lastStatus = 404;
      continue;
    }
    if (record.expiresAt !== null && record.expiresAt <= now) {
      lastError = 'Token expired';
      continue;
    }
    if (record.name !== name) {
      lastError = 'Joining server certificate SAN does not contain join token name';
      continue;
    }
    if (cluster.members.some((m) => m.name === name)) {
      lastError = 'This "core_cluster_members" entry already exists';
      lastStatus = 409;
      continue;
    }
    // Accepted: the record is consumed and the member exists (PENDING) before dqlite has caught up.
    cluster.tokens = cluster.tokens.filter((t) => t !== record);
    const member = newMember(machine, daemon, hostPort, name);
    cluster.members.push(member);
    claimDaemon(daemon, cluster.id, member);
    await spend(world, `${service}.join`, signal);
    failDatabaseJoin(world, machine, service, daemon);
    member.joinedAt = world.clock.now();
    return { cluster, member };
  }
  const last = lastError ?? '%!w(<nil>)';
  throw new DaemonError(
    `${payload.join_addresses.length} join attempts were unsuccessful. Last error: ${last}`,
    lastError === null ? 500 : lastStatus,
  );
}

/**
 * A fault after the leader made the joiner's record (PENDING) and before dqlite took the joiner in: a `fail`
 * rule on `microcluster-db-join <service>` for the joiner, as when it dies or its link goes mid-join. Its
 * daemon is left uninitialised (microcluster's join fails with "Failed to join cluster: ..."), and the record
 * stays PENDING on the others for good: the heartbeat skips a pending member dqlite does not know.
 */
function failDatabaseJoin(
  world: World,
  machine: Machine,
  service: MicroclusterServiceName,
  daemon: MicroclusterDaemon,
): void {
  const failure = world.faults
    .take(machine.name, ['microcluster-db-join', service])
    .find((f) => f.kind === 'fail');
  if (failure?.kind !== 'fail') return;
  claimDaemon(daemon, null, null);
  throw new DaemonError(`Failed to join cluster: ${failure.stderr.trim() || 'injected failure'}`);
}

export interface JoinTokenListing {
  name: string;
  token: string;
  expiresAt: number | null;
}

/**
 * GET /core/1.0/tokens (mcl internal/rest/resources/tokens.go tokensGet): the records not yet expired, in
 * the database's order (`ORDER BY secret`), each as a token with the current members as join addresses.
 */
export function listJoinTokens(
  world: World,
  machine: Machine,
  service: MicroclusterServiceName,
): JoinTokenListing[] {
  const cluster = requireCluster(world, machine, service);
  const now = world.clock.now();
  return cluster.tokens
    .filter((t) => t.expiresAt === null || t.expiresAt > now)
    .sort((a, b) => (a.secret < b.secret ? -1 : a.secret > b.secret ? 1 : 0))
    .map((t) => ({
      name: t.name,
      token: encodeJoinToken({
        secret: t.secret,
        fingerprint: cluster.fingerprint,
        join_addresses: cluster.members.map((m) => m.address),
      }),
      expiresAt: t.expiresAt,
    }));
}

/**
 * DELETE /core/1.0/tokens/{name} (tokenDelete -> DeleteCoreTokenRecord): removes the record with that name,
 * expired or not; none -> 404 "CoreTokenRecord not found" (mcl cluster/token_records.mapper.go).
 */
export function revokeJoinToken(
  world: World,
  machine: Machine,
  service: MicroclusterServiceName,
  name: string,
): void {
  const cluster = requireCluster(world, machine, service);
  const before = cluster.tokens.length;
  cluster.tokens = cluster.tokens.filter((t) => t.name !== name);
  if (cluster.tokens.length === before) throw new DaemonError('CoreTokenRecord not found', 404);
}

/**
 * What the control endpoint's reverter does when an initialisation fails after the daemon started its
 * cluster (mcl internal/rest/resources/control.go: resetClusterMember, then the daemon re-executes): the
 * local state is wiped and the daemon comes back uninitialised with a new server certificate. A cluster
 * this member bootstrapped alone goes with it; members it joined elsewhere stay recorded there.
 */
export function resetDaemon(world: World, machine: Machine, service: MicroclusterServiceName): void {
  const daemon = machine.daemons[service];
  if (!daemon) return;
  const cluster = daemon.clusterId ? world.state.clusters[daemon.clusterId] : undefined;
  if (cluster && cluster.members.length === 1 && cluster.members[0]?.host === machine.name) {
    delete world.state.clusters[cluster.id];
  }
  machine.daemons[service] = freshDaemon(world);
}

export type MemberRole = 'voter' | 'stand-by' | 'spare' | 'PENDING';
export type MemberStatus = 'ONLINE' | 'UNREACHABLE' | 'NOT FOUND';

export interface MemberView {
  record: ClusterMemberRecord;
  role: MemberRole;
  status: MemberStatus;
}

/**
 * Roles as go-dqlite's role adjustment settles them (§11.3): a member is PENDING until `cluster.settle`
 * after its join; with fewer than 3 settled members only the first is a voter (the rest spare); otherwise
 * 3 voters, then 3 stand-bys, then spares, in join order.
 */
export function memberViews(world: World, cluster: ClusterState): MemberView[] {
  const now = world.clock.now();
  const settle = world.latency['cluster.settle'];
  const settled = cluster.members.filter((m) => m.joinedAt !== null && m.joinedAt + settle <= now);
  return cluster.members.map((record) => {
    let role: MemberRole = 'PENDING';
    const index = settled.indexOf(record);
    if (index >= 0) {
      if (settled.length < 3) role = index === 0 ? 'voter' : 'spare';
      else role = index < 3 ? 'voter' : index < 6 ? 'stand-by' : 'spare';
    }
    const machine = world.state.machines[record.host];
    const daemonClusterId =
      cluster.service === 'lxd'
        ? machine?.daemons.lxd?.clusterId
        : machine?.daemons[cluster.service]?.clusterId;
    const status: MemberStatus = !machine
      ? 'NOT FOUND'
      : daemonClusterId === cluster.id && !seenOffline(world, machine, cluster.service)
        ? 'ONLINE'
        : 'UNREACHABLE';
    return { record, role, status };
  });
}

const INTERNAL_EXTENSIONS = ['internal:runtime_extension_v1', 'internal:rename_core_endpoints'];

/** `cluster list -f json` element (mcl rest/types/cluster.go ClusterMember, field order as Go marshals it). */
export function memberJson(world: World, view: MemberView): Record<string, unknown> {
  const heartbeat =
    view.role === 'PENDING'
      ? '0001-01-01T00:00:00Z'
      : new Date(Math.floor(world.clock.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return {
    name: view.record.name,
    address: view.record.address,
    certificate: view.record.certificatePem,
    role: view.role,
    schema_internal_version: 7,
    schema_external_version: 3,
    last_heartbeat: heartbeat,
    status: view.status,
    extensions: INTERNAL_EXTENSIONS,
    secret: '',
  };
}

/** Table rows NAME, ADDRESS, ROLE, FINGERPRINT, STATUS (§10.7). */
export function memberRow(view: MemberView): string[] {
  return [view.record.name, view.record.address, view.role, view.record.certificateFingerprint, view.status];
}
