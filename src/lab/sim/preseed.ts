// The `microcloud preseed` document (§2.1): parsing, mc2's validation messages, the host's MicroCloud
// address, and the LXD filter language used by `storage.*.find` (§4.3).

import { parse as parseYaml } from 'yaml';

import {
  isDiskMounted,
  lxdDeviceId,
  lxdDevicePath,
  machineAddresses,
  type BlockDevice,
  type Machine,
} from './machine.js';
import { cidrContains, familyOf, parseCidr } from './net.js';

/** The CLI turns this into `⨯ Error: <message>` and exit 1. */
export class CloudError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Preseed document.

export interface PreseedDisk {
  path: string;
  wipe: boolean;
  encrypt: boolean;
}

export interface PreseedSystem {
  name: string;
  address: string;
  uplinkInterface: string;
  underlayIp: string;
  local: PreseedDisk | null;
  ceph: PreseedDisk[];
}

export interface DiskFilter {
  find: string;
  findMin: number;
  findMax: number;
  wipe: boolean;
  encrypt: boolean;
}

export interface Preseed {
  lookupSubnet: string;
  lookupTimeout: number;
  sessionPassphrase: string;
  sessionTimeout: number;
  initiator: string;
  initiatorAddress: string;
  systems: PreseedSystem[];
  ovn: { ipv4Gateway: string; ipv4Range: string; ipv6Gateway: string; dnsServers: string };
  ceph: { publicNetwork: string; internalNetwork: string; cephfs: boolean };
  storage: { local: DiskFilter[]; ceph: DiskFilter[] };
}

type YamlMap = Record<string, unknown>;

function yamlTypeError(line: string, expected: string, value: unknown): CloudError {
  // yaml.v3's unmarshal error shape, wrapped by RunPreseed.
  return new CloudError(
    `Failed to parse the preseed yaml: yaml: unmarshal errors:\n  ${line}: cannot unmarshal ${typeof value} \`${String(value)}\` into ${expected}`,
  );
}

function str(map: YamlMap, key: string): string {
  const value = map[key];
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw yamlTypeError(key, 'string', value);
}

function int(map: YamlMap, key: string): number {
  const value = map[key];
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw yamlTypeError(key, 'int64', value);
}

function bool(map: YamlMap, key: string): boolean {
  const value = map[key];
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  throw yamlTypeError(key, 'bool', value);
}

function mapOf(value: unknown): YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as YamlMap) : {};
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function disk(value: unknown): PreseedDisk {
  const map = mapOf(value);
  return { path: str(map, 'path'), wipe: bool(map, 'wipe'), encrypt: bool(map, 'encrypt') };
}

function filter(value: unknown): DiskFilter {
  const map = mapOf(value);
  return {
    find: str(map, 'find'),
    findMin: int(map, 'find_min'),
    findMax: int(map, 'find_max'),
    wipe: bool(map, 'wipe'),
    encrypt: bool(map, 'encrypt'),
  };
}

/** RunPreseed reads stdin as YAML: "Failed to parse the preseed yaml: %w". */
export function parsePreseed(text: string): Preseed {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CloudError(`Failed to parse the preseed yaml: yaml: ${message ?? ''}`);
  }
  const root = mapOf(document);
  const ovn = mapOf(root['ovn']);
  const ceph = mapOf(root['ceph']);
  const storage = mapOf(root['storage']);
  return {
    lookupSubnet: str(root, 'lookup_subnet'),
    lookupTimeout: int(root, 'lookup_timeout'),
    sessionPassphrase: str(root, 'session_passphrase'),
    sessionTimeout: int(root, 'session_timeout'),
    initiator: str(root, 'initiator'),
    initiatorAddress: str(root, 'initiator_address'),
    systems: listOf(root['systems']).map((entry) => {
      const map = mapOf(entry);
      const storageMap = mapOf(map['storage']);
      const local = storageMap['local'] === undefined ? null : disk(storageMap['local']);
      return {
        name: str(map, 'name'),
        address: str(map, 'address'),
        uplinkInterface: str(map, 'ovn_uplink_interface'),
        underlayIp: str(map, 'ovn_underlay_ip'),
        local: local && local.path !== '' ? local : null,
        ceph: listOf(storageMap['ceph']).map(disk),
      };
    }),
    ovn: {
      ipv4Gateway: str(ovn, 'ipv4_gateway'),
      ipv4Range: str(ovn, 'ipv4_range'),
      ipv6Gateway: str(ovn, 'ipv6_gateway'),
      dnsServers: str(ovn, 'dns_servers'),
    },
    ceph: {
      publicNetwork: str(ceph, 'public_network'),
      internalNetwork: str(ceph, 'internal_network'),
      cephfs: bool(ceph, 'cephfs'),
    },
    storage: { local: listOf(storage['local']).map(filter), ceph: listOf(storage['ceph']).map(filter) },
  };
}

/** Preseed.isBootstrap (§2.2). */
export function isBootstrap(p: Preseed): boolean {
  return p.systems.some(
    (s) =>
      (p.initiator !== '' && s.name === p.initiator) ||
      (s.address !== '' && s.address === p.initiatorAddress),
  );
}

export function isInitiator(p: Preseed, name: string, address: string): boolean {
  return (
    (p.initiator !== '' && name === p.initiator) ||
    (p.initiatorAddress !== '' && address === p.initiatorAddress)
  );
}

/** Preseed.validate, in mc2's order and with its messages (§2.1). */
export function validatePreseed(p: Preseed, hostname: string, bootstrap: boolean): string | null {
  if (p.systems.length < 1) return 'No systems given';
  if (p.initiator === '' && p.initiatorAddress === '') return "Missing initiator's name or address";
  if (p.initiator !== '' && p.initiatorAddress !== '')
    return "Cannot provide both the initiator's name and address";
  if (p.initiator !== '' && p.lookupSubnet === '') return 'Missing lookup subnet';
  if (p.initiatorAddress !== '' && p.lookupSubnet !== '')
    return "Cannot provide both the initiator's address and lookup subnet";
  if (p.systems.length > 1 && p.sessionPassphrase === '') return 'Missing session passphrase';
  let uplinks = 0;
  let underlays = 0;
  let directCeph = 0;
  let directLocal = 0;
  let localInit = false;
  const names: string[] = [];
  for (const system of p.systems) {
    if (system.name === '') return 'Missing system name';
    if (system.address !== '' && p.lookupSubnet !== '') {
      return `Cannot provide both the address for system "${system.name}" and the lookup subnet`;
    }
    if (system.address === '' && p.initiatorAddress !== '') {
      return `Missing address for system "${system.name}" when the initiator's address is set`;
    }
    if (system.address !== '' && p.initiatorAddress === '') {
      return `Missing the initiator's address as system "${system.name}" has an address`;
    }
    if (system.name === hostname) localInit = true;
    if (system.uplinkInterface !== '') {
      uplinks++;
      if (p.ovn.ipv4Gateway === '' && p.ovn.ipv6Gateway === '' && bootstrap) {
        return 'Either the IPv4 or IPv6 gateway has to be set on the uplink network';
      }
    }
    if (system.underlayIp !== '') {
      if (familyOf(system.underlayIp) === null) return `Invalid underlay IP "${system.underlayIp}"`;
      underlays++;
    }
    if (system.ceph.length > 0) directCeph++;
    if (system.local) directLocal++;
    if (names.includes(system.name)) return `Duplicate system name "${system.name}"`;
    names.push(system.name);
  }
  if (bootstrap && !localInit)
    return 'Local MicroCloud must be included in the list of systems when initializing';
  if (uplinks > 0 && uplinks < p.systems.length) return 'Some systems are missing an uplink interface';
  if (underlays > 0 && underlays < p.systems.length) return 'Some systems are missing an underlay interface';
  if (directLocal > 0 && directLocal < p.systems.length && p.storage.local.length === 0) {
    return 'Some systems are missing local storage disks';
  }
  const cephStorage = directCeph > 0 || p.storage.ceph.length > 0;
  if (!cephStorage && p.ceph.publicNetwork !== '')
    return 'Cannot specify a Ceph public network without Ceph storage disks';
  if (p.ceph.publicNetwork !== '' && !parseCidr(p.ceph.publicNetwork)) {
    return `Invalid Ceph public network subnet: Not an IP network address "${p.ceph.publicNetwork}"`;
  }
  if (!cephStorage && p.ceph.internalNetwork !== '')
    return 'Cannot specify a Ceph internal network without Ceph storage disks';
  if (p.ceph.internalNetwork !== '' && !parseCidr(p.ceph.internalNetwork)) {
    return `Invalid Ceph internal network subnet: Not an IP network address "${p.ceph.internalNetwork}"`;
  }
  if (p.ovn.ipv4Gateway === '' && p.ovn.ipv4Range !== '')
    return 'Cannot specify IPv4 range without IPv4 gateway';
  if (p.ovn.ipv4Gateway !== '') {
    if (!parseCidr(p.ovn.ipv4Gateway)) return `invalid CIDR address: ${p.ovn.ipv4Gateway}`;
    if (p.ovn.ipv4Range === '') return 'Cannot specify IPv4 range without IPv4 gateway';
    const [start, end, extra] = p.ovn.ipv4Range.split('-');
    if (extra !== undefined || !start || !end || familyOf(start) === null || familyOf(end) === null) {
      return 'Invalid IPv4 range (must be of the form <ip>-<ip>)';
    }
  }
  if (p.ovn.ipv6Gateway !== '' && !parseCidr(p.ovn.ipv6Gateway))
    return `invalid CIDR address: ${p.ovn.ipv6Gateway}`;
  for (const f of p.storage.ceph) {
    if (f.find === '') return 'Received empty remote disk filter';
    if (f.findMax > 0 && f.findMax < f.findMin) {
      return `Invalid remote storage filter constraints find_max (${f.findMax}) must be larger than find_min (${f.findMin})`;
    }
    if (f.findMin < 1) return 'Remote storage filter cannot be defined with find_min less than 1';
  }
  for (const f of p.storage.local) {
    if (f.find === '') return 'Received empty local disk filter';
    if (f.findMax > 0 && f.findMax < f.findMin) {
      return `Invalid local storage filter constraints find_max (${f.findMax}) larger than find_min (${f.findMin})`;
    }
    if (f.findMin === 0) f.findMin = 1;
  }
  return null;
}

/** Preseed.address: the system's address (unicast) or the first local address inside lookup_subnet. */
export function preseedAddress(p: Preseed, machine: Machine): string {
  const own = p.systems.find((s) => s.name === machine.hostname && s.address !== '');
  if (own) return own.address;
  if (p.lookupSubnet === '')
    throw new CloudError(`Preseed file does not contain a system with name "${machine.hostname}"`);
  const subnet = parseCidr(p.lookupSubnet);
  if (!subnet) throw new CloudError(`invalid CIDR address: ${p.lookupSubnet}`);
  for (const { assignment } of machineAddresses(machine)) {
    if (cidrContains(subnet, assignment.address)) return assignment.address;
  }
  throw new CloudError(`Failed to determine MicroCloud address within subnet "${p.lookupSubnet}"`);
}

// ---------------------------------------------------------------------------------------------------------
// Disk filters.

/** LXD resources' view of a disk, as preseed filters see it (§4.3 field names). */
export function diskFields(disk: BlockDevice): Record<string, string | number | boolean> {
  return {
    id: disk.name,
    device: `${disk.major}:${disk.minor}`,
    model: disk.model ?? '',
    type: disk.type === 'rom' ? 'cdrom' : disk.bus,
    read_only: disk.readOnly,
    mounted: isDiskMounted(disk),
    size: disk.sizeBytes,
    removable: disk.removable,
    wwn: disk.wwn ?? '',
    numa_node: 0,
    device_path: lxdDevicePath(disk),
    block_size: 512,
    firmware_version: '2.5+',
    rpm: disk.rotational ? 1 : 0,
    serial: disk.serial ?? '',
    device_id: lxdDeviceId(disk),
    pci_address: '',
  };
}

const BYTE_UNITS: Record<string, number> = {
  B: 1,
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  PB: 1e15,
  EB: 1e18,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  PiB: 1024 ** 5,
  EiB: 1024 ** 6,
};

interface FilterToken {
  text: string;
  quoted: boolean;
}

function tokenize(expression: string): FilterToken[] {
  const tokens: FilterToken[] = [];
  const pattern = /\s*("([^"]*)"|'([^']*)'|&&|\|\||==|!=|>=|<=|[<>!]|[^\s"'<>=!&|]+)/gy;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(expression)) !== null) {
    const quoted = match[2] ?? match[3];
    tokens.push(
      quoted !== undefined ? { text: quoted, quoted: true } : { text: match[1] as string, quoted: false },
    );
    if (pattern.lastIndex >= expression.trimEnd().length) break;
  }
  return tokens;
}

/**
 * LXD filter semantics (§4.3): `field op value` clauses joined by && / || evaluated left to right, `!`
 * negates a clause, strings compare case-insensitively, `*` is a wildcard, `size` takes byte suffixes.
 */
export function matchDiskFilter(
  expression: string,
  fields: Record<string, string | number | boolean>,
): boolean {
  const tokens = tokenize(expression);
  const operator = (index: number): string | null => {
    const token = tokens[index];
    return token && !token.quoted ? token.text : null;
  };
  let result: boolean | null = null;
  let pendingOp: '&&' | '||' | null = null;
  let i = 0;
  while (i < tokens.length) {
    let negate = false;
    if (operator(i) === '!') {
      negate = true;
      i++;
    }
    const field = tokens[i]?.text ?? '';
    const op = tokens[i + 1]?.text ?? '';
    const raw = tokens[i + 2]?.text ?? '';
    i += 3;
    if (!(field in fields)) throw new CloudError(`Failed to apply filter: unknown field "${field}"`);
    const actual = fields[field] as string | number | boolean;
    let clause: boolean;
    if (typeof actual === 'number') {
      const sized = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/.exec(raw);
      const wanted = sized ? Number(sized[1]) * (BYTE_UNITS[sized[2] || 'B'] ?? NaN) : NaN;
      const cmp = actual - wanted;
      clause =
        op === '=='
          ? cmp === 0
          : op === '!='
            ? cmp !== 0
            : op === '>'
              ? cmp > 0
              : op === '<'
                ? cmp < 0
                : op === '>='
                  ? cmp >= 0
                  : cmp <= 0;
    } else if (typeof actual === 'boolean') {
      const wanted = raw.toLowerCase() === 'true';
      clause = op === '!=' ? actual !== wanted : actual === wanted;
    } else {
      const escaped = raw.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
      const equal = new RegExp(`^${escaped}$`, 'i').test(actual);
      clause = op === '!=' ? !equal : equal;
    }
    if (negate) clause = !clause;
    result = result === null ? clause : pendingOp === '&&' ? result && clause : result || clause;
    const next = operator(i);
    if (next === '&&' || next === '||') {
      pendingOp = next;
      i++;
    }
  }
  return result ?? false;
}
