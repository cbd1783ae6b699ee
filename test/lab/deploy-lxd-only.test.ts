// LXD only on the embedded lab: MicroCloud on with Ceph and OVN off, so MicroCloud's engine forms the cluster.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runShell } from '../../src/lab/sim/index.js';
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
      assert.match(
        r.stdout,
        /microcloud preseed: form MicroCloud as the initiator \(micro1, micro2, micro3\)/,
      );
      for (const host of ['micro1', 'micro2', 'micro3']) {
        const list = await runShell(lab.world, host, 'microcloud cluster list -f json');
        const members = JSON.parse(list.stdout) as { name: string; status: string }[];
        assert.deepEqual(members.map((m) => `${m.name} ${m.status}`).sort(), [
          'micro1 ONLINE',
          'micro2 ONLINE',
          'micro3 ONLINE',
        ]);
      }
      // The closing message is true: no storage pool, so no "ready" and no launch that would fail (MicroCloud's
      // own "MicroCloud is ready" line streams above it, as MicroCloud printed it).
      assert.match(r.stdout, /^Verified: \d+ checks passed\.$/m);
      assert.match(r.stdout, /^Cluster: LXD on micro1, micro2, micro3; MicroCloud\.$/m);
      assert.match(r.stdout, /^Storage pools: none\. Networks: lxdfan0\.$/m);
      assert.match(r.stdout, /^Next: mc status -i <inventory>; on micro1: lxc cluster list$/m);
      assert.match(
        r.stdout,
        /^Before an instance can start, the default profile needs a root disk: give the hosts a disk for the local pool /m,
      );
      assert.doesNotMatch(r.stdout, /lxc launch/);
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
