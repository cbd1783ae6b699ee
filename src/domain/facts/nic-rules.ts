// Which interfaces may carry the OVN uplink (§5.1), which may carry the management, OVN underlay and Ceph
// networks (§5.2), and whether a cluster address is really one of the host's own (§5.3). mc is stricter than
// MicroCloud where MicroCloud's leniency has cut hosts off the network (§5.1: bridges with the host's address,
// enslaved NICs, no carrier are not checked upstream).

import {
  cidrContains,
  isIpv6LinkLocal,
  nonGlobalClass,
  parseCidr,
  parseIpAddress,
  subnetOf,
  type Cidr,
  type IpAddress,
} from './ip-address.js';
import type { HostFacts } from './host-facts.js';
import type { InterfaceAddress, NetworkFacts, NetworkInterface } from './network.js';
import type { Reason } from './verdict.js';

/** The rules take a host's network facts, or the whole HostFacts they are part of. */
export type NetworkSource = NetworkFacts | Pick<HostFacts, 'network'>;

function networkOf(source: NetworkSource): NetworkFacts {
  return 'network' in source ? source.network : source;
}

export interface InterfaceVerdict<Code extends string> {
  interface: NetworkInterface;
  eligible: boolean;
  reasons: Reason<Code>[];
  warnings: string[];
}

export type UplinkRejectionCode =
  | 'loopback'
  | 'unsupported-kind'
  | 'no-broadcast'
  | 'has-addresses'
  | 'enslaved'
  | 'management'
  | 'stacked'
  | 'no-carrier';

export interface UplinkOptions {
  /** The address mc reaches the host on (its cluster address): that interface and all under it are refused. */
  managementAddress?: string;
  /**
   * Accept veth interfaces, for test labs whose "NICs" are veth pairs. MicroCloud itself never offers them:
   * LXD classifies a veth as `unknown` (§5.1).
   */
  allowVeth?: boolean;
}

/** The kinds LXD calls OVN-compatible (§5.1). */
const UPLINK_KINDS = new Set(['physical', 'bond', 'vlan', 'bridge']);

/** Whether an address as ip prints it is `wanted` (family and value: 10.0.0.1 is not ::a00:1). */
function isSameAddress(text: string, wanted: IpAddress): boolean {
  const parsed = parseIpAddress(text);
  return parsed !== null && parsed.family === wanted.family && parsed.value === wanted.value;
}

function withArticle(word: string): string {
  return `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;
}

function formatAddress(address: InterfaceAddress): string {
  return `${address.address}/${address.prefixLength}`;
}

function enslavedMessage(nic: NetworkInterface): string | null {
  if (nic.master === null) return null;
  if (nic.masterKind === 'bridge') return `is a port of bridge ${nic.master}`;
  if (nic.masterKind === 'bond') return `is a member of bond ${nic.master}`;
  return `is enslaved to ${nic.master}${nic.masterKind === null ? '' : ` (${nic.masterKind})`}`;
}

function noCarrier(nic: NetworkInterface): boolean {
  return nic.adminUp && !nic.lowerUp && nic.kind !== 'loopback';
}

/** The interface holding `address`, and every interface it is built on (VLAN parents, bond and bridge members). */
function managementChain(network: NetworkFacts, address: string): Map<string, string> {
  const chain = new Map<string, string>();
  const wanted = parseIpAddress(address);
  if (wanted === null) return chain;
  const holder = network.interfaces.find((nic) =>
    nic.addresses.some((entry) => isSameAddress(entry.address, wanted)),
  );
  if (holder === undefined) return chain;
  chain.set(holder.name, `carries the management address ${wanted.text}`);
  const below = (nic: NetworkInterface): NetworkInterface[] =>
    network.interfaces.filter((other) => other.master === nic.name || other.name === nic.lowerDevice);
  const queue = below(holder);
  while (queue.length > 0) {
    const next = queue.shift();
    if (next === undefined || chain.has(next.name)) continue;
    chain.set(next.name, `is under ${holder.name}, which carries the management address ${wanted.text}`);
    queue.push(...below(next));
  }
  return chain;
}

/**
 * Judges every interface as the OVN uplink: no address but IPv6 link-local, a physical NIC, bond, VLAN or bridge
 * that can broadcast, not enslaved, not under the management address, nothing stacked on it, and a carrier when
 * up. A down interface stays eligible with a warning: mc can bring it up (MicroCloud lists only UP ones).
 */
export function evaluateUplinkInterfaces(
  source: NetworkSource,
  options: UplinkOptions = {},
): InterfaceVerdict<UplinkRejectionCode>[] {
  const network = networkOf(source);
  const management =
    options.managementAddress === undefined
      ? new Map<string, string>()
      : managementChain(network, options.managementAddress);
  return network.interfaces.map((nic) => {
    const reasons: Reason<UplinkRejectionCode>[] = [];
    const warnings: string[] = [];
    if (nic.kind === 'loopback') {
      reasons.push({ code: 'loopback', message: 'is the loopback interface' });
    } else if (nic.kind === 'veth' && options.allowVeth === true) {
      warnings.push('is a veth interface: accepted for a test lab, MicroCloud itself would not offer it');
    } else if (!UPLINK_KINDS.has(nic.kind)) {
      reasons.push({
        code: 'unsupported-kind',
        message: `is ${withArticle(nic.linkKind ?? nic.kind)} interface; the uplink must be a physical NIC, a bond, a VLAN or a bridge`,
      });
    }
    if (!nic.broadcast && nic.kind !== 'loopback') {
      reasons.push({
        code: 'no-broadcast',
        message: 'has no BROADCAST flag (a point-to-point or tunnel link)',
      });
    }
    // §5.1 counts only global addresses; mc refuses any address but IPv6 link-local, bridges included (#1432).
    const addresses = nic.addresses.filter((entry) => {
      const parsed = parseIpAddress(entry.address);
      return parsed === null || !isIpv6LinkLocal(parsed);
    });
    if (addresses.length > 0) {
      reasons.push({
        code: 'has-addresses',
        message: `has addresses other than IPv6 link-local: ${addresses.map(formatAddress).join(', ')}`,
      });
    }
    const enslaved = enslavedMessage(nic);
    if (enslaved !== null) reasons.push({ code: 'enslaved', message: enslaved });
    const managementMessage = management.get(nic.name);
    if (managementMessage !== undefined) reasons.push({ code: 'management', message: managementMessage });
    const stacked = network.interfaces.filter((other) => other.lowerDevice === nic.name);
    if (stacked.length > 0) {
      reasons.push({
        code: 'stacked',
        message: `has ${stacked.map((other) => `${other.name} (${other.linkKind ?? other.kind})`).join(', ')} stacked on it`,
      });
    }
    if (noCarrier(nic)) reasons.push({ code: 'no-carrier', message: 'is up but has no carrier' });
    if (!nic.adminUp && nic.kind !== 'loopback') {
      warnings.push('is down: mc must bring it up, MicroCloud only offers interfaces that are up');
    }
    return { interface: nic, eligible: reasons.length === 0, reasons, warnings };
  });
}

export type AddressedRejectionCode =
  'loopback' | 'no-global-address' | 'not-in-subnet' | 'down' | 'no-carrier' | 'enslaved' | 'hidden-by-lxd';

export interface AddressedInterfaceVerdict extends InterfaceVerdict<AddressedRejectionCode> {
  /** The interface's global addresses as `ip/prefix` (those inside the subnet when one was given), as in §5.2. */
  addresses: string[];
}

function isGlobalScope(entry: InterfaceAddress): boolean {
  return entry.scope === 'global';
}

function requireCidr(subnet: string): Cidr {
  const cidr = parseCidr(subnet);
  if (cidr === null) throw new RangeError(`subnet must be a CIDR such as 10.0.0.0/24, got "${subnet}"`);
  return cidr;
}

function addressedVerdict(nic: NetworkInterface, subnet: Cidr | null): AddressedInterfaceVerdict {
  const reasons: Reason<AddressedRejectionCode>[] = [];
  const warnings: string[] = [];
  const global = nic.addresses.filter(isGlobalScope);
  const matching =
    subnet === null
      ? global
      : global.filter((entry) => {
          const parsed = parseIpAddress(entry.address);
          return parsed !== null && cidrContains(subnet, parsed);
        });
  if (nic.kind === 'loopback') reasons.push({ code: 'loopback', message: 'is the loopback interface' });
  if (global.length === 0) {
    reasons.push({ code: 'no-global-address', message: 'has no global address' });
  } else if (matching.length === 0 && subnet !== null) {
    reasons.push({
      code: 'not-in-subnet',
      message: `has no address in ${subnet.text} (has ${global.map(formatAddress).join(', ')})`,
    });
  }
  if (!nic.adminUp) reasons.push({ code: 'down', message: 'is down' });
  if (noCarrier(nic)) reasons.push({ code: 'no-carrier', message: 'is up but has no carrier' });
  const enslaved = enslavedMessage(nic);
  if (enslaved !== null) reasons.push({ code: 'enslaved', message: enslaved });
  // LXD's /1.0/networks leaves out interfaces named veth*, so MicroCloud never sees them (§5.1).
  if (nic.name.startsWith('veth')) {
    reasons.push({
      code: 'hidden-by-lxd',
      message: 'has a name starting with veth, so LXD does not list it',
    });
  }
  for (const entry of matching.filter((address) => address.dynamic)) {
    warnings.push(`${formatAddress(entry)} is dynamic (DHCP or SLAAC); MicroCloud expects fixed addresses`);
  }
  return {
    interface: nic,
    eligible: reasons.length === 0,
    reasons,
    warnings,
    addresses: matching.map(formatAddress),
  };
}

/**
 * Judges every interface as the carrier of an addressed network (§5.2): MicroCloud's own network, the OVN
 * underlay or the Ceph public/internal network. With `subnet`, only addresses inside it count.
 * Throws RangeError when `subnet` is not a CIDR.
 */
export function evaluateAddressedInterfaces(
  source: NetworkSource,
  options: { subnet?: string } = {},
): AddressedInterfaceVerdict[] {
  const network = networkOf(source);
  const subnet = options.subnet === undefined ? null : requireCidr(options.subnet);
  return network.interfaces.map((nic) => addressedVerdict(nic, subnet));
}

export interface HostAddress {
  interfaceName: string;
  address: string;
  prefixLength: number;
  /** The subnet the address is in, e.g. `10.1.123.0/24`. */
  subnet: string;
  dynamic: boolean;
}

/** Every global-unicast address of the host (MicroCloud's cluster address candidates, §5.3). */
export function globalUnicastAddresses(source: NetworkSource): HostAddress[] {
  return networkOf(source).interfaces.flatMap((nic) =>
    nic.addresses.flatMap((entry) => {
      const parsed = parseIpAddress(entry.address);
      if (parsed === null || nonGlobalClass(parsed) !== null) return [];
      return [
        {
          interfaceName: nic.name,
          address: parsed.text,
          prefixLength: entry.prefixLength,
          subnet: subnetOf(parsed, entry.prefixLength).text,
          dynamic: entry.dynamic,
        },
      ];
    }),
  );
}

/**
 * The first of the host's addresses inside `subnet`, as MicroCloud picks its address from `lookup_subnet`
 * (§5.3); null when none is. Throws RangeError when `subnet` is not a CIDR.
 */
export function findAddressInSubnet(source: NetworkSource, subnet: string): HostAddress | null {
  const cidr = requireCidr(subnet);
  return (
    globalUnicastAddresses(source).find((candidate) => {
      const parsed = parseIpAddress(candidate.address);
      return parsed !== null && cidrContains(cidr, parsed);
    }) ?? null
  );
}

export type ClusterAddressCode =
  | 'invalid-address'
  | 'not-global-unicast'
  | 'not-on-host'
  | 'ambiguous'
  | 'duplicate-address'
  | 'tentative'
  | Exclude<AddressedRejectionCode, 'loopback' | 'no-global-address' | 'not-in-subnet'>;

export type ClusterAddressCheck =
  | ({ ok: true; warnings: string[] } & HostAddress)
  | { ok: false; address: string; reasons: Reason<ClusterAddressCode>[] };

/**
 * Whether `address` can be this host's cluster address (§5.3): a global unicast address configured on exactly
 * one interface that is up, has a carrier, is not enslaved and that LXD lists. A dynamic address is a warning:
 * MicroCloud asks for fixed addresses, but a DHCP lease with a reservation is common on cloud VMs.
 */
export function checkClusterAddress(source: NetworkSource, address: string): ClusterAddressCheck {
  const network = networkOf(source);
  const parsed = parseIpAddress(address);
  if (parsed === null) {
    return {
      ok: false,
      address,
      reasons: [{ code: 'invalid-address', message: `${address} is not an IP address` }],
    };
  }
  const nonGlobal = nonGlobalClass(parsed);
  if (nonGlobal !== null) {
    return {
      ok: false,
      address: parsed.text,
      reasons: [
        {
          code: 'not-global-unicast',
          message: `${parsed.text} is ${withArticle(nonGlobal)} address; the cluster address must be a global unicast address`,
        },
      ],
    };
  }
  const holders = network.interfaces.flatMap((nic) =>
    nic.addresses.filter((entry) => isSameAddress(entry.address, parsed)).map((entry) => ({ nic, entry })),
  );
  const first = holders[0];
  if (first === undefined) {
    const own = globalUnicastAddresses(network).map(
      (candidate) => `${candidate.address}/${candidate.prefixLength} on ${candidate.interfaceName}`,
    );
    return {
      ok: false,
      address: parsed.text,
      reasons: [
        {
          code: 'not-on-host',
          message: `${parsed.text} is not configured on this host (${own.length === 0 ? 'it has no global addresses' : `its addresses: ${own.join(', ')}`})`,
        },
      ],
    };
  }
  const reasons: Reason<ClusterAddressCode>[] = [];
  if (holders.length > 1) {
    reasons.push({
      code: 'ambiguous',
      message: `${parsed.text} is configured on more than one interface: ${holders.map(({ nic }) => nic.name).join(', ')}`,
    });
  }
  const { nic, entry } = first;
  if (entry.dadFailed) {
    reasons.push({
      code: 'duplicate-address',
      message: `${parsed.text} failed duplicate address detection on ${nic.name}`,
    });
  } else if (entry.tentative) {
    reasons.push({
      code: 'tentative',
      message: `${parsed.text} is still tentative on ${nic.name} (duplicate address detection)`,
    });
  }
  for (const reason of addressedVerdict(nic, null).reasons) {
    if (reason.code === 'loopback' || reason.code === 'no-global-address' || reason.code === 'not-in-subnet')
      continue;
    reasons.push({ code: reason.code, message: `${parsed.text} is on ${nic.name}, which ${reason.message}` });
  }
  if (reasons.length > 0) return { ok: false, address: parsed.text, reasons };
  const warnings: string[] = [];
  if (entry.dynamic) {
    warnings.push(
      `${parsed.text} is dynamic (DHCP or SLAAC) on ${nic.name}; MicroCloud expects a fixed address`,
    );
  }
  if (entry.deprecated)
    warnings.push(`${parsed.text} is deprecated on ${nic.name} (its preferred lifetime ran out)`);
  return {
    ok: true,
    warnings,
    interfaceName: nic.name,
    address: parsed.text,
    prefixLength: entry.prefixLength,
    subnet: subnetOf(parsed, entry.prefixLength).text,
    dynamic: entry.dynamic,
  };
}
