// Small IP helpers for the simulator: enough to place addresses in subnets, pick an interface address the
// way Go's net package and LXD's util.NetworkInterfaceAddress do, and print addresses canonically.

export type IpFamily = 'inet' | 'inet6';

export function familyOf(address: string): IpFamily | null {
  if (parseIPv4(address) !== null) return 'inet';
  if (parseIPv6(address) !== null) return 'inet6';
  return null;
}

export function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Parses IPv6 (with `::` compression and an optional embedded IPv4 tail) into 8 hextets. */
export function parseIPv6(text: string): number[] | null {
  if (!text.includes(':')) return null;
  const [head = '', tail, extra] = text.split('::');
  if (extra !== undefined) return null;
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    for (const [index, piece] of pieces.entries()) {
      if (index === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece);
        if (v4 === null) return null;
        groups.push(Math.floor(v4 / 65536), v4 % 65536);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return null;
      groups.push(parseInt(piece, 16));
    }
    return groups;
  };
  const left = parseGroups(head);
  const right = tail === undefined ? [] : parseGroups(tail);
  if (!left || !right) return null;
  if (tail === undefined) return left.length === 8 ? left : null;
  const missing = 8 - left.length - right.length;
  if (missing < 1) return null;
  return [...left, ...new Array<number>(missing).fill(0), ...right];
}

/** RFC 5952 text form (lower case, longest zero run compressed), as Go and iproute2 print it. */
export function formatIPv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function canonicalIp(address: string): string | null {
  const v4 = parseIPv4(address);
  if (v4 !== null) return formatIPv4(v4);
  const v6 = parseIPv6(address);
  return v6 === null ? null : formatIPv6(v6);
}

export interface Cidr {
  family: IpFamily;
  /** Network address in canonical text form. */
  network: string;
  prefix: number;
}

export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  const family = familyOf(address);
  if (family === 'inet' && prefix <= 32) return { family, network: networkOf(address, prefix), prefix };
  if (family === 'inet6' && prefix <= 128) return { family, network: networkOf(address, prefix), prefix };
  return null;
}

function bitsOf(address: string): number[] {
  const v4 = parseIPv4(address);
  if (v4 !== null) return Array.from({ length: 32 }, (_, i) => Math.floor(v4 / 2 ** (31 - i)) % 2);
  const v6 = parseIPv6(address);
  if (v6 === null) throw new Error(`not an IP address: ${address}`);
  return v6.flatMap((group) => Array.from({ length: 16 }, (_, i) => (group >> (15 - i)) & 1));
}

function fromBits(bits: number[]): string {
  if (bits.length === 32) return formatIPv4(bits.reduce((acc, bit) => acc * 2 + bit, 0));
  const groups: number[] = [];
  for (let g = 0; g < 8; g++)
    groups.push(bits.slice(g * 16, g * 16 + 16).reduce((acc, bit) => acc * 2 + bit, 0));
  return formatIPv6(groups);
}

export function networkOf(address: string, prefix: number): string {
  return fromBits(bitsOf(address).map((bit, i) => (i < prefix ? bit : 0)));
}

export function broadcastOf(address: string, prefix: number): string {
  return fromBits(bitsOf(address).map((bit, i) => (i < prefix ? bit : 1)));
}

export function cidrContains(cidr: Cidr, address: string): boolean {
  if (familyOf(address) !== cidr.family) return false;
  return networkOf(address, cidr.prefix) === cidr.network;
}

export function formatCidr(cidr: Cidr): string {
  return `${cidr.network}/${cidr.prefix}`;
}

/** Go's net.IP.IsGlobalUnicast: not loopback, link-local, multicast or unspecified (private ranges count). */
export function isGlobalUnicast(address: string): boolean {
  const v4 = parseIPv4(address);
  if (v4 !== null) {
    const first = Math.floor(v4 / 2 ** 24);
    const second = Math.floor(v4 / 2 ** 16) % 256;
    if (v4 === 0 || v4 === 0xffffffff) return false;
    if (first === 127 || first >= 224) return false;
    if (first === 169 && second === 254) return false;
    return true;
  }
  const v6 = parseIPv6(address);
  if (v6 === null) return false;
  const first = v6[0] ?? 0;
  if (v6.every((g) => g === 0)) return false;
  if (v6.slice(0, 7).every((g) => g === 0) && v6[7] === 1) return false;
  if ((first & 0xffc0) === 0xfe80) return false;
  if ((first & 0xff00) === 0xff00) return false;
  return true;
}

/** `ip:port` as Go's net.JoinHostPort prints it (IPv6 in brackets). */
export function joinHostPort(address: string, port: number): string {
  return familyOf(address) === 'inet6' ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Splits `ip:port` / `[ip6]:port`; returns null for anything else. */
export function splitHostPort(text: string): { host: string; port: number } | null {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const plain = /^([^:]+):(\d+)$/.exec(text);
  const match = bracketed ?? plain;
  if (!match?.[1] || !match[2]) return null;
  return { host: match[1], port: Number(match[2]) };
}

/** EUI-64 link-local address the kernel derives from a MAC (fe80::216:3eff:fe..). */
export function linkLocalFromMac(mac: string): string {
  const bytes = mac.split(':').map((part) => parseInt(part, 16));
  if (bytes.length !== 6 || bytes.some((b) => Number.isNaN(b))) throw new Error(`bad MAC ${mac}`);
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0] = bytes;
  const groups = [
    0xfe80,
    0,
    0,
    0,
    ((b0 ^ 0x02) << 8) | b1,
    (b2 << 8) | 0xff,
    (0xfe << 8) | b3,
    (b4 << 8) | b5,
  ];
  return formatIPv6(groups);
}
