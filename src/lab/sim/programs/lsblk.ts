// `lsblk` from the machine model (§10.2): `-J -b -o COLS` JSON as util-linux 2.37/2.39 print it, plus the
// plain table. Installed snaps show up as squashfs loop devices, as they do on a real host.

import { lxdDeviceId, type BlockDevice, type Machine, type Partition } from '../machine.js';
import { Output, parseFlags, type ProgramContext, type ProgramResult } from '../program.js';

/** A row of lsblk's device tree: whole disks, partitions and the snap loop devices. */
interface Node {
  name: string;
  kind: 'disk' | 'part' | 'rom' | 'loop';
  major: number;
  minor: number;
  sizeBytes: number;
  readOnly: boolean;
  removable: boolean;
  rotational: boolean;
  model: string | null;
  serial: string | null;
  wwn: string | null;
  vendor: string | null;
  tran: string | null;
  fstype: string | null;
  label: string | null;
  uuid: string | null;
  pttype: string | null;
  mountpoints: string[];
  parent: string | null;
  idLink: string | null;
  hctl: string | null;
  /** The bus a disk (or its partition) sits on, for SUBSYSTEMS; null for loop devices. */
  subsystemBus: string | null;
  children: Node[];
}

function partitionNode(disk: BlockDevice, part: Partition): Node {
  return {
    name: part.name,
    kind: 'part',
    major: part.major,
    minor: part.minor,
    sizeBytes: part.sizeBytes,
    readOnly: part.readOnly,
    removable: disk.removable,
    rotational: disk.rotational,
    model: null,
    serial: null,
    wwn: disk.wwn,
    vendor: null,
    tran: null,
    fstype: part.filesystem?.type ?? null,
    label: part.filesystem?.label ?? null,
    uuid: part.filesystem?.uuid ?? null,
    pttype: disk.partitionTable,
    mountpoints: part.mountpoints,
    parent: disk.name,
    idLink: lxdDeviceId(disk) ? shortestLink(disk.byId.map((id) => `${id}-part${part.number}`)) : null,
    hctl: null,
    subsystemBus: disk.bus === 'sata' ? 'scsi' : disk.bus,
    children: [],
  };
}

function shortestLink(links: string[]): string | null {
  return [...links].sort((a, b) => a.length - b.length || a.localeCompare(b))[0] ?? null;
}

function diskNode(disk: BlockDevice, index: number): Node {
  return {
    name: disk.name,
    kind: disk.type,
    major: disk.major,
    minor: disk.minor,
    sizeBytes: disk.sizeBytes,
    readOnly: disk.readOnly,
    removable: disk.removable,
    rotational: disk.rotational,
    model: disk.model,
    serial: disk.serial,
    wwn: disk.wwn,
    vendor: disk.vendor,
    // virtio-blk has no transport in lsblk's sense.
    tran: disk.bus === 'virtio' ? null : disk.bus,
    fstype: disk.filesystem?.type ?? null,
    label: disk.filesystem?.label ?? null,
    uuid: disk.filesystem?.uuid ?? null,
    pttype: disk.partitionTable,
    mountpoints: disk.mountpoints,
    parent: null,
    idLink: shortestLink(disk.byId),
    hctl: disk.bus === 'scsi' ? `0:0:0:${index}` : null,
    subsystemBus: disk.bus === 'sata' ? 'scsi' : disk.bus,
    children: disk.partitions.map((part) => partitionNode(disk, part)),
  };
}

function snapLoops(machine: Machine): Node[] {
  return machine.snaps.map((snap, index) => ({
    name: `loop${index}`,
    kind: 'loop',
    major: 7,
    minor: index,
    sizeBytes: 50 * 1024 * 1024 + ((snap.revision * 4096) % (40 * 1024 * 1024)),
    readOnly: true,
    removable: false,
    rotational: false,
    model: null,
    serial: null,
    wwn: null,
    vendor: null,
    tran: null,
    fstype: 'squashfs',
    label: null,
    uuid: null,
    pttype: null,
    mountpoints: [`/snap/${snap.name}/${snap.revision}`],
    parent: null,
    idLink: null,
    hctl: null,
    subsystemBus: null,
    children: [],
  }));
}

/** util-linux size_to_human_string with one-letter suffixes: 10G, 105M, 9.9G (§10.2 non -b form). */
export function lsblkHumanSize(bytes: number): string {
  const suffixes = ['B', 'K', 'M', 'G', 'T', 'P', 'E'];
  let exp = 0;
  while (exp < 6 && bytes >= 2 ** (10 * (exp + 1))) exp++;
  if (exp === 0) return `${bytes}B`;
  const unit = 2 ** (10 * exp);
  let whole = Math.floor(bytes / unit);
  const remainder = bytes - whole * unit;
  let tenth = Math.floor((Math.floor(remainder / 2 ** (10 * exp - 10)) + 50) / 100);
  if (tenth === 10) {
    whole += 1;
    tenth = 0;
  }
  return tenth === 0 ? `${whole}${suffixes[exp] as string}` : `${whole}.${tenth}${suffixes[exp] as string}`;
}

type Value = string | number | boolean | null | (string | null)[];

interface Column {
  json: string;
  since: '2.37' | '2.39';
  rightAligned?: boolean;
  value: (node: Node, bytes: boolean, fullPaths: boolean) => Value;
}

const devPath = (node: Node): string => `/dev/${node.name}`;

const COLUMNS: Record<string, Column> = {
  NAME: { json: 'name', since: '2.37', value: (n, _b, full) => (full ? devPath(n) : n.name) },
  KNAME: { json: 'kname', since: '2.37', value: (n, _b, full) => (full ? devPath(n) : n.name) },
  PATH: { json: 'path', since: '2.37', value: (n) => devPath(n) },
  'MAJ:MIN': { json: 'maj:min', since: '2.37', rightAligned: true, value: (n) => `${n.major}:${n.minor}` },
  FSTYPE: { json: 'fstype', since: '2.37', value: (n) => n.fstype },
  LABEL: { json: 'label', since: '2.37', value: (n) => n.label },
  UUID: { json: 'uuid', since: '2.37', value: (n) => n.uuid },
  PTTYPE: { json: 'pttype', since: '2.37', value: (n) => n.pttype },
  RO: { json: 'ro', since: '2.37', rightAligned: true, value: (n) => n.readOnly },
  RM: { json: 'rm', since: '2.37', rightAligned: true, value: (n) => n.removable },
  HOTPLUG: { json: 'hotplug', since: '2.37', rightAligned: true, value: (n) => n.removable },
  ROTA: { json: 'rota', since: '2.37', rightAligned: true, value: (n) => n.rotational },
  RAND: { json: 'rand', since: '2.37', rightAligned: true, value: (n) => n.kind !== 'loop' },
  MODEL: { json: 'model', since: '2.37', value: (n) => n.model },
  SERIAL: { json: 'serial', since: '2.37', value: (n) => n.serial },
  VENDOR: { json: 'vendor', since: '2.37', value: (n) => n.vendor },
  WWN: { json: 'wwn', since: '2.37', value: (n) => n.wwn },
  TRAN: { json: 'tran', since: '2.37', value: (n) => n.tran },
  HCTL: { json: 'hctl', since: '2.37', value: (n) => n.hctl },
  SIZE: {
    json: 'size',
    since: '2.37',
    rightAligned: true,
    value: (n, bytes) => (bytes ? n.sizeBytes : lsblkHumanSize(n.sizeBytes)),
  },
  TYPE: { json: 'type', since: '2.37', value: (n) => n.kind },
  STATE: { json: 'state', since: '2.37', value: (n) => (n.kind === 'disk' ? 'running' : null) },
  PKNAME: {
    json: 'pkname',
    since: '2.37',
    value: (n, _b, full) => (n.parent === null ? null : full ? `/dev/${n.parent}` : n.parent),
  },
  MOUNTPOINT: { json: 'mountpoint', since: '2.37', value: (n) => n.mountpoints[0] ?? null },
  // util-linux prints [null] for an unmounted device (§10.2).
  MOUNTPOINTS: {
    json: 'mountpoints',
    since: '2.37',
    value: (n) => (n.mountpoints.length > 0 ? [...n.mountpoints] : [null]),
  },
  'LOG-SEC': { json: 'log-sec', since: '2.37', rightAligned: true, value: () => 512 },
  'PHY-SEC': { json: 'phy-sec', since: '2.37', rightAligned: true, value: () => 512 },
  'ID-LINK': { json: 'id-link', since: '2.39', value: (n) => n.idLink },
  // The buses udev walks to the device; `block` alone means no hardware behind it.
  SUBSYSTEMS: { json: 'subsystems', since: '2.37', value: (n) => subsystemsOf(n) },
};

function subsystemsOf(node: Node): string {
  if (node.kind === 'loop') return 'block';
  const bus = node.subsystemBus;
  return bus === null ? 'block' : `block:${bus}:pci`;
}

const DEFAULT_COLUMNS = ['NAME', 'MAJ:MIN', 'RM', 'SIZE', 'RO', 'TYPE', 'MOUNTPOINTS'];

function versionAtLeast(version: string, wanted: string): boolean {
  const a = version.split('.').map(Number);
  const b = wanted.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff > 0;
  }
  return true;
}

function findNode(nodes: Node[], path: string): Node | null {
  for (const node of nodes) {
    if (devPath(node) === path) return node;
    const child = findNode(node.children, path);
    if (child) return child;
  }
  return null;
}

function plainCell(value: Value): string {
  if (value === null) return '';
  if (Array.isArray(value)) return value.filter((v) => v !== null).join('\n');
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value);
}

export async function lsblkProgram(ctx: ProgramContext): Promise<ProgramResult> {
  await Promise.resolve();
  const out = new Output();
  const parsed = parseFlags(ctx.argv.slice(1), [
    { name: 'json', short: 'J', type: 'bool' },
    { name: 'bytes', short: 'b', type: 'bool' },
    { name: 'output', short: 'o', type: 'string' },
    { name: 'nodeps', short: 'd', type: 'bool' },
    { name: 'list', short: 'l', type: 'bool' },
    { name: 'paths', short: 'p', type: 'bool' },
    { name: 'noheadings', short: 'n', type: 'bool' },
    { name: 'all', short: 'a', type: 'bool' },
    { name: 'fs', short: 'f', type: 'bool' },
    { name: 'output-all', short: 'O', type: 'bool' },
  ]);
  if (!parsed.ok) {
    const flag =
      parsed.error.kind === 'unknown-shorthand'
        ? `'${parsed.error.short}'`
        : parsed.error.kind === 'unknown-flag'
          ? `'${parsed.error.flag}'`
          : '';
    out.eprintln(`lsblk: unrecognized option ${flag}`);
    out.eprintln("Try 'lsblk --help' for more information.");
    return out.done(1);
  }
  const { flags, positionals } = parsed.parsed;
  const fsColumns = ['NAME', 'FSTYPE', 'FSVER', 'LABEL', 'UUID', 'FSAVAIL', 'FSUSE%', 'MOUNTPOINTS'].filter(
    (c) => c in COLUMNS,
  );
  // -O: every column this util-linux has (the ones the model can fill; unmodelled ones are left out).
  const everyColumn = Object.keys(COLUMNS).filter((c) =>
    versionAtLeast(ctx.machine.utilLinuxVersion, COLUMNS[c]?.since ?? '9'),
  );
  let columns =
    flags['output-all'] === true ? everyColumn : flags['fs'] === true ? fsColumns : DEFAULT_COLUMNS;
  const output = typeof flags['output'] === 'string' ? flags['output'] : null;
  if (output !== null) {
    const requested = output.startsWith('+')
      ? [...columns, ...output.slice(1).split(',')]
      : output.split(',');
    columns = requested.map((c) => c.trim().toUpperCase()).filter(Boolean);
  }
  for (const name of columns) {
    const column = COLUMNS[name];
    if (!column || !versionAtLeast(ctx.machine.utilLinuxVersion, column.since)) {
      out.eprintln(`lsblk: unknown column: ${name}`);
      return out.done(1);
    }
  }
  const bytes = flags['bytes'] === true;
  const fullPaths = flags['paths'] === true;
  const all = [
    ...snapLoops(ctx.machine),
    ...ctx.machine.blockDevices.map((disk, i) => diskNode(disk, i)),
  ].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  let roots = all;
  if (positionals.length > 0) {
    roots = [];
    for (const path of positionals) {
      const node = findNode(all, path);
      if (!node) {
        out.eprintln(`lsblk: ${path}: not a block device`);
        return out.done(32);
      }
      roots.push(node);
    }
  }
  const nodeps = flags['nodeps'] === true;
  const listMode = flags['list'] === true;
  if (flags['json'] === true) {
    const toJson = (node: Node, flat: boolean): Record<string, unknown> => {
      const entry: Record<string, unknown> = {};
      for (const name of columns) {
        const column = COLUMNS[name] as Column;
        entry[column.json] = column.value(node, bytes, fullPaths);
      }
      if (!flat && !nodeps && node.children.length > 0)
        entry['children'] = node.children.map((c) => toJson(c, false));
      return entry;
    };
    const devices = listMode
      ? roots.flatMap((node) => [node, ...(nodeps ? [] : node.children)]).map((node) => toJson(node, true))
      : roots.map((node) => toJson(node, false));
    out.println(JSON.stringify({ blockdevices: devices }, null, 3));
    return out.done(0);
  }
  const rows: { prefix: string; node: Node }[] = [];
  for (const node of roots) {
    rows.push({ prefix: '', node });
    if (nodeps) continue;
    node.children.forEach((child, i) => {
      const branch = i === node.children.length - 1 ? '└─' : '├─';
      rows.push({ prefix: listMode ? '' : branch, node: child });
    });
  }
  const table = rows.map(({ prefix, node }) =>
    columns.map((name, index) => {
      const text = plainCell((COLUMNS[name] as Column).value(node, bytes, fullPaths)).split('\n')[0] ?? '';
      return index === 0 ? prefix + text : text;
    }),
  );
  const header = columns.map((c) => c);
  const widths = columns.map((_, col) =>
    Math.max(
      flags['noheadings'] === true ? 0 : (header[col] as string).length,
      ...table.map((r) => [...(r[col] ?? '')].length),
    ),
  );
  const render = (cells: string[]): string =>
    cells
      .map((cell, col) => {
        const width = widths[col] ?? 0;
        const pad = ' '.repeat(Math.max(0, width - [...cell].length));
        return (COLUMNS[columns[col] as string] as Column).rightAligned ? pad + cell : cell + pad;
      })
      .join(' ')
      .trimEnd();
  if (flags['noheadings'] !== true) out.println(render(header));
  for (const row of table) out.println(render(row));
  return out.done(0);
}
