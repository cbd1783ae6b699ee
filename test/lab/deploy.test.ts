// mc deploy on the embedded lab: the real CLI over real SSH against simulated hosts; a second deploy changes
// nothing and no join token is ever shown.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FULL, mutations, startLab, type Lab } from '../support/deploy-lab.js';

describe('mc deploy on the embedded lab', { concurrency: false }, () => {
  describe('3 hosts with local and Ceph disks and an OVN uplink', () => {
    let lab: Lab;
    before(async () => {
      lab = await startLab(['micro1', 'micro2', 'micro3']);
      lab.inventory(FULL(['micro1', 'micro2', 'micro3']));
    });
    after(async () => lab.stop());

    it('plans every change without making one', async () => {
      const r = await lab.mc('plan');
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /install microceph \(squid\/stable, cohort \+\)/);
      assert.match(r.stdout, /bootstrap the LXD cluster on 10\.1\.123\.11:8443/);
      assert.match(
        r.stdout,
        /define on micro2 storage pool local \(zfs\) source=\/dev\/disk\/by-id\/\S+lxd_disk1/,
      );
      assert.match(r.stdout, /uplink\s+enp6s0/);
      assert.deepEqual(mutations(lab.world), []);
    });

    it('deploys, verifies, and a second deploy changes nothing', async () => {
      const first = await lab.mc('deploy', '--yes');
      assert.equal(first.exitCode, 0, first.stdout + first.stderr);
      assert.match(first.stdout, /Verified: \d+ checks passed\. MicroCloud is ready\./);
      const changes = mutations(lab.world).length;
      const second = await lab.mc('deploy', '--yes');
      assert.equal(second.exitCode, 0, second.stdout + second.stderr);
      assert.match(second.stdout, /No changes: the cluster already matches the inventory\./);
      assert.equal(mutations(lab.world).length, changes, 'the second deploy ran a mutating command');
      const status = await lab.mc('status');
      assert.equal(status.exitCode, 0, status.stdout + status.stderr);
      assert.match(status.stdout, /Status: HEALTHY/);
    });

    it('never shows a join token', async () => {
      const r = await lab.mc('deploy', '--yes');
      assert.doesNotMatch(r.stdout + r.stderr, /eyJ[A-Za-z0-9+/=]{20,}/);
    });
  });
});
