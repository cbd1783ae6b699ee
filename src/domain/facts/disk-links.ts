// Stable names of disks: udev's /dev/disk/by-id and /dev/disk/by-path symlinks, and the choice of the path mc
// hands to MicroCeph and LXD (§4.1: LXD's device_id/device_path; §4.2: MicroCloud's FormatDiskPath).

import { FactsParseError } from './parse-error.js';

/**
 * One line per symlink: `<link path> <link target>`, e.g. `/dev/disk/by-id/wwn-0x5000c500a1b2c3d4 ../../sda`.
 * Missing directories (no udev, no disks with ids) print nothing; `|| true` keeps the exit status 0.
 */
export const DISK_LINKS_COMMAND =
  "find /dev/disk/by-id /dev/disk/by-path -mindepth 1 -maxdepth 1 -type l -printf '%p %l\\n' 2>/dev/null || true";

export interface DiskLink {
  directory: 'by-id' | 'by-path';
  /** The link's file name, e.g. `wwn-0x5000c500a1b2c3d4` or `pci-0000:00:10.0-scsi-0:0:1:0`. */
  name: string;
  /** Kernel name the link resolves to, e.g. `sda`, `nvme0n1p2`, `dm-0`. */
  target: string;
}

const LINE = /^\/dev\/disk\/(by-id|by-path)\/(\S+) (?:\.\.\/\.\.\/|\/dev\/)([^/\s]+)$/;

/** Parses the output of DISK_LINKS_COMMAND. Empty output is valid (a host without udev links). */
export function parseDiskLinks(text: string): DiskLink[] {
  const links: DiskLink[] = [];
  text.split('\n').forEach((rawLine, index) => {
    const line = rawLine.trimEnd();
    if (line === '') return;
    const match = LINE.exec(line);
    if (match === null) {
      throw new FactsParseError(
        'disk links',
        `line ${index + 1}`,
        '`/dev/disk/by-id/NAME ../../KERNELNAME` or `/dev/disk/by-path/NAME ../../KERNELNAME`',
        JSON.stringify(line.length > 80 ? `${line.slice(0, 77)}...` : line),
      );
    }
    links.push({
      directory: match[1] === 'by-id' ? 'by-id' : 'by-path',
      name: match[2] ?? '',
      target: match[3] ?? '',
    });
  });
  return links;
}

export interface StablePath {
  path: string;
  /** `kernel` means no udev link exists: `/dev/NAME` may name another disk after a reboot. */
  kind: 'by-id' | 'by-path' | 'kernel';
}

/** Links to logical devices (device-mapper, md, LVM PVs): not names of the hardware. */
const LOGICAL_ID_PREFIXES = ['dm-name-', 'dm-uuid-', 'lvm-pv-uuid-', 'md-name-', 'md-uuid-'];

/**
 * Preference among by-id names: the world-wide name, then NVMe namespace ids, then SCSI page-83/80 ids, then
 * virtio serials, then the rest (ata-, nvme-MODEL_SERIAL, usb-, cloud names such as google-).
 */
function byIdRank(name: string): number {
  if (name.startsWith('wwn-')) return 0;
  if (/^nvme-(eui|uuid|nvme)\./.test(name)) return 1;
  if (name.startsWith('scsi-')) return 2;
  if (name.startsWith('virtio-')) return 3;
  return 4;
}

/**
 * The path mc uses for a whole disk: /dev/disk/by-id (ranked as above), else /dev/disk/by-path, else
 * /dev/NAME, the same fallback order as MicroCloud's FormatDiskPath (§4.2). Among equally ranked names the
 * last in sorted order wins, as in LXD's device_id (§4.1), so mc and MicroCloud agree where they can.
 */
export function stableDiskPath(kernelName: string, links: DiskLink[]): StablePath {
  const pick = (names: string[]): string | undefined => [...names].sort().at(-1);
  const ids = links
    .filter((link) => link.directory === 'by-id' && link.target === kernelName)
    .map((link) => link.name)
    .filter((name) => !LOGICAL_ID_PREFIXES.some((prefix) => name.startsWith(prefix)));
  if (ids.length > 0) {
    const bestRank = Math.min(...ids.map(byIdRank));
    const chosen = pick(ids.filter((name) => byIdRank(name) === bestRank));
    if (chosen !== undefined) return { path: `/dev/disk/by-id/${chosen}`, kind: 'by-id' };
  }
  const paths = links.filter((link) => link.directory === 'by-path' && link.target === kernelName);
  const chosenPath = pick(paths.map((link) => link.name));
  if (chosenPath !== undefined) return { path: `/dev/disk/by-path/${chosenPath}`, kind: 'by-path' };
  return { path: `/dev/${kernelName}`, kind: 'kernel' };
}
