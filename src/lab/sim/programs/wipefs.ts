// util-linux `wipefs --all DEVICE...`: erases the signatures blkid sees on each device (a whole disk's GPT and
// its protective MBR, a filesystem or an OSD's label), reports each erasure as wipefs does, and has the
// kernel read the disk's partitions again, so they are gone. The data behind the labels stays (MicroCeph's
// pristine check still sees it: mc passes --wipe to a disk the inventory marks). Opened O_EXCL like wipefs:
// a device the running LXD (its ZFS pool) or MicroCeph (an OSD) holds, or one mounted, is busy.
import { isSnapInstalled } from '../snapd.js';
import { resolveBlockPath, type BlockDevice, type Machine, type Partition } from '../machine.js';
import { NotModelledError, Output, parseFlags, type ProgramContext, type ProgramResult } from '../program.js';

/** The bytes blkid matches for each signature, as wipefs prints them. */
const MAGIC: Record<string, { offset: number; bytes: string }[]> = {
  gpt: [{ offset: 0x200, bytes: '45 46 49 20 50 41 52 54' }],
  PMBR: [{ offset: 0x1fe, bytes: '55 aa' }],
  dos: [{ offset: 0x1fe, bytes: '55 aa' }],
  ceph_bluestore: [{ offset: 0, bytes: '62 6c 75 65 73 74 6f 72 65 20 62 6c 6f 63 6b 20 64 65 76 69 63 65' }],
  crypto_LUKS: [
    { offset: 0, bytes: '4c 55 4b 53 ba be' },
    { offset: 0x4000, bytes: '53 4b 55 4c ba be' },
  ],
  zfs_member: [{ offset: 0x3f000, bytes: '0c b1 ba 00 00 00 00 00' }],
  ext4: [{ offset: 0x438, bytes: '53 ef' }],
};

const hex = (offset: number): string => `0x${offset.toString(16).padStart(8, '0')}`;

/** Who holds the device open: the cluster's daemons while their snaps run. */
function busy(machine: Machine, disk: BlockDevice, partition: Partition | null): boolean {
  const mounted = partition
    ? partition.mountpoints.length > 0
    : disk.mountpoints.length > 0 || disk.partitions.some((p) => p.mountpoints.length > 0);
  if (mounted) return true;
  const signatures = partition
    ? [partition.filesystem?.type]
    : [disk.filesystem?.type, ...disk.partitions.map((p) => p.filesystem?.type)];
  const osd = signatures.some((t) => t === 'ceph_bluestore' || t === 'crypto_LUKS');
  const zfs = signatures.includes('zfs_member');
  return (osd && isSnapInstalled(machine, 'microceph')) || (zfs && isSnapInstalled(machine, 'lxd'));
}

function erasures(path: string, type: string): string[] {
  return (MAGIC[type] ?? [{ offset: 0, bytes: '00' }]).map(
    (m) =>
      `${path}: ${m.bytes.split(' ').length} bytes were erased at offset ${hex(m.offset)} (${type}): ${m.bytes}`,
  );
}

export async function wipefsProgram(ctx: ProgramContext): Promise<ProgramResult> {
  await Promise.resolve();
  const out = new Output();
  const parsed = parseFlags(ctx.argv.slice(1), [
    { name: 'all', short: 'a', type: 'bool' },
    { name: 'force', short: 'f', type: 'bool' },
  ]);
  if (!parsed.ok) throw new NotModelledError(`wipefs ${ctx.argv.slice(1).join(' ')}`);
  const { flags, positionals } = parsed.parsed;
  // Without --all wipefs lists the signatures (a table), or erases one by --offset: not modelled.
  if (flags['all'] !== true) throw new NotModelledError(`wipefs ${ctx.argv.slice(1).join(' ')}`);
  if (positionals.length === 0) {
    out.eprintln('wipefs: no device specified');
    out.eprintln("Try 'wipefs --help' for more information.");
    return out.done(1);
  }
  let status = 0;
  for (const path of positionals) {
    const resolved = resolveBlockPath(ctx.machine, path);
    const fail = (why: string): void => {
      out.eprintln(`wipefs: error: ${path}: probing initialization failed: ${why}`);
      status = 1;
    };
    if (resolved === null) {
      fail('No such file or directory');
      continue;
    }
    if (ctx.uid !== 0) {
      fail('Permission denied');
      continue;
    }
    const { disk, partition } = resolved;
    if (flags['force'] !== true && busy(ctx.machine, disk, partition)) {
      fail('Device or resource busy');
      continue;
    }
    if (partition) {
      if (partition.filesystem) out.println(erasures(path, partition.filesystem.type).join('\n'));
      partition.filesystem = null;
      continue;
    }
    if (disk.filesystem) out.println(erasures(path, disk.filesystem.type).join('\n'));
    disk.filesystem = null;
    if (disk.partitionTable !== null) {
      const table = disk.partitionTable;
      const lines = [
        ...erasures(path, table),
        ...(table === 'gpt'
          ? erasures(path, 'gpt').map((l) => l.replace(/0x00000200/, hex(disk.sizeBytes - 512)))
          : []),
        ...(table === 'gpt' ? erasures(path, 'PMBR') : []),
      ];
      out.println(lines.join('\n'));
      out.println(`${path}: calling ioctl to re-read partition table: Success`);
      disk.partitionTable = null;
      // The kernel forgets the partitions; what was in them stays on the disk, unlabelled.
      if (disk.partitions.length > 0) disk.hasData = true;
      disk.partitions = [];
    }
  }
  return out.done(status);
}
