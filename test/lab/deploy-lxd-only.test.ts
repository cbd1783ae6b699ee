// Deploy scenarios of the deploy issue on the embedded lab: 4 hosts with Ceph on 3, LXD only, 1 grown to 3.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startLab } from '../support/deploy-lab.js';

describe('mc deploy on the embedded lab: LXD only', { concurrency: false }, () => {
  it('deploys LXD only, without MicroCeph and MicroOVN', async () => {
    const lab = await startLab(['micro1', 'micro2', 'micro3']);
    try {
      lab.inventory('cluster:\n  services: {microceph: false, microovn: false}\n');
      const r = await lab.mc('deploy', '--yes');
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout, /install (microceph|microovn)/);
      assert.equal(lab.world.records.filter((c) => c.argv[0] === 'microceph').length, 0);
      // The closing message is true: no storage pool, so no "ready" and no launch that would fail.
      assert.match(r.stdout, /^Verified: \d+ checks passed\.$/m);
      assert.match(r.stdout, /^Cluster: LXD on micro1, micro2, micro3; MicroCloud\.$/m);
      assert.match(r.stdout, /^Storage pools: none\. Networks: lxdfan0\.$/m);
      assert.match(r.stdout, /^Next: mc status -i <inventory>; on micro1: lxc cluster list$/m);
      assert.match(
        r.stdout,
        /^Before an instance can start, the default profile needs a root disk: give the hosts a disk for the local pool /m,
      );
      assert.doesNotMatch(r.stdout, /lxc launch|MicroCloud is ready/);
      const again = await lab.mc('deploy', '--yes');
      assert.match(again.stdout, /No changes/);
      // The status shows what the inventory deploys: no warning for the services it turns off.
      const status = await lab.mc('status');
      assert.equal(status.exitCode, 0, status.stdout + status.stderr);
      assert.match(status.stdout, /^ Status: HEALTHY$/m);
      assert.doesNotMatch(status.stdout, /not found|MicroCeph|MicroOVN|OSDs/);
      assert.match(status.stdout, /^Name +Address +LXD +Status$/m);
      for (const name of ['micro1', 'micro2', 'micro3']) {
        assert.match(status.stdout, new RegExp(`^${name} +\\S+ +Online +ONLINE$`, 'm'));
      }
    } finally {
      await lab.stop();
    }
  });
});
