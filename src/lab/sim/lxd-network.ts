// LXD managed networks (lxd/networks.go, lxd/db/networks.go, lxd/network/driver_{physical,bridge,ovn}.go at
// lxd-5.21.3): pending per-member definitions with `--target` (physical and bridge networks have member
// config; OVN networks get a pending entry on every member automatically), the final create, and what
// the drivers check and fill in: the uplink's parent NIC, OVN's uplink, router addresses and MTU, and the
// northbound database LXD 5.21 needs in `network.ovn.northbound_connection` (§3.1-§3.3).

import { machineAddresses, type Machine } from './machine.js';
import { clusterOf } from './microcluster.js';
import {
  LxdError,
  daemonVersionOf,
  joinedMembers,
  localMemberName,
  lxdCluster,
  lxdDatabase,
  lxdIsLts521,
  memberMachine,
  peerNotifyError,
  resolveTarget,
} from './lxd.js';
import {
  canonicalIp,
  cidrContains,
  familyOf,
  formatIPv4,
  formatIPv6,
  networkOf,
  parseCidr,
  parseIPv4,
  parseIPv6,
  splitHostPort,
} from './net.js';
import { ovnServicesOn } from './ovn.js';
import { NotModelledError } from './program.js';
import { nextHex, type LxdClusterData, type LxdNetwork, type World } from './world.js';

/** db.NodeSpecificNetworkConfig. */
export const NODE_SPECIFIC_NETWORK_KEYS = [
  'bgp.ipv4.nexthop',
  'bgp.ipv6.nexthop',
  'bridge.external_interfaces',
  'parent',
];

export type NetworkType = LxdNetwork['type'];

export interface NetworkRequest {
  name: string;
  type: string;
  description: string;
  config: Record<string, string>;
}

type Validator = (value: string) => string | null;

const any: Validator = () => null;
const optional =
  (validator: Validator): Validator =>
  (v) =>
    v === '' ? null : validator(v);
const isBool: Validator = (v) =>
  ['true', 'false', 'yes', 'no', '1', '0', 'on', 'off'].includes(v.toLowerCase())
    ? null
    : `Invalid value for a boolean ${JSON.stringify(v)}`;
const listOf =
  (validator: Validator): Validator =>
  (value) => {
    for (const raw of value.split(',')) {
      const item = raw.trim();
      const problem = validator(item);
      if (problem) return `Item ${JSON.stringify(item)}: ${problem}`;
    }
    return null;
  };

function cidrAddressOf(value: string, family: 'inet' | 'inet6'): string | null {
  const slash = value.indexOf('/');
  const cidr = parseCidr(value);
  if (slash < 0 || !cidr) return `invalid CIDR address: ${value}`;
  const ip = value.slice(0, slash);
  const label = family === 'inet' ? 'IPv4' : 'IPv6';
  if (familyOf(ip) !== family) return `Not an ${label} address ${JSON.stringify(value)}`;
  if (canonicalIp(ip) === cidr.network) return `Not a usable ${label} address ${JSON.stringify(value)}`;
  return null;
}

/** validate.IsNetworkAddressCIDRV4 / V6. */
const cidrV4: Validator = (v) => cidrAddressOf(v, 'inet');
const cidrV6: Validator = (v) => cidrAddressOf(v, 'inet6');
const addressV4: Validator = (v) =>
  familyOf(v) === 'inet' ? null : `Not an IPv4 address ${JSON.stringify(v)}`;
const addressV6: Validator = (v) =>
  familyOf(v) === 'inet6' ? null : `Not an IPv6 address ${JSON.stringify(v)}`;
const anyAddress: Validator = (v) => (familyOf(v) !== null ? null : `Not an IP address ${JSON.stringify(v)}`);
const rangeOf =
  (address: Validator): Validator =>
  (v) => {
    const parts = v.split('-');
    if (parts.length < 2) return 'IP range must contain start and end IP addresses';
    const [start = '', ...rest] = parts;
    for (const ip of [start, rest.join('-')]) {
      const problem = address(ip);
      if (problem) return problem;
    }
    return null;
  };
const mtu: Validator = (v) => {
  if (!/^\d+$/.test(v)) return `Invalid MTU ${JSON.stringify(v)}`;
  const n = Number(v);
  return n < 1280 || n > 16384 ? `Out of MTU range (1280-16384) ${JSON.stringify(v)}` : null;
};
/** validate.IsInterfaceName. */
export function interfaceNameProblem(value: string): string | null {
  if (value.length < 2) return 'Network interface is too short (minimum 2 characters)';
  if (value.length > 15) return 'Network interface is too long (maximum 15 characters)';
  if (!/^[-_a-zA-Z0-9.]+$/.test(value)) return 'Network interface contains invalid characters';
  return null;
}
const ipOrAuto =
  (cidr: Validator): Validator =>
  (v) =>
    v === 'none' || v === 'auto' ? null : cidr(v);

interface Rules {
  modelled: Record<string, Validator>;
  /** Keys LXD accepts whose effect this model does not cover. */
  unmodelled: string[];
  unmodelledPrefixes: string[];
}

const PHYSICAL: Rules = {
  modelled: {
    parent: (v) => (v === '' ? 'Required value' : interfaceNameProblem(v)),
    'ipv4.gateway': optional(cidrV4),
    'ipv6.gateway': optional(cidrV6),
    'ipv4.ovn.ranges': optional(listOf(rangeOf(addressV4))),
    'ipv6.ovn.ranges': optional(listOf(rangeOf(addressV6))),
    'ipv4.routes': any,
    'ipv6.routes': any,
    'ipv4.routes.anycast': optional(isBool),
    'ipv6.routes.anycast': optional(isBool),
    'dns.nameservers': optional(listOf(anyAddress)),
    'ovn.ingress_mode': optional((v) =>
      v === 'l2proxy' || v === 'routed' ? null : `Invalid value "${v}" (not one of [l2proxy routed])`,
    ),
    'volatile.last_state.created': optional(isBool),
  },
  unmodelled: [
    'mtu',
    'vlan',
    'gvrp',
    'maas.subnet.ipv4',
    'maas.subnet.ipv6',
    'bgp.ipv4.nexthop',
    'bgp.ipv6.nexthop',
  ],
  unmodelledPrefixes: ['bgp.peers.'],
};

const OVN: Rules = {
  modelled: {
    network: any,
    'bridge.mtu': optional(mtu),
    'ipv4.address': optional(ipOrAuto(cidrV4)),
    'ipv4.nat': optional(isBool),
    'ipv6.address': optional(ipOrAuto(cidrV6)),
    'ipv6.nat': optional(isBool),
    'ipv4.dhcp': optional(isBool),
    'ipv6.dhcp': optional(isBool),
    'ipv6.dhcp.stateful': optional(isBool),
    'dns.domain': any,
    'dns.search': any,
    'volatile.network.ipv4.address': optional(addressV4),
    'volatile.network.ipv6.address': optional(addressV6),
  },
  unmodelled: [
    'bridge.hwaddr',
    'ipv4.nat.address',
    'ipv6.nat.address',
    'ipv4.l3only',
    'ipv6.l3only',
    'dns.zone.forward',
    'dns.zone.reverse.ipv4',
    'dns.zone.reverse.ipv6',
    'security.acls',
    'security.acls.default.ingress.action',
    'security.acls.default.egress.action',
    'security.acls.default.ingress.logged',
    'security.acls.default.egress.logged',
  ],
  unmodelledPrefixes: [],
};

const BRIDGE: Rules = {
  modelled: {
    'bridge.mode': optional((v) =>
      v === 'standard' || v === 'fan' ? null : `Invalid value "${v}" (not one of [standard fan])`,
    ),
    'bridge.mtu': optional(mtu),
    'fan.underlay_subnet': any,
    'fan.overlay_subnet': any,
    'fan.type': optional((v) =>
      v === 'vxlan' || v === 'ipip' ? null : `Invalid value "${v}" (not one of [vxlan ipip])`,
    ),
    'ipv4.address': optional(ipOrAuto(cidrV4)),
    'ipv4.nat': optional(isBool),
    'ipv6.address': optional(ipOrAuto(cidrV6)),
    'ipv6.nat': optional(isBool),
    'ipv4.dhcp': optional(isBool),
    'ipv6.dhcp': optional(isBool),
    'dns.domain': any,
  },
  unmodelled: [
    'bgp.ipv4.nexthop',
    'bgp.ipv6.nexthop',
    'bridge.driver',
    'bridge.external_interfaces',
    'bridge.hwaddr',
    'ipv4.firewall',
    'ipv4.nat.order',
    'ipv4.nat.address',
    'ipv4.dhcp.gateway',
    'ipv4.dhcp.expiry',
    'ipv4.dhcp.ranges',
    'ipv4.routes',
    'ipv4.routing',
    'ipv4.ovn.ranges',
    'ipv6.firewall',
    'ipv6.nat.order',
    'ipv6.nat.address',
    'ipv6.dhcp.expiry',
    'ipv6.dhcp.stateful',
    'ipv6.dhcp.ranges',
    'ipv6.routes',
    'ipv6.routing',
    'ipv6.ovn.ranges',
    'dns.mode',
    'dns.search',
    'dns.zone.forward',
    'dns.zone.reverse.ipv4',
    'dns.zone.reverse.ipv6',
    'raw.dnsmasq',
    'maas.subnet.ipv4',
    'maas.subnet.ipv6',
    'security.acls',
    'security.acls.default.ingress.action',
    'security.acls.default.egress.action',
    'security.acls.default.ingress.logged',
    'security.acls.default.egress.logged',
  ],
  unmodelledPrefixes: ['bgp.peers.', 'tunnel.'],
};

const RULES: Record<NetworkType, Rules> = { physical: PHYSICAL, ovn: OVN, bridge: BRIDGE };

/** network.LoadByType and ValidateName. */
function networkType(type: string, name: string): NetworkType {
  if (['macvlan', 'sriov'].includes(type)) throw new NotModelledError(`${type} networks`);
  if (type !== 'physical' && type !== 'ovn' && type !== 'bridge') throw new LxdError('Unknown driver');
  if (type === 'bridge') {
    const problem = interfaceNameProblem(name);
    if (problem) throw new LxdError(problem);
  }
  if (name.includes(':')) throw new LxdError('Cannot contain ":"');
  if (/[/?#%\s]/.test(name)) throw new NotModelledError('network names that are not URL segment safe');
  return type;
}

/** common.validate: each rule, then unknown keys ("Invalid option for network %q option %q"). */
function validateNetwork(name: string, type: NetworkType, config: Record<string, string>): void {
  const rules = RULES[type];
  for (const [key, rule] of Object.entries(rules.modelled)) {
    const problem = rule(config[key] ?? '');
    if (problem)
      throw new LxdError(
        `Invalid value for network ${JSON.stringify(name)} option ${JSON.stringify(key)}: ${problem}`,
      );
  }
  for (const key of Object.keys(config)) {
    if (key in rules.modelled || key.startsWith('user.')) continue;
    if (rules.unmodelled.includes(key) || rules.unmodelledPrefixes.some((p) => key.startsWith(p)))
      throw new NotModelledError(`the ${type} network option ${key}`);
    throw new LxdError(`Invalid option for network ${JSON.stringify(name)} option ${JSON.stringify(key)}`);
  }
}

function findNetwork(database: LxdClusterData, name: string): LxdNetwork | undefined {
  return database.networks.find((n) => n.name === name);
}

export function requireNetwork(database: LxdClusterData, name: string): LxdNetwork {
  const network = findNetwork(database, name);
  if (!network) throw new LxdError('Network not found');
  return network;
}

function newNetwork(database: LxdClusterData, name: string, type: NetworkType): LxdNetwork {
  const network: LxdNetwork = {
    id: database.nextNetworkId,
    name,
    type,
    description: '',
    status: 'Pending',
    config: {},
    memberConfig: {},
    createdOn: [],
  };
  database.nextNetworkId += 1;
  database.networks.push(network);
  return network;
}

/** CreatePendingNetwork (lxd/db/networks.go). */
function createPendingNetwork(
  database: LxdClusterData,
  member: string,
  name: string,
  type: NetworkType,
  config: Record<string, string>,
  ignoreConflict: boolean,
): void {
  let network = findNetwork(database, name);
  if (network) {
    if (network.status !== 'Pending') throw new LxdError('Network is not in pending state');
    if (network.type !== type)
      throw new LxdError("Requested network type doesn't match type in existing database record");
  }
  if (network?.memberConfig[member]) {
    if (ignoreConflict) return;
    throw new LxdError(`The network is already defined on member ${JSON.stringify(member)}`);
  }
  network ??= newNetwork(database, name, type);
  network.memberConfig[member] = { ...config };
}

/**
 * POST /1.0/networks[?target=] (networksPost). The default type is `bridge`.
 */
export function createNetwork(
  world: World,
  machine: Machine,
  request: NetworkRequest,
  target: string | null,
): void {
  if (request.name === '') throw new LxdError('No name provided');
  const type = networkType(request.type === '' ? 'bridge' : request.type, request.name);
  const database = lxdDatabase(world, machine);
  if (target !== null) {
    if (type === 'ovn') throw new LxdError('Network type "ovn" does not support member specific config');
    for (const key of Object.keys(request.config)) {
      if (!NODE_SPECIFIC_NETWORK_KEYS.includes(key))
        throw new LxdError(`Config key ${JSON.stringify(key)} may not be used as member-specific key`);
    }
    resolveTarget(world, machine, target);
    createPendingNetwork(database, target, request.name, type, request.config, false);
    return;
  }
  const existing = findNetwork(database, request.name) ?? null;
  const cluster = lxdCluster(world, machine);
  const members = cluster ? joinedMembers(cluster) : [];
  if (members.length > 1 || (existing && existing.status !== 'Created')) {
    if (type === 'ovn') {
      // Networks without member config get a pending entry per member first (networksPost).
      for (const member of members) {
        try {
          createPendingNetwork(database, member.name, request.name, type, {}, true);
        } catch (error) {
          if (!(error instanceof LxdError)) throw error;
          throw new LxdError(
            `Failed creating pending network for member ${JSON.stringify(member.name)}: ${error.message}`,
          );
        }
      }
    }
    createNetworkOnCluster(
      world,
      machine,
      database,
      findNetwork(database, request.name) ?? null,
      request,
      type,
    );
    return;
  }
  if (existing) throw new LxdError('The network already exists');
  const config = { ...request.config };
  fillConfig(world, machine, type, config);
  const network = newNetwork(database, request.name, type);
  network.description = request.description;
  const member = localMemberName(machine);
  for (const key of NODE_SPECIFIC_NETWORK_KEYS) {
    const value = config[key];
    if (value === undefined) continue;
    (network.memberConfig[member] ??= {})[key] = value;
    delete config[key];
  }
  network.memberConfig[member] ??= {};
  network.config = config;
  try {
    createNetworkLocally(world, machine, database, network, member, true);
  } catch (error) {
    database.networks = database.networks.filter((n) => n !== network);
    throw error;
  }
  network.status = 'Created';
}

/** networksPostCluster. */
function createNetworkOnCluster(
  world: World,
  machine: Machine,
  database: LxdClusterData,
  existing: LxdNetwork | null,
  request: NetworkRequest,
  type: NetworkType,
): void {
  for (const key of Object.keys(request.config)) {
    if (NODE_SPECIFIC_NETWORK_KEYS.includes(key))
      throw new LxdError(`Config key ${JSON.stringify(key)} is cluster member specific`);
  }
  if (existing) {
    if (existing.status === 'Created') throw new LxdError('The network is already created');
    if (type !== existing.type) {
      throw new LxdError(
        `Requested network type ${JSON.stringify(type)} doesn't match type in existing database record ${JSON.stringify(existing.type)}`,
      );
    }
  }
  if (!existing) throw new LxdError('Network not pending on any node (use --target <node> first)');
  const network = existing;
  const cluster = lxdCluster(world, machine);
  const members = cluster ? joinedMembers(cluster) : [];
  const partial = network.status === 'Errored' || Object.keys(network.config).length > 0;
  if (partial) {
    if (Object.keys(request.config).length > 0) {
      throw new LxdError(
        'Network already partially created. Please do not specify any global config when re-running create',
      );
    }
  } else {
    const missing = members.filter((m) => !network.memberConfig[m.name]).map((m) => m.name);
    if (missing.length > 0) throw new LxdError(`Network not defined on nodes: ${missing.join(', ')}`);
    const config = { ...request.config };
    fillConfig(world, machine, type, config);
    network.config = config;
    if (request.description !== '') network.description = request.description;
  }
  network.status = 'Errored';
  const local = localMemberName(machine);
  const order = [...members.filter((m) => m.name === local), ...members.filter((m) => m.name !== local)];
  for (const member of order) {
    if (network.createdOn.includes(member.name)) continue;
    const host = cluster ? memberMachine(world, cluster, member) : machine;
    try {
      createNetworkLocally(world, host, database, network, member.name, member.name === local);
    } catch (error) {
      if (member.name === local || !(error instanceof LxdError)) throw error;
      throw peerNotifyError(world, machine, member, error.message);
    }
  }
  network.status = 'Created';
}

/** A random private subnet as LXD's randomSubnetV4/V6 pick them (deterministic per world). */
function randomSubnetV4(world: World): string {
  const hex = nextHex(world, 2);
  return `10.${parseInt(hex.slice(0, 2), 16)}.${parseInt(hex.slice(2, 4), 16)}.1/24`;
}

function randomSubnetV6(world: World): string {
  const hex = nextHex(world, 6);
  const groups = [
    0xfd42,
    parseInt(hex.slice(0, 4), 16),
    parseInt(hex.slice(4, 8), 16),
    parseInt(hex.slice(8, 12), 16),
  ];
  return `${formatIPv6([...groups, 0, 0, 0, 1])}/64`;
}

/** FillConfig per driver: `auto` addresses, NAT defaults, the fan underlay (driver_bridge.go, driver_ovn.go). */
function fillConfig(world: World, machine: Machine, type: NetworkType, config: Record<string, string>): void {
  if (type === 'physical') return;
  if (type === 'bridge' && config['bridge.mode'] === 'fan') {
    config['fan.underlay_subnet'] ||= 'auto';
    config['ipv4.nat'] ||= 'true';
    if (config['fan.underlay_subnet'] === 'auto')
      config['fan.underlay_subnet'] = defaultGatewaySubnet(machine);
    return;
  }
  config['ipv4.address'] ||= 'auto';
  if (config['ipv4.address'] === 'auto') {
    config['ipv4.address'] = randomSubnetV4(world);
    config['ipv4.nat'] ||= 'true';
  }
  config['ipv6.address'] ||= 'auto';
  if (config['ipv6.address'] === 'auto') {
    config['ipv6.address'] = randomSubnetV6(world);
    config['ipv6.nat'] ||= 'true';
  }
}

/** The fan's `auto` underlay: the IPv4 subnet of the default-route interface, as a /16 unless /16 or /24. */
function defaultGatewaySubnet(machine: Machine): string {
  const route = machine.routes.find(
    (r) => r.destination === 'default' && r.gateway && familyOf(r.gateway) === 'inet',
  );
  const v4 = machineAddresses(machine)
    .filter(({ nic, assignment }) => nic.name === route?.dev && familyOf(assignment.address) === 'inet')
    .map(({ assignment }) => assignment);
  const only = v4[0];
  if (!route || v4.length !== 1 || !only)
    throw new NotModelledError('the fan underlay without a single IPv4 default-route subnet');
  const prefix = only.prefix === 16 || only.prefix === 24 ? only.prefix : 16;
  return `${networkOf(only.address, prefix)}/${prefix}`;
}

/**
 * One member's part (doNetworksCreate): validation of the merged config, the driver's Create on the member
 * handling the request (OVN sets up the northbound database once), then Start on every member.
 */
function createNetworkLocally(
  world: World,
  machine: Machine,
  database: LxdClusterData,
  network: LxdNetwork,
  member: string,
  handlesRequest: boolean,
): void {
  const merged = { ...network.config, ...(network.memberConfig[member] ?? {}) };
  validateNetwork(network.name, network.type, merged);
  if (network.type === 'physical') {
    const parent = merged['parent'] ?? '';
    if (!machine.nics.some((nic) => nic.name === parent))
      throw new LxdError(`Parent interface ${JSON.stringify(parent)} not found`);
    const clash = database.networks.find(
      (other) =>
        other !== network &&
        other.createdOn.includes(member) &&
        other.memberConfig[member]?.['parent'] === parent,
    );
    if (clash) throw new LxdError(`Parent interface ${JSON.stringify(parent)} in use by another network`);
  } else if (network.type === 'ovn') {
    const uplink = validateUplink(database, network.config['network'] ?? '');
    if (uplink !== (network.config['network'] ?? '')) network.config['network'] = uplink;
    requireOvnChassis(world, machine);
    if (handlesRequest) setupOvn(world, machine, database, network);
  }
  if (!network.createdOn.includes(member)) network.createdOn.push(member);
}

/** ovn validateUplinkNetwork: created bridge or physical networks of the default project. */
function validateUplink(database: LxdClusterData, requested: string): string {
  const allowed = database.networks
    .filter((n) => n.status === 'Created' && (n.type === 'bridge' || n.type === 'physical'))
    .map((n) => n.name);
  if (requested !== '') {
    if (!allowed.includes(requested)) {
      throw new LxdError(
        `Option "network" value ${JSON.stringify(requested)} is not one of the allowed uplink networks in project`,
      );
    }
    return requested;
  }
  if (allowed.length === 0) throw new LxdError('No allowed uplink networks in project');
  if (allowed.length === 1) return allowed[0] as string;
  throw new LxdError('Option "network" is required');
}

/** OVN networks need OVS and the OVN chassis on every member: MicroOVN on the host. */
function requireOvnChassis(world: World, machine: Machine): void {
  const ovn = clusterOf(world, machine, 'microovn');
  if (!ovn || !ovnServicesOn(ovn, machine.hostname).includes('chassis')) {
    throw new NotModelledError('OVN networks on a host that is not a MicroOVN chassis');
  }
}

/**
 * ovn setup(): bridge MTU from the Geneve underlay (1442 on a 1500 MTU IPv4 underlay), router addresses
 * allocated on the uplink, then the northbound database. LXD 5.21 reaches it only through
 * network.ovn.northbound_connection (§3.1); without a connection to MicroOVN's central members the
 * ovn-nbctl failure text is not modelled.
 */
function setupOvn(world: World, machine: Machine, database: LxdClusterData, network: LxdNetwork): void {
  network.config['bridge.mtu'] ??= '1442';
  const uplink = requireNetwork(database, network.config['network'] ?? '');
  try {
    allocateUplinkAddresses(database, network, uplink);
  } catch (error) {
    if (!(error instanceof LxdError)) throw error;
    throw new LxdError(
      `Failed allocating uplink port IPs on network ${JSON.stringify(uplink.name)}: ${error.message}`,
    );
  }
  const version = daemonVersionOf(world, machine, 'lxd') ?? '';
  if (!lxdIsLts521(version)) return;
  const ovn = clusterOf(world, machine, 'microovn');
  const central = (ovn?.ovn?.services ?? []).filter((s) => s.service === 'central').map((s) => s.member);
  const centralIps = (ovn?.members ?? [])
    .filter((m) => central.includes(m.name))
    .map((m) => splitHostPort(m.address)?.host ?? '');
  const connection = database.config['network.ovn.northbound_connection'] ?? '';
  const entries = connection.split(',').filter((entry) => entry !== '');
  const reachable = entries.some((entry) => {
    const match = /^ssl:(.+):6641$/.exec(entry.trim());
    return match !== null && centralIps.includes((match[1] ?? '').replace(/^\[|\]$/g, ''));
  });
  if (!reachable) {
    throw new NotModelledError(
      'an OVN network whose network.ovn.northbound_connection does not reach MicroOVN (ovn-nbctl errors)',
    );
  }
}

/** allocateUplinkPortIPs: the first free addresses of the uplink's OVN ranges (EUI-64 for IPv6 without). */
function allocateUplinkAddresses(database: LxdClusterData, network: LxdNetwork, uplink: LxdNetwork): void {
  const uplinkConfig = uplink.config;
  const gateway4 = uplinkConfig['ipv4.address'] || uplinkConfig['ipv4.gateway'] || '';
  const gateway6 = uplinkConfig['ipv6.address'] || uplinkConfig['ipv6.gateway'] || '';
  const used = (key: string): Set<string> =>
    new Set(
      database.networks
        .filter((n) => n.type === 'ovn' && n !== network && n.config['network'] === uplink.name)
        .map((n) => n.config[key] ?? ''),
    );
  if (parseCidr(gateway4) && !network.config['volatile.network.ipv4.address']) {
    const ranges = uplinkConfig['ipv4.ovn.ranges'] ?? '';
    if (ranges === '') throw new LxdError('Missing required "ipv4.ovn.ranges" config key on uplink network');
    const taken = used('volatile.network.ipv4.address');
    let found: string | null = null;
    for (const range of ranges.split(',')) {
      const [start = '', end = ''] = range.trim().split('-');
      const from = parseIPv4(start);
      const to = parseIPv4(end);
      if (from === null || to === null) continue;
      for (let ip = from; ip <= to && found === null; ip++)
        if (!taken.has(formatIPv4(ip))) found = formatIPv4(ip);
      if (found !== null) break;
    }
    if (found === null)
      throw new LxdError('Failed to allocate uplink IPv4 address: No available IP addresses');
    network.config['volatile.network.ipv4.address'] = found;
  }
  const cidr6 = parseCidr(gateway6);
  if (cidr6 && !network.config['volatile.network.ipv6.address']) {
    if ((uplinkConfig['ipv6.ovn.ranges'] ?? '') !== '') throw new NotModelledError('uplink ipv6.ovn.ranges');
    network.config['volatile.network.ipv6.address'] = eui64(cidr6.network, routerMac(network));
  }
}

/** The OVN router's MAC: LXD derives a stable one per network; here from the network ID. */
function routerMac(network: LxdNetwork): string {
  const id = network.id;
  return `00:16:3e:${((id >> 16) & 0xff).toString(16).padStart(2, '0')}:${((id >> 8) & 0xff).toString(16).padStart(2, '0')}:${(id & 0xff).toString(16).padStart(2, '0')}`;
}

function eui64(prefix: string, mac: string): string {
  const groups = parseIPv6(prefix) ?? [0, 0, 0, 0, 0, 0, 0, 0];
  const b = mac.split(':').map((part) => parseInt(part, 16));
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0] = b;
  return formatIPv6([
    groups[0] ?? 0,
    groups[1] ?? 0,
    groups[2] ?? 0,
    groups[3] ?? 0,
    ((b0 ^ 0x02) << 8) | b1,
    (b2 << 8) | 0xff,
    (0xfe << 8) | b3,
    (b4 << 8) | b5,
  ]);
}

/**
 * PUT /1.0/networks/NAME without a target changing only the description (networkPut, lxd/networks.go at
 * lxd-5.21.3): the network must exist and be Created on the cluster ("Cannot update network global config
 * when not in created state"); its config stays as it is.
 */
export function updateNetworkDescription(
  world: World,
  machine: Machine,
  name: string,
  description: string,
): void {
  const network = requireNetwork(lxdDatabase(world, machine), name);
  if (network.status !== 'Created') {
    throw new LxdError('Cannot update network global config when not in created state');
  }
  network.description = description;
}

/** Keys of a physical network that are per member (physical.go memberSpecificConfigKeys at lxd-5.21.3). */
const PHYSICAL_MEMBER_KEYS = ['parent', 'mtu', 'vlan', 'gvrp', 'bgp.ipv4.nexthop', 'bgp.ipv6.nexthop'];

/**
 * PUT /1.0/networks/NAME without a target that changes global config keys of a physical network (`lxc network
 * set UPLINK KEY=VALUE`; networkPut, then physical.Update at lxd-5.21.3): the network must be Created, the
 * keys must not be per member, and each member's merged config must validate. The OVN networks on this uplink
 * follow it (ovn.handleDependencyChange); modelled only while their uplink address stays inside the new
 * gateway's subnet and the new ranges, which is what the model's OVN routers rely on.
 */
export function updateNetworkConfig(
  world: World,
  machine: Machine,
  name: string,
  changes: Record<string, string>,
): void {
  const database = lxdDatabase(world, machine);
  const network = requireNetwork(database, name);
  if (network.type !== 'physical')
    throw new NotModelledError(`lxc network set of a ${network.type} network's keys`);
  if (network.status !== 'Created') {
    throw new LxdError('Cannot update network global config when not in created state');
  }
  for (const key of Object.keys(changes)) {
    if (PHYSICAL_MEMBER_KEYS.includes(key)) throw new NotModelledError('lxc network set of a per-member key');
    if (changes[key] === '') throw new NotModelledError('lxc network set KEY= (unsetting a key)');
  }
  const config = { ...network.config, ...changes };
  for (const member of network.createdOn)
    validateNetwork(network.name, network.type, { ...config, ...(network.memberConfig[member] ?? {}) });
  const gateway = parseCidr(config['ipv4.gateway'] ?? '');
  const ranges = (config['ipv4.ovn.ranges'] ?? '').split(',').map((r) => r.trim().split('-').map(parseIPv4));
  for (const ovn of database.networks.filter((n) => n.type === 'ovn' && n.config['network'] === name)) {
    const address = ovn.config['volatile.network.ipv4.address'];
    if (address === undefined) continue;
    const ip = parseIPv4(address);
    const inRange = ranges.some(
      ([from, to]) => ip !== null && from != null && to != null && ip >= from && ip <= to,
    );
    if (gateway === null || !cidrContains(gateway, address) || !inRange)
      throw new NotModelledError(
        `an uplink change that moves ${ovn.name}'s uplink address ${address} out of it`,
      );
  }
  network.config = config;
}

/**
 * DELETE /1.0/networks/NAME: refused while profiles or other networks use it ("The network is currently
 * in use", networkDelete).
 */
export function deleteNetwork(world: World, machine: Machine, name: string): void {
  const database = lxdDatabase(world, machine);
  const network = requireNetwork(database, name);
  const inUse =
    Object.values(database.profiles).some((p) =>
      Object.values(p.devices).some((d) => d['network'] === name),
    ) || database.networks.some((n) => n.config['network'] === name);
  if (inUse) throw new LxdError('The network is currently in use');
  database.networks = database.networks.filter((n) => n !== network);
}
