// Deploy scenarios of the deploy issue on the embedded lab: 4 hosts with Ceph on 3, LXD only, 1 grown to 3.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FULL, startLab } from '../support/deploy-lab.js';

describe('mc deploy on the embedded lab: 1 host grown to 3', { concurrency: false }, () => {
  it('grows a 1-host cluster to 3', async () => {
    const lab = await startLab(['micro1', 'micro2', 'micro3']);
    try {
      lab.inventory(FULL(['micro1']), ['micro1']);
      const one = await lab.mc('deploy', '--yes');
      assert.equal(one.exitCode, 0, one.stdout + one.stderr);
      lab.inventory(FULL(['micro1', 'micro2', 'micro3']));
      const plan = await lab.mc('plan');
      assert.doesNotMatch(plan.stdout, /bootstrap the LXD cluster/);
      assert.match(plan.stdout, /join LXD as 10\.1\.123\.12:8443 \(token from micro1\) local\.source=/);
      const three = await lab.mc('deploy', '--yes');
      assert.equal(three.exitCode, 0, three.stdout + three.stderr);
      assert.match(three.stdout, /set Ceph replication to 3/);
      const again = await lab.mc('deploy', '--yes');
      assert.match(again.stdout, /No changes/);
    } finally {
      await lab.stop();
    }
  });
});
