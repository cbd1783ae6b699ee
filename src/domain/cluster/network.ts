// Networking (§2.2, §3.3, §5): the OVN uplink per member, the OVN underlay, the UPLINK network's range against
// the members' addresses (§1.1 point 8), the FAN fallback, and the Ceph networks.
//
// Uplink NICs: mc applies the facts layer's rule (evaluateUplinkInterfaces: no address but IPv6 link-local,
// a physical NIC, bond, VLAN or bridge, not enslaved, not under the cluster address). veth interfaces, which
// LXD never offers (§5.1), are accepted when the inventory names one in ovn_uplink_interface (with a
// warning), and chosen by mc only with the allowVeth option (the namespace lab's enp6s0 is a veth).

import {
  cidrContains,
  evaluateAddressedInterfaces,
  evaluateUplinkInterfaces,
  findInterface,
  globalUnicastAddresses,
  parseCidr,
  parseIpAddress,
  subnetOf,
  type HostFacts,
} from '../facts/index.js';
import type { MemberAddress } from './addresses.js';
import type { DesignContext, HostContext } from './context.js';
import { parseIpv4Range, rangeContains } from './spec.js';
import type { Choice, ClusterDesign, UplinkDesign } from './types.js';

function managementAddress(host: HostContext, address: MemberAddress | undefined): string {
  return address?.choice.value ?? host.inventory.address;
}

function explicitUplink(
  ctx: DesignContext,
  host: HostContext,
  name: string,
  address: MemberAddress | undefined,
): Choice<string> | null {
  const path = `systems.${host.name}.ovn_uplink_interface`;
  const verdicts = evaluateUplinkInterfaces(host.facts, {
    managementAddress: managementAddress(host, address),
    allowVeth: true,
  });
  const eligible = verdicts.filter((verdict) => verdict.eligible).map((verdict) => verdict.interface.name);
  const others =
    eligible.length === 0 ? 'no interface of this host is eligible' : `eligible: ${eligible.join(', ')}`;
  const nic = findInterface(host.facts.network, name);
  const verdict = verdicts.find((candidate) => candidate.interface.name === nic?.name);
  if (nic === undefined || verdict === undefined) {
    ctx.issues.add(`uplink interface ${name} does not exist on this host`, {
      position: ctx.at(path),
      host: host.name,
      hint: others,
    });
    return null;
  }
  if (!verdict.eligible) {
    ctx.issues.add(
      `uplink interface ${name} cannot carry the OVN uplink: it ${verdict.reasons.map((reason) => reason.message).join('; ')}`,
      { position: ctx.at(path), host: host.name, hint: others },
    );
    return null;
  }
  for (const warning of verdict.warnings) ctx.warn(`uplink ${name} ${warning}`, host.name);
  return { value: name, source: 'inventory', reason: `cluster.${path}` };
}

/** MicroCloud's rule (§2.2): the alphabetically first eligible interface that is up. */
function probedUplink(
  ctx: DesignContext,
  host: HostContext,
  address: MemberAddress | undefined,
): Choice<string> | null {
  const verdicts = evaluateUplinkInterfaces(host.facts, {
    managementAddress: managementAddress(host, address),
    allowVeth: ctx.options.allowVeth === true,
  });
  const eligible = verdicts
    .filter((verdict) => verdict.eligible && verdict.interface.adminUp)
    .map((verdict) => verdict.interface.name)
    .sort();
  const [first] = eligible;
  if (first === undefined) {
    const refused = verdicts
      .filter((verdict) => verdict.interface.kind !== 'loopback')
      .map((verdict) =>
        verdict.eligible
          ? `${verdict.interface.name} is down`
          : `${verdict.interface.name} ${verdict.reasons.map((reason) => reason.message).join(', ')}`,
      );
    const veth = verdicts.some(
      (verdict) => verdict.interface.kind === 'veth' && verdict.reasons.length === 1,
    );
    ctx.issues.add(`no interface can carry the OVN uplink: ${refused.join('; ')}`, {
      host: host.name,
      hint: `give the host an interface that is up and has no address, as MicroCloud requires, or name one in cluster.systems.${host.name}.ovn_uplink_interface${veth ? '; for a lab whose NICs are veth pairs, run with --allow-veth' : ''}`,
    });
    return null;
  }
  const verdict = verdicts.find((candidate) => candidate.interface.name === first);
  for (const warning of verdict?.warnings ?? []) ctx.warn(`uplink ${first} ${warning}`, host.name);
  return {
    value: first,
    source: 'probed',
    reason:
      eligible.length === 1
        ? `the only eligible uplink interface`
        : `alphabetically first eligible uplink of ${eligible.join(', ')}`,
  };
}

/** Per member: the OVN uplink interface when OVN networking is set up, else null. */
export function designUplinks(
  ctx: DesignContext,
  addresses: ReadonlyMap<string, MemberAddress>,
  ovnNetworking: boolean,
): Map<string, Choice<string> | null> {
  const uplinks = new Map<string, Choice<string> | null>();
  for (const host of ctx.hosts) {
    const address = addresses.get(host.name);
    const named = host.system.uplinkInterface;
    if (!ovnNetworking) uplinks.set(host.name, null);
    else if (named !== undefined) uplinks.set(host.name, explicitUplink(ctx, host, named, address));
    else uplinks.set(host.name, probedUplink(ctx, host, address));
  }
  return uplinks;
}

/**
 * The underlay (Geneve encapsulation) IP must be an address of the host on an interface that can carry it:
 * tunnels from the other members go to it.
 */
export function checkUnderlays(ctx: DesignContext): void {
  for (const host of ctx.hosts) {
    const wanted = host.system.underlayIp;
    if (wanted === undefined) continue;
    const verdicts = evaluateAddressedInterfaces(host.facts);
    const holder = verdicts.find((verdict) =>
      verdict.interface.addresses.some((entry) => parseIpAddress(entry.address)?.text === wanted),
    );
    if (holder?.eligible === true) continue;
    const own = globalUnicastAddresses(host.facts).map(
      (entry) => `${entry.address}/${entry.prefixLength} (${entry.interfaceName})`,
    );
    ctx.issues.add(`No available interface found for OVN underlay IP "${wanted}"`, {
      position: ctx.at(`systems.${host.name}.ovn_underlay_ip`),
      host: host.name,
      hint:
        holder === undefined
          ? `the underlay IP must be one of the host's addresses: ${own.length === 0 ? 'it has none' : own.join(', ')}`
          : `it is on ${holder.interface.name}, which ${holder.reasons.map((reason) => reason.message).join('; ')}`,
    });
  }
}

/** The UPLINK network; null without MicroOVN or without uplink settings (§2.2). */
export function designUplinkNetwork(ctx: DesignContext): UplinkDesign | null {
  const ovn = ctx.spec.ovn;
  if (!ctx.spec.services.microovn || ovn === null) return null;
  if (ovn.ipv4Gateway === undefined && ovn.ipv6Gateway === undefined) return null;
  const uplink: UplinkDesign = { dnsServers: ovn.dnsServers ?? [] };
  if (ovn.ipv4Gateway !== undefined) uplink.ipv4Gateway = ovn.ipv4Gateway;
  if (ovn.ipv4Range !== undefined) uplink.ipv4Range = ovn.ipv4Range;
  if (ovn.ipv6Gateway !== undefined) uplink.ipv6Gateway = ovn.ipv6Gateway;
  return uplink;
}

/**
 * OVN hands out the range's addresses to its routers: none may be a member's (§1.1 point 8 checks the
 * cluster addresses; mc checks every global address of every member).
 */
export function checkRangeAgainstMembers(
  ctx: DesignContext,
  uplink: UplinkDesign | null,
  addresses: ReadonlyMap<string, MemberAddress>,
): void {
  const range = uplink?.ipv4Range === undefined ? null : parseIpv4Range(uplink.ipv4Range);
  if (range === null) return;
  for (const host of ctx.hosts) {
    const cluster = addresses.get(host.name)?.choice.value;
    for (const entry of globalUnicastAddresses(host.facts)) {
      const address = parseIpAddress(entry.address);
      if (address === null || !rangeContains(range, address)) continue;
      ctx.issues.add(
        address.text === cluster
          ? `UPLINK ipv4.ovn.ranges must not include system address "${address.text}"`
          : `UPLINK ipv4.ovn.ranges must not include ${address.text}, an address of this host (${entry.interfaceName})`,
        {
          position: ctx.at('ovn.ipv4_range'),
          host: host.name,
          hint: "OVN gives the range's addresses to its routers: choose a range no host uses",
        },
      );
    }
  }
}

/** The IPv4 default route's interface (the lowest metric), as MicroCloud reads /proc/net/route. */
function defaultRouteInterface(facts: HostFacts): string | null {
  const routes = facts.network.defaultRoutes
    .filter((route) => route.family === 'inet' && route.type === 'unicast')
    .sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0));
  for (const route of routes) {
    const device = route.device ?? route.nexthops.find((hop) => hop.device !== null)?.device ?? null;
    if (device !== null) return device;
  }
  return null;
}

/**
 * The FAN fallback (§2.2, §3.3): without OVN networking, when the initiator has an IPv4 default route, the
 * subnet of that route's interface, forced to a /16 unless it is a /16 or a /24. Every member needs an
 * address in it.
 */
export function designFan(ctx: DesignContext, uplink: UplinkDesign | null): ClusterDesign['fan'] {
  if (uplink !== null) return null;
  // A network of the inventory's own (cluster.lxd.networks) takes the place of the fallback.
  if (ctx.spec.lxd.networks.length > 0) return null;
  const initiator = ctx.host(ctx.spec.initiator);
  if (initiator === undefined) return null;
  const device = defaultRouteInterface(initiator.facts);
  if (device === null) {
    ctx.warn(
      `no OVN uplink configured and ${initiator.name} has no IPv4 default route: no network for instances is created (set cluster.ovn for OVN networking)`,
    );
    return null;
  }
  const subnets = [
    ...new Set(
      globalUnicastAddresses(initiator.facts)
        .filter((entry) => entry.interfaceName === device && !entry.address.includes(':'))
        .map((entry) => entry.subnet),
    ),
  ];
  if (subnets.length > 1) {
    ctx.issues.add('More than one IPv4 subnet on default interface', {
      host: initiator.name,
      hint: `the FAN underlay is the subnet of ${device} (${subnets.join(', ')}): leave one, or configure OVN networking with cluster.ovn`,
    });
    return null;
  }
  const [subnet] = subnets;
  const cidr = subnet === undefined ? null : parseCidr(subnet);
  if (cidr === null) {
    ctx.warn(
      `no OVN uplink configured and ${device}, ${initiator.name}'s default route, has no IPv4 address: no FAN network is created`,
    );
    return null;
  }
  const network = parseIpAddress(cidr.text.split('/')[0] ?? '');
  const underlay =
    cidr.prefixLength === 16 || cidr.prefixLength === 24 || network === null ? cidr : subnetOf(network, 16);
  for (const host of ctx.hosts) {
    const inside = globalUnicastAddresses(host.facts).some((entry) => {
      const address = parseIpAddress(entry.address);
      return address !== null && cidrContains(underlay, address);
    });
    if (!inside) {
      ctx.issues.add(`no address in the FAN underlay subnet ${underlay.text}`, {
        host: host.name,
        hint: `the FAN network spans ${underlay.text}, the subnet of ${initiator.name}'s default route; configure OVN networking with cluster.ovn instead`,
      });
    }
  }
  return { underlaySubnet: underlay.text };
}

/**
 * LXD sets up the FAN bridge on every member with `ip link add ... type vxlan ... fan-map` and checks nothing
 * first (driver_bridge.go): where `ip` lacks the option, the create fails midway and leaves the network
 * Errored. Refused here instead, before anything is touched. An unknown answer (an old `ip`) is let through.
 */
export function checkFanMap(ctx: DesignContext, fan: ClusterDesign['fan']): void {
  if (fan === null) return;
  for (const host of ctx.hosts) {
    if (host.facts.fanMap !== false) continue;
    ctx.issues.add(
      `\`ip\` here has no fan-map (an iproute2 without Ubuntu's FAN patch): LXD cannot set up the FAN bridge lxdfan0 on ${fan.underlaySubnet}`,
      {
        host: host.name,
        hint: 'list a standard bridge under cluster.lxd.networks (type: bridge), or configure OVN networking with cluster.ovn; or install an iproute2 with fan-map on this host',
      },
    );
  }
}

/**
 * Ceph's public and internal networks: as written, else the subnet of the initiator's cluster address (§2.1).
 * Every member runs Ceph daemons and needs an address in each (MicroCloud's message).
 */
export function designCephNetworks(
  ctx: DesignContext,
  addresses: ReadonlyMap<string, MemberAddress>,
): ClusterDesign['ceph'] {
  if (!ctx.spec.services.microceph) return null;
  const fallback = addresses.get(ctx.spec.initiator)?.subnet;
  const publicNetwork = ctx.spec.ceph.publicNetwork ?? fallback;
  const internalNetwork = ctx.spec.ceph.internalNetwork ?? fallback;
  if (publicNetwork === undefined || internalNetwork === undefined) return null;
  for (const [key, subnet, written] of [
    ['public_network', publicNetwork, ctx.spec.ceph.publicNetwork],
    ['internal_network', internalNetwork, ctx.spec.ceph.internalNetwork],
  ] as const) {
    if (written === undefined) continue;
    const lacking = ctx.hosts.filter(
      (host) => !evaluateAddressedInterfaces(host.facts, { subnet }).some((verdict) => verdict.eligible),
    );
    for (const host of lacking) {
      ctx.issues.add(
        `Not enough network interfaces found with an IP within the given CIDR subnet on "${host.name}". You need at least one interface per cluster member.`,
        {
          position: ctx.at(`ceph.${key}`),
          host: host.name,
          hint: `give ${host.name} an address in ${subnet}, or change ceph.${key}`,
        },
      );
    }
  }
  return { cephfs: ctx.spec.ceph.cephfs, publicNetwork, internalNetwork };
}
