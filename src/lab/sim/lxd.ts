// The LXD 5.21 daemon model: its database (standalone or the cluster's), server config, listeners, cluster
// bootstrap, join tokens, member roles and removal. Storage pools, networks, profiles and the join itself
// live in lxd-storage.ts, lxd-network.ts, lxd-profiles.ts and lxd-join.ts; the `lxc`/`lxd` programs and
// MicroCloud (§1.3, §3) both drive LXD through these functions. Error messages are LXD's API errors as
// `lxc` prints them after `Error: ` (canonical/lxd tag lxd-5.21.3; each is cited where it is produced).

import { lxdApiExtensions } from './lxd-extensions.js';
import { seenOffline } from './restart.js';
import { resolveBlockPath, stableUuid, type LxdDaemon, type Machine } from './machine.js';
import { hasAddress, machineWithAddress } from './machine.js';
import { familyOf, parseIPv4, parseIPv6 } from './net.js';
import { NotModelledError } from './program.js';
import { installedSnap } from './snapd.js';
import {
  allMachines,
  emptyLxdDatabase,
  nextId,
  randomSecret,
  spend,
  type CertificateAddTokenRecord,
  type ClusterMemberRecord,
  type ClusterState,
  type LxdClusterData,
  type World,
} from './world.js';

export const LXD_PORT = 8443;

/** An LXD API error: the text `lxc` and `lxd init` print after their own prefixes. */
export class LxdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LxdError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Versions.

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

/**
 * Whether the simulator models this LXD release: the 5.21 LTS point releases and the 6.9 feature release
 * (lxd-extensions.ts has their API extensions).
 */
export function lxdReleaseModelled(version: string): boolean {
  return lxdApiExtensions(version) !== null;
}

/** How LXD prints its version: `5.21.3 LTS`, `6.9` (shared/version/flex.go: " LTS" only when IsLTSVersion). */
export function lxdVersionText(version: string): string {
  return lxdIsLts521(version) ? `${version} LTS` : version;
}

/** LXD 5.21 lacks `ovn_dynamic_northbound_connection` and `storage_remote_drop_source` (§3.1 table). */
export function lxdIsLts521(version: string): boolean {
  return /^5\.21(\.|$)/.test(version);
}

/**
 * A cluster-wide create that failed on another member, as the daemon that ran it reports it
 * (lxd/cluster/notify.go): 5.21 names the peer and its address, 6.x words it anew.
 */
export function peerNotifyError(
  world: World,
  machine: Machine,
  peer: { name: string; address: string },
  cause: string,
): LxdError {
  const version = daemonVersionOf(world, machine, 'lxd') ?? '';
  return new LxdError(
    lxdIsLts521(version)
      ? `Failed to notify peer ${peer.name} at ${peer.address}: ${cause}`
      : `Failed notifying cluster member ${JSON.stringify(peer.name)} at ${JSON.stringify(peer.address)}: ${cause}`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Daemon and database.

/** LXD's name for the local node of a server that is not clustered (lxd/db/node.go). */
export const STANDALONE_MEMBER = 'none';

export function lxdDaemonOf(machine: Machine): LxdDaemon {
  const daemon = machine.daemons.lxd;
  if (!daemon) throw new Error(`LXD is not installed on ${machine.name}`);
  return daemon;
}

export function lxdCluster(world: World, machine: Machine): ClusterState | null {
  const id = machine.daemons.lxd?.clusterId;
  return id ? (world.state.clusters[id] ?? null) : null;
}

/** The database this daemon uses: the cluster's once clustered, its own before. */
export function lxdDatabase(world: World, machine: Machine): LxdClusterData {
  const daemon = lxdDaemonOf(machine);
  const cluster = lxdCluster(world, machine);
  if (cluster) return lxdData(cluster);
  if (!daemon.standalone) throw new Error(`LXD on ${machine.name} has no database`);
  return daemon.standalone;
}

/** LXD-side state of an LXD cluster. */
export function lxdData(cluster: ClusterState): LxdClusterData {
  if (!cluster.lxd) throw new Error(`cluster ${cluster.id} has no LXD database`);
  return cluster.lxd;
}

/** The local member's name in its database: the server name when clustered, `none` before. */
export function localMemberName(machine: Machine): string {
  const daemon = lxdDaemonOf(machine);
  return daemon.clusterId !== null && daemon.serverName !== null ? daemon.serverName : STANDALONE_MEMBER;
}

export function isClustered(machine: Machine): boolean {
  return lxdDaemonOf(machine).clusterId !== null;
}

/** MicroCloud's isInitialized: clustered, or any storage pool (so `lxd init --auto` counts, §1.1). */
export function isLxdInitialized(world: World, machine: Machine): boolean {
  const daemon = machine.daemons.lxd;
  if (!daemon) return false;
  return daemon.clusterId !== null || (daemon.standalone?.storagePools.length ?? 0) > 0;
}

/** Members that finished joining; a member still joining is pending and hidden (db GetNodes). */
export function joinedMembers(cluster: ClusterState): ClusterMemberRecord[] {
  return cluster.members.filter((m) => m.joinedAt !== null);
}

/** The machine serving a cluster member; a member whose daemon left is outside the model. */
export function memberMachine(world: World, cluster: ClusterState, member: ClusterMemberRecord): Machine {
  const machine = world.state.machines[member.host];
  const daemon = machine?.daemons.lxd;
  if (!machine || daemon?.clusterId !== cluster.id) {
    throw new NotModelledError(`an offline LXD cluster member (${member.name}, its daemon is gone)`);
  }
  return machine;
}

/**
 * `?target=NAME` (forwardedResponseToNode / ResolveTarget, lxd/cluster/resolve.go): the machine of that
 * member; "Cluster member not found" (db GetNodeByName) for anything else, including on a standalone server.
 */
export function resolveTarget(world: World, machine: Machine, target: string): Machine {
  const cluster = lxdCluster(world, machine);
  if (target === localMemberName(machine)) return machine;
  const member = cluster ? joinedMembers(cluster).find((m) => m.name === target) : undefined;
  if (!cluster || !member) throw new LxdError('Cluster member not found');
  return memberMachine(world, cluster, member);
}

// ---------------------------------------------------------------------------------------------------------
// Addresses (lxd/util/net.go semantics).

/** Go's net.SplitHostPort: `[::]:8443`, `1.2.3.4:8443`, `:8443`; null when there is no port. */
export function goSplitHostPort(address: string): { host: string; port: string } | null {
  if (address.startsWith('[')) {
    const match = /^\[([^\]]*)\]:([^:]*)$/.exec(address);
    return match ? { host: match[1] ?? '', port: match[2] ?? '' } : null;
  }
  const last = address.lastIndexOf(':');
  if (last < 0) return null;
  const host = address.slice(0, last);
  if (host.includes(':')) return null;
  return { host, port: address.slice(last + 1) };
}

function goJoinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function isIp(text: string): boolean {
  return parseIPv4(text) !== null || parseIPv6(text) !== null;
}

/** util.CanonicalNetworkAddress: add the default port, bracket IPv6. */
export function canonicalNetworkAddress(address: string, defaultPort = LXD_PORT): string {
  const split = goSplitHostPort(address);
  if (!split) {
    if (isIp(address)) return goJoinHostPort(address, String(defaultPort));
    return `${address}:${defaultPort}`;
  }
  if (split.port === '' && address.endsWith(':')) return goJoinHostPort(split.host, String(defaultPort));
  return address;
}

/** util.IsWildCardAddress. */
export function isWildcardAddress(address: string): boolean {
  const split = goSplitHostPort(canonicalNetworkAddress(address));
  if (!split) return false;
  return split.host === '0.0.0.0' || split.host === '::' || split.host === '';
}

function sameIp(a: string, b: string): boolean {
  if (!isIp(a) || !isIp(b)) return false;
  if (familyOf(a) !== familyOf(b)) return false;
  if (familyOf(a) === 'inet') return parseIPv4(a) === parseIPv4(b);
  return JSON.stringify(parseIPv6(a)) === JSON.stringify(parseIPv6(b));
}

/** util.IsAddressCovered: whether listening on address2 also serves address1. */
export function isAddressCovered(address1: string, address2: string): boolean {
  const a1 = canonicalNetworkAddress(address1);
  const a2 = canonicalNetworkAddress(address2);
  if (a1 === a2) return true;
  const s1 = goSplitHostPort(a1);
  const s2 = goSplitHostPort(a2);
  if (!s1 || !s2 || s1.port !== s2.port) return false;
  if (s1.host !== '' && s2.host !== '' && isIp(s1.host) && isIp(s2.host) && sameIp(s1.host, s2.host))
    return true;
  if (s2.host === '0.0.0.0') return familyOf(s1.host) === 'inet';
  return s2.host === '::' || s2.host === '';
}

/** validate.IsListenAddress(allowDNS, allowWildcard, requirePort) (shared/validate/validate.go). */
function listenAddressError(value: string, allowWildcard: boolean): string | null {
  const split = goSplitHostPort(value);
  const host = split ? split.host : value;
  if (['', '::', '[::]', '0.0.0.0'].includes(host)) {
    return allowWildcard ? null : "Wildcard addresses aren't allowed";
  }
  if (isIp(host.replace(/^\[|\]$/g, ''))) return null;
  throw new NotModelledError('host names in LXD listen addresses (DNS resolution)');
}

/** Go's net.Listen on `address` from this machine: the bind error when the host does not have the IP. */
function bindError(machine: Machine, address: string): string | null {
  const split = goSplitHostPort(address);
  if (!split) return null;
  if (split.host === '' || split.host === '::' || split.host === '0.0.0.0') return null;
  if (hasAddress(machine, split.host)) return null;
  return `listen tcp ${address}: bind: cannot assign requested address`;
}

/** Whether this daemon's HTTPS listeners (core or cluster address) serve `hostPort` on this machine. */
export function lxdListensOn(machine: Machine, hostPort: string): boolean {
  const daemon = machine.daemons.lxd;
  if (!daemon) return false;
  const split = goSplitHostPort(hostPort);
  if (!split || !hasAddress(machine, split.host)) return false;
  return ['core.https_address', 'cluster.https_address'].some((key) => {
    const value = daemon.config[key];
    return value !== undefined && value !== '' && isAddressCovered(hostPort, value);
  });
}

/** The certificate an HTTPS client sees at `hostPort`: the cluster's when clustered. */
export function servedCertificate(world: World, machine: Machine): { pem: string; fingerprint: string } {
  const daemon = lxdDaemonOf(machine);
  const cluster = lxdCluster(world, machine);
  return cluster ? { pem: cluster.certificatePem, fingerprint: cluster.fingerprint } : daemon.certificate;
}

/** The machine whose LXD answers at `hostPort`, if any. */
export function lxdAt(world: World, hostPort: string): Machine | null {
  const split = goSplitHostPort(hostPort);
  if (!split) return null;
  const machine = machineWithAddress(allMachines(world), split.host);
  return machine && lxdListensOn(machine, hostPort) ? machine : null;
}

// ---------------------------------------------------------------------------------------------------------
// Server config (lxd/node/config.go member keys, lxd/cluster/config/config.go cluster keys).

type KeyType = 'string' | 'bool' | 'int';

interface KeySpec {
  type: KeyType;
  default: string;
  /** External validation; returns the reason or null. */
  validate?: (value: string) => string | null;
  /** Keys whose effect (a service, a remote connection) is outside the model. */
  notModelled?: string;
}

const NODE_KEYS: Record<string, KeySpec> = {
  'core.https_address': { type: 'string', default: '', validate: (v) => listenAddressError(v, true) },
  'cluster.https_address': { type: 'string', default: '', validate: (v) => listenAddressError(v, false) },
  'core.bgp_address': { type: 'string', default: '', notModelled: 'the BGP listener' },
  'core.bgp_routerid': { type: 'string', default: '', notModelled: 'the BGP listener' },
  'core.debug_address': { type: 'string', default: '', notModelled: 'the pprof listener' },
  'core.dns_address': { type: 'string', default: '', notModelled: 'the DNS listener' },
  'core.metrics_address': { type: 'string', default: '', notModelled: 'the metrics listener' },
  'core.storage_buckets_address': {
    type: 'string',
    default: '',
    notModelled: 'the storage buckets listener',
  },
  'core.syslog_socket': { type: 'bool', default: '', notModelled: 'the syslog socket' },
  'maas.machine': { type: 'string', default: '', notModelled: 'MAAS integration' },
  'storage.backups_volume': { type: 'string', default: '' },
  'storage.images_volume': { type: 'string', default: '' },
};

/** shared.GetExpiry's validation: space-separated `<n><S|M|H|d|w|m|y>` terms. */
function expiryError(value: string): string | null {
  const terms = value.trim() === '' ? [] : value.trim().split(' ');
  const values = new Map<string, number>();
  for (const term of terms) {
    const match = /^(\d+)(S|M|H|d|w|m|y)$/.exec(term);
    if (!match?.[2]) return 'Invalid expiry expression';
    if ((values.get(match[2]) ?? 0) > 0) return 'Invalid expiry expression';
    values.set(match[2], Number(match[1]));
  }
  return null;
}

/** shared.GetExpiry: `now` plus the expression (months and years as calendar units). */
export function expiryFrom(now: number, expression: string): number {
  const date = new Date(now);
  for (const term of expression.trim() === '' ? [] : expression.trim().split(' ')) {
    const match = /^(\d+)(S|M|H|d|w|m|y)$/.exec(term);
    if (!match) continue;
    const n = Number(match[1]);
    switch (match[2]) {
      case 'S':
        date.setUTCSeconds(date.getUTCSeconds() + n);
        break;
      case 'M':
        date.setUTCMinutes(date.getUTCMinutes() + n);
        break;
      case 'H':
        date.setUTCHours(date.getUTCHours() + n);
        break;
      case 'd':
        date.setUTCDate(date.getUTCDate() + n);
        break;
      case 'w':
        date.setUTCDate(date.getUTCDate() + 7 * n);
        break;
      case 'm':
        date.setUTCMonth(date.getUTCMonth() + n);
        break;
      case 'y':
        date.setUTCFullYear(date.getUTCFullYear() + n);
        break;
    }
  }
  return date.getTime();
}

const intOf = (value: string): number | null => (/^[-+]?\d+$/.test(value) ? Number(value) : null);

const CLUSTER_KEYS: Record<string, KeySpec> = {
  'acme.ca_url': { type: 'string', default: '', notModelled: 'ACME certificates' },
  'acme.domain': { type: 'string', default: '', notModelled: 'ACME certificates' },
  'acme.email': { type: 'string', default: '', notModelled: 'ACME certificates' },
  'acme.agree_tos': { type: 'bool', default: 'false', notModelled: 'ACME certificates' },
  'backups.compression_algorithm': { type: 'string', default: 'gzip', validate: compressionError },
  'cluster.offline_threshold': {
    type: 'int',
    default: '20',
    validate: (v) => {
      const n = intOf(v);
      if (n === null) return 'Offline threshold is not a number';
      return n <= 10 ? 'Value must be greater than 10' : null;
    },
  },
  'cluster.images_minimal_replica': {
    type: 'int',
    default: '3',
    validate: (v) => {
      const n = intOf(v);
      if (n === null) return 'Minimal image replica count is not a number';
      return n < 1 && n !== -1 ? 'Invalid value for image replica count' : null;
    },
  },
  'cluster.healing_threshold': { type: 'int', default: '0' },
  'cluster.join_token_expiry': { type: 'string', default: '3H', validate: expiryError },
  'cluster.max_voters': {
    type: 'int',
    default: '3',
    validate: (v) => {
      const n = intOf(v);
      if (n === null) return 'Value is not a number';
      return n < 3 || n % 2 !== 1 ? 'Value must be an odd number equal to or higher than 3' : null;
    },
  },
  'cluster.max_standby': {
    type: 'int',
    default: '2',
    validate: (v) => {
      const n = intOf(v);
      if (n === null) return 'Value is not a number';
      return n < 0 || n > 5 ? 'Value must be between 0 and 5' : null;
    },
  },
  'core.metrics_authentication': { type: 'bool', default: 'true' },
  'core.bgp_asn': { type: 'int', default: '0', notModelled: 'the BGP server' },
  'core.https_allowed_headers': { type: 'string', default: '' },
  'core.https_allowed_methods': { type: 'string', default: '' },
  'core.https_allowed_origin': { type: 'string', default: '' },
  'core.https_allowed_credentials': { type: 'bool', default: 'false' },
  'core.https_trusted_proxy': { type: 'string', default: '' },
  'core.proxy_http': { type: 'string', default: '' },
  'core.proxy_https': { type: 'string', default: '' },
  'core.proxy_ignore_hosts': { type: 'string', default: '' },
  'core.remote_token_expiry': {
    type: 'string',
    default: '',
    validate: (v) => (v === '' ? null : expiryError(v)),
  },
  'core.shutdown_timeout': { type: 'int', default: '5' },
  'core.trust_password': { type: 'string', default: '', notModelled: 'trust passwords' },
  'core.trust_ca_certificates': { type: 'bool', default: 'false' },
  'images.auto_update_cached': { type: 'bool', default: 'true' },
  'images.auto_update_interval': { type: 'int', default: '6' },
  'images.compression_algorithm': { type: 'string', default: 'gzip', validate: compressionError },
  'images.default_architecture': { type: 'string', default: '', notModelled: 'images' },
  'images.remote_cache_expiry': { type: 'int', default: '10' },
  'instances.nic.host_name': {
    type: 'string',
    default: '',
    validate: (v) =>
      v === '' || v === 'random' || v === 'mac' ? null : `Invalid value "${v}" (not one of [random mac])`,
  },
  'instances.placement.scriptlet': { type: 'string', default: '', notModelled: 'placement scriptlets' },
  'instances.migration.stateful': { type: 'bool', default: 'false' },
  'loki.auth.username': { type: 'string', default: '', notModelled: 'Loki' },
  'loki.auth.password': { type: 'string', default: '', notModelled: 'Loki' },
  'loki.api.ca_cert': { type: 'string', default: '', notModelled: 'Loki' },
  'loki.api.url': { type: 'string', default: '', notModelled: 'Loki' },
  'loki.instance': { type: 'string', default: '', notModelled: 'Loki' },
  'loki.labels': { type: 'string', default: '', notModelled: 'Loki' },
  'loki.loglevel': { type: 'string', default: 'info', notModelled: 'Loki' },
  'loki.types': { type: 'string', default: 'lifecycle,logging', notModelled: 'Loki' },
  'maas.api.key': { type: 'string', default: '', notModelled: 'MAAS integration' },
  'maas.api.url': { type: 'string', default: '', notModelled: 'MAAS integration' },
  'oidc.client.id': { type: 'string', default: '', notModelled: 'OIDC' },
  'oidc.issuer': { type: 'string', default: '', notModelled: 'OIDC' },
  'oidc.audience': { type: 'string', default: '', notModelled: 'OIDC' },
  'oidc.groups.claim': { type: 'string', default: '', notModelled: 'OIDC' },
  'network.ovn.integration_bridge': { type: 'string', default: 'br-int' },
  'network.ovn.northbound_connection': { type: 'string', default: 'unix:/var/run/ovn/ovnnb_db.sock' },
  'network.ovn.ca_cert': { type: 'string', default: '' },
  'network.ovn.client_cert': { type: 'string', default: '' },
  'network.ovn.client_key': { type: 'string', default: '' },
};

/** validate.IsCompressionAlgorithm checks the tool exists; the snap ships these. */
function compressionError(value: string): string | null {
  const tool = value.split(' ')[0] ?? '';
  if (['gzip', 'bzip2', 'xz', 'lzma', 'zstd', 'lz4', 'none', 'squashfs'].includes(tool)) return null;
  throw new NotModelledError(`compression algorithm "${value}"`);
}

const BOOLEANS = ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'];

/** config.Error / ErrorList texts (lxd/config/errors.go). */
function configErrorList(errors: { name: string; value: string; reason: string }[]): LxdError {
  const sorted = [...errors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const first = sorted[0] as { name: string; value: string; reason: string };
  const text = `Cannot set ${JSON.stringify(first.name)} to ${JSON.stringify(first.value)}: ${first.reason}`;
  return new LxdError(sorted.length > 1 ? `${text} (and ${sorted.length - 1} more errors)` : text);
}

/** config.Map set(): validation per key type; returns the reason or null. */
function keyError(spec: KeySpec, value: string): string | null {
  const effective = value === '' ? spec.default : value;
  if (value !== '') {
    if (spec.type === 'bool' && !BOOLEANS.includes(value.toLowerCase())) return 'Invalid boolean';
    if (spec.type === 'int' && intOf(value) === null) return 'Invalid integer';
  }
  return spec.validate ? spec.validate(effective) : null;
}

function normalized(spec: KeySpec | undefined, value: string): string {
  if (spec?.type !== 'bool') return value;
  return ['true', '1', 'yes', 'on'].includes(value.toLowerCase()) ? 'true' : 'false';
}

/**
 * Applies key=value changes to a config map the way config.Map.update does; '' unsets. Returns the keys
 * that changed, or the error list.
 */
function applyConfig(
  target: Record<string, string>,
  schema: Record<string, KeySpec>,
  changes: Record<string, string>,
): { changed: string[]; errors: { name: string; value: string; reason: string }[] } {
  const errors: { name: string; value: string; reason: string }[] = [];
  const updates: [string, string][] = [];
  for (const [name, value] of Object.entries(changes)) {
    if (name.startsWith('user.')) {
      if (![...name.slice(5)].every((c) => /[\p{L}\p{N}\p{P}]/u.test(c))) {
        errors.push({ name, value, reason: 'Invalid key name' });
        continue;
      }
      if ((target[name] ?? '') !== value) updates.push([name, value]);
      continue;
    }
    const spec = schema[name];
    if (!spec) {
      errors.push({ name, value, reason: 'Unknown key' });
      continue;
    }
    if (spec.notModelled && value !== '') throw new NotModelledError(`${name} (${spec.notModelled})`);
    const reason = keyError(spec, value);
    if (reason !== null) {
      errors.push({ name, value, reason });
      continue;
    }
    const effective = value === '' ? spec.default : value;
    const current = target[name] ?? spec.default;
    if (normalized(spec, effective) === normalized(spec, current)) continue;
    updates.push([name, effective === spec.default ? '' : effective]);
  }
  if (errors.length > 0) return { changed: [], errors };
  for (const [name, value] of updates) {
    if (value === '') delete target[name];
    else target[name] = value;
  }
  return { changed: updates.map(([name]) => name).sort(), errors };
}

/** GET /1.0 `config`: the member's own keys plus the cluster-wide ones (daemonConfigRender). */
export function serverConfigOf(world: World, machine: Machine): Record<string, string> {
  const daemon = lxdDaemonOf(machine);
  return { ...daemon.config, ...lxdDatabase(world, machine).config };
}

/**
 * PATCH-like update of the server config (doAPI10Update): member keys first, then cluster keys, then the
 * listeners for core/cluster addresses; a listener that cannot bind undoes the change. storage.*_volume
 * must name an existing custom volume of this member.
 */
export function updateServerConfig(world: World, machine: Machine, changes: Record<string, string>): void {
  const daemon = lxdDaemonOf(machine);
  const database = lxdDatabase(world, machine);
  const nodeChanges: Record<string, string> = {};
  const clusterChanges: Record<string, string> = {};
  for (const [key, value] of Object.entries(changes)) {
    if (key in NODE_KEYS) nodeChanges[key] = value;
    else clusterChanges[key] = value;
  }
  if (daemon.clusterId !== null && 'cluster.https_address' in nodeChanges) {
    if ((daemon.config['cluster.https_address'] ?? '') !== nodeChanges['cluster.https_address']) {
      throw new LxdError('Changing cluster.https_address is currently not supported');
    }
  }
  for (const key of ['storage.backups_volume', 'storage.images_volume'] as const) {
    const value = nodeChanges[key];
    if (value === undefined || value === '' || value === daemon.config[key]) continue;
    const problem = daemonStorageError(world, machine, value);
    if (problem) throw new LxdError(`Failed validation of ${JSON.stringify(key)}: ${problem}`);
  }
  const oldNode = { ...daemon.config };
  const oldCluster = { ...database.config };
  const node = applyConfig(daemon.config, NODE_KEYS, nodeChanges);
  if (node.errors.length > 0) throw configErrorList(node.errors);
  const cluster = applyConfig(database.config, CLUSTER_KEYS, clusterChanges);
  if (cluster.errors.length > 0) {
    daemon.config = oldNode;
    throw configErrorList(cluster.errors);
  }
  // doAPI10UpdateTriggers: core.https_address before cluster.https_address (lxd/endpoints/network.go).
  const revert = (): void => {
    daemon.config = oldNode;
    database.config = oldCluster;
  };
  if (node.changed.includes('core.https_address')) {
    const value = daemon.config['core.https_address'] ?? '';
    if (value !== '') {
      const address = canonicalNetworkAddress(value);
      const problem = bindError(machine, address);
      if (problem) {
        revert();
        throw new LxdError(`Cannot listen on network HTTPS socket ${JSON.stringify(address)}: ${problem}`);
      }
    }
  }
  if (node.changed.includes('cluster.https_address')) {
    const value = daemon.config['cluster.https_address'] ?? '';
    const core = daemon.config['core.https_address'] ?? '';
    if (value !== '' && !(core !== '' && isAddressCovered(value, core))) {
      const address = canonicalNetworkAddress(value);
      const problem = bindError(machine, address);
      if (problem) {
        revert();
        throw new LxdError(`Cannot listen on cluster HTTPS socket ${JSON.stringify(address)}: ${problem}`);
      }
    }
  }
}

/** daemonStorageValidate (lxd/daemon_storage.go): `pool/volume` naming an existing custom volume here. */
function daemonStorageError(world: World, machine: Machine, target: string): string | null {
  const [poolName = '', volumeName = ''] = target.split('/', 2);
  if (!target.includes('/')) return 'Invalid syntax, expecting "<pool>/<volume>"';
  const database = lxdDatabase(world, machine);
  const pool = database.storagePools.find((p) => p.name === poolName);
  if (!pool) return `Unable to load storage pool ${JSON.stringify(poolName)}: Storage pool not found`;
  const member = localMemberName(machine);
  const volume = database.volumes.find(
    (v) => v.pool === poolName && v.name === volumeName && (v.member === null || v.member === member),
  );
  if (!volume) {
    return `Failed loading storage volume ${JSON.stringify(target)} in "default" project: Storage volume not found`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Cluster bootstrap (clusterPutBootstrap, lxd/api_cluster.go).

/** PUT /1.0/cluster server-name checks shared by bootstrap and join (clusterPut). */
export function checkServerName(serverName: string, enabled: boolean): void {
  if (serverName === '' && enabled) throw new LxdError('ServerName is required when enabling clustering');
  if (serverName !== '' && !enabled) throw new LxdError('ServerName must be empty when disabling clustering');
  if (serverName.startsWith('@')) throw new LxdError('ServerName may not start with "@"');
  if (serverName === 'none') throw new LxdError('ServerName cannot be "none"');
}

/**
 * Turns this standalone server into the first member of a new cluster named `serverName`: its database
 * (pools, networks, profiles) becomes the cluster's, the local node `none` is renamed, and its certificate
 * becomes the cluster certificate. cluster.https_address defaults to core.https_address, which must not
 * be a wildcard then (the message quotes the empty cluster address, as LXD does). Takes `lxd.bootstrap`.
 */
export async function bootstrapLxdCluster(
  world: World,
  machine: Machine,
  serverName: string,
  signal?: AbortSignal,
): Promise<ClusterState> {
  const daemon = lxdDaemonOf(machine);
  checkServerName(serverName, true);
  let clusterAddress = daemon.config['cluster.https_address'] ?? '';
  if (clusterAddress === '') {
    const core = daemon.config['core.https_address'] ?? '';
    if (isWildcardAddress(core)) {
      throw new LxdError(
        'Cannot use wildcard core.https_address "" for cluster.https_address. Please specify a new cluster.https_address or core.https_address',
      );
    }
    daemon.config['cluster.https_address'] = core;
    clusterAddress = core;
  }
  const database = daemon.standalone;
  if (!database) throw new LxdError('This server is already clustered');
  const id = nextId(world, 'lxd');
  const member: ClusterMemberRecord = {
    name: serverName,
    host: machine.name,
    address: canonicalNetworkAddress(clusterAddress),
    certificatePem: daemon.certificate.pem,
    certificateFingerprint: daemon.certificate.fingerprint,
    joinedAt: null,
  };
  renameMember(database, STANDALONE_MEMBER, serverName);
  const cluster: ClusterState = {
    id,
    service: 'lxd',
    createdAt: world.clock.now(),
    certificatePem: daemon.certificate.pem,
    fingerprint: daemon.certificate.fingerprint,
    members: [member],
    tokens: [],
    ceph: null,
    ovn: null,
    lxd: database,
  };
  world.state.clusters[id] = cluster;
  daemon.clusterId = id;
  daemon.serverName = serverName;
  daemon.standalone = null;
  await spend(world, 'lxd.bootstrap', signal);
  member.joinedAt = world.clock.now();
  return cluster;
}

/** Re-keys member-specific entries (the standalone node `none` becomes the member name). */
function renameMember(database: LxdClusterData, from: string, to: string): void {
  for (const object of [...database.storagePools, ...database.networks]) {
    const entry = object.memberConfig[from];
    if (entry) {
      object.memberConfig[to] = entry;
      delete object.memberConfig[from];
    }
    object.createdOn = object.createdOn.map((m) => (m === from ? to : m));
  }
  for (const volume of database.volumes) if (volume.member === from) volume.member = to;
}

// ---------------------------------------------------------------------------------------------------------
// Join tokens (clusterNodesPost; api.ClusterMemberJoinToken, §10.5).

/** Go's time.Time JSON (RFC 3339 with nanoseconds, trailing zeros trimmed), in UTC. */
export function goTimeJson(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.(\d{3})Z$/, (_m, frac: string) => {
    const trimmed = frac.replace(/0+$/, '');
    return trimmed === '' ? 'Z' : `.${trimmed}Z`;
  });
}

/**
 * `lxc cluster add NAME`: a single-use token for NAME carrying the cluster fingerprint, the addresses of
 * the members and an expiry from cluster.join_token_expiry (default 3H). A new token for the same name
 * replaces the old one.
 */
export async function issueLxdJoinToken(world: World, machine: Machine, name: string): Promise<string> {
  const cluster = lxdCluster(world, machine);
  if (!cluster) throw new LxdError('This server is not clustered');
  if (name === 'none') throw new LxdError('Join token name cannot be "none"');
  const data = lxdData(cluster);
  await spend(world, 'token.issue');
  const now = world.clock.now();
  const expiresAt = expiryFrom(now, data.config['cluster.join_token_expiry'] ?? '3H');
  cluster.tokens = cluster.tokens.filter((t) => t.name !== name);
  const secret = randomSecret(world);
  cluster.tokens.push({ name, secret, issuedAt: now, expiresAt });
  return encodeLxdJoinToken({
    server_name: name,
    fingerprint: cluster.fingerprint,
    addresses: joinedMembers(cluster).map((m) => m.address),
    secret,
    expires_at: goTimeJson(expiresAt),
  });
}

/**
 * POST /1.0/certificates with token=true (lxd/certificates.go): the name must not start with a hyphen or
 * hold a slash, and the server must listen on the network. Each call is a new operation, even for a name
 * that already has one: nothing is de-duplicated. Expiry from core.remote_token_expiry (none by default).
 */
export function issueCertificateAddToken(
  world: World,
  machine: Machine,
  name: string,
): { token: string; record: CertificateAddTokenRecord } {
  if (name.startsWith('-') || name.includes('/'))
    throw new LxdError(
      `Invalid certificate name ${JSON.stringify(name)}, name must not start with a hyphen or contain forward slashes`,
    );
  const config = serverConfigOf(world, machine);
  const listen = config['core.https_address'] ?? '';
  if (listen === '') throw new LxdError("Can't issue token when server isn't listening on network");
  const cluster = lxdCluster(world, machine);
  const data = lxdDatabase(world, machine);
  const expiry = config['core.remote_token_expiry'] ?? '';
  const now = world.clock.now();
  const record: CertificateAddTokenRecord = {
    clientName: name,
    fingerprint: cluster ? cluster.fingerprint : lxdDaemonOf(machine).certificate.fingerprint,
    addresses: cluster ? joinedMembers(cluster).map((m) => m.address) : [listen],
    secret: randomSecret(world),
    expiresAt: expiry === '' ? 0 : expiryFrom(now, expiry),
  };
  data.certificateTokens = [...(data.certificateTokens ?? []), record];
  return { token: encodeCertificateAddToken(record), record };
}

/** The pending certificate add tokens that have not expired. */
export function certificateAddTokens(world: World, machine: Machine): CertificateAddTokenRecord[] {
  const now = world.clock.now();
  return (lxdDatabase(world, machine).certificateTokens ?? []).filter(
    (t) => t.expiresAt === 0 || t.expiresAt > now,
  );
}

/** api.CertificateAddToken.String(): base64 of its JSON (a zero expiry is Go's zero time). */
export function encodeCertificateAddToken(record: CertificateAddTokenRecord): string {
  const json = JSON.stringify({
    client_name: record.clientName,
    fingerprint: record.fingerprint,
    addresses: record.addresses,
    secret: record.secret,
    expires_at: record.expiresAt === 0 ? '0001-01-01T00:00:00Z' : goTimeJson(record.expiresAt),
    type: '',
  });
  return Buffer.from(json).toString('base64');
}

export interface LxdJoinToken {
  server_name: string;
  fingerprint: string;
  addresses: string[];
  secret: string;
  expires_at: string;
}

export function encodeLxdJoinToken(token: LxdJoinToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64');
}

/** shared.JoinTokenDecode with Go's decoder errors and LXD's field checks. */
export function decodeLxdJoinToken(text: string): LxdJoinToken {
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char === '=' && i >= text.length - 2 && text.length % 4 === 0) continue;
    if (!/[A-Za-z0-9+/]/.test(char)) throw new LxdError(`illegal base64 data at input byte ${i}`);
  }
  if (text.length % 4 !== 0) {
    throw new LxdError(`illegal base64 data at input byte ${text.length - (text.length % 4)}`);
  }
  const json = Buffer.from(text, 'base64').toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    const first = json.trimStart()[0];
    if (first !== undefined && !/[[{"\-0-9tfn]/.test(first))
      throw new LxdError(`invalid character '${first}' looking for beginning of value`);
    throw new LxdError('unexpected end of JSON input');
  }
  const record = typeof value === 'object' && value !== null && !Array.isArray(value) ? value : null;
  if (record === null && value !== null) {
    const kind = Array.isArray(value) ? 'array' : typeof value;
    throw new LxdError(`json: cannot unmarshal ${kind} into Go value of type api.ClusterMemberJoinToken`);
  }
  const fields = (record ?? {}) as Record<string, unknown>;
  const str = (key: string): string => {
    const field = fields[key];
    if (field === undefined || field === null) return '';
    if (typeof field !== 'string') {
      throw new LxdError(
        `json: cannot unmarshal ${typeof field} into Go struct field ClusterMemberJoinToken.${key} of type string`,
      );
    }
    return field;
  };
  const token: LxdJoinToken = {
    server_name: str('server_name'),
    fingerprint: str('fingerprint'),
    addresses: Array.isArray(fields['addresses'])
      ? fields['addresses'].filter((a): a is string => typeof a === 'string')
      : [],
    secret: str('secret'),
    expires_at: str('expires_at'),
  };
  if (token.server_name === '') throw new LxdError('No server name in join token');
  if (token.addresses.length < 1) throw new LxdError('No cluster member addresses in join token');
  if (token.secret === '') throw new LxdError('No secret in join token');
  if (token.fingerprint === '') throw new LxdError('No certificate fingerprint in join token');
  return token;
}

// ---------------------------------------------------------------------------------------------------------
// Members and roles.

export type LxdRaftRole = 'voter' | 'stand-by' | 'spare';

export interface LxdMemberView {
  record: ClusterMemberRecord;
  machine: Machine;
  roles: string[];
  database: boolean;
  evacuated: boolean;
  /** The member's last heartbeat while its peers see it Offline (a restart after a refresh), else null. */
  lastHeartbeat: number | null;
}

/**
 * Raft roles as LXD assigns them: at accept time (cluster.Accept) the joiner becomes a voter when the
 * cluster has more than one member and fewer than cluster.max_voters voters, else a stand-by up to
 * cluster.max_standby, else a spare; once `cluster.settle` has passed the leader's rebalance gives the
 * first max_voters members votes and the next max_standby stand-by (go-dqlite RolesChanges.Adjust keeps a
 * single voter below three members). The bootstrap member is the leader.
 */
/** A restarting member's last heartbeat went out when its daemon stopped (restart.ts). */
function lastHeartbeatWhileOffline(world: World, machine: Machine): number | null {
  const daemon = machine.daemons.lxd;
  if (!daemon?.backAt || !seenOffline(world, machine, 'lxd')) return null;
  return daemon.backAt - world.latency['daemon.restart'];
}

export function lxdMemberViews(world: World, cluster: ClusterState): LxdMemberView[] {
  const data = lxdData(cluster);
  const maxVoters = Number(data.config['cluster.max_voters'] ?? '3');
  const maxStandby = Number(data.config['cluster.max_standby'] ?? '2');
  const now = world.clock.now();
  const settle = world.latency['cluster.settle'];
  const joined = joinedMembers(cluster);
  // The leader rebalances after each join has settled: members up to the last settled one get the
  // rebalanced layout, later ones keep the role they were accepted with.
  let lastSettled = 0;
  joined.forEach((member, index) => {
    if ((member.joinedAt as number) + settle <= now) lastSettled = Math.max(lastSettled, index);
  });
  const size = lastSettled + 1;
  const roles: LxdRaftRole[] = [];
  joined.forEach((_member, index) => {
    if (index <= lastSettled) {
      if (size < 3) roles.push(index === 0 ? 'voter' : 'stand-by');
      else roles.push(index < maxVoters ? 'voter' : index < maxVoters + maxStandby ? 'stand-by' : 'spare');
      return;
    }
    const voters = roles.filter((r) => r === 'voter').length;
    const standbys = roles.filter((r) => r === 'stand-by').length;
    roles.push(index > 1 && voters < maxVoters ? 'voter' : standbys < maxStandby ? 'stand-by' : 'spare');
  });
  return joined.map((record, index) => {
    const machine = memberMachine(world, cluster, record);
    const role = roles[index] ?? 'spare';
    const names: string[] = [];
    if (index === 0) names.push('database-leader');
    if (role === 'voter') names.push('database');
    if (role === 'stand-by') names.push('database-standby');
    return {
      record,
      machine,
      roles: names,
      database: names.length > 0,
      evacuated: (data.evacuated ?? []).includes(record.name),
      lastHeartbeat: lastHeartbeatWhileOffline(world, machine),
    };
  });
}

/**
 * `lxc cluster evacuate|restore NAME` (POST /1.0/cluster/members/NAME/state, lxd/api_cluster.go
 * evacuateClusterSetState): the member's state flips, or the request fails when it already is in it. No
 * instances are modelled, so there is nothing to stop or migrate and the operation ends at once.
 */
export function setLxdMemberEvacuated(
  world: World,
  machine: Machine,
  name: string,
  evacuated: boolean,
): void {
  // ResolveTarget looks the name up in the database: a standalone server has no such member either.
  const cluster = lxdCluster(world, machine);
  if (!cluster || !joinedMembers(cluster).some((m) => m.name === name))
    throw new LxdError('Cluster member not found');
  const data = lxdData(cluster);
  const current = data.evacuated ?? [];
  if (current.includes(name) === evacuated)
    throw new LxdError(
      evacuated ? 'Cluster member is already evacuated' : 'Cluster member is already restored',
    );
  data.evacuated = evacuated ? [...current, name] : current.filter((m) => m !== name);
}

/**
 * `lxc cluster remove NAME` (clusterNodeDelete without force): the member must have no custom volumes
 * on local pools and must not be the last one; its member-specific pool/network entries go, and its
 * daemon is reset to a fresh, unclustered LXD (clusterPutDisable).
 */
export function removeLxdMember(world: World, machine: Machine, name: string): void {
  const cluster = lxdCluster(world, machine);
  if (!cluster) throw new LxdError('Server is not clustered');
  const data = lxdData(cluster);
  const member = joinedMembers(cluster).find((m) => m.name === name);
  if (!member) throw new LxdError('Cluster member not found');
  const localPools = new Set(
    data.storagePools.filter((p) => p.driver !== 'ceph' && p.driver !== 'cephfs').map((p) => p.name),
  );
  const volumes = data.volumes.filter((v) => v.member === name && localPools.has(v.pool)).map((v) => v.name);
  if (volumes.length > 0)
    throw new LxdError(`Node still has the following custom volumes: ${volumes.join(', ')}`);
  if (joinedMembers(cluster).length === 1) throw new LxdError('Member is the only member in the cluster');
  const target = memberMachine(world, cluster, member);
  for (const object of [...data.storagePools, ...data.networks]) {
    delete object.memberConfig[name];
    object.createdOn = object.createdOn.filter((m) => m !== name);
  }
  cluster.members = cluster.members.filter((m) => m !== member);
  const daemon = lxdDaemonOf(target);
  target.daemons.lxd = {
    clusterId: null,
    serverName: null,
    config: {},
    standalone: emptyLxdDatabase(),
    certificate: daemon.certificate,
    clientConfigured: daemon.clientConfigured,
    startedAt: world.clock.now(),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Local ZFS pools on disks (zpool create as LXD's zfs driver runs it).

/**
 * A ZFS pool named `zpoolName` on a member's disk: the disk ends up with ZFS's two partitions (so it is no
 * longer offered anywhere, §4.2). Without `wipe` a disk that carries data makes zpool refuse it; LXD
 * relays zpool's stderr in its RunCommand error (shared/util.go RunError), with `-f` when wiping.
 */
export function createLocalPoolOnDisk(
  machine: Machine,
  path: string,
  wipe: boolean,
  zpoolName = 'local',
): string | null {
  const resolved = resolveBlockPath(machine, path);
  const command = `zpool create${wipe ? ' -f' : ''} -m none -O compression=on ${zpoolName} ${path}`;
  if (!resolved) {
    return `Failed to run: ${command}: exit status 1 (cannot open '${path}': no such device in /dev\nmust be a full path or shorthand device name)`;
  }
  if (resolved.partition) throw new NotModelledError('ZFS pools on partitions');
  const { disk } = resolved;
  const signature =
    disk.filesystem?.type ?? disk.partitions.find((p) => p.filesystem)?.filesystem?.type ?? null;
  if (!wipe && (signature !== null || disk.partitionTable !== null)) {
    // zpool's vdev check (message modelled on zpool's "use '-f' to override" output).
    const what = signature ? `contains a filesystem of type '${signature}'` : 'contains a partition table';
    return `Failed to run: ${command}: exit status 1 (invalid vdev specification\nuse '-f' to override the following errors:\n${path} ${what})`;
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
      filesystem: { type: 'zfs_member', uuid, label: zpoolName },
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
