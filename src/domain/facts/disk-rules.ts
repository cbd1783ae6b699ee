// Which disks mc may offer for Ceph OSDs and for the local (ZFS) pool. MicroCloud's own filter (§4.2) only
// drops partitioned disks and CD-ROMs; mc adds MicroCeph's rules and refuses anything that could hold data or
// the running system, because it learns disks before installing anything and must never pick a wrong one.

import { deviceChain, descendantsOf, type BlockDevice, type BlockDeviceFacts } from './block-devices.js';
import { stableDiskPath, type DiskLink, type StablePath } from './disk-links.js';
import { formatBytesIec, verdictOf, type Reason, type UseVerdict } from './verdict.js';

/** MicroCeph's MinOSDSize: smaller disks are not offered as OSDs (§4.2). */
export const MIN_CEPH_DISK_BYTES = 2 * 1024 ** 3;

export type DiskRejectionCode =
  | 'root-disk'
  | 'not-a-disk'
  | 'virtual-device'
  | 'cdrom'
  | 'removable'
  | 'read-only'
  | 'no-media'
  | 'too-small'
  | 'partitioned'
  | 'partition-table'
  | 'filesystem'
  | 'holders'
  | 'mounted'
  | 'signatures-unknown';

export type DiskReason = Reason<DiskRejectionCode>;

export interface DiskVerdict {
  device: BlockDevice;
  /** The path to hand to MicroCeph or LXD (§4.2 order: by-id, by-path, /dev/NAME). */
  stablePath: StablePath;
  /** As a Ceph OSD: every rule below, plus MicroCeph's 2 GiB minimum. */
  ceph: UseVerdict<DiskRejectionCode>;
  /** As the disk of the local ZFS pool: every rule below except the size minimum. */
  local: UseVerdict<DiskRejectionCode>;
  /** Facts worth showing even for an eligible disk (no stable name, USB, unchecked partition tables). */
  warnings: string[];
}

/** Kernel-name prefixes of virtual block devices that lsblk reports with TYPE `disk`. */
const VIRTUAL_DISK_NAMES: [RegExp, string][] = [
  [/^zram\d/, 'is a zram (compressed RAM) device'],
  [/^ram\d/, 'is a RAM disk'],
  [/^nbd\d/, 'is a network block device (nbd)'],
  [/^rbd\d/, 'is a Ceph RBD device'],
  [/^zd\d/, 'is a ZFS volume'],
  [/^drbd\d/, 'is a DRBD device'],
  [/^bcache\d/, 'is a bcache device'],
];

function kindReasons(device: BlockDevice): DiskReason[] {
  const { type } = device;
  if (type === 'rom') return [{ code: 'cdrom', message: 'is a CD/DVD drive' }];
  if (type === 'part') return [{ code: 'not-a-disk', message: 'is a partition, not a whole disk' }];
  if (type === 'loop') return [{ code: 'virtual-device', message: 'is a loop device' }];
  if (['lvm', 'crypt', 'dm', 'mpath'].includes(type)) {
    return [{ code: 'virtual-device', message: `is a device-mapper device (${type})` }];
  }
  if (type === 'md' || type.startsWith('raid') || type === 'linear') {
    return [{ code: 'virtual-device', message: `is an md RAID device (${type})` }];
  }
  if (type !== 'disk') return [{ code: 'not-a-disk', message: `is a ${type} device, not a disk` }];
  const named = VIRTUAL_DISK_NAMES.find(([pattern]) => pattern.test(device.kernelName));
  if (named !== undefined) return [{ code: 'virtual-device', message: named[1] }];
  // LXD lists only block devices with a device/ link in sysfs (§4.1); lsblk's SUBSYSTEMS shows the same thing.
  if (device.subsystems !== null && device.subsystems.every((subsystem) => subsystem === 'block')) {
    return [
      { code: 'virtual-device', message: 'is not on a hardware bus (lsblk SUBSYSTEMS is only "block")' },
    ];
  }
  return [];
}

function describeMount(mountpoint: string, device: BlockDevice): string {
  return `${mountpoint === '[SWAP]' ? 'swap' : mountpoint} (${device.name})`;
}

/**
 * lsblk takes FSTYPE and PTTYPE from udev's database; without it (no systemd-udevd, some containers and
 * minimal images) every signature reads as null, so "no filesystem" proves nothing. A mounted device always
 * has a filesystem, so a mounted device without FSTYPE gives the problem away.
 */
function unreliableSignatureWitness(facts: BlockDeviceFacts): BlockDevice | undefined {
  return facts.devices.find(
    (device) => device.fsType === null && device.mountpoints.some((mountpoint) => mountpoint !== '[SWAP]'),
  );
}

function contentReasons(facts: BlockDeviceFacts, disk: BlockDevice): DiskReason[] {
  const reasons: DiskReason[] = [];
  const byKernelName = new Map(facts.devices.map((device) => [device.kernelName, device]));
  const children = disk.children.flatMap((name) => byKernelName.get(name) ?? []);
  const partitions = children.filter((child) => child.type === 'part');
  const holders = children.filter((child) => child.type !== 'part');
  if (partitions.length > 0) {
    reasons.push({
      code: 'partitioned',
      message: `has partitions: ${partitions.map((p) => p.name).join(', ')}`,
    });
  } else if (disk.partitionTableType !== null) {
    reasons.push({ code: 'partition-table', message: `has a ${disk.partitionTableType} partition table` });
  }
  if (disk.fsType !== null) {
    reasons.push({ code: 'filesystem', message: `has a filesystem signature (${disk.fsType})` });
  }
  if (holders.length > 0) {
    reasons.push({
      code: 'holders',
      message: `is in use by ${holders.map((holder) => `${holder.name} (${holder.type})`).join(', ')}`,
    });
  }
  const mounts = [disk, ...descendantsOf(facts, disk)].flatMap((device) =>
    device.mountpoints.map((mountpoint) => describeMount(mountpoint, device)),
  );
  if (mounts.length > 0) {
    reasons.push({ code: 'mounted', message: `has mounted filesystems: ${mounts.join(', ')}` });
  }
  return reasons;
}

function rootReasons(facts: BlockDeviceFacts, disk: BlockDevice): DiskReason[] {
  const rootDevice = [disk, ...descendantsOf(facts, disk)].find((device) => device.mountpoints.includes('/'));
  if (rootDevice === undefined) return [];
  const chain = deviceChain(facts, disk, rootDevice) ?? [disk, rootDevice];
  return [
    {
      code: 'root-disk',
      message: `holds the root filesystem (${chain.map((device) => device.name).join(' → ')} mounted at /)`,
    },
  ];
}

function mediaReasons(disk: BlockDevice): DiskReason[] {
  const reasons: DiskReason[] = [];
  if (disk.removable) reasons.push({ code: 'removable', message: 'is removable media' });
  if (disk.readOnly) reasons.push({ code: 'read-only', message: 'is read-only' });
  if (disk.sizeBytes === 0) reasons.push({ code: 'no-media', message: 'has no media (size 0)' });
  return reasons;
}

function warningsFor(facts: BlockDeviceFacts, disk: BlockDevice, stablePath: StablePath): string[] {
  const warnings: string[] = [];
  if (stablePath.kind === 'by-path') {
    warnings.push(
      `has no /dev/disk/by-id name; ${stablePath.path} changes if the disk moves to another port or controller`,
    );
  } else if (stablePath.kind === 'kernel') {
    warnings.push(
      `has no /dev/disk/by-id or by-path name; ${stablePath.path} may name another disk after a reboot`,
    );
  }
  if (disk.transport === 'usb') warnings.push('is attached over USB');
  if (!facts.hasPartitionTableColumn) {
    warnings.push('partition tables were not checked: the lsblk output has no PTTYPE column');
  }
  return warnings;
}

/**
 * Judges every whole device lsblk lists (devices without a parent: disks, CD-ROMs, loop and zram devices, ...).
 * Partitions and the devices built on disks are judged as part of their disk. Every reason is reported.
 */
export function evaluateDisks(facts: BlockDeviceFacts, links: DiskLink[]): DiskVerdict[] {
  const witness = unreliableSignatureWitness(facts);
  const signatureReasons: DiskReason[] =
    witness === undefined
      ? []
      : [
          {
            code: 'signatures-unknown',
            message:
              `filesystem signatures cannot be checked: lsblk shows no FSTYPE even for mounted ${witness.name} ` +
              '(no udev data; is systemd-udevd running?)',
          },
        ];
  return facts.devices
    .filter((device) => device.parents.length === 0)
    .map((disk) => {
      const stablePath = stableDiskPath(disk.kernelName, links);
      const common = [...rootReasons(facts, disk), ...kindReasons(disk), ...mediaReasons(disk)];
      const tooSmall: DiskReason[] =
        disk.sizeBytes > 0 && disk.sizeBytes < MIN_CEPH_DISK_BYTES
          ? [
              {
                code: 'too-small',
                message: `is ${formatBytesIec(disk.sizeBytes)}; a Ceph OSD needs at least ${formatBytesIec(MIN_CEPH_DISK_BYTES)}`,
              },
            ]
          : [];
      const rest = [...contentReasons(facts, disk), ...signatureReasons];
      return {
        device: disk,
        stablePath,
        ceph: verdictOf([...common, ...tooSmall, ...rest]),
        local: verdictOf([...common, ...rest]),
        warnings: warningsFor(facts, disk, stablePath),
      };
    });
}
