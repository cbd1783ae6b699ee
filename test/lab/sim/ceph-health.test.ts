// `microceph.ceph health` (mc upgrade's gate): OK once the pools fit the OSDs up, a warning while they do not,
// an OSD down while its member's MicroCeph is gone; the client fails without the cluster's conf or as non-root.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createSimLab, getMachine } from '../../../src/lab/sim/index.js';
import { ok, sh } from './helpers.js';

const DISK2 = '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk2';

describe('microceph.ceph health', () => {
  it('follows the OSDs and pools of the model', async () => {
    const world = createSimLab({ hosts: 1 });
    await ok(world, 'micro1', 'snap install microceph --channel=squid/stable');
    const before = await sh(world, 'micro1', 'microceph.ceph health');
    assert.equal(before.exitCode, 1);
    assert.match(before.stderr, /^Error initializing cluster client: ObjectNotFound/);
    await ok(world, 'micro1', 'microceph cluster bootstrap');
    await ok(world, 'micro1', `microceph disk add ${DISK2} --wipe`);
    // One OSD under pools of size 3.
    assert.equal(
      await ok(world, 'micro1', 'microceph.ceph health'),
      'HEALTH_WARN Degraded data redundancy\n',
    );
    await ok(world, 'micro1', 'microceph pool set-rf --size 1 "*"');
    assert.equal(await ok(world, 'micro1', 'microceph.ceph health'), 'HEALTH_OK\n');
    const user = await sh(world, 'micro1', 'microceph.ceph health', '', { uid: 1000 });
    assert.equal(user.exitCode, 1);
    // The member's daemon gone (what a host down looks like to the others): its OSD is down.
    const machine = getMachine(world, 'micro1');
    const id = machine.daemons.microceph?.clusterId;
    assert.ok(id);
    const cluster = world.state.clusters[id];
    assert.ok(cluster?.ceph);
    cluster.ceph.osds.push({ ...cluster.ceph.osds[0]!, osd: 9, host: 'elsewhere' });
    assert.equal(await ok(world, 'micro1', 'microceph.ceph health'), 'HEALTH_WARN 1 osds down\n');
    const ls = await sh(world, 'micro1', 'microceph.ceph osd tree');
    assert.equal(ls.exitCode, 127);
  });
});
