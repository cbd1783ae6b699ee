// MicroCloud's preseed disk filters (microcloud.md §4.3): LXD filter expressions (lxd shared/filter) over the
// fields of a disk in LXD's /1.0/resources (`ResourcesStorageDisk`), e.g. `size > 5GiB && type == nvme`.
//
// Semantics, as LXD implements them: clauses `[!] FIELD OP VALUE` separated by whitespace and joined by `&&` or
// `||`, combined strictly left to right without precedence (`a || b && c` is `(a || b) && c`); a value with
// spaces is quoted with `"` or `'`. A string value is first tried as a case-insensitive regular expression,
// anchored `^…$` unless it contains `^` or `$` itself, and compared case-insensitively as plain text when it is
// not a valid expression. So `device_id == *lxd_disk1` is a suffix match: Go reads `^*` as "the start, any
// number of times". Numbers compare as numbers; `size` takes LXD's byte suffixes (B, kB, MB, GB, TB, PB, EB,
// KiB, MiB, GiB, TiB, PiB, EiB) on a whole number. Booleans accept Go's true/false spellings.
//
// Where mc differs: everything LXD would only find out while matching (an unknown field, `<` on a string, a
// value that is not a number) is an error when the filter is parsed, so that the inventory check reports it;
// and a quoted one-word value (`model == "QEMU"`) is accepted, where LXD's parser needs the quotes to span
// words.

import type { BlockDevice, BlockDeviceFacts, DiskLink, LxdDisk } from '../facts/index.js';
import { descendantsOf } from '../facts/index.js';
import { closestMatch } from '../inventory/issues.js';

export type FilterFieldKind = 'string' | 'number' | 'boolean';

/** The fields of LXD's ResourcesStorageDisk a filter may name (its YAML names) and their kinds. */
export const DISK_FILTER_FIELDS: Readonly<Record<string, FilterFieldKind>> = {
  id: 'string',
  device: 'string',
  model: 'string',
  type: 'string',
  read_only: 'boolean',
  mounted: 'boolean',
  size: 'number',
  removable: 'boolean',
  wwn: 'string',
  numa_node: 'number',
  device_path: 'string',
  block_size: 'number',
  firmware_version: 'string',
  rpm: 'number',
  serial: 'string',
  device_id: 'string',
  pci_address: 'string',
  usb_address: 'string',
  used_by: 'string',
  device_fs_uuid: 'string',
};

const OPERATORS = new Set(['==', '!=', '<', '>', '<=', '>=']);
const ORDERING = new Set(['<', '>', '<=', '>=']);

export interface FilterClause {
  /** How the clause joins what comes before it; the first clause's is `&&` (LXD starts from true). */
  logical: '&&' | '||';
  not: boolean;
  field: string;
  operator: string;
  value: string;
  /** The value as a number (numeric fields) or boolean (boolean fields); the text for string fields. */
  parsed: string | number | boolean;
}

export type ParsedDiskFilter = { ok: true; clauses: FilterClause[] } | { ok: false; error: string };

/** LXD's byte multipliers (shared/units ParseByteSizeString). */
const BYTE_SUFFIXES: Readonly<Record<string, number>> = {
  '': 1,
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

/** A whole number with an optional byte suffix, as LXD's ParseByteSizeString reads it; null otherwise. */
export function parseByteSize(text: string): number | null {
  const match = /^(\d+)(.*)$/.exec(text);
  const multiplier = match === null ? undefined : BYTE_SUFFIXES[match[2] ?? ''];
  return match === null || multiplier === undefined ? null : Number(match[1]) * multiplier;
}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function parseValue(field: string, kind: FilterFieldKind, value: string): string | number | boolean {
  if (kind === 'boolean') {
    if (GO_TRUE.has(value)) return true;
    if (GO_FALSE.has(value)) return false;
    throw new Error(`${field} is true or false, not "${value}"`);
  }
  if (kind === 'number') {
    const parsed = field === 'size' ? parseByteSize(value) : /^\d+$/.test(value) ? Number(value) : null;
    if (parsed === null) {
      throw new Error(
        field === 'size'
          ? `size takes a whole number with an optional unit (B, kB, MB, GB, TB, KiB, MiB, GiB, TiB, ...), not "${value}"`
          : `${field} is a whole number, not "${value}"`,
      );
    }
    return parsed;
  }
  return value;
}

function fieldError(field: string): string {
  const known = Object.keys(DISK_FILTER_FIELDS);
  const close = closestMatch(field, known);
  return close === undefined
    ? `unknown field "${field}" (fields: ${known.join(', ')})`
    : `unknown field "${field}" (did you mean "${close}"?)`;
}

/** Parses a filter expression; every problem LXD would report while matching is reported here. */
export function parseDiskFilter(expression: string): ParsedDiskFilter {
  const words = expression.split(/\s+/).filter((word) => word !== '');
  if (words.length === 0) return { ok: false, error: 'the filter is empty' };
  const clauses: FilterClause[] = [];
  let index = 0;
  let logical: '&&' | '||' = '&&';
  try {
    while (index < words.length) {
      let not = false;
      if (words[index] === '!') {
        not = true;
        index++;
        if (index === words.length) throw new Error('incomplete not clause');
      }
      const field = words[index++] ?? '';
      if (index === words.length) throw new Error(`clause "${field}" has no operator`);
      const operator = words[index++] ?? '';
      if (index === words.length) throw new Error(`clause "${field} ${operator}" has no value`);
      let value = words[index++] ?? '';
      const quote = value[0];
      if (quote === '"' || quote === "'") {
        if (value.length >= 2 && value.endsWith(quote)) {
          value = value.slice(1, -1);
        } else {
          const parts = [value.slice(1)];
          for (;;) {
            const next = words[index++];
            if (next === undefined) throw new Error(`unterminated quote in the value of "${field}"`);
            if (next.endsWith(quote)) {
              parts.push(next.slice(0, -1));
              break;
            }
            parts.push(next);
          }
          value = parts.join(' ');
        }
      }
      const kind = DISK_FILTER_FIELDS[field];
      if (kind === undefined) throw new Error(fieldError(field));
      if (!OPERATORS.has(operator)) {
        throw new Error(`unsupported operator "${operator}" (use ==, !=, <, >, <= or >=)`);
      }
      if (ORDERING.has(operator) && kind !== 'number') {
        throw new Error(`Invalid operator "${operator}" for field "${field}"`);
      }
      clauses.push({ logical, not, field, operator, value, parsed: parseValue(field, kind, value) });
      if (index < words.length) {
        const joiner = words[index++];
        if (joiner !== '&&' && joiner !== '||') {
          throw new Error(`expected && or || after "${field} ${operator} ${value}", got "${joiner ?? ''}"`);
        }
        logical = joiner;
        if (index === words.length) throw new Error(`nothing after the final ${joiner}`);
      }
    }
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  return { ok: true, clauses };
}

/** A disk as the filter sees it: LXD's field values; a field missing here cannot be read on this host. */
export type DiskFilterView = Readonly<Partial<Record<string, string | number | boolean>>>;

/**
 * LXD's string match: a case-insensitive regular expression, anchored unless the value has `^` or `$`; plain
 * case-insensitive equality when the value is no valid expression. Go accepts a repetition of `^` (`^*suffix`);
 * JavaScript needs it as a group.
 */
function stringMatches(actual: string, wanted: string): boolean {
  const anchored = wanted.includes('^') || wanted.includes('$') ? wanted : `^${wanted}$`;
  const pattern = anchored.replace(/(?<!\\)([$^])(?=[*+?{])/g, '(?:$1)');
  try {
    return new RegExp(pattern, 'i').test(actual);
  } catch {
    return actual.toLowerCase() === wanted.toLowerCase();
  }
}

function clauseMatches(clause: FilterClause, actual: string | number | boolean): boolean {
  if (typeof actual === 'string') {
    const equal = stringMatches(actual, clause.value);
    return clause.operator === '!=' ? !equal : equal;
  }
  if (typeof actual === 'boolean' || typeof clause.parsed !== 'number') {
    const equal = actual === clause.parsed;
    return clause.operator === '!=' ? !equal : equal;
  }
  const wanted = clause.parsed;
  switch (clause.operator) {
    case '==':
      return actual === wanted;
    case '!=':
      return actual !== wanted;
    case '<':
      return actual < wanted;
    case '>':
      return actual > wanted;
    case '<=':
      return actual <= wanted;
    default:
      return actual >= wanted;
  }
}

/** The fields the clauses name that the view cannot supply. */
export function unavailableFields(clauses: readonly FilterClause[], view: DiskFilterView): string[] {
  return [...new Set(clauses.map((clause) => clause.field).filter((field) => view[field] === undefined))];
}

/** Whether the disk matches; a clause on a field the view lacks never matches (check unavailableFields first). */
export function matchesDiskFilter(clauses: readonly FilterClause[], view: DiskFilterView): boolean {
  let match = true;
  for (const clause of clauses) {
    const actual = view[clause.field];
    let result = actual === undefined ? false : clauseMatches(clause, actual);
    if (clause.not) result = !result;
    match = clause.logical === '&&' ? match && result : match || result;
  }
  return match;
}

/** LXD's view of a disk from `lxc query /1.0/resources` (absent values read as Go's zero values). */
export function lxdDiskView(disk: LxdDisk): DiskFilterView {
  return {
    id: disk.id,
    device: disk.device,
    model: disk.model ?? '',
    type: disk.type ?? '',
    read_only: disk.readOnly,
    mounted: disk.mounted ?? false,
    size: disk.sizeBytes,
    removable: disk.removable,
    wwn: disk.wwn ?? '',
    numa_node: 0,
    device_path: disk.devicePath ?? '',
    block_size: disk.blockSize ?? 0,
    firmware_version: '',
    rpm: disk.rpm ?? 0,
    serial: disk.serial ?? '',
    device_id: disk.deviceId ?? '',
    pci_address: disk.pciAddress ?? '',
    usb_address: disk.usbAddress ?? '',
    used_by: disk.usedBy ?? '',
    device_fs_uuid: '',
  };
}

/** LXD's `type`: the bus of the device (its sysfs subsystem), `cdrom` for a CD/DVD drive. */
function lsblkBus(device: BlockDevice): string {
  if (device.type === 'rom') return 'cdrom';
  const subsystem = device.subsystems?.[1];
  if (subsystem !== undefined) return subsystem;
  switch (device.transport) {
    case 'nvme':
    case 'virtio':
    case 'mmc':
      return device.transport;
    case null:
      return '';
    default:
      // SATA, SAS, USB and iSCSI disks all sit on the SCSI subsystem.
      return 'scsi';
  }
}

/** LXD's pick among a disk's udev links: the last name in sorted order (§4.1). */
function lastLink(links: readonly DiskLink[], directory: DiskLink['directory'], kernelName: string): string {
  return (
    links
      .filter((link) => link.directory === directory && link.target === kernelName)
      .map((link) => link.name)
      .sort()
      .at(-1) ?? ''
  );
}

/**
 * The same view built from lsblk and the udev links, for hosts where LXD is not installed yet. Fields lsblk
 * does not show (numa_node, block_size, firmware_version, pci_address, usb_address, used_by, device_fs_uuid)
 * are left out: a filter naming them cannot be evaluated before LXD runs.
 */
export function lsblkDiskView(
  device: BlockDevice,
  facts: BlockDeviceFacts,
  links: readonly DiskLink[],
): DiskFilterView {
  const mounted = [device, ...descendantsOf(facts, device)].some((d) =>
    d.mountpoints.some((mountpoint) => mountpoint !== '[SWAP]'),
  );
  return {
    id: device.kernelName,
    device: device.majorMinor ?? '',
    model: device.model ?? '',
    type: lsblkBus(device),
    read_only: device.readOnly,
    mounted,
    size: device.sizeBytes,
    removable: device.removable,
    wwn: device.wwn ?? '',
    device_path: lastLink(links, 'by-path', device.kernelName),
    rpm: device.rotational === true ? 1 : 0,
    serial: device.serial ?? '',
    device_id: lastLink(links, 'by-id', device.kernelName),
  };
}
