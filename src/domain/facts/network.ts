// Network interfaces and default routes from iproute2 JSON (§10.3): `ip -j -d addr show` and
// `ip -j -4|-6 route show default`, iproute2 5.15 (Ubuntu 22.04) to 6.x (24.04).

import { JsonObjectReader, parseJsonOutput, isJsonObject } from './json-reader.js';
import { FactsParseError } from './parse-error.js';

export const IP_ADDR_COMMAND = 'ip -j -d addr show';
export const IP_ROUTE4_DEFAULT_COMMAND = 'ip -j -4 route show default';
export const IP_ROUTE6_DEFAULT_COMMAND = 'ip -j -6 route show default';
/**
 * The usage of `ip link add ... type vxlan`. LXD sets up a FAN bridge by running `ip link add NAME-fan type
 * vxlan ... fan-map OVERLAY:UNDERLAY` (lxd/network/driver_bridge.go) and does not check first: an `ip` without
 * Ubuntu's FAN patch (Debian's, upstream's) refuses `vxlan: unknown command "fan-map"?` midway through the
 * create. Its usage lists `fan-map` only where the patch is in.
 */
export const IP_VXLAN_HELP_COMMAND = 'ip link help vxlan';

/** Whether this host's `ip` can set up a FAN tunnel, from the vxlan usage it printed. */
export function parseFanMapSupport(usage: string): boolean {
  return /(^|[\s[])fan-map\b/m.test(usage);
}

/**
 * What a link is. `physical` is a NIC with a kernel driver and no rtnetlink kind (what LXD finds through
 * /sys/class/net/X/device, §5.1); `other` is any other kind (tun, wireguard, vxlan, dummy, ifb, team, ...),
 * see `linkKind`.
 */
export type InterfaceKind =
  'loopback' | 'physical' | 'bond' | 'vlan' | 'bridge' | 'veth' | 'macvlan' | 'other';

export interface InterfaceAddress {
  family: 'inet' | 'inet6';
  address: string;
  prefixLength: number;
  /** global, link, host, site, nowhere (or a number). Only `global` counts for MicroCloud (§5.1). */
  scope: string;
  /** Point-to-point peer address, when the link has one. */
  peer: string | null;
  /** Has a finite lifetime: handed out by DHCP or SLAAC rather than configured statically. */
  dynamic: boolean;
  tentative: boolean;
  deprecated: boolean;
  dadFailed: boolean;
}

export interface NetworkInterface {
  index: number;
  name: string;
  altNames: string[];
  kind: InterfaceKind;
  /** linkinfo.info_kind as printed (bond, vlan, bridge, veth, macvlan, wireguard, ...), null for a NIC. */
  linkKind: string | null;
  /** link_type: ether, loopback, none, infiniband, ... */
  linkType: string;
  flags: string[];
  /** IFF_UP: administratively up. */
  adminUp: boolean;
  /** IFF_LOWER_UP: the driver reports a carrier. */
  lowerUp: boolean;
  broadcast: boolean;
  pointToPoint: boolean;
  /** operstate: UP, DOWN, LOWERLAYERDOWN, UNKNOWN, DORMANT, ... */
  operState: string;
  mtu: number | null;
  macAddress: string | null;
  /** The bridge, bond (or team, vrf, ...) this interface is enslaved to. */
  master: string | null;
  /** linkinfo.info_slave_kind: bridge, bond, ... */
  masterKind: string | null;
  /** The device this one is stacked on: a VLAN's or macvlan's parent (never a veth peer). */
  lowerDevice: string | null;
  /** A veth's other end, when it is in the same namespace. */
  vethPeer: string | null;
  vlanId: number | null;
  bondMode: string | null;
  /** parentbus/parentdev (iproute2 5.14+ with kernel 5.14+): pci and 0000:03:00.0 for a PCI NIC. */
  parentBus: string | null;
  parentDevice: string | null;
  addresses: InterfaceAddress[];
}

export interface DefaultRoute {
  family: 'inet' | 'inet6';
  /** unicast unless the route says otherwise (unreachable, blackhole, prohibit). */
  type: string;
  gateway: string | null;
  device: string | null;
  metric: number | null;
  protocol: string | null;
  /** Equal-cost multipath routes list their hops here instead of gateway/device. */
  nexthops: { gateway: string | null; device: string | null }[];
}

export interface NetworkFacts {
  interfaces: NetworkInterface[];
  defaultRoutes: DefaultRoute[];
}

function classify(linkKind: string | null, linkType: string, parentBus: string | null): InterfaceKind {
  if (linkType === 'loopback') return 'loopback';
  switch (linkKind) {
    case 'bond':
    case 'vlan':
    case 'bridge':
    case 'veth':
    case 'macvlan':
      return linkKind;
    case null:
      // Drivers of real NICs register no rtnetlink kind; virtual links all have one with -d.
      return linkType === 'ether' || linkType === 'infiniband' || parentBus !== null ? 'physical' : 'other';
    default:
      return 'other';
  }
}

function readAddress(entry: JsonObjectReader): InterfaceAddress | null {
  const family = entry.optionalString('family');
  // Other families (mpls, ...) do not carry IP addresses.
  if (family !== 'inet' && family !== 'inet6') return null;
  const scope = entry.raw('scope');
  return {
    family,
    address: entry.string('local'),
    prefixLength: entry.integer('prefixlen', { min: 0, max: family === 'inet' ? 32 : 128 }),
    scope: typeof scope === 'number' ? String(scope) : (entry.optionalString('scope') ?? 'global'),
    peer: entry.optionalString('address'),
    dynamic: entry.optionalBoolean('dynamic') ?? false,
    tentative: entry.optionalBoolean('tentative') ?? false,
    deprecated: entry.optionalBoolean('deprecated') ?? false,
    dadFailed: entry.optionalBoolean('dadfailed') ?? false,
  };
}

function readInterface(link: JsonObjectReader): NetworkInterface {
  const linkInfo = link.optionalObject('linkinfo');
  const linkKind = linkInfo?.optionalString('info_kind') ?? null;
  const infoData = linkInfo?.optionalObject('info_data') ?? null;
  const linkType = link.optionalString('link_type') ?? 'none';
  const parentBus = link.optionalString('parentbus');
  const kind = classify(linkKind, linkType, parentBus);
  const flags = link.stringArray('flags');
  const linkName = link.optionalString('link');
  return {
    index: link.integer('ifindex', { min: 0 }),
    name: link.string('ifname'),
    altNames: link.stringArray('altnames'),
    kind,
    linkKind,
    linkType,
    flags,
    adminUp: flags.includes('UP'),
    lowerUp: flags.includes('LOWER_UP'),
    broadcast: flags.includes('BROADCAST'),
    pointToPoint: flags.includes('POINTOPOINT'),
    operState: link.optionalString('operstate') ?? 'UNKNOWN',
    mtu: link.optionalInteger('mtu', { min: 0 }),
    macAddress: link.optionalString('address'),
    master: link.optionalString('master'),
    masterKind: linkInfo?.optionalString('info_slave_kind') ?? null,
    lowerDevice: kind === 'veth' ? null : linkName,
    vethPeer: kind === 'veth' ? linkName : null,
    vlanId: kind === 'vlan' ? (infoData?.optionalInteger('id', { min: 0, max: 4095 }) ?? null) : null,
    bondMode: kind === 'bond' ? (infoData?.optionalString('mode') ?? null) : null,
    parentBus,
    parentDevice: link.optionalString('parentdev'),
    addresses: link
      .objects('addr_info', { optional: true })
      .map(readAddress)
      .filter((address): address is InterfaceAddress => address !== null),
  };
}

/** Parses `ip -j -d addr show`. Throws FactsParseError for other output, including `ip -j addr` without -d. */
export function parseIpAddr(text: string): NetworkInterface[] {
  const parsed = parseJsonOutput('ip addr', text, IP_ADDR_COMMAND);
  if (!Array.isArray(parsed)) {
    throw new FactsParseError('ip addr', '$', `an array of links from \`${IP_ADDR_COMMAND}\``, typeof parsed);
  }
  const items: unknown[] = parsed;
  // iproute2 before 6.17 prints `{}` for each link a filter (such as `group`) skips.
  const links = items
    .map((value, index) => ({ value, index }))
    .filter(({ value }) => !(isJsonObject(value) && Object.keys(value).length === 0))
    .map(({ value, index }) => JsonObjectReader.of('ip addr', `$[${index}]`, value, 'a link object'));
  // Without -d, bonds, VLANs and bridges are indistinguishable from NICs: refuse rather than misjudge them.
  if (links.length > 0 && !links.some((link) => link.has('promiscuity'))) {
    throw new FactsParseError(
      'ip addr',
      '$',
      `link details (promiscuity, linkinfo) from \`${IP_ADDR_COMMAND}\``,
      'output without -d',
    );
  }
  return links.map(readInterface);
}

function readRoute(route: JsonObjectReader, family: 'inet' | 'inet6'): DefaultRoute {
  const destination = route.optionalString('dst');
  if (destination !== 'default' && destination !== '0.0.0.0/0' && destination !== '::/0') {
    route.fail('dst', 'a default route (`dst: "default"`)');
  }
  return {
    family,
    type: route.optionalString('type') ?? 'unicast',
    gateway: route.optionalString('gateway'),
    device: route.optionalString('dev'),
    metric: route.optionalInteger('metric', { min: 0 }),
    protocol: route.optionalString('protocol'),
    nexthops: route.objects('nexthops', { optional: true }).map((hop) => ({
      gateway: hop.optionalString('gateway'),
      device: hop.optionalString('dev'),
    })),
  };
}

/** Parses `ip -j -4 route show default` (family inet) or `ip -j -6 route show default` (inet6). */
export function parseDefaultRoutes(text: string, family: 'inet' | 'inet6'): DefaultRoute[] {
  const command = family === 'inet' ? IP_ROUTE4_DEFAULT_COMMAND : IP_ROUTE6_DEFAULT_COMMAND;
  const parsed = parseJsonOutput('ip route', text, command);
  if (!Array.isArray(parsed)) {
    throw new FactsParseError('ip route', '$', `an array of routes from \`${command}\``, typeof parsed);
  }
  const items: unknown[] = parsed;
  return items.map((value, index) =>
    readRoute(JsonObjectReader.of('ip route', `$[${index}]`, value), family),
  );
}

export function findInterface(network: NetworkFacts, name: string): NetworkInterface | undefined {
  return network.interfaces.find((nic) => nic.name === name);
}
