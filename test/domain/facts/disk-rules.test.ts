import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  evaluateDisks,
  formatBytesIec,
  MIN_CEPH_DISK_BYTES,
  parseDiskLinks,
  parseLsblk,
  type DiskVerdict,
} from '../../../src/domain/facts/index.js';
import { fixture } from './helpers.js';

const GiB = 1024 ** 3;

function verdictsFor(lsblkPath: string, linksPath: string): Map<string, DiskVerdict> {
  const verdicts = evaluateDisks(parseLsblk(fixture(lsblkPath)), parseDiskLinks(fixture(linksPath)));
  return new Map(verdicts.map((verdict) => [verdict.device.kernelName, verdict]));
}

function get(verdicts: Map<string, DiskVerdict>, name: string): DiskVerdict {
  const verdict = verdicts.get(name);
  assert.ok(verdict, `no verdict for ${name}`);
  return verdict;
}

/** [code, message] pairs, for compact exact comparisons. */
function reasons(verdict: { reasons: { code: string; message: string }[] }): [string, string][] {
  return verdict.reasons.map((reason) => [reason.code, reason.message]);
}

/** lsblk JSON for hand-made device trees; each device gets the columns of `lsblk -J -b -O` the rules read. */
function lsblkOf(devices: Record<string, unknown>[]): string {
  return JSON.stringify({ blockdevices: devices });
}

function disk(name: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    kname: name,
    size: 10 * GiB,
    type: 'disk',
    ro: false,
    rm: false,
    tran: 'sata',
    subsystems: 'block:scsi:pci',
    fstype: null,
    pttype: null,
    mountpoints: [null],
    ...fields,
  };
}

function evaluateOne(devices: Record<string, unknown>[], name: string): DiskVerdict {
  const verdict = evaluateDisks(parseLsblk(lsblkOf(devices)), [
    { directory: 'by-id', name: `wwn-0x5000${name}`, target: name },
  ]).find((v) => v.device.kernelName === name);
  assert.ok(verdict);
  return verdict;
}

describe('evaluateDisks: Ubuntu 24.04 server', () => {
  const verdicts = verdictsFor('ubuntu-24.04/lsblk-O.json', 'ubuntu-24.04/disk-links.txt');

  it('judges only whole devices, in lsblk order', () => {
    assert.deepEqual(
      [...verdicts.keys()],
      [
        'loop0',
        'loop1',
        'loop2',
        'loop3',
        'loop4',
        'loop5',
        'loop6',
        'sda',
        'sdb',
        'sdc',
        'sdd',
        'sr0',
        'nvme0n1',
        'nvme1n1',
      ],
    );
  });

  it('offers the blank NVMe and the blank SAS disk with wwn, by their stable names', () => {
    for (const [name, path] of [
      ['nvme1n1', '/dev/disk/by-id/nvme-eui.36344730523456780025384500000001'],
      ['sda', '/dev/disk/by-id/wwn-0x5000c500d1e2f3a4'],
    ] as const) {
      const verdict = get(verdicts, name);
      assert.deepEqual(verdict.stablePath, { path, kind: 'by-id' });
      assert.deepEqual(verdict.ceph, { eligible: true, reasons: [] });
      assert.deepEqual(verdict.local, { eligible: true, reasons: [] });
      assert.deepEqual(verdict.warnings, []);
    }
  });

  it('refuses the NVMe root disk whose / is an LV on its third partition, with every reason', () => {
    const verdict = get(verdicts, 'nvme0n1');
    const expected: [string, string][] = [
      ['root-disk', 'holds the root filesystem (nvme0n1 → nvme0n1p3 → ubuntu--vg-ubuntu--lv mounted at /)'],
      ['partitioned', 'has partitions: nvme0n1p1, nvme0n1p2, nvme0n1p3'],
      [
        'mounted',
        'has mounted filesystems: /boot/efi (nvme0n1p1), /boot (nvme0n1p2), / (ubuntu--vg-ubuntu--lv)',
      ],
    ];
    assert.deepEqual(reasons(verdict.ceph), expected);
    assert.deepEqual(reasons(verdict.local), expected);
    assert.equal(verdict.ceph.eligible, false);
    assert.equal(verdict.local.eligible, false);
  });

  it('refuses a mounted data disk and a disk with a filesystem but no partitions', () => {
    const expectedSdb: [string, string][] = [
      ['filesystem', 'has a filesystem signature (ext4)'],
      ['mounted', 'has mounted filesystems: /srv/data (sdb)'],
    ];
    assert.deepEqual(reasons(get(verdicts, 'sdb').ceph), expectedSdb);
    assert.deepEqual(reasons(get(verdicts, 'sdb').local), expectedSdb);
    assert.deepEqual(reasons(get(verdicts, 'sdc').ceph), [
      ['filesystem', 'has a filesystem signature (xfs)'],
    ]);
    assert.deepEqual(reasons(get(verdicts, 'sdc').local), [
      ['filesystem', 'has a filesystem signature (xfs)'],
    ]);
  });

  it('refuses the USB stick and the BMC virtual CD-ROM', () => {
    const stick = get(verdicts, 'sdd');
    assert.deepEqual(reasons(stick.ceph), [
      ['removable', 'is removable media'],
      ['partitioned', 'has partitions: sdd1'],
    ]);
    assert.deepEqual(stick.warnings, ['is attached over USB']);
    const cdrom = get(verdicts, 'sr0');
    assert.deepEqual(reasons(cdrom.ceph), [
      ['cdrom', 'is a CD/DVD drive'],
      ['removable', 'is removable media'],
      ['too-small', 'is 1024.00MiB; a Ceph OSD needs at least 2.00GiB'],
    ]);
    assert.deepEqual(reasons(cdrom.local), [
      ['cdrom', 'is a CD/DVD drive'],
      ['removable', 'is removable media'],
    ]);
  });

  it("refuses the snaps' squashfs loop devices", () => {
    const loop = get(verdicts, 'loop2');
    assert.deepEqual(reasons(loop.ceph), [
      ['virtual-device', 'is a loop device'],
      ['read-only', 'is read-only'],
      ['too-small', 'is 89.00MiB; a Ceph OSD needs at least 2.00GiB'],
      ['filesystem', 'has a filesystem signature (squashfs)'],
      ['mounted', 'has mounted filesystems: /snap/lxd/33110 (loop2)'],
    ]);
    assert.deepEqual(loop.warnings, [
      'has no /dev/disk/by-id or by-path name; /dev/loop2 may name another disk after a reboot',
    ]);
    for (const name of ['loop0', 'loop1', 'loop3', 'loop4', 'loop5', 'loop6']) {
      assert.deepEqual(
        get(verdicts, name).ceph.reasons.map((reason) => reason.code),
        ['virtual-device', 'read-only', 'too-small', 'filesystem', 'mounted'],
      );
      assert.deepEqual(
        get(verdicts, name).local.reasons.map((reason) => reason.code),
        ['virtual-device', 'read-only', 'filesystem', 'mounted'],
      );
    }
  });
});

describe('evaluateDisks: Ubuntu 22.04 VM', () => {
  const verdicts = verdictsFor('ubuntu-22.04/lsblk-O.json', 'ubuntu-22.04/disk-links.txt');

  it('offers the three data disks by their scsi- names', () => {
    for (const n of [1, 2, 3]) {
      const verdict = get(verdicts, `sd${'bcd'[n - 1] ?? ''}`);
      assert.deepEqual(verdict.stablePath, {
        path: `/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk${n}`,
        kind: 'by-id',
      });
      assert.equal(verdict.ceph.eligible, true);
      assert.equal(verdict.local.eligible, true);
    }
  });

  it('refuses the partitioned root disk with every reason', () => {
    const expected: [string, string][] = [
      ['root-disk', 'holds the root filesystem (sda → sda1 mounted at /)'],
      ['partitioned', 'has partitions: sda1, sda14, sda15'],
      ['mounted', 'has mounted filesystems: / (sda1), /boot/efi (sda15)'],
    ];
    assert.deepEqual(reasons(get(verdicts, 'sda').ceph), expected);
    assert.deepEqual(reasons(get(verdicts, 'sda').local), expected);
  });

  it('offers the virtio disk without a serial by its by-path name, with a warning', () => {
    const vda = get(verdicts, 'vda');
    assert.deepEqual(vda.stablePath, { path: '/dev/disk/by-path/virtio-pci-0000:0a:00.0', kind: 'by-path' });
    assert.equal(vda.ceph.eligible, true);
    assert.deepEqual(vda.warnings, [
      'has no /dev/disk/by-id name; /dev/disk/by-path/virtio-pci-0000:0a:00.0 changes if the disk moves to another port or controller',
    ]);
  });

  it('keeps a 1 GiB disk for local storage only', () => {
    const vdb = get(verdicts, 'vdb');
    assert.deepEqual(reasons(vdb.ceph), [['too-small', 'is 1.00GiB; a Ceph OSD needs at least 2.00GiB']]);
    assert.deepEqual(vdb.local, { eligible: true, reasons: [] });
  });

  it('refuses the cloud-init seed CD-ROM', () => {
    assert.deepEqual(reasons(get(verdicts, 'sr0').ceph), [
      ['cdrom', 'is a CD/DVD drive'],
      ['removable', 'is removable media'],
      ['too-small', 'is 364.00KiB; a Ceph OSD needs at least 2.00GiB'],
      ['filesystem', 'has a filesystem signature (iso9660)'],
    ]);
  });

  it('judges the narrow -o column set the same, warning that partition tables went unchecked', () => {
    const narrow = evaluateDisks(
      parseLsblk(fixture('ubuntu-22.04/lsblk-o.json')),
      parseDiskLinks(fixture('ubuntu-22.04/disk-links.txt')),
    );
    for (const verdict of narrow) {
      const full = get(verdicts, verdict.device.kernelName);
      assert.deepEqual(verdict.ceph, full.ceph, verdict.device.kernelName);
      assert.deepEqual(verdict.local, full.local, verdict.device.kernelName);
      assert.deepEqual(verdict.warnings, [
        ...full.warnings,
        'partition tables were not checked: the lsblk output has no PTTYPE column',
      ]);
    }
  });
});

describe('evaluateDisks: captured on this machine (no udev)', () => {
  const verdicts = evaluateDisks(parseLsblk(fixture('captured/lsblk-O.json')), []);
  const unknown: [string, string] = [
    'signatures-unknown',
    'filesystem signatures cannot be checked: lsblk shows no FSTYPE even for mounted loop0p1 ' +
      '(no udev data; is systemd-udevd running?)',
  ];

  it('refuses every device, and says that "no filesystem" cannot be trusted here', () => {
    assert.deepEqual(
      verdicts.map((verdict) => [verdict.device.kernelName, reasons(verdict.ceph)]),
      [
        [
          'loop0',
          [
            ['virtual-device', 'is a loop device'],
            ['partitioned', 'has partitions: loop0p1, loop0p2'],
            ['mounted', 'has mounted filesystems: /tmp/mcfacts-cap/mnt-part (loop0p1)'],
            unknown,
          ],
        ],
        ['loop1', [['virtual-device', 'is a loop device'], unknown]],
        [
          'loop2',
          [
            ['virtual-device', 'is a loop device'],
            ['mounted', 'has mounted filesystems: /tmp/mcfacts-cap/mnt-data (loop2)'],
            unknown,
          ],
        ],
        [
          'loop3',
          [
            ['virtual-device', 'is a loop device'],
            ['too-small', 'is 1.00GiB; a Ceph OSD needs at least 2.00GiB'],
            unknown,
          ],
        ],
        ['loop4', [['virtual-device', 'is a loop device'], ['read-only', 'is read-only'], unknown]],
        [
          'zram0',
          [
            ['virtual-device', 'is a zram (compressed RAM) device'],
            ['no-media', 'has no media (size 0)'],
            unknown,
          ],
        ],
        [
          'vda',
          [
            ['root-disk', 'holds the root filesystem (vda mounted at /)'],
            ['mounted', 'has mounted filesystems: /run/netns (vda), / (vda)'],
            unknown,
          ],
        ],
      ],
    );
  });
});

describe('evaluateDisks: each rule on its own', () => {
  it('offers a blank disk with no warnings', () => {
    const verdict = evaluateOne([disk('sdb')], 'sdb');
    assert.deepEqual([verdict.ceph.eligible, verdict.local.eligible, verdict.warnings], [true, true, []]);
    assert.deepEqual(verdict.stablePath, { path: '/dev/disk/by-id/wwn-0x5000sdb', kind: 'by-id' });
  });

  it("uses MicroCeph's 2 GiB minimum for Ceph only", () => {
    assert.equal(MIN_CEPH_DISK_BYTES, 2147483648);
    assert.equal(evaluateOne([disk('sdb', { size: MIN_CEPH_DISK_BYTES })], 'sdb').ceph.eligible, true);
    const small = evaluateOne([disk('sdb', { size: MIN_CEPH_DISK_BYTES - 512 })], 'sdb');
    assert.deepEqual(reasons(small.ceph), [['too-small', 'is 2.00GiB; a Ceph OSD needs at least 2.00GiB']]);
    assert.equal(small.local.eligible, true);
  });

  it('refuses an empty partition table', () => {
    assert.deepEqual(reasons(evaluateOne([disk('sdb', { pttype: 'gpt' })], 'sdb').ceph), [
      ['partition-table', 'has a gpt partition table'],
    ]);
  });

  it('refuses a disk used whole by LVM or md, and one with active swap', () => {
    const lv = {
      name: 'vg0-data',
      kname: 'dm-3',
      size: GiB,
      type: 'lvm',
      ro: false,
      rm: false,
      fstype: 'ext4',
      mountpoints: [null],
    };
    assert.deepEqual(
      reasons(evaluateOne([disk('sdb', { fstype: 'LVM2_member', children: [lv] })], 'sdb').ceph),
      [
        ['filesystem', 'has a filesystem signature (LVM2_member)'],
        ['holders', 'is in use by vg0-data (lvm)'],
      ],
    );
    const md = {
      name: 'md0',
      size: 10 * GiB,
      type: 'raid1',
      ro: false,
      rm: false,
      fstype: 'ext4',
      mountpoints: ['/srv'],
    };
    assert.deepEqual(
      reasons(evaluateOne([disk('sdc', { fstype: 'linux_raid_member', children: [md] })], 'sdc').ceph),
      [
        ['filesystem', 'has a filesystem signature (linux_raid_member)'],
        ['holders', 'is in use by md0 (raid1)'],
        ['mounted', 'has mounted filesystems: /srv (md0)'],
      ],
    );
    assert.deepEqual(
      reasons(evaluateOne([disk('sdd', { fstype: 'swap', mountpoints: ['[SWAP]'] })], 'sdd').ceph),
      [
        ['filesystem', 'has a filesystem signature (swap)'],
        ['mounted', 'has mounted filesystems: swap (sdd)'],
      ],
    );
  });

  it('finds a root filesystem on md RAID over two disks on both disks', () => {
    const md = {
      name: 'md0',
      size: 10 * GiB,
      type: 'raid1',
      ro: false,
      rm: false,
      fstype: 'ext4',
      mountpoints: ['/'],
    };
    const part = (name: string): Record<string, unknown> => ({
      name,
      size: 10 * GiB,
      type: 'part',
      ro: false,
      rm: false,
      fstype: 'linux_raid_member',
      mountpoints: [null],
      children: [md],
    });
    const devices = [
      disk('sda', { pttype: 'gpt', children: [part('sda1')] }),
      disk('sdb', { pttype: 'gpt', children: [part('sdb1')] }),
    ];
    for (const name of ['sda', 'sdb']) {
      assert.deepEqual(reasons(evaluateOne(devices, name).ceph), [
        ['root-disk', `holds the root filesystem (${name} → ${name}1 → md0 mounted at /)`],
        ['partitioned', `has partitions: ${name}1`],
        ['mounted', 'has mounted filesystems: / (md0)'],
      ]);
    }
  });

  it('refuses virtual block devices lsblk reports as disks, by name or by their missing bus', () => {
    const cases: [string, string][] = [
      ['zram0', 'is a zram (compressed RAM) device'],
      ['ram0', 'is a RAM disk'],
      ['nbd0', 'is a network block device (nbd)'],
      ['rbd0', 'is a Ceph RBD device'],
      ['zd0', 'is a ZFS volume'],
      ['drbd0', 'is a DRBD device'],
      ['bcache0', 'is a bcache device'],
    ];
    for (const [name, message] of cases) {
      assert.deepEqual(reasons(evaluateOne([disk(name)], name).ceph), [['virtual-device', message]]);
    }
    assert.deepEqual(reasons(evaluateOne([disk('xvdq', { subsystems: 'block' })], 'xvdq').ceph), [
      ['virtual-device', 'is not on a hardware bus (lsblk SUBSYSTEMS is only "block")'],
    ]);
  });

  it('refuses devices that are not whole disks when they show up without a parent (list output without PKNAME)', () => {
    const cases: [Record<string, unknown>, [string, string]][] = [
      [{ type: 'part' }, ['not-a-disk', 'is a partition, not a whole disk']],
      [{ type: 'lvm' }, ['virtual-device', 'is a device-mapper device (lvm)']],
      [{ type: 'crypt' }, ['virtual-device', 'is a device-mapper device (crypt)']],
      [{ type: 'mpath' }, ['virtual-device', 'is a device-mapper device (mpath)']],
      [{ type: 'raid5' }, ['virtual-device', 'is an md RAID device (raid5)']],
      [{ type: 'md' }, ['virtual-device', 'is an md RAID device (md)']],
      [{ type: 'loop' }, ['virtual-device', 'is a loop device']],
      [{ type: 'tape' }, ['not-a-disk', 'is a tape device, not a disk']],
    ];
    for (const [fields, reason] of cases) {
      assert.deepEqual(reasons(evaluateOne([disk('sdz', fields)], 'sdz').ceph), [reason]);
    }
  });

  it('refuses read-only, removable and empty devices', () => {
    assert.deepEqual(reasons(evaluateOne([disk('sdb', { ro: true })], 'sdb').local), [
      ['read-only', 'is read-only'],
    ]);
    assert.deepEqual(reasons(evaluateOne([disk('sdb', { rm: true })], 'sdb').local), [
      ['removable', 'is removable media'],
    ]);
    assert.deepEqual(reasons(evaluateOne([disk('sdb', { size: 0 })], 'sdb').ceph), [
      ['no-media', 'has no media (size 0)'],
    ]);
  });

  it('formats sizes as MicroCloud does', () => {
    assert.deepEqual([0, 512, 1024, 10 * GiB, 1.5 * 1024 * GiB, 960197124096].map(formatBytesIec), [
      '0B',
      '512B',
      '1.00KiB',
      '10.00GiB',
      '1.50TiB',
      '894.25GiB',
    ]);
  });
});
