// IPv4/IPv6 addresses and subnets as numbers: parsing, containment, and the address classes MicroCloud uses
// to pick cluster addresses (§5.3: Go's IsGlobalUnicast).

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  /** The address as an unsigned 32- or 128-bit number. */
  value: bigint;
  /** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run compressed). */
  text: string;
}

/** A subnet: the network address (host bits cleared) and its prefix length. */
export interface Cidr {
  family: IpFamily;
  network: bigint;
  prefixLength: number;
  /** Canonical `network/prefix` text, e.g. `10.1.123.0/24`. */
  text: string;
}

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    // No leading zeros: "010" is octal to some tools and decimal to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  let groups: string[];
  let tailV4: bigint | null = null;
  let body = text;
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.')) {
    tailV4 = parseIpv4(body.slice(lastColon + 1));
    if (tailV4 === null) return null;
    body = `${body.slice(0, lastColon + 1)}0:0`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : (halves[0] ?? '').split(':');
  if (halves.length === 2) {
    const tail = halves[1] === '' ? [] : (halves[1] ?? '').split(':');
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return null;
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  if (tailV4 !== null) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

function formatIpv6(value: bigint): string {
  if (value >> 32n === 0xffffn) return `::ffff:${formatIpv4(value & 0xffffffffn)}`;
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length++;
    if (length > bestLength) {
      bestStart = start;
      bestLength = length;
    }
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function makeAddress(family: IpFamily, value: bigint): IpAddress {
  return { family, value, text: family === 4 ? formatIpv4(value) : formatIpv6(value) };
}

/** Parses an IPv4 or IPv6 address (an IPv6 zone such as `%eth0` is dropped); null if it is not one. */
export function parseIpAddress(text: string): IpAddress | null {
  const trimmed = text.trim();
  if (trimmed.includes(':')) {
    const value = parseIpv6(trimmed.replace(/%[^%]+$/, ''));
    return value === null ? null : makeAddress(6, value);
  }
  const value = parseIpv4(trimmed);
  return value === null ? null : makeAddress(4, value);
}

function prefixMask(family: IpFamily, prefixLength: number): bigint {
  const bits = BigInt(BITS[family]);
  const all = (1n << bits) - 1n;
  return (all << (bits - BigInt(prefixLength))) & all;
}

/** The subnet of `prefixLength` bits that contains `address`. */
export function subnetOf(address: IpAddress, prefixLength: number): Cidr {
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > BITS[address.family]) {
    throw new RangeError(`prefix length ${prefixLength} is out of range for IPv${address.family}`);
  }
  const network = address.value & prefixMask(address.family, prefixLength);
  return {
    family: address.family,
    network,
    prefixLength,
    text: `${makeAddress(address.family, network).text}/${prefixLength}`,
  };
}

/**
 * Parses `address/prefix`. Host bits are cleared (`10.1.123.10/24` is the subnet `10.1.123.0/24`), as users
 * often give a member's address with its prefix. Null when the text is not a CIDR.
 */
export function parseCidr(text: string): Cidr | null {
  const match = /^([^/\s]+)\/(\d{1,3})$/.exec(text.trim());
  if (match === null) return null;
  const address = parseIpAddress(match[1] ?? '');
  const prefixLength = Number(match[2]);
  if (address === null || prefixLength > BITS[address.family]) return null;
  return subnetOf(address, prefixLength);
}

export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  return (
    cidr.family === address.family &&
    (address.value & prefixMask(cidr.family, cidr.prefixLength)) === cidr.network
  );
}

/** The number of addresses in a subnet (2^(bits - prefix)). */
export function cidrSize(cidr: Cidr): bigint {
  return 1n << BigInt(BITS[cidr.family] - cidr.prefixLength);
}

/** Why an address is not global unicast, in Go's net.IP terms (§5.3), or null when it is. */
export type NonGlobalClass = 'unspecified' | 'loopback' | 'multicast' | 'link-local' | 'broadcast';

export function nonGlobalClass(address: IpAddress): NonGlobalClass | null {
  // IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry, as Go does.
  if (address.family === 6 && address.value >> 32n === 0xffffn) {
    return nonGlobalClass(makeAddress(4, address.value & 0xffffffffn));
  }
  if (address.family === 4) {
    const top = address.value >> 24n;
    if (address.value === 0n) return 'unspecified';
    if (address.value === 0xffffffffn) return 'broadcast';
    if (top === 127n) return 'loopback';
    if (top >= 224n && top <= 239n) return 'multicast';
    if (address.value >> 16n === 0xa9fen) return 'link-local';
    return null;
  }
  if (address.value === 0n) return 'unspecified';
  if (address.value === 1n) return 'loopback';
  if (address.value >> 120n === 0xffn) return 'multicast';
  if (address.value >> 118n === 0x3fan) return 'link-local';
  return null;
}

export function isGlobalUnicast(address: IpAddress): boolean {
  return nonGlobalClass(address) === null;
}

export function isIpv6LinkLocal(address: IpAddress): boolean {
  return address.family === 6 && nonGlobalClass(address) === 'link-local';
}
