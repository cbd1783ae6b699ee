// Block devices from util-linux lsblk JSON (§10.2): `lsblk -J -b -O` or a narrower `-o` column list, tree or
// `-l` list form, util-linux 2.37 (Ubuntu 22.04) to 2.39+ (24.04), with older string-typed values tolerated.

import { JsonObjectReader, parseJsonOutput } from './json-reader.js';
import { describeValue, FactsParseError } from './parse-error.js';

export const LSBLK_COMMAND = 'lsblk -J -b -O';

export interface BlockDevice {
  /** NAME: the kernel name, or the device-mapper name (`ubuntu--vg-ubuntu--lv`) for dm devices. */
  name: string;
  /** KNAME: the kernel name (`dm-0` for the LV above); identifies the device in `parents`/`children`. */
  kernelName: string;
  /** PATH, e.g. `/dev/sda` or `/dev/mapper/ubuntu--vg-ubuntu--lv`. */
  path: string;
  majorMinor: string | null;
  /** TYPE as lsblk prints it: disk, part, rom, loop, lvm, crypt, raid1, mpath, dm, ... */
  type: string;
  sizeBytes: number;
  readOnly: boolean;
  removable: boolean;
  rotational: boolean | null;
  model: string | null;
  serial: string | null;
  wwn: string | null;
  vendor: string | null;
  hctl: string | null;
  /** TRAN: sata, sas, nvme, usb, iscsi, virtio (2.39+), ... */
  transport: string | null;
  /** SUBSYSTEMS split on `:` (`block:scsi:pci`); only `block` means no hardware bus. Null without the column. */
  subsystems: string[] | null;
  /** FSTYPE: any signature blkid/udev recognised (ext4, xfs, LVM2_member, crypto_LUKS, ceph_bluestore, ...). */
  fsType: string | null;
  fsLabel: string | null;
  /** PTTYPE: gpt, dos, ... Always null when the output has no PTTYPE column (see BlockDeviceFacts). */
  partitionTableType: string | null;
  /** Every place the device is mounted; `[SWAP]` for active swap. */
  mountpoints: string[];
  /** Kernel names of the devices this one is built on (a partition's disk, an LV's partitions). */
  parents: string[];
  /** Kernel names of the devices built on this one (partitions and holders such as LVs or md arrays). */
  children: string[];
}

export interface BlockDeviceFacts {
  /** Every device once, in lsblk's order, whatever the tree printed twice (an LV on two disks). */
  devices: BlockDevice[];
  /** The output had a PTTYPE column; without it an empty partition table cannot be seen. */
  hasPartitionTableColumn: boolean;
  /** The output had a SUBSYSTEMS column; without it only device names tell virtual devices apart. */
  hasSubsystemsColumn: boolean;
}

/** `/dev/sda`, `/dev/mapper/x` (from `lsblk -p`) to the bare name lsblk prints without -p. */
function bareName(name: string): string {
  return name.replace(/^\/dev\/(mapper\/)?/, '');
}

function readSize(device: JsonObjectReader): number {
  const value = device.raw('size');
  if (value === null) return 0; // no media, or a loop device without a backing file
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  // util-linux before 2.33 printed every value as a string.
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return device.fail('size', 'a size in bytes (run lsblk with -b)');
}

function readMountpoints(device: JsonObjectReader): string[] {
  // util-linux 2.37+ has MOUNTPOINTS (an array, [null] when unmounted); older ones only MOUNTPOINT.
  if (device.has('mountpoints')) {
    return device.optionalArray('mountpoints').flatMap((item, index) => {
      if (item === null) return [];
      if (typeof item !== 'string') {
        throw new FactsParseError(
          'lsblk',
          `${device.pathOf('mountpoints')}[${index}]`,
          'a mount point or null',
          describeValue(item),
        );
      }
      return [item];
    });
  }
  if (device.has('mountpoint')) {
    const single = device.optionalString('mountpoint');
    return single === null ? [] : [single];
  }
  return device.fail('mountpoints', `the MOUNTPOINTS or MOUNTPOINT column (run \`${LSBLK_COMMAND}\`)`);
}

function requireColumn(device: JsonObjectReader, key: string, column: string): void {
  if (!device.has(key)) device.fail(key, `the ${column} column (run \`${LSBLK_COMMAND}\`)`);
}

function readDevice(device: JsonObjectReader): BlockDevice {
  for (const [key, column] of [
    ['name', 'NAME'],
    ['type', 'TYPE'],
    ['size', 'SIZE'],
    ['ro', 'RO'],
    ['rm', 'RM'],
    ['fstype', 'FSTYPE'],
  ] as const) {
    requireColumn(device, key, column);
  }
  const name = bareName(device.string('name'));
  const type = device.string('type');
  const kernelName = bareName(device.optionalString('kname') ?? name);
  const subsystems = device.optionalString('subsystems');
  const parent = device.optionalString('pkname');
  return {
    name,
    kernelName,
    path:
      device.optionalString('path') ??
      `/dev/${['lvm', 'crypt', 'dm', 'mpath'].includes(type) ? 'mapper/' : ''}${name}`,
    majorMinor: device.optionalString('maj:min'),
    type,
    sizeBytes: readSize(device),
    readOnly: device.boolean('ro'),
    removable: device.boolean('rm'),
    rotational: device.optionalBoolean('rota'),
    model: device.optionalString('model'),
    serial: device.optionalString('serial'),
    wwn: device.optionalString('wwn'),
    vendor: device.optionalString('vendor'),
    hctl: device.optionalString('hctl'),
    transport: device.optionalString('tran'),
    subsystems: subsystems === null ? null : subsystems.split(':'),
    fsType: device.optionalString('fstype'),
    fsLabel: device.optionalString('label'),
    partitionTableType: device.optionalString('pttype'),
    mountpoints: readMountpoints(device),
    parents: parent === null ? [] : [bareName(parent)],
    children: [],
  };
}

/** Parses `lsblk -J -b -O` (or `-J -b -o COLUMNS`, tree or `-l`). Throws FactsParseError on anything else. */
export function parseLsblk(text: string): BlockDeviceFacts {
  const root = JsonObjectReader.of(
    'lsblk',
    '$',
    parseJsonOutput('lsblk', text, LSBLK_COMMAND),
    'an object with "blockdevices"',
  );
  const byKernelName = new Map<string, BlockDevice>();
  let hasPartitionTableColumn = false;
  let hasSubsystemsColumn = false;

  const visit = (reader: JsonObjectReader, nestedIn: string | null): void => {
    const device = readDevice(reader);
    hasPartitionTableColumn ||= reader.has('pttype');
    hasSubsystemsColumn ||= reader.has('subsystems');
    const known = byKernelName.get(device.kernelName);
    const merged = known ?? device;
    if (known === undefined) byKernelName.set(device.kernelName, device);
    for (const parent of [...device.parents, ...(nestedIn === null ? [] : [nestedIn])]) {
      if (!merged.parents.includes(parent)) merged.parents.push(parent);
    }
    for (const child of reader.objects('children', { optional: true })) visit(child, device.kernelName);
  };
  for (const device of root.objects('blockdevices', { optional: false })) visit(device, null);

  for (const device of byKernelName.values()) {
    for (const parent of device.parents) {
      const parentDevice = byKernelName.get(parent);
      if (parentDevice !== undefined && !parentDevice.children.includes(device.kernelName)) {
        parentDevice.children.push(device.kernelName);
      }
    }
  }
  return { devices: [...byKernelName.values()], hasPartitionTableColumn, hasSubsystemsColumn };
}

/** Every device built on `device`, directly or not (partitions, LVs on them, filesystems' md arrays, ...). */
export function descendantsOf(facts: BlockDeviceFacts, device: BlockDevice): BlockDevice[] {
  const byKernelName = new Map(facts.devices.map((d) => [d.kernelName, d]));
  const seen = new Set<string>();
  const result: BlockDevice[] = [];
  const walk = (current: BlockDevice): void => {
    for (const childName of current.children) {
      const child = byKernelName.get(childName);
      if (child === undefined || seen.has(childName)) continue;
      seen.add(childName);
      result.push(child);
      walk(child);
    }
  };
  walk(device);
  return result;
}

/** The chain of devices from `ancestor` down to `descendant` (both included), or null if unrelated. */
export function deviceChain(
  facts: BlockDeviceFacts,
  ancestor: BlockDevice,
  descendant: BlockDevice,
): BlockDevice[] | null {
  if (ancestor.kernelName === descendant.kernelName) return [ancestor];
  const byKernelName = new Map(facts.devices.map((d) => [d.kernelName, d]));
  for (const childName of ancestor.children) {
    const child = byKernelName.get(childName);
    if (child === undefined) continue;
    const rest = deviceChain(facts, child, descendant);
    if (rest !== null) return [ancestor, ...rest];
  }
  return null;
}
