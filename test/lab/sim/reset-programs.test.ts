// What mc reset relies on, as strict as the real programs: snapd keeps a base while a snap uses it and
// snapd itself while any snap is there; wipefs erases signatures only of devices nothing holds, as root.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createSimLab, getMachine, resolveBlockPath } from '../../../src/lab/sim/index.js';
import { ok, sh } from './helpers.js';

const DISK1 = '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk1';
const DISK2 = '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk2';

describe('snap remove and wipefs (mc reset)', () => {
  it('refuses to remove a base in use and snapd before the others, checking every name first', async () => {
    const world = createSimLab({ hosts: 1 });
    await ok(world, 'micro1', 'snap install lxd --channel=5.21/stable');
    await ok(world, 'micro1', 'snap install microovn --channel=24.03/stable');
    const base = await sh(world, 'micro1', 'snap remove --purge microovn core22');
    assert.equal(base.exitCode, 1);
    assert.equal(
      base.stderr,
      'error: cannot remove "core22": snap "core22" is not removable: snap is being\n       used by snap lxd.\n',
    );
    // Nothing went: snapd checks every snap before it removes one.
    assert.ok(getMachine(world, 'micro1').snaps.some((s) => s.name === 'microovn'));
    const snapd = await sh(world, 'micro1', 'snap remove snapd');
    assert.match(snapd.stderr, /snap "snapd" is not removable: remove all other\s+snaps first/);
    assert.equal(
      await ok(world, 'micro1', 'snap remove --purge lxd microovn core22'),
      'lxd removed\nmicroovn removed\ncore22 removed\n',
    );
    const denied = await sh(world, 'micro1', 'snap remove core24', '', { uid: 1000 });
    assert.equal(denied.stderr, 'error: access denied (try with sudo)\n');
  });

  it('wipefs --all erases an OSD label and a ZFS disk’s partition table once nothing holds them', async () => {
    const world = createSimLab({ hosts: 1 });
    await ok(world, 'micro1', 'snap install lxd --channel=5.21/stable');
    await ok(world, 'micro1', 'snap install microceph --channel=squid/stable');
    const machine = getMachine(world, 'micro1');
    const zfs = resolveBlockPath(machine, DISK1)?.disk;
    const osd = resolveBlockPath(machine, DISK2)?.disk;
    assert.ok(zfs && osd);
    zfs.partitionTable = 'gpt';
    zfs.hasData = true;
    zfs.partitions = [
      {
        name: 'sdb1',
        number: 1,
        major: 8,
        minor: 17,
        sizeBytes: 1024,
        filesystem: { type: 'zfs_member', uuid: 'u', label: 'local' },
        mountpoints: [],
        readOnly: false,
      },
    ];
    osd.filesystem = { type: 'ceph_bluestore', uuid: 'o', label: null };
    osd.hasData = true;

    // The running LXD holds its pool's disk, MicroCeph its OSD: O_EXCL fails.
    const busy = await sh(world, 'micro1', `wipefs --all ${DISK1} ${DISK2}`);
    assert.equal(busy.exitCode, 1);
    assert.equal(
      busy.stderr,
      `wipefs: error: ${DISK1}: probing initialization failed: Device or resource busy\nwipefs: error: ${DISK2}: probing initialization failed: Device or resource busy\n`,
    );
    assert.equal(zfs.partitions.length, 1);
    await ok(world, 'micro1', 'snap remove --purge lxd microceph');
    const notRoot = await sh(world, 'micro1', `wipefs --all ${DISK2}`, '', { uid: 1000 });
    assert.match(notRoot.stderr, /probing initialization failed: Permission denied/);
    assert.equal(osd.filesystem?.type, 'ceph_bluestore');

    const wiped = await ok(world, 'micro1', `wipefs -a ${DISK1} ${DISK2}`);
    assert.match(
      wiped,
      new RegExp(
        `^${DISK1}: 8 bytes were erased at offset 0x00000200 \\(gpt\\): 45 46 49 20 50 41 52 54$`,
        'm',
      ),
    );
    assert.match(wiped, /calling ioctl to re-read partition table: Success/);
    assert.match(
      wiped,
      new RegExp(`^${DISK2}: 22 bytes were erased at offset 0x00000000 \\(ceph_bluestore\\)`, 'm'),
    );
    assert.equal(zfs.partitionTable, null);
    assert.deepEqual(zfs.partitions, []);
    assert.equal(osd.filesystem, null);
    // The bytes behind the labels stay: MicroCeph still wants --wipe for it.
    assert.equal(osd.hasData, true);

    const missing = await sh(world, 'micro1', 'wipefs --all /dev/sdz');
    assert.equal(
      missing.stderr,
      'wipefs: error: /dev/sdz: probing initialization failed: No such file or directory\n',
    );
    const listing = await sh(world, 'micro1', `wipefs ${DISK1}`);
    assert.equal(listing.exitCode, 127);
  });
});
