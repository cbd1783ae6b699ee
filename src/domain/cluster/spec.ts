// The inventory's `cluster:` section (MicroCloud's preseed, §2.1, in mc's shape), read and checked without any
// facts: shapes and types with zod, then every rule that needs only what is written. Every problem is reported,
// with its position; the spec is only built when there is none.

import * as z from 'zod';
import { parseCidr, parseIpAddress, nonGlobalClass, type Cidr, type IpAddress } from '../facts/index.js';
import { systemNameProblem } from '../input/index.js';
import { closestMatch, describeValue } from '../inventory/issues.js';
import type { Inventory, SourcePosition } from '../inventory/types.js';
import { parseDiskFilter } from './disk-filter.js';
import { DeployIssues, listWords } from './issues.js';
import {
  DEFAULT_CHANNELS,
  DEFAULT_LOOKUP_TIMEOUT_SECONDS,
  DEFAULT_LXD_MIN_VERSION,
  DEFAULT_SESSION_TIMEOUT_SECONDS,
  positionIn,
  SERVICE_LABELS,
  type CephSpec,
  type ClusterSpec,
  type DeployIssue,
  type DiskFilterSpec,
  type DiskSpec,
  type LxdObjectSpec,
  type LxdObjectsSpec,
  type OptionalService,
  type OvnSpec,
  type SnapName,
  type SystemSpec,
} from './types.js';
import { channelTrack, compareMajorMinor, normalizeChannel, parseMajorMinor } from './versions.js';

export type ClusterSpecResult = { ok: true; spec: ClusterSpec } | { ok: false; issues: DeployIssue[] };

// ---------------------------------------------------------------------------------------------------------
// Shapes.

const bool = z.boolean({ error: 'must be true or false' });

/** A string; a number YAML read from an unquoted `5.21` gets the advice to quote it. */
const text = (what: string) =>
  z.string({
    error: (issue) =>
      typeof issue.input === 'number'
        ? `must be ${what} in quotes (YAML reads ${String(issue.input)} as a number)`
        : `must be ${what}`,
  });

const COUNT_RULE = 'must be a whole number';
/** A count; digits in a string are accepted, as `${FIND_MIN}` substitutes to text. */
const count = z
  .union(
    [
      z.number(),
      z
        .string()
        .regex(/^[0-9]+$/)
        .transform(Number),
    ],
    { error: COUNT_RULE },
  )
  .pipe(z.number().int({ error: COUNT_RULE }).min(0, { error: COUNT_RULE }));

const DISK_PATH = 'a disk path such as /dev/disk/by-id/NAME';

const diskError = (ceph: boolean): string =>
  `must be ${DISK_PATH}, or a map with path, wipe${ceph ? ' and encrypt' : ''}`;
/** `local: /dev/sdb` is short for `local: {path: /dev/sdb}`. */
const pathAsMap = (value: unknown): unknown => (typeof value === 'string' ? { path: value } : value);
const localDiskSchema = z.preprocess(
  pathAsMap,
  z.strictObject({ path: text(DISK_PATH), wipe: bool.optional() }, { error: diskError(false) }),
);
const cephDiskSchema = z.preprocess(
  pathAsMap,
  z.strictObject(
    { path: text(DISK_PATH), wipe: bool.optional(), encrypt: bool.optional() },
    { error: diskError(true) },
  ),
);

const systemSchema = z
  .strictObject(
    {
      address: text('an IP address').optional(),
      ovn_uplink_interface: text('an interface name').optional(),
      ovn_underlay_ip: text('an IP address').optional(),
      storage: z
        .strictObject(
          {
            local: localDiskSchema.optional(),
            ceph: z.array(cephDiskSchema, { error: 'must be a list of disks' }).optional(),
          },
          { error: 'must be a map with local and ceph' },
        )
        .optional(),
    },
    { error: 'must be a map of address, ovn_uplink_interface, ovn_underlay_ip and storage (or empty)' },
  )
  .nullable();

const filterFields = {
  find: text('an LXD filter expression such as "size > 5GiB"'),
  find_min: count.optional(),
  find_max: count.optional(),
  wipe: bool.optional(),
};
const localFilterSchema = z.strictObject(filterFields, {
  error: 'must be a map with find, find_min, find_max and wipe',
});
const cephFilterSchema = z.strictObject(
  { ...filterFields, encrypt: bool.optional() },
  { error: 'must be a map with find, find_min, find_max, wipe and encrypt' },
);

/** dns_servers: `10.0.0.1,8.8.8.8` (MicroCloud's form) or a YAML list. */
const dnsServers = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part !== '')
      : value,
  z.array(text('an IP address'), { error: 'must be a comma-separated string or a list of IP addresses' }),
);

/** An LXD config value: a string, as LXD stores it (`ipv4.nat: "true"`, `ipv6.address: none`). */
const lxdConfig = z.record(
  z.string(),
  z.string({
    error: (issue) =>
      `must be a string in quotes (LXD config values are strings; YAML reads ${describeValue(issue.input)})`,
  }),
  { error: 'must be a map of LXD config keys to string values' },
);
/** One `storage_pools:` or `networks:` entry of an LXD preseed. */
const lxdObject = <K extends 'driver' | 'type'>(kindKey: K, what: string) =>
  z.strictObject(
    {
      name: text('a name'),
      ...({ [kindKey]: text(what) } as Record<K, ReturnType<typeof text>>),
      description: text('a text').optional(),
      config: lxdConfig.optional(),
    },
    { error: `must be a map of name, ${kindKey}, description and config` },
  );

const SECTIONS = {
  services: z
    .strictObject(
      { microceph: bool.optional(), microovn: bool.optional(), microcloud: bool.optional() },
      { error: 'must be a map of microceph, microovn and microcloud to true or false' },
    )
    .nullable(),
  channels: z
    .strictObject(
      {
        lxd: text('a snap channel').optional(),
        microceph: text('a snap channel').optional(),
        microovn: text('a snap channel').optional(),
        microcloud: text('a snap channel').optional(),
      },
      { error: 'must be a map of lxd, microceph, microovn and microcloud to snap channels' },
    )
    .nullable(),
  lxd_min_version: text('a version such as "5.21"'),
  initiator: text('an inventory host name'),
  lookup_timeout: count,
  session_timeout: count,
  systems: z
    .record(z.string(), systemSchema, { error: 'must be a map of inventory host names to settings' })
    .nullable(),
  storage: z
    .strictObject(
      {
        local: z.array(localFilterSchema, { error: 'must be a list of disk filters' }).optional(),
        ceph: z.array(cephFilterSchema, { error: 'must be a list of disk filters' }).optional(),
      },
      { error: 'must be a map with local and ceph disk filter lists' },
    )
    .nullable(),
  ceph: z
    .strictObject(
      {
        cephfs: bool.optional(),
        internal_network: text('a subnet such as 10.2.123.0/24').optional(),
        public_network: text('a subnet such as 10.2.123.0/24').optional(),
      },
      { error: 'must be a map of cephfs, internal_network and public_network' },
    )
    .nullable(),
  ovn: z
    .strictObject(
      {
        ipv4_gateway: text('a gateway address with its prefix, such as 10.1.124.1/24').optional(),
        ipv4_range: text('a range such as 10.1.124.100-10.1.124.254').optional(),
        ipv6_gateway: text('a gateway address with its prefix, such as fd42::1/64').optional(),
        dns_servers: dnsServers.optional(),
      },
      { error: 'must be a map of ipv4_gateway, ipv4_range, ipv6_gateway and dns_servers' },
    )
    .nullable(),
  lxd: z
    .strictObject(
      {
        storage_pools: z
          .array(lxdObject('driver', 'a storage driver such as dir'), {
            error: 'must be a list of storage pools',
          })
          .optional(),
        networks: z
          .array(lxdObject('type', 'a network type such as bridge'), { error: 'must be a list of networks' })
          .optional(),
      },
      { error: 'must be a map of storage_pools and networks' },
    )
    .nullable(),
} as const;

type SectionName = keyof typeof SECTIONS;
type Sections = { [K in SectionName]?: z.infer<(typeof SECTIONS)[K]> };
type SystemEntry = NonNullable<z.infer<typeof systemSchema>>;
type FilterEntry = z.infer<typeof cephFilterSchema>;

const SECTION_NAMES = Object.keys(SECTIONS) as SectionName[];

const SYSTEM_KEYS = ['address', 'ovn_uplink_interface', 'ovn_underlay_ip', 'storage'];
const FILTER_KEYS = ['find', 'find_min', 'find_max', 'wipe'];

/** The keys allowed at a path of the section, for "did you mean". */
function allowedKeysAt(path: readonly PropertyKey[]): string[] {
  const [section, , third, fourth] = path;
  switch (section) {
    case undefined:
      return SECTION_NAMES;
    case 'services':
      return ['microceph', 'microovn', 'microcloud'];
    case 'channels':
      return ['lxd', 'microceph', 'microovn', 'microcloud'];
    case 'systems':
      if (path.length === 2) return SYSTEM_KEYS;
      if (path.length === 3) return ['local', 'ceph'];
      return third === 'storage' && fourth === 'local' ? ['path', 'wipe'] : ['path', 'wipe', 'encrypt'];
    case 'storage':
      if (path.length === 1) return ['local', 'ceph'];
      return path[1] === 'ceph' ? [...FILTER_KEYS, 'encrypt'] : FILTER_KEYS;
    case 'ceph':
      return ['cephfs', 'internal_network', 'public_network'];
    case 'ovn':
      return ['ipv4_gateway', 'ipv4_range', 'ipv6_gateway', 'dns_servers'];
    case 'lxd':
      if (path.length === 1) return ['storage_pools', 'networks'];
      return ['name', path[1] === 'networks' ? 'type' : 'driver', 'description', 'config'];
    default:
      return [];
  }
}

/** Keys of MicroCloud's preseed that mc handles itself, and what to write instead. */
const PRESEED_KEYS: Readonly<Record<string, string>> = {
  initiator_address: 'mc always uses unicast: name the host with initiator: and set systems.<host>.address',
  lookup_subnet: 'mc always uses unicast: set systems.<host>.address where the address is ambiguous',
  session_passphrase: 'mc generates the session passphrase itself',
  name: 'members are named after their inventory host names',
};

function unknownKeyHint(key: string, path: readonly PropertyKey[], allowed: readonly string[]): string {
  if (key === 'lxd' && path.length === 1 && path[0] === 'services') {
    return 'LXD is always deployed; services: lists microceph, microovn and microcloud';
  }
  if (key === 'encrypt' && allowed.includes('wipe')) {
    return 'encrypt applies to Ceph disks only; MicroCloud does not encrypt the local pool';
  }
  const preseed = path.length === 0 ? PRESEED_KEYS[key] : undefined;
  if (preseed !== undefined) return preseed;
  const suggestion = closestMatch(key, allowed);
  return suggestion === undefined ? `allowed: ${allowed.join(', ')}` : `did you mean '${suggestion}'?`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const segment of path) {
    if (Array.isArray(value) && typeof segment === 'number') value = value[segment] as unknown;
    else if (isRecord(value) && typeof segment === 'string') value = value[segment];
    else return undefined;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// Addresses as written.

/** `10.1.124.1/24`: the address and its subnet; null when the text is not an address with a prefix. */
export interface AddressWithPrefix {
  address: IpAddress;
  subnet: Cidr;
}

export function parseAddressWithPrefix(textValue: string): AddressWithPrefix | null {
  const subnet = parseCidr(textValue);
  const address = parseIpAddress(textValue.trim().split('/')[0] ?? '');
  return subnet === null || address === null ? null : { address, subnet };
}

export interface Ipv4Range {
  first: IpAddress;
  last: IpAddress;
}

/** `first-last`, both IPv4; null when the text is not such a range. */
export function parseIpv4Range(textValue: string): Ipv4Range | null {
  const parts = textValue.split('-');
  if (parts.length !== 2) return null;
  const first = parseIpAddress(parts[0] ?? '');
  const last = parseIpAddress(parts[1] ?? '');
  if (first === null || last === null || first.family !== 4 || last.family !== 4) return null;
  return { first, last };
}

export function rangeContains(range: Ipv4Range, address: IpAddress): boolean {
  return address.family === 4 && address.value >= range.first.value && address.value <= range.last.value;
}

// ---------------------------------------------------------------------------------------------------------
// Reading.

interface Reader {
  issues: DeployIssues;
  where: Pick<ClusterSpec, 'positions' | 'origin'>;
  keys: Record<string, SourcePosition>;
  hosts: string[];
  data: Record<string, unknown>;
}

function at(reader: Reader, path: string): SourcePosition {
  return positionIn(reader.where, path);
}

/** Where the key itself is written (for complaints about the key, not its value). */
function atKey(reader: Reader, path: string): SourcePosition {
  return reader.keys[path] ?? at(reader, path);
}

function dotted(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

function reportSchemaIssue(reader: Reader, issue: z.core.$ZodIssue, prefix: PropertyKey[]): void {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(path);
    for (const key of issue.keys) {
      reader.issues.add(`unknown key '${key}'`, {
        position: atKey(reader, dotted([...path, key])),
        hint: unknownKeyHint(key, path, allowed),
      });
    }
    return;
  }
  const value = valueAt(reader.data, path);
  reader.issues.add(`cluster.${dotted(path)}: ${issue.message}, got ${describeValue(value)}`, {
    position: at(reader, dotted(path)),
  });
}

function readSections(reader: Reader): Sections {
  const sections: Sections = {};
  for (const key of Object.keys(reader.data)) {
    if (!(SECTION_NAMES as string[]).includes(key)) {
      reader.issues.add(`unknown key '${key}'`, {
        position: atKey(reader, key),
        hint: unknownKeyHint(key, [], SECTION_NAMES),
      });
    }
  }
  for (const name of SECTION_NAMES) {
    if (!(name in reader.data)) continue;
    const parsed = SECTIONS[name].safeParse(reader.data[name]);
    if (parsed.success) Object.assign(sections, { [name]: parsed.data });
    else for (const issue of parsed.error.issues) reportSchemaIssue(reader, issue, [name]);
  }
  return sections;
}

/** "did you mean" and the inventory's hosts, for a name that is not one of them. */
function hostHint(reader: Reader, name: string): string {
  const suggestion = closestMatch(name, reader.hosts);
  const hosts = `inventory hosts: ${reader.hosts.join(', ')}`;
  return suggestion === undefined ? hosts : `did you mean '${suggestion}'? ${hosts}`;
}

// ---------------------------------------------------------------------------------------------------------
// Rules on what is written.

function readChannels(reader: Reader, sections: Sections): Record<SnapName, string> {
  const channels: Record<SnapName, string> = { ...DEFAULT_CHANNELS };
  for (const [snap, value] of Object.entries(sections.channels ?? {}) as [SnapName, string | undefined][]) {
    if (value === undefined) continue;
    const normalized = normalizeChannel(value);
    if (normalized === null) {
      reader.issues.add(`cluster.channels.${snap}: "${value}" is not a snap channel`, {
        position: at(reader, `channels.${snap}`),
        hint: `write track/risk, e.g. ${DEFAULT_CHANNELS[snap]}`,
      });
    } else {
      channels[snap] = normalized;
    }
  }
  return channels;
}

/** MicroCeph's tracks by the Ceph release they install (major.minor of the daemon's version). */
const MICROCEPH_TRACK_VERSIONS: Readonly<Record<string, string>> = {
  quincy: '17.2',
  reef: '18.2',
  squid: '19.2',
  tentacle: '20.2',
};
/** What MicroCloud 2 accepts (its service/version.go): MicroCeph 19.2 exactly, MicroOVN 24.03 exactly. */
const MICROCLOUD2_MICROCEPH = '19.2';
const MICROCLOUD2_MICROOVN = '24.03';

/**
 * With the MicroCloud engine, channels MicroCloud itself refuses: MicroCloud 1 has no `microcloud preseed` for
 * every host (§1.5), and MicroCloud 2 takes only the MicroCeph and MicroOVN releases of its LTS set (§7), with
 * its own message ("MicroCeph version ... is not supported"), but only once every snap is installed.
 */
function checkMicroCloudChannels(
  reader: Reader,
  services: Record<OptionalService, boolean>,
  channels: Record<SnapName, string>,
): void {
  if (!services.microcloud) return;
  const written = (snap: SnapName): boolean => Object.hasOwn(reader.where.positions, `channels.${snap}`);
  const microcloudTrack = channelTrack(channels.microcloud);
  if (microcloudTrack === '1' || microcloudTrack.startsWith('1.')) {
    reader.issues.add(
      `cluster.channels.microcloud: ${channels.microcloud} installs MicroCloud 1, which has no \`microcloud preseed\` to run on every host`,
      {
        position: at(reader, 'channels.microcloud'),
        hint: 'use 2/stable (MicroCloud 2 LTS), or set services.microcloud: false to let mc form the cluster itself',
      },
    );
    return;
  }
  if (microcloudTrack !== '2' && !microcloudTrack.startsWith('2.')) return;
  const cephTrack = channelTrack(channels.microceph);
  const cephVersion =
    MICROCEPH_TRACK_VERSIONS[cephTrack] ?? (/^\d+\.\d+$/.test(cephTrack) ? cephTrack : undefined);
  if (
    services.microceph &&
    written('microceph') &&
    cephVersion !== undefined &&
    cephVersion !== MICROCLOUD2_MICROCEPH
  ) {
    reader.issues.add(`MicroCeph version "${cephVersion}" is not supported`, {
      position: at(reader, 'channels.microceph'),
      hint: `MicroCloud ${channels.microcloud} takes MicroCeph ${MICROCLOUD2_MICROCEPH} (squid) only: set channels.microceph to squid/stable`,
    });
  }
  const ovnTrack = channelTrack(channels.microovn);
  if (
    services.microovn &&
    written('microovn') &&
    /^\d+\.\d+$/.test(ovnTrack) &&
    ovnTrack !== MICROCLOUD2_MICROOVN
  ) {
    reader.issues.add(`MicroOVN version "${ovnTrack}" is not supported`, {
      position: at(reader, 'channels.microovn'),
      hint: `MicroCloud ${channels.microcloud} takes MicroOVN ${MICROCLOUD2_MICROOVN} only: set channels.microovn to 24.03/stable`,
    });
  }
}

function readLxdMinVersion(reader: Reader, sections: Sections): string {
  const value = sections.lxd_min_version;
  if (value === undefined) return DEFAULT_LXD_MIN_VERSION;
  if (!/^\d+\.\d+$/.test(value.trim())) {
    reader.issues.add(`cluster.lxd_min_version: must be major.minor such as "5.21", got "${value}"`, {
      position: at(reader, 'lxd_min_version'),
    });
  }
  return value.trim();
}

/** An LXD channel whose track is a version below the floor can only install an LXD mc refuses. */
function checkLxdChannelFloor(reader: Reader, channel: string, floorText: string): void {
  const track = parseMajorMinor(channelTrack(channel));
  const floor = parseMajorMinor(floorText);
  if (track === null || floor === null || compareMajorMinor(track, floor) >= 0) return;
  const written = Object.hasOwn(reader.where.positions, 'channels.lxd');
  reader.issues.add(
    `cluster.channels.lxd: ${channel} installs an LXD older than ${floorText}, the lxd_min_version`,
    {
      position: at(reader, written ? 'channels.lxd' : 'lxd_min_version'),
      hint: `choose an LXD channel of ${floorText} or later`,
    },
  );
}

function readInitiator(reader: Reader, sections: Sections): string {
  const value = sections.initiator;
  const first = reader.hosts[0] ?? '';
  if (value === undefined) return first;
  if (!reader.hosts.includes(value)) {
    reader.issues.add(`cluster.initiator: '${value}' is not an inventory host`, {
      position: at(reader, 'initiator'),
      hint: hostHint(reader, value),
    });
    return first;
  }
  return value;
}

const MAX_SESSION_TIMEOUT_SECONDS = 3600;

/** `lookup_timeout` and `session_timeout`: whole seconds; MicroCloud takes 0 for its default, mc wants it said. */
function readTimeouts(reader: Reader, sections: Sections): { lookupTimeout: number; sessionTimeout: number } {
  const read = (key: 'lookup_timeout' | 'session_timeout', fallback: number): number => {
    const value = sections[key];
    if (value === undefined) return fallback;
    if (value < 1) {
      reader.issues.add(`cluster.${key}: must be at least 1 second, got ${value}`, {
        position: at(reader, key),
        hint: `leave it out for MicroCloud's default of ${fallback} seconds`,
      });
      return fallback;
    }
    return value;
  };
  const lookupTimeout = read('lookup_timeout', DEFAULT_LOOKUP_TIMEOUT_SECONDS);
  const sessionTimeout = read('session_timeout', DEFAULT_SESSION_TIMEOUT_SECONDS);
  if (sessionTimeout > MAX_SESSION_TIMEOUT_SECONDS) {
    // MicroCloud's session API refuses it (api/session.go).
    reader.issues.add('Session timeout cannot exceed 60 minutes', {
      position: at(reader, 'session_timeout'),
      hint: `set session_timeout to ${MAX_SESSION_TIMEOUT_SECONDS} seconds or less`,
    });
  }
  if (lookupTimeout > sessionTimeout) {
    // The lookup runs inside the trust session (§1.2): joiners arriving after the session ends are refused.
    reader.issues.add(
      `cluster.lookup_timeout: ${lookupTimeout} seconds outlasts the session_timeout of ${sessionTimeout} seconds`,
      {
        position: at(
          reader,
          Object.hasOwn(reader.where.positions, 'lookup_timeout') ? 'lookup_timeout' : 'session_timeout',
        ),
        hint: 'the trust session ends first; make session_timeout at least lookup_timeout',
      },
    );
  }
  return { lookupTimeout, sessionTimeout };
}

function readAddress(
  reader: Reader,
  path: string,
  value: string | undefined,
  what: string,
): IpAddress | null | undefined {
  if (value === undefined) return undefined;
  const address = parseIpAddress(value);
  if (address === null) {
    reader.issues.add(`cluster.${path}: "${value}" is not an IP address`, { position: at(reader, path) });
    return null;
  }
  const nonGlobal = nonGlobalClass(address);
  if (nonGlobal !== null) {
    reader.issues.add(`cluster.${path}: ${address.text} is a ${nonGlobal} address; ${what}`, {
      position: at(reader, path),
    });
    return null;
  }
  return address;
}

function readDisk(
  reader: Reader,
  path: string,
  entry: { path: string; wipe?: boolean | undefined; encrypt?: boolean | undefined },
): DiskSpec {
  const diskPath = entry.path.trim();
  if (!diskPath.startsWith('/dev/')) {
    reader.issues.add(`cluster.${path}: "${entry.path}" is not a device path`, {
      position: at(reader, path),
      hint: 'write /dev/disk/by-id/NAME as mc probe lists it, /dev/disk/by-path/NAME or /dev/NAME',
    });
  }
  return {
    path: diskPath,
    wipe: entry.wipe ?? false,
    encrypt: entry.encrypt ?? false,
    origin: at(reader, path),
  };
}

/** `systems:` keys that are not inventory hosts; checked on what is written, even when a value is wrong. */
function checkSystemNames(reader: Reader): void {
  const written = reader.data.systems;
  if (!isRecord(written)) return;
  for (const name of Object.keys(written)) {
    if (!reader.hosts.includes(name)) {
      reader.issues.add(`cluster.systems: '${name}' is not an inventory host`, {
        position: atKey(reader, `systems.${name}`),
        hint: hostHint(reader, name),
      });
    }
  }
}

function readSystems(reader: Reader, sections: Sections): SystemSpec[] {
  const written = sections.systems ?? {};
  const addressOwners = new Map<string, string>();
  return reader.hosts.map((host) => {
    const entry: SystemEntry = written[host] ?? {};
    const base = `systems.${host}`;
    const system: SystemSpec = {
      host,
      origin: Object.hasOwn(written, host) ? at(reader, base) : at(reader, 'systems'),
    };
    const address = readAddress(
      reader,
      `${base}.address`,
      entry.address,
      'the cluster address must be a global unicast address',
    );
    if (address) {
      const owner = addressOwners.get(address.text);
      if (owner !== undefined) {
        reader.issues.add(`cluster.${base}.address: ${address.text} is also the address of ${owner}`, {
          position: at(reader, `${base}.address`),
          hint: 'each host needs its own cluster address',
        });
      }
      addressOwners.set(address.text, host);
      system.address = address.text;
    }
    if (entry.ovn_uplink_interface !== undefined) {
      const name = entry.ovn_uplink_interface.trim();
      if (!/^[^\s/:]{1,15}$/.test(name)) {
        reader.issues.add(`cluster.${base}.ovn_uplink_interface: "${name}" is not an interface name`, {
          position: at(reader, `${base}.ovn_uplink_interface`),
        });
      }
      system.uplinkInterface = name;
    }
    if (entry.ovn_underlay_ip !== undefined) {
      // MicroCloud's preseed compares the underlay IP with `ip/prefix` strings; a prefix is accepted and dropped.
      const underlay = entry.ovn_underlay_ip.trim();
      const address = parseIpAddress(underlay.split('/')[0] ?? '');
      if (address === null || (underlay.includes('/') && parseCidr(underlay) === null)) {
        reader.issues.add(`Invalid underlay IP "${underlay}"`, {
          position: at(reader, `${base}.ovn_underlay_ip`),
          hint: 'write the address of this host on the underlay network, e.g. 10.3.123.10',
        });
      } else {
        system.underlayIp = address.text;
      }
    }
    const storage = entry.storage ?? {};
    if (storage.local !== undefined)
      system.localDisk = readDisk(reader, `${base}.storage.local`, storage.local);
    if (storage.ceph !== undefined) {
      system.cephDisks = storage.ceph.map((disk, index) =>
        readDisk(reader, `${base}.storage.ceph.${index}`, disk),
      );
    }
    checkDuplicateDisks(reader, system);
    return system;
  });
}

/** The same path twice on one host, as written (different spellings of one disk are found with the facts). */
function checkDuplicateDisks(reader: Reader, system: SystemSpec): void {
  const seen = new Map<string, SourcePosition>();
  for (const disk of [...(system.localDisk ? [system.localDisk] : []), ...(system.cephDisks ?? [])]) {
    const first = seen.get(disk.path);
    if (first === undefined) {
      seen.set(disk.path, disk.origin);
      continue;
    }
    reader.issues.add(`disk ${disk.path} is given twice (first at line ${first.line}, column ${first.col})`, {
      position: disk.origin,
      host: system.host,
      hint: 'a disk can back only one pool or OSD',
    });
  }
}

function readFilters(reader: Reader, kind: 'local' | 'ceph', entries: FilterEntry[]): DiskFilterSpec[] {
  return entries.map((entry, index) => {
    const path = `storage.${kind}.${index}`;
    const position = at(reader, path);
    const remote = kind === 'ceph';
    const find = entry.find.trim();
    if (find === '') {
      reader.issues.add(`Received empty ${remote ? 'remote' : 'local'} disk filter`, {
        position: at(reader, `${path}.find`),
        hint: 'write an LXD filter such as "size > 5GiB" over the fields of lxc query /1.0/resources',
      });
    } else {
      const parsed = parseDiskFilter(find);
      if (!parsed.ok) {
        reader.issues.add(`cluster.${path}.find: invalid filter "${find}": ${parsed.error}`, {
          position: at(reader, `${path}.find`),
        });
      }
    }
    // MicroCloud: a local filter finds at least one disk by default; a Ceph filter must say how many (§4.3).
    const findMin = entry.find_min ?? (remote ? 0 : 1);
    const findMax = entry.find_max !== undefined && entry.find_max > 0 ? entry.find_max : undefined;
    if (findMax !== undefined && findMax < findMin) {
      reader.issues.add(
        remote
          ? `Invalid remote storage filter constraints find_max (${findMax}) must be larger than find_min (${findMin})`
          : `Invalid local storage filter constraints find_max (${findMax}) larger than find_min (${findMin})`,
        { position: at(reader, `${path}.find_max`) },
      );
    }
    if (remote && findMin < 1) {
      reader.issues.add('Remote storage filter cannot be defined with find_min less than 1', {
        position: at(reader, entry.find_min === undefined ? path : `${path}.find_min`),
        hint: 'set find_min to the number of disks the filter must find across all hosts, e.g. 3',
      });
    }
    const filter: DiskFilterSpec = {
      find,
      findMin,
      wipe: entry.wipe ?? false,
      encrypt: entry.encrypt ?? false,
      origin: position,
    };
    if (findMax !== undefined) filter.findMax = findMax;
    return filter;
  });
}

function readCeph(reader: Reader, sections: Sections): CephSpec {
  const written = sections.ceph ?? {};
  const ceph: CephSpec = { cephfs: written.cephfs ?? false };
  for (const [key, label, field] of [
    ['public_network', 'public', 'publicNetwork'],
    ['internal_network', 'internal', 'internalNetwork'],
  ] as const) {
    const value = written[key];
    if (value === undefined) continue;
    const cidr = parseCidr(value);
    if (cidr === null || !value.includes('/')) {
      reader.issues.add(`Invalid Ceph ${label} network subnet: Not an IP network address "${value}"`, {
        position: at(reader, `ceph.${key}`),
        hint: 'write a subnet such as 10.2.123.0/24',
      });
    } else if (cidr.prefixLength === (cidr.family === 4 ? 32 : 128)) {
      reader.issues.add(`cluster.ceph.${key}: ${cidr.text} holds a single address`, {
        position: at(reader, `ceph.${key}`),
        hint: 'give the subnet every member has an address in, e.g. 10.2.123.0/24',
      });
    } else {
      ceph[field] = cidr.text;
    }
  }
  return ceph;
}

function readGateway(
  reader: Reader,
  key: 'ipv4_gateway' | 'ipv6_gateway',
  value: string,
): string | undefined {
  const family = key === 'ipv4_gateway' ? 4 : 6;
  const prefix = family === 4 ? 'ipv4' : 'ipv6';
  const parsed = parseAddressWithPrefix(value);
  const example = family === 4 ? '10.1.124.1/24' : 'fd42:1:1234:1234::1/64';
  if (parsed === null || parsed.address.family !== family || !value.includes('/')) {
    reader.issues.add(
      `Invalid ${prefix}.gateway "${value}": not an IPv${family} address with a prefix length`,
      {
        position: at(reader, `ovn.${key}`),
        hint: `write the gateway's address on the uplink network with its prefix, e.g. ${example}`,
      },
    );
    return undefined;
  }
  const bits = family === 4 ? 32 : 128;
  if (parsed.subnet.prefixLength < bits - 1 && parsed.address.value === parsed.subnet.network) {
    reader.issues.add(`Invalid ${prefix}.gateway "${value}": ${parsed.address.text} is the network address`, {
      position: at(reader, `ovn.${key}`),
      hint: `write the gateway's own address with the prefix, e.g. ${example}`,
    });
    return undefined;
  }
  return `${parsed.address.text}/${parsed.subnet.prefixLength}`;
}

function readOvn(reader: Reader, sections: Sections): OvnSpec | null {
  if (!('ovn' in reader.data)) return null;
  // A section zod refused has been reported; its values are not judged again.
  if (!('ovn' in sections)) return {};
  const written = sections.ovn ?? {};
  const ovn: OvnSpec = {};
  const ipv4Gateway =
    written.ipv4_gateway === undefined
      ? undefined
      : readGateway(reader, 'ipv4_gateway', written.ipv4_gateway);
  const ipv6Gateway =
    written.ipv6_gateway === undefined
      ? undefined
      : readGateway(reader, 'ipv6_gateway', written.ipv6_gateway);
  if (ipv4Gateway !== undefined) ovn.ipv4Gateway = ipv4Gateway;
  if (ipv6Gateway !== undefined) ovn.ipv6Gateway = ipv6Gateway;
  if (written.ipv4_gateway === undefined && written.ipv6_gateway === undefined) {
    reader.issues.add('Either the IPv4 or IPv6 gateway has to be set on the uplink network', {
      position: at(reader, 'ovn'),
      hint: 'set ovn.ipv4_gateway with ovn.ipv4_range, or ovn.ipv6_gateway; or remove ovn: to use a FAN network',
    });
  }
  if (written.ipv4_range !== undefined) {
    const rangeText = written.ipv4_range.trim();
    const range = parseIpv4Range(rangeText);
    if (written.ipv4_gateway === undefined) {
      reader.issues.add('Cannot specify IPv4 range without IPv4 gateway', {
        position: at(reader, 'ovn.ipv4_range'),
        hint: 'set ovn.ipv4_gateway, the uplink gateway with its prefix, e.g. 10.1.124.1/24',
      });
    } else if (range === null) {
      reader.issues.add('Invalid IPv4 range (must be of the form <ip>-<ip>)', {
        position: at(reader, 'ovn.ipv4_range'),
        hint: 'e.g. 10.1.124.100-10.1.124.254',
      });
    } else if (range.first.value > range.last.value) {
      reader.issues.add(
        `Invalid ipv4.ovn.ranges "${rangeText}": ${range.first.text} comes after ${range.last.text}`,
        {
          position: at(reader, 'ovn.ipv4_range'),
          hint: 'write the lower address first',
        },
      );
    } else if (ipv4Gateway !== undefined) {
      const gateway = parseAddressWithPrefix(ipv4Gateway);
      if (gateway !== null) checkRangeAgainstGateway(reader, rangeText, range, gateway);
      ovn.ipv4Range = `${range.first.text}-${range.last.text}`;
    }
  } else if (ipv4Gateway !== undefined) {
    reader.issues.add('ovn.ipv4_gateway needs ovn.ipv4_range: the addresses OVN routers take on the uplink', {
      position: at(reader, 'ovn.ipv4_gateway'),
      hint: `add ipv4_range: FIRST-LAST inside ${parseCidr(ipv4Gateway)?.text ?? ipv4Gateway}, not containing the gateway`,
    });
  }
  if (written.dns_servers !== undefined) {
    const servers: string[] = [];
    written.dns_servers.forEach((server, index) => {
      const address = parseIpAddress(server);
      if (address === null) {
        const path = Array.isArray(valueAt(reader.data, ['ovn', 'dns_servers']))
          ? `ovn.dns_servers.${index}`
          : 'ovn.dns_servers';
        reader.issues.add(`Invalid dns.nameservers: Invalid IP "${server}"`, {
          position: at(reader, path),
          hint: 'list IP addresses, e.g. "10.1.124.1,8.8.8.8"',
        });
      } else {
        servers.push(address.text);
      }
    });
    ovn.dnsServers = servers;
  }
  return ovn;
}

/** Names MicroCloud gives its own pools and networks (§3.2, §3.3): the inventory's must differ. */
const MICROCLOUD_POOLS = ['local', 'remote', 'remote-fs'];
const MICROCLOUD_NETWORKS = ['UPLINK', 'default', 'lxdfan0'];
/**
 * Keys LXD keeps per member (the create with --target takes them, the cluster-wide one refuses them:
 * "Config key ... is cluster member specific"). mc defines the objects on each member without config.
 */
const MEMBER_KEYS = {
  storage_pools: ['source', 'size', 'zfs.pool_name', 'lvm.thinpool_name', 'lvm.vg_name'],
  networks: ['bridge.external_interfaces', 'parent', 'bgp.ipv4.nexthop', 'bgp.ipv6.nexthop'],
} as const;

/**
 * `cluster.lxd`: pools and networks as in an LXD preseed, beside MicroCloud's. What LXD can build on any
 * host without disks or an uplink: `dir` pools and `bridge` networks (standard mode; MicroCloud's own FAN
 * fallback is lxdfan0).
 */
function readLxdObjects(reader: Reader, sections: Sections): LxdObjectsSpec {
  const written = sections.lxd ?? {};
  const read = (section: 'storage_pools' | 'networks'): LxdObjectSpec[] => {
    const pools = section === 'storage_pools';
    const kindKey = pools ? 'driver' : 'type';
    const allowedKind = pools ? 'dir' : 'bridge';
    const reserved = pools ? MICROCLOUD_POOLS : MICROCLOUD_NETWORKS;
    const seen = new Set<string>();
    const objects: LxdObjectSpec[] = [];
    (written[section] ?? []).forEach((entry, index) => {
      const path = `lxd.${section}.${index}`;
      const kind = 'driver' in entry ? entry.driver : entry.type;
      const before = reader.issues.size;
      const nameRule = pools ? /^[A-Za-z0-9][A-Za-z0-9_.-]*$/ : /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
      if (!nameRule.test(entry.name)) {
        reader.issues.add(`Invalid ${pools ? 'storage pool' : 'network'} name "${entry.name}"`, {
          position: at(reader, `${path}.name`),
          hint: pools
            ? 'letters, digits, -, _ and ., starting with a letter or digit'
            : 'an interface name: up to 15 letters, digits, -, _ and ., starting with a letter or digit',
        });
      } else if (reserved.includes(entry.name)) {
        reader.issues.add(`${pools ? 'storage pool' : 'network'} "${entry.name}" is MicroCloud's own`, {
          position: at(reader, `${path}.name`),
          hint: `choose another name; MicroCloud names its own ${reserved.join(', ')}`,
        });
      } else if (seen.has(entry.name)) {
        reader.issues.add(`${pools ? 'storage pool' : 'network'} "${entry.name}" is listed twice`, {
          position: at(reader, `${path}.name`),
        });
      }
      seen.add(entry.name);
      if (kind !== allowedKind) {
        reader.issues.add(
          pools
            ? `storage pool driver "${kind}": mc creates dir pools here`
            : `network type "${kind}": mc creates bridge networks here`,
          {
            position: at(reader, `${path}.${kindKey}`),
            hint: pools
              ? 'write driver: dir; the ZFS pool local and the Ceph pools come from systems.<host>.storage and storage:'
              : 'write type: bridge; OVN networking comes from cluster.ovn',
          },
        );
      }
      const config = entry.config ?? {};
      for (const key of Object.keys(config)) {
        if ((MEMBER_KEYS[section] as readonly string[]).includes(key)) {
          reader.issues.add(`${key} is cluster member specific: mc sets no per-member config here`, {
            position: atKey(reader, `${path}.config.${key}`),
            hint: `remove ${key}; LXD then picks it on each member`,
          });
        }
      }
      if (!pools && config['bridge.mode'] === 'fan') {
        reader.issues.add('bridge.mode "fan": MicroCloud makes its FAN bridge lxdfan0 itself', {
          position: at(reader, `${path}.config.bridge.mode`),
          hint: 'use bridge.mode: standard (the default) here, or list no network to get the FAN fallback',
        });
      }
      if (reader.issues.size === before) {
        objects.push({ name: entry.name, kind, description: entry.description ?? '', config: { ...config } });
      }
    });
    return objects;
  };
  return { storagePools: read('storage_pools'), networks: read('networks') };
}

function checkRangeAgainstGateway(
  reader: Reader,
  rangeText: string,
  range: Ipv4Range,
  gateway: AddressWithPrefix,
): void {
  const inside = (address: IpAddress): boolean =>
    parseCidr(`${address.text}/${gateway.subnet.prefixLength}`)?.network === gateway.subnet.network;
  if (!inside(range.first) || !inside(range.last)) {
    reader.issues.add(
      `Invalid ipv4.ovn.ranges "${rangeText}": the range is not inside the gateway's subnet ${gateway.subnet.text}`,
      {
        position: at(reader, 'ovn.ipv4_range'),
        hint: `choose free addresses of ${gateway.subnet.text}, the uplink network`,
      },
    );
  } else if (rangeContains(range, gateway.address)) {
    reader.issues.add(`UPLINK ipv4.ovn.ranges must not include gateway address "${gateway.address.text}"`, {
      position: at(reader, 'ovn.ipv4_range'),
      hint: `start the range after ${gateway.address.text} or end it before`,
    });
  }
}

/** Rules across sections: all-or-none settings, filters against explicit disks, disabled services. */
function checkAcross(
  reader: Reader,
  systems: SystemSpec[],
  services: Record<OptionalService, boolean>,
  filters: { local: DiskFilterSpec[]; ceph: DiskFilterSpec[] },
  ceph: CephSpec,
  ovn: OvnSpec | null,
): void {
  const written = (path: string): boolean => Object.hasOwn(reader.where.positions, path);
  // Written counts, even where the value was refused: a wrong value is reported as such, not as a gap.
  const lacking = (has: (system: SystemSpec) => boolean, key: string): string[] => {
    const given = (system: SystemSpec): boolean => has(system) || written(`systems.${system.host}.${key}`);
    return systems.some(given) ? systems.filter((system) => !given(system)).map((system) => system.host) : [];
  };
  const noLocal = lacking((system) => system.localDisk !== undefined, 'storage.local');
  if (noLocal.length > 0 && filters.local.length === 0) {
    reader.issues.add('Some systems are missing local storage disks', {
      position: at(reader, 'systems'),
      hint: `the local pool needs a disk on every member: set storage.local for ${listWords(noLocal)} too, or add a storage.local filter`,
    });
  }
  // With MicroOVN disabled, every OVN setting is reported below instead.
  const noUplink = services.microovn
    ? lacking((system) => system.uplinkInterface !== undefined, 'ovn_uplink_interface')
    : [];
  if (noUplink.length > 0) {
    reader.issues.add('Some systems are missing an uplink interface', {
      position: at(reader, 'systems'),
      hint: `set ovn_uplink_interface for ${listWords(noUplink)} too, or for no host and mc picks one per host`,
    });
  }
  const noUnderlay = services.microovn
    ? lacking((system) => system.underlayIp !== undefined, 'ovn_underlay_ip')
    : [];
  if (noUnderlay.length > 0) {
    reader.issues.add('Some systems are missing an underlay interface', {
      position: at(reader, 'systems'),
      hint: `set ovn_underlay_ip for ${listWords(noUnderlay)} too, or for no host`,
    });
  }
  const firstUplink = systems.find((system) => system.uplinkInterface !== undefined);
  if (firstUplink !== undefined && services.microovn && (ovn === null || !written('ovn'))) {
    reader.issues.add('Either the IPv4 or IPv6 gateway has to be set on the uplink network', {
      position: at(reader, `systems.${firstUplink.host}.ovn_uplink_interface`),
      hint: 'add ovn: with ipv4_gateway and ipv4_range, or ipv6_gateway',
    });
  }

  if (filters.ceph.length > 0 && systems.every((system) => system.cephDisks !== undefined)) {
    reader.issues.add('Ceph disk filter cannot be used. All systems have explicitly specified disks', {
      position: at(reader, 'storage.ceph'),
      hint: 'remove storage.ceph, or the ceph disks of a host that should take disks by filter',
    });
  }
  if (filters.local.length > 0 && systems.every((system) => system.localDisk !== undefined)) {
    reader.issues.add('Local disk filter cannot be used. All systems have explicitly specified a disk', {
      position: at(reader, 'storage.local'),
      hint: 'remove storage.local, or the local disk of a host that should take one by filter',
    });
  }
  const cephDisks = filters.ceph.length > 0 || systems.some((system) => (system.cephDisks ?? []).length > 0);
  if (!cephDisks && ceph.publicNetwork !== undefined) {
    reader.issues.add('Cannot specify a Ceph public network without Ceph storage disks', {
      position: at(reader, 'ceph.public_network'),
      hint: 'add Ceph disks with systems.<host>.storage.ceph or a storage.ceph filter, or remove it',
    });
  }
  if (!cephDisks && ceph.internalNetwork !== undefined) {
    reader.issues.add('Cannot specify a Ceph internal network without Ceph storage disks', {
      position: at(reader, 'ceph.internal_network'),
      hint: 'add Ceph disks with systems.<host>.storage.ceph or a storage.ceph filter, or remove it',
    });
  }

  const disabled = (service: OptionalService, paths: string[]): void => {
    if (services[service]) return;
    for (const path of paths) {
      reader.issues.add(
        `cluster.${path}: configures ${SERVICE_LABELS[service]}, which services.${service} disables`,
        {
          position: at(reader, path),
          hint: `remove it, or set services.${service}: true`,
        },
      );
    }
  };
  const writtenUnder = (predicate: (path: string) => boolean): string[] =>
    Object.keys(reader.where.positions).filter(predicate);
  disabled('microceph', [
    ...['ceph', 'storage.ceph'].filter(written),
    ...writtenUnder((path) => /^systems\.[^.]+\.storage\.ceph$/.test(path)),
  ]);
  disabled('microcloud', ['lookup_timeout', 'session_timeout'].filter(written));
  disabled('microovn', [
    ...['ovn'].filter(written),
    ...writtenUnder((path) => /^systems\.[^.]+\.(?:ovn_uplink_interface|ovn_underlay_ip)$/.test(path)),
  ]);
}

/**
 * Reads `cluster:` of an inventory. An inventory without the section (or an Ansible inventory) gets every
 * default: all services, the MicroCloud 2 LTS channels, the first host as initiator, no disks, no OVN.
 */
export function parseClusterSpec(
  inventory: Inventory,
  options: { /** plan/deploy: every host must be able to be a system. */ forDeploy?: boolean } = {},
): ClusterSpecResult {
  const section = inventory.cluster;
  const origin = section?.origin ?? { file: inventory.source, line: 0, col: 0 };
  const issues = new DeployIssues();
  const positions = section?.positions ?? {};
  const raw = section?.value ?? null;
  if (raw !== null && !isRecord(raw)) {
    issues.add(`cluster: must be a map of cluster settings, got ${describeValue(raw)}`, { position: origin });
    return { ok: false, issues: issues.sorted() };
  }
  const reader: Reader = {
    issues,
    where: { positions, origin },
    keys: section?.keys ?? {},
    hosts: inventory.hosts.map((host) => host.name),
    data: raw ?? {},
  };
  // Each host becomes a MicroCloud system of its name (§2.1): a loose Ansible name cannot. Checked where
  // a cluster is meant (a cluster section, or plan/deploy), so `inventory check` of a plain Ansible
  // inventory keeps Ansible's looser names.
  const needsSystemNames = section !== undefined || options.forDeploy === true;
  for (const host of needsSystemNames ? inventory.hosts : []) {
    const problem = systemNameProblem(host.name);
    if (problem !== undefined)
      issues.add(`host ${problem}: MicroCloud names each system after its host`, {
        position: host.origin,
        hint: 'rename the host in the inventory, and the machine with hostnamectl set-hostname',
      });
  }
  const sections = readSections(reader);
  checkSystemNames(reader);
  const written = sections.services ?? {};
  const services: Record<OptionalService, boolean> = {
    microceph: written.microceph ?? true,
    microovn: written.microovn ?? true,
    microcloud: written.microcloud ?? true,
  };
  const channels = readChannels(reader, sections);
  checkMicroCloudChannels(reader, services, channels);
  const lxdMinVersion = readLxdMinVersion(reader, sections);
  checkLxdChannelFloor(reader, channels.lxd, lxdMinVersion);
  const initiator = readInitiator(reader, sections);
  const { lookupTimeout, sessionTimeout } = readTimeouts(reader, sections);
  const systems = readSystems(reader, sections);
  const storage = {
    local: readFilters(reader, 'local', sections.storage?.local ?? []),
    ceph: readFilters(reader, 'ceph', sections.storage?.ceph ?? []),
  };
  const ceph = readCeph(reader, sections);
  const ovn = readOvn(reader, sections);
  const lxd = readLxdObjects(reader, sections);
  // Rules across sections only make sense once every section could be read.
  if (SECTION_NAMES.every((name) => !(name in reader.data) || name in sections)) {
    checkAcross(reader, systems, services, storage, ceph, ovn);
  }
  if (issues.size > 0) return { ok: false, issues: issues.sorted() };
  return {
    ok: true,
    spec: {
      origin,
      services,
      channels,
      lxdMinVersion,
      initiator,
      lookupTimeout,
      sessionTimeout,
      systems,
      ovn,
      ceph,
      storage,
      lxd,
      positions,
    },
  };
}
