import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createSimLab, getMachine, GiB, resolveBlockPath, type World } from '../../../src/lab/sim/index.js';
import { ok, sh } from './helpers.js';

const DISK1 = '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk1';
const DISK2 = '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk2';
const DISK3 = '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk3';

async function bootstrapped(
  dataDisks = [{ sizeBytes: 10 * GiB }, { sizeBytes: 20 * GiB }, { sizeBytes: 1 * GiB }],
): Promise<World> {
  const world = createSimLab({ hosts: 1, machine: () => ({ dataDisks }) });
  await ok(world, 'micro1', 'snap install microceph --channel=squid/stable');
  await ok(world, 'micro1', 'microceph cluster bootstrap');
  return world;
}

function diskAt(world: World, path: string) {
  const resolved = resolveBlockPath(getMachine(world, 'micro1'), path);
  assert.ok(resolved, path);
  return resolved.disk;
}

describe('MicroCeph disk rules (§4.2)', () => {
  it('adds a pristine disk and records it under its stable by-id path', async () => {
    const world = await bootstrapped();
    const out = await ok(world, 'micro1', 'microceph disk add /dev/sda');
    assert.equal(
      out,
      '\n+----------+---------+\n|   PATH   | STATUS  |\n+----------+---------+\n| /dev/sda | Success |\n+----------+---------+\n',
    );
    const list = JSON.parse(await ok(world, 'micro1', 'microceph disk list --json')) as {
      ConfiguredDisks: { path: string }[];
    };
    assert.deepEqual(list.ConfiguredDisks, [{ osd: 1, path: DISK1, location: 'micro1' }]);
    assert.equal(diskAt(world, DISK1).filesystem?.type, 'ceph_bluestore');
  });

  it('refuses a disk that is already an OSD', async () => {
    const world = await bootstrapped();
    await ok(world, 'micro1', `microceph disk add ${DISK1}`);
    const again = await sh(world, 'micro1', 'microceph disk add /dev/sda');
    assert.equal(again.exitCode, 1);
    assert.equal(again.stderr, 'Error: failed to record disk: This "disks" entry already exists\n');
    assert.match(again.stdout, /\| \/dev\/sda \| Failure \|/);
  });

  it('refuses a partitioned disk unless --wipe, and a mounted one even with --wipe', async () => {
    const world = await bootstrapped();
    const partitioned = await sh(world, 'micro1', 'microceph disk add /dev/vda');
    assert.equal(
      partitioned.stderr,
      'Error: data device /dev/disk/by-path/virtio-pci-0000:04:00.0 has partitions - use --wipe to override\n',
    );
    const mounted = await sh(world, 'micro1', 'microceph disk add /dev/vda --wipe');
    assert.equal(
      mounted.stderr,
      'Error: failed to prepare data device: device /dev/disk/by-path/virtio-pci-0000:04:00.0 is currently mounted and cannot be used - aborting\n',
    );
    assert.ok(diskAt(world, '/dev/vda').partitions.length > 0, 'the root disk must survive');
  });

  it('needs --wipe for a disk that carries a filesystem, and wipes it', async () => {
    const world = await bootstrapped();
    diskAt(world, DISK2).filesystem = { type: 'ext4', uuid: 'd0d0', label: null };
    const refused = await sh(world, 'micro1', `microceph disk add ${DISK2}`);
    assert.equal(
      refused.stderr,
      `Error: data device ${DISK2} is not pristine (contains data) - use --wipe to override\n`,
    );
    await ok(world, 'micro1', `microceph disk add ${DISK2} --wipe`);
    assert.equal(diskAt(world, DISK2).filesystem?.type, 'ceph_bluestore');
  });

  it('leaves disks under 2 GiB out of the available list and --all-available', async () => {
    const world = await bootstrapped();
    const list = JSON.parse(await ok(world, 'micro1', 'microceph disk list --json')) as {
      AvailableDisks: { Path: string }[];
    };
    assert.deepEqual(
      list.AvailableDisks.map((d) => d.Path),
      [DISK1, DISK2],
    );
    const all = await ok(world, 'micro1', 'microceph disk add --all-available');
    assert.doesNotMatch(all, /lxd_disk3/);
    const after = JSON.parse(await ok(world, 'micro1', 'microceph disk list --json')) as {
      ConfiguredDisks: unknown[];
      AvailableDisks: unknown[];
    };
    assert.equal(after.ConfiguredDisks.length, 2);
    assert.deepEqual(after.AvailableDisks, []);
    const none = await ok(world, 'micro1', 'microceph disk add --all-available');
    assert.equal(none, 'No available disks found on this system.\n');
    assert.equal(diskAt(world, DISK3).filesystem, null);
  });

  it('accepts a small disk named explicitly: the 2 GiB rule only filters listings (common/storage.go)', async () => {
    const world = await bootstrapped();
    await ok(world, 'micro1', `microceph disk add ${DISK3}`);
    assert.equal(diskAt(world, DISK3).filesystem?.type, 'ceph_bluestore');
  });

  it('needs the dm-crypt connection for --encrypt; a failed add still burns the OSD number', async () => {
    const world = await bootstrapped();
    diskAt(world, DISK1).filesystem = { type: 'xfs', uuid: 'x', label: null };
    const refused = await sh(world, 'micro1', `microceph disk add ${DISK1} --wipe --encrypt`);
    assert.equal(
      refused.stderr,
      'Error: failed to prepare data device: encryption unsupported on this machine: dm-crypt interface connection missing: \n' +
        'use "sudo snap connect microceph:dm-crypt ; sudo snap restart microceph.daemon" to enable encryption.\n',
    );
    // prepareDisk wipes before checking encryption support.
    assert.equal(diskAt(world, DISK1).filesystem, null);
    await ok(world, 'micro1', 'snap connect microceph:dm-crypt');
    await ok(world, 'micro1', `microceph disk add ${DISK1} --encrypt`);
    assert.equal(diskAt(world, DISK1).filesystem?.type, 'crypto_LUKS');
    const list = JSON.parse(await ok(world, 'micro1', 'microceph disk list --json')) as {
      ConfiguredDisks: { osd: number }[];
    };
    assert.deepEqual(
      list.ConfiguredDisks.map((d) => d.osd),
      [2],
    );
  });

  it('reports one error per disk, or a count for several', async () => {
    const world = await bootstrapped();
    const missing = await sh(world, 'micro1', 'microceph disk add /dev/sdz');
    assert.equal(missing.stderr, 'Error: failed to set stable disk path: invalid disk path: /dev/sdz\n');
    const two = await sh(world, 'micro1', 'microceph disk add /dev/sdz /dev/vda');
    assert.equal(two.stderr, 'Error: failed adding multiple (2) disks, please check logs for details\n');
  });

  it('lists configured and available disks in the table layout', async () => {
    const world = await bootstrapped();
    await ok(world, 'micro1', 'microceph disk add /dev/sda');
    const table = await ok(world, 'micro1', 'microceph disk list');
    assert.ok(table.startsWith('Disks configured in MicroCeph:\n+-----+----------+'));
    assert.match(table, /\| 1 {3}\| micro1 {3}\| \/dev\/disk\/by-id\/scsi-0QEMU_QEMU_HARDDISK_lxd_disk1 \|/);
    assert.match(table, /\n\nAvailable unpartitioned disks on this system:\n\+/);
    assert.match(
      table,
      /\| QEMU HARDDISK \| 20\.00GiB \| scsi \| \/dev\/disk\/by-id\/scsi-0QEMU_QEMU_HARDDISK_lxd_disk2 \|/,
    );
  });
});

describe('microceph disk remove (cmd/microceph/disk_remove.go, ceph/osd.go doRemoveOSD)', () => {
  const fourDisks = [
    { sizeBytes: 10 * GiB },
    { sizeBytes: 10 * GiB },
    { sizeBytes: 10 * GiB },
    { sizeBytes: 10 * GiB },
  ];

  it('removes an OSD when 4 are there, wiping its disk; refuses below 4 without --bypass-safety-checks', async () => {
    const world = await bootstrapped(fourDisks);
    await ok(world, 'micro1', 'microceph disk add --all-available --wipe');
    assert.equal(await ok(world, 'micro1', 'microceph disk remove osd.4'), 'Removing osd.4, timeout 1800s\n');
    assert.equal(diskAt(world, '/dev/sdd').filesystem, null);
    const list = JSON.parse(await ok(world, 'micro1', 'microceph disk list --json')) as {
      ConfiguredDisks: { osd: number }[];
    };
    assert.deepEqual(
      list.ConfiguredDisks.map((d) => d.osd),
      [1, 2, 3],
    );
    const refused = await sh(world, 'micro1', 'microceph disk remove 3');
    assert.equal(refused.exitCode, 1);
    assert.equal(refused.stdout, 'Removing osd.3, timeout 1800s\n');
    assert.equal(refused.stderr, 'Error: cannot remove osd.3 we need at least 3 OSDs, have 3\n');
    assert.equal(diskAt(world, '/dev/sdc').filesystem?.type, 'ceph_bluestore');
    await ok(world, 'micro1', 'microceph disk remove 3 --bypass-safety-checks');
    assert.equal(diskAt(world, '/dev/sdc').filesystem, null);
  });

  it('names a missing OSD, a malformed id and exclusive flags', async () => {
    const world = await bootstrapped(fourDisks);
    await ok(world, 'micro1', 'microceph disk add --all-available --wipe');
    const missing = await sh(world, 'micro1', 'microceph disk remove osd.9');
    assert.equal(missing.stderr, 'Error: osd.9 not found\n');
    const malformed = await sh(world, 'micro1', 'microceph disk remove sda');
    assert.equal(
      malformed.stderr,
      'Error: error: osd input must be either in the form $id or osd.$id, got sda\n',
    );
    assert.equal(malformed.stdout, '');
    const both = await sh(
      world,
      'micro1',
      'microceph disk remove 1 --confirm-failure-domain-downgrade --prohibit-crush-scaledown',
    );
    assert.equal(
      both.stderr,
      'Error: bad Request, --confirm-failure-domain-downgrade and --prohibit-crush-scaledown flags are exclusive to each other\n',
    );
  });
});
