// The HTTP API a microcluster daemon (MicroCeph, MicroOVN, the MicroCloud daemon) serves on its unix control
// socket, for the endpoints a deploy tool drives directly (§1.4 caveat): POST /core/control (bootstrap or
// join), and /core/1.0/tokens (issue, list) and /core/1.0/tokens/{name} (revoke). Every change goes through
// the same model functions as the CLIs (microcluster.ts, ceph.ts, ovn.ts), so latencies, faults, records,
// roles and PENDING settling are the same.
//
// Sources (canonical/microcluster branch v2, the framework of MicroCloud 2, MicroCeph squid, MicroOVN 24.03):
// - internal/rest/types/server.go: ControlEndpoint "core/control", PublicEndpoint "core/1.0";
// - internal/rest/types/control.go: Control {bootstrap, config, join_token, address (AddrPort), name};
// - internal/rest/resources/control.go controlPost: "Unable to initialize cluster: <db status>", decode ->
//   400, "Invalid options - received join token and bootstrap flag", ValidateFQDN(name) -> 400, the join via
//   joinWithToken ("%d join attempts were unsuccessful. Last error: %w"), StartAPI, and a reverter that
//   resets the member when initialisation fails;
// - internal/rest/types/tokens.go: TokenRequest {name, expire_after: time.Duration, JSON integer ns},
//   TokenRecord {name, token, expires_at};
// - internal/rest/resources/tokens.go: tokensPost (FQDN check, expired records deleted, insert; response
//   metadata is the token string), tokensGet (records not expired), tokenDelete;
// - internal/rest/rest.go HandleEndpoint: endpoints not AllowedBeforeInit answer 503 with the database status
//   before anything else; a method without handler answers 501 "not implemented";
// - rest/types/addrport.go + Go's netip.ParseAddrPort for `address`;
// - canonical/lxd lxd/response (the version microcluster v2 pins): the sync envelope {type, status,
//   status_code, operation, error_code, error, metadata} written by json.Encoder without HTML escaping, the
//   error envelope written by json.Encoder (HTML-escaped) and then fmt.Fprintln (so it ends in two newlines);
//   SmartError: 500 unless the error wraps an api.StatusError.
// Services' hooks: MicroCeph v19.2.0+squid microceph/ceph/bootstrap.go (prepareCephBootstrapData on the
// MonIp/PublicNet/ClusterNet keys of common/bootstrap.go, run as the post-bootstrap hook); MicroOVN 24.03
// microovn/ovn/bootstrap.go and join.go (`ovn-encap-ip`); MicroCloud 2.1.x cmd/microcloudd/main.go.

import { afterCephBootstrap, afterCephJoin } from './ceph.js';
import {
  decodeGoStruct,
  goJsonEncode,
  goJsonString,
  goQuote,
  parseAddrPort,
  type AddrPort,
} from './go-json.js';
import { bindConflict, tcpListeners } from './listeners.js';
import { goTimeJson } from './lxd.js';
import { hasAddress, machineAddresses, type Machine, type MicroclusterServiceName } from './machine.js';
import {
  DaemonError,
  MICROCLUSTER_PORT,
  bootstrapCluster,
  issueJoinToken,
  joinCluster,
  listJoinTokens,
  requireCluster,
  resetDaemon,
  revokeJoinToken,
} from './microcluster.js';
import { canonicalIp, cidrContains, isGlobalUnicast, joinHostPort, parseCidr } from './net.js';
import { afterOvnMemberAdded } from './ovn.js';
import { NotModelledError } from './program.js';
import type { World } from './world.js';

export interface ApiRequest {
  method: string;
  /** The request path as sent (percent-encoded), without query. */
  path: string;
  body: string;
}

export type ApiOutcome =
  | { kind: 'response'; status: number; body: string }
  /** The handler panicked: net/http closes the connection without a response. */
  | { kind: 'empty-reply' };

/** response.SyncResponse(true, metadata) / EmptySyncResponse (metadata `{}`). */
function sync(metadata: unknown): ApiOutcome {
  const body = `{"type":"sync","status":"Success","status_code":200,"operation":"","error_code":0,"error":"","metadata":${goJsonEncode(metadata, false)}}\n`;
  return { kind: 'response', status: 200, body };
}

/** An errorResponse: json.Encoder (HTML-escaped, newline) then fmt.Fprintln (another newline). */
export function apiError(status: number, message: string): ApiOutcome {
  const body = `{"type":"error","status":"","status_code":0,"operation":"","error_code":${status},"error":${goJsonString(message, true)},"metadata":null}\n\n`;
  return { kind: 'response', status, body };
}

function fromDaemonError(error: unknown): ApiOutcome {
  if (error instanceof DaemonError) return apiError(error.status, error.message);
  throw error;
}

// ---------------------------------------------------------------------------------------------------------
// Validation helpers.

/** LXD shared/validate IsHostname, per label. */
function hostnameProblem(label: string): string | null {
  if (Buffer.byteLength(label) < 1 || Buffer.byteLength(label) > 63)
    return 'Name must be 1-63 characters long';
  if (label.startsWith('-')) return 'Name must not start with "-" character';
  if (label.endsWith('-')) return 'Name must not end with "-" character';
  if (/^\d+$/.test(label) && BigInt(label) <= 2n ** 64n - 1n) return 'Name cannot be a number';
  if (!/^[-a-zA-Z0-9]+$/.test(label)) return 'Name can only contain alphanumeric and hyphen characters';
  return null;
}

/** mcl internal/utils/validation.go ValidateFQDN (a 400 error). */
function fqdnProblem(name: string): string | null {
  if (Buffer.byteLength(name) < 1 || Buffer.byteLength(name) > 255)
    return 'Name must be 1-255 characters long';
  for (const label of name.split('.')) {
    const problem = hostnameProblem(label);
    if (problem) return problem;
  }
  return null;
}

/** Go's url.PathUnescape: %XX bytes decoded, anything else kept (`+` too). */
function pathUnescape(text: string): { ok: true; value: string } | { ok: false; error: string } {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char !== '%') {
      bytes.push(...Buffer.from(char));
      continue;
    }
    const hex = text.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex))
      return { ok: false, error: `invalid URL escape ${goQuote(text.slice(i, i + 3))}` };
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  return { ok: true, value: Buffer.from(bytes).toString('utf8') };
}

/** types.AddrPort's UnmarshalJSON: a string, empty for none, else what netip.ParseAddrPort accepts. */
const ADDR_PORT = {
  kind: 'stringUnmarshaler',
  parse: (text: string): string | null => {
    if (text === '') return null;
    const parsed = parseAddrPort(text);
    return parsed.ok ? null : parsed.error;
  },
} as const;

const CONTROL = {
  goType: 'types.Control',
  fields: {
    bootstrap: { kind: 'bool' },
    config: { kind: 'stringMap' },
    join_token: { kind: 'string' },
    address: ADDR_PORT,
    name: { kind: 'string' },
  },
} as const;

const TOKEN_REQUEST = {
  goType: 'types.TokenRequest',
  fields: { name: { kind: 'string' }, expire_after: { kind: 'duration' } },
} as const;

// ---------------------------------------------------------------------------------------------------------
// MicroCeph's post-bootstrap data (v19.2.0+squid microceph/ceph/bootstrap.go prepareCephBootstrapData and
// microceph/common/network.go).

function globalAddresses(machine: Machine): { ip: string; prefix: number }[] {
  return machineAddresses(machine)
    .filter(({ assignment }) => isGlobalUnicast(assignment.address))
    .map(({ assignment }) => ({ ip: assignment.address, prefix: assignment.prefix }));
}

function findIpOnSubnet(
  machine: Machine,
  subnet: string,
): { ok: true; ip: string } | { ok: false; error: string } {
  const cidr = parseCidr(subnet);
  if (!cidr) return { ok: false, error: `invalid CIDR address: ${subnet}` };
  const found = globalAddresses(machine).find(({ ip }) => cidrContains(cidr, ip));
  return found
    ? { ok: true, ip: found.ip }
    : { ok: false, error: `no IP belongs to provided subnet ${subnet}` };
}

function findNetworkAddress(
  machine: Machine,
  address: string,
): { ok: true; network: string } | { ok: false; error: string } {
  const ip = canonicalIp(address);
  if (ip === null) return { ok: false, error: `provided address ${address} is invalid` };
  const seen: string[] = [];
  for (const candidate of globalAddresses(machine)) {
    const text = `${candidate.ip}/${candidate.prefix}`;
    seen.push(text);
    if (canonicalIp(candidate.ip) === ip) return { ok: true, network: text };
  }
  return {
    ok: false,
    error: `provided mon-ip (${ip}) does not belong to any suitable network: [${seen.join(' ')}]`,
  };
}

function isIpOnSubnet(address: string, subnet: string): boolean {
  const cidr = parseCidr(subnet);
  return canonicalIp(address) !== null && cidr !== null && cidrContains(cidr, address);
}

interface CephBootstrapData {
  monIp: string;
  publicNetwork: string;
  clusterNetwork: string;
}

function cephBootstrapData(
  machine: Machine,
  config: Record<string, string>,
  daemonIp: string,
): { ok: true; data: CephBootstrapData } | { ok: false; error: string } {
  let monIp = config['MonIp'] ?? '';
  let publicNetwork = config['PublicNet'] ?? '';
  let clusterNetwork = config['ClusterNet'] ?? '';
  if (monIp === '') {
    if (publicNetwork === '') monIp = daemonIp;
    else {
      const found = findIpOnSubnet(machine, publicNetwork);
      // The message names the (still empty) mon IP, as upstream's does.
      if (!found.ok) return { ok: false, error: `failed to locate ${monIp} on host: ${found.error}` };
      monIp = found.ip;
    }
  }
  if (publicNetwork !== '') {
    if (!isIpOnSubnet(monIp, publicNetwork))
      return { ok: false, error: `monIp ${monIp} is not available on public network ${publicNetwork}` };
  } else {
    const found = findNetworkAddress(machine, monIp);
    if (!found.ok) return { ok: false, error: `failed to locate ${monIp} on host: ${found.error}` };
    publicNetwork = found.network;
  }
  if (clusterNetwork === '') clusterNetwork = publicNetwork;
  // Ceph itself would refuse these later (`ceph config set`, the mon's bind); that is outside the model.
  if (!parseCidr(clusterNetwork) || !parseCidr(publicNetwork))
    throw new NotModelledError('MicroCeph bootstrap with a PublicNet/ClusterNet that is not a CIDR');
  if (!hasAddress(machine, monIp))
    throw new NotModelledError('MicroCeph bootstrap with a MonIp the host does not have');
  return { ok: true, data: { monIp, publicNetwork, clusterNetwork } };
}

// ---------------------------------------------------------------------------------------------------------
// POST /core/control.

/**
 * The address the daemon will listen on. The model keeps each daemon on its service port (§0); another port
 * is only modelled where the bind fails, as Go's net.Listen would (mcl internal/endpoints/network.go).
 */
function listenCheck(
  world: World,
  machine: Machine,
  service: MicroclusterServiceName,
  address: AddrPort,
): void {
  if (address.port === MICROCLUSTER_PORT[service]) return;
  const hostPort = joinHostPort(canonicalIp(address.ip) ?? address.ip, address.port);
  if (!hasAddress(machine, address.ip)) {
    throw new DaemonError(
      `Failed to listen on https socket: listen tcp ${hostPort}: bind: cannot assign requested address`,
    );
  }
  if (bindConflict(tcpListeners(world, machine), address.ip, address.port)) {
    throw new DaemonError(
      `Failed to listen on https socket: listen tcp ${hostPort}: bind: address already in use`,
    );
  }
  throw new NotModelledError(
    `${service} listening on port ${address.port} (the model keeps it on ${MICROCLUSTER_PORT[service]})`,
  );
}

async function control(
  world: World,
  machine: Machine,
  service: MicroclusterServiceName,
  body: string,
  signal: AbortSignal | undefined,
): Promise<ApiOutcome> {
  const daemon = machine.daemons[service];
  if (!daemon) throw new Error(`${service} is not installed on ${machine.name}`);
  if (daemon.clusterId) return apiError(500, 'Unable to initialize cluster: Database is online');
  const decoded = decodeGoStruct(body, CONTROL);
  if (!decoded.ok) return apiError(400, decoded.error);
  // Decoding `null` into the request pointer leaves it nil; the next line dereferences it and panics.
  if (decoded.isNull) return { kind: 'empty-reply' };
  const request = decoded.value;
  const bootstrap = request['bootstrap'] === true;
  const joinToken = (request['join_token'] as string | undefined) ?? '';
  const name = (request['name'] as string | undefined) ?? '';
  const config = (request['config'] as Record<string, string> | undefined) ?? {};
  const addressText = (request['address'] as string | undefined) ?? '';
  if (bootstrap && joinToken !== '')
    return apiError(500, 'Invalid options - received join token and bootstrap flag');
  const nameProblem = fqdnProblem(name);
  if (nameProblem)
    return apiError(400, `Cluster member name ${goQuote(name)} is not a valid FQDN: ${nameProblem}`);
  const parsed = addressText === '' ? null : parseAddrPort(addressText);
  // netip keeps the address canonical (what the member record shows).
  const address = parsed?.ok
    ? { ip: canonicalIp(parsed.value.ip) ?? parsed.value.ip, port: parsed.value.port }
    : null;
  if (service === 'microovn' && (config['ovn-ca-cert'] || config['ovn-ca-key'])) {
    throw new NotModelledError('MicroOVN with a custom CA (ovn-ca-cert, ovn-ca-key)');
  }
  if (joinToken !== '') return join(world, machine, service, joinToken, address, name, config, signal);
  // Bootstrap false without a token restarts a daemon from its existing state: not a deploy step.
  if (!bootstrap) throw new NotModelledError(`${service} control request without bootstrap or join_token`);
  // StartAPI: none of the three daemons has a pre-bootstrap hook at these versions.
  if (!address) return apiError(500, 'Cannot start network API without valid daemon configuration');
  if (address.port === 0) throw new NotModelledError('a listen address with port 0');
  try {
    listenCheck(world, machine, service, address);
    // Worked out first so that an unmodelled case changes nothing; applied after the bootstrap, as the hook.
    const prepared = service === 'microceph' ? cephBootstrapData(machine, config, address.ip) : null;
    const { cluster } = await bootstrapCluster(world, machine, service, address.ip, signal, name);
    if (prepared) {
      if (!prepared.ok) {
        // The post-bootstrap hook failed: the reverter resets the member and the daemon starts afresh.
        resetDaemon(world, machine, service);
        return apiError(500, `Failed to run post-bootstrap actions: ${prepared.error}`);
      }
      afterCephBootstrap(machine, cluster, prepared.data);
    } else if (service === 'microovn') {
      afterOvnMemberAdded(machine, cluster, config['ovn-encap-ip'] ?? null);
    }
  } catch (error) {
    return fromDaemonError(error);
  }
  return sync({});
}

async function join(
  world: World,
  machine: Machine,
  service: MicroclusterServiceName,
  token: string,
  address: AddrPort | null,
  name: string,
  config: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<ApiOutcome> {
  if (!address) throw new NotModelledError('a control join without an address');
  if (address.port === 0) throw new NotModelledError('a listen address with port 0');
  const daemon = machine.daemons[service];
  if (service === 'microcloud') {
    const session = world.state.sessions[machine.name];
    if (session && daemon && session.startedAt >= daemon.startedAt) {
      throw new NotModelledError('a MicroCloud join through the control API while a trust session exists');
    }
    if (name !== machine.hostname) {
      throw new NotModelledError(
        'a MicroCloud join through the control API under another name than the hostname',
      );
    }
  }
  try {
    listenCheck(world, machine, service, address);
    const { cluster } = await joinCluster(world, machine, service, token, address.ip, signal, name);
    if (service === 'microceph') afterCephJoin(machine, cluster);
    else if (service === 'microovn') afterOvnMemberAdded(machine, cluster, config['ovn-encap-ip'] ?? null);
    else {
      // MicroCloud 2.1.x's post-join hook sends on the trust session's exit channel (cmd/microcloudd/main.go
      // `s.Session.ExitCh() <- true`); with no session ever started on this daemon, s.Session is nil and the
      // hook panics inside the request. net/http drops the connection without an answer, and the
      // control handler's deferred reverter resets this daemon; the member stays recorded on the cluster
      // and the token is spent. (Read from the code; not seen on a real host.)
      resetDaemon(world, machine, service);
      return { kind: 'empty-reply' };
    }
  } catch (error) {
    return fromDaemonError(error);
  }
  return sync({});
}

// ---------------------------------------------------------------------------------------------------------
// /core/1.0/tokens.

async function issueToken(
  world: World,
  machine: Machine,
  service: MicroclusterServiceName,
  body: string,
): Promise<ApiOutcome> {
  const decoded = decodeGoStruct(body, TOKEN_REQUEST);
  if (!decoded.ok) return apiError(400, decoded.error);
  const name = (decoded.value['name'] as string | undefined) ?? '';
  const problem = fqdnProblem(name);
  if (problem) return apiError(400, `Token name ${goQuote(name)} is not a valid FQDN: ${problem}`);
  const nanoseconds = (decoded.value['expire_after'] as number | undefined) ?? 0;
  try {
    const lifetime = nanoseconds === 0 ? null : nanoseconds / 1e6;
    return sync(await issueJoinToken(world, machine, service, name, lifetime));
  } catch (error) {
    return fromDaemonError(error);
  }
}

function listTokens(world: World, machine: Machine, service: MicroclusterServiceName): ApiOutcome {
  return sync(
    listJoinTokens(world, machine, service).map((t) => ({
      name: t.name,
      token: t.token,
      expires_at: t.expiresAt === null ? '0001-01-01T00:00:00Z' : goTimeJson(t.expiresAt),
    })),
  );
}

/** Endpoints a deploy tool uses; every other path is not modelled (the daemons serve many more). */
export async function microclusterApi(
  world: World,
  machine: Machine,
  service: MicroclusterServiceName,
  request: ApiRequest,
  signal?: AbortSignal,
): Promise<ApiOutcome> {
  const { method, path, body } = request;
  const notImplemented = apiError(501, 'not implemented');
  if (!['GET', 'PUT', 'POST', 'DELETE', 'PATCH'].includes(method)) {
    throw new NotModelledError(`HTTP ${method} to ${service}`);
  }
  if (path === '/core/control')
    return method === 'POST' ? control(world, machine, service, body, signal) : notImplemented;
  const tokens = '/core/1.0/tokens';
  const tokenName = path.startsWith(`${tokens}/`) ? path.slice(tokens.length + 1) : null;
  if (path !== tokens && (tokenName === null || tokenName === '' || tokenName.includes('/'))) {
    throw new NotModelledError(`${method} ${path} on ${service}'s API`);
  }
  // Not AllowedBeforeInit: the database status answers first, whatever the method.
  try {
    requireCluster(world, machine, service);
  } catch (error) {
    return fromDaemonError(error);
  }
  if (tokenName === null) {
    if (method === 'POST') return issueToken(world, machine, service, body);
    if (method === 'GET') return listTokens(world, machine, service);
    return notImplemented;
  }
  if (method !== 'DELETE') return notImplemented;
  const unescaped = pathUnescape(tokenName);
  if (!unescaped.ok) return apiError(500, unescaped.error);
  try {
    revokeJoinToken(world, machine, service, unescaped.value);
  } catch (error) {
    return fromDaemonError(error);
  }
  return sync({});
}
