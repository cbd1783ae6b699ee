// LXD's hardware view, `lxc query /1.0/resources` (§4.1, §10.4): the disks MicroCloud chooses from and the
// network cards. Field names are LXD's (shared/api/resource.go); fields newer LXD releases added are optional.

import { JsonObjectReader, parseJsonOutput } from './json-reader.js';

export const LXD_RESOURCES_COMMAND = 'lxc query /1.0/resources';

export interface LxdDiskPartition {
  /** e.g. `sda1`. */
  id: string;
  /** major:minor. */
  device: string;
  partition: number;
  sizeBytes: number;
  readOnly: boolean;
  /** Null when LXD predates the field (5.0 has none). */
  mounted: boolean | null;
}

export interface LxdDisk {
  /** Kernel name, e.g. `sdb`, `nvme0n1`. */
  id: string;
  device: string;
  model: string | null;
  /** Bus from sysfs: scsi, nvme, virtio, mmc, usb, ...; `cdrom` for a removable sr device. */
  type: string | null;
  readOnly: boolean;
  sizeBytes: number;
  removable: boolean;
  wwn: string | null;
  /** Name of a /dev/disk/by-id link (the last in sorted order, §4.1); null when there is none. */
  deviceId: string | null;
  /** Name of a /dev/disk/by-path link; null when there is none. */
  devicePath: string | null;
  serial: string | null;
  /** 1 means rotational with an unknown speed, 0 solid state. */
  rpm: number | null;
  blockSize: number | null;
  pciAddress: string | null;
  usbAddress: string | null;
  /** The disk or one of its partitions is mounted; null when LXD predates the field. */
  mounted: boolean | null;
  /** e.g. `bcache`; null when unused or unknown. */
  usedBy: string | null;
  partitions: LxdDiskPartition[];
}

export interface LxdNetworkPort {
  /** Interface name, e.g. `enp5s0`. */
  id: string;
  macAddress: string | null;
  port: number;
  protocol: string | null;
  linkDetected: boolean;
  /** Mbit/s; null when unknown. */
  linkSpeedMbps: number | null;
}

export interface LxdNetworkCard {
  driver: string | null;
  pciAddress: string | null;
  vendor: string | null;
  product: string | null;
  usbAddress: string | null;
  ports: LxdNetworkPort[];
}

export interface LxdResources {
  architecture: string | null;
  cpuThreads: number | null;
  memoryTotalBytes: number | null;
  disks: LxdDisk[];
  networkCards: LxdNetworkCard[];
}

function readPartition(partition: JsonObjectReader): LxdDiskPartition {
  return {
    id: partition.string('id'),
    device: partition.optionalString('device') ?? '',
    partition: partition.optionalInteger('partition', { min: 0 }) ?? 0,
    sizeBytes: partition.integer('size', { min: 0 }),
    readOnly: partition.optionalBoolean('read_only') ?? false,
    mounted: partition.optionalBoolean('mounted'),
  };
}

function readDisk(disk: JsonObjectReader): LxdDisk {
  return {
    id: disk.string('id'),
    device: disk.optionalString('device') ?? '',
    model: disk.optionalString('model'),
    type: disk.optionalString('type'),
    readOnly: disk.boolean('read_only'),
    sizeBytes: disk.integer('size', { min: 0 }),
    removable: disk.optionalBoolean('removable') ?? false,
    wwn: disk.optionalString('wwn'),
    deviceId: disk.optionalString('device_id'),
    devicePath: disk.optionalString('device_path'),
    serial: disk.optionalString('serial'),
    rpm: disk.optionalInteger('rpm', { min: 0 }),
    blockSize: disk.optionalInteger('block_size', { min: 0 }),
    pciAddress: disk.optionalString('pci_address'),
    usbAddress: disk.optionalString('usb_address'),
    mounted: disk.optionalBoolean('mounted'),
    usedBy: disk.optionalString('used_by'),
    partitions: disk.objects('partitions', { optional: true }).map(readPartition),
  };
}

function readCard(card: JsonObjectReader): LxdNetworkCard {
  return {
    driver: card.optionalString('driver'),
    pciAddress: card.optionalString('pci_address'),
    vendor: card.optionalString('vendor'),
    product: card.optionalString('product'),
    usbAddress: card.optionalString('usb_address'),
    ports: card.objects('ports', { optional: true }).map((port) => ({
      id: port.string('id'),
      macAddress: port.optionalString('address'),
      port: port.optionalInteger('port', { min: 0 }) ?? 0,
      protocol: port.optionalString('protocol'),
      linkDetected: port.optionalBoolean('link_detected') ?? false,
      linkSpeedMbps: port.optionalInteger('link_speed', { min: 0 }),
    })),
  };
}

/**
 * Parses `lxc query /1.0/resources` (the bare resources object) or a raw API response (the same object
 * under `metadata` of a `sync` response).
 */
export function parseLxdResources(text: string): LxdResources {
  let root = JsonObjectReader.of(
    'lxd resources',
    '$',
    parseJsonOutput('lxd resources', text, LXD_RESOURCES_COMMAND),
    'the resources object from `lxc query /1.0/resources`',
  );
  if (!root.has('storage') && root.has('metadata')) root = root.object('metadata');
  const storage = root.object('storage');
  const network = root.optionalObject('network');
  const cpu = root.optionalObject('cpu');
  const memory = root.optionalObject('memory');
  return {
    architecture: cpu?.optionalString('architecture') ?? null,
    cpuThreads: cpu?.optionalInteger('total', { min: 0 }) ?? null,
    memoryTotalBytes: memory?.optionalInteger('total', { min: 0 }) ?? null,
    disks: storage.objects('disks', { optional: true }).map(readDisk),
    networkCards: network?.objects('cards', { optional: true }).map(readCard) ?? [],
  };
}
