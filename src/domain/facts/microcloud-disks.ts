// The disks MicroCloud itself would offer, from LXD's /1.0/resources (§4.1, §4.2), and whether MicroCeph
// would then accept them. mc uses this to predict MicroCloud's choices on hosts where LXD already runs.

import { MIN_CEPH_DISK_BYTES } from './disk-rules.js';
import type { LxdDisk, LxdResources } from './lxd-resources.js';
import { formatBytesIec, verdictOf, type Reason, type UseVerdict } from './verdict.js';

export type MicroCloudDiskCode = 'partitioned' | 'cdrom';
export type MicroCephDiskCode = 'read-only' | 'too-small' | 'mounted';

export interface MicroCloudDiskVerdict {
  disk: LxdDisk;
  /** The path MicroCloud shows and passes on (FormatDiskPath, §4.2). */
  path: string;
  /** Listed by MicroCloud: no partitions and not a CD-ROM (§4.2). Nothing else is checked. */
  microCloud: UseVerdict<MicroCloudDiskCode>;
  /** Accepted by MicroCeph as an OSD: not read-only, at least 2 GiB, not mounted (§4.2). */
  microCeph: UseVerdict<MicroCephDiskCode>;
}

/** MicroCloud's FormatDiskPath: /dev/disk/by-id/<device_id>, else /dev/disk/by-path/<device_path>, else /dev/<id>. */
export function microCloudDiskPath(disk: LxdDisk): string {
  if (disk.deviceId !== null) return `/dev/disk/by-id/${disk.deviceId}`;
  if (disk.devicePath !== null) return `/dev/disk/by-path/${disk.devicePath}`;
  return `/dev/${disk.id}`;
}

export function evaluateLxdDisks(resources: LxdResources): MicroCloudDiskVerdict[] {
  return resources.disks.map((disk) => {
    const microCloud: Reason<MicroCloudDiskCode>[] = [];
    if (disk.partitions.length > 0) {
      microCloud.push({
        code: 'partitioned',
        message: `has partitions: ${disk.partitions.map((partition) => partition.id).join(', ')}`,
      });
    }
    if (disk.type === 'cdrom') microCloud.push({ code: 'cdrom', message: 'is a CD/DVD drive' });
    const microCeph: Reason<MicroCephDiskCode>[] = [];
    if (disk.readOnly) microCeph.push({ code: 'read-only', message: 'is read-only' });
    if (disk.sizeBytes < MIN_CEPH_DISK_BYTES) {
      microCeph.push({
        code: 'too-small',
        message: `is ${formatBytesIec(disk.sizeBytes)}; a Ceph OSD needs at least ${formatBytesIec(MIN_CEPH_DISK_BYTES)}`,
      });
    }
    // LXD 5.0 has no `mounted` field: MicroCeph still checks on the host, but it cannot be predicted here.
    if (disk.mounted === true)
      microCeph.push({ code: 'mounted', message: 'is mounted, or one of its partitions is' });
    return {
      disk,
      path: microCloudDiskPath(disk),
      microCloud: verdictOf(microCloud),
      microCeph: verdictOf(microCeph),
    };
  });
}
