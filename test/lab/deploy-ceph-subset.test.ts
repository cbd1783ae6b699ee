// Deploy scenarios of the deploy issue on the embedded lab: 4 hosts with Ceph on 3, LXD only, 1 grown to 3.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FULL, startLab } from '../support/deploy-lab.js';

describe('mc deploy on the embedded lab: 4 hosts with Ceph on 3 of them', { concurrency: false }, () => {
  it('deploys 4 hosts with Ceph on 3; the 4th gets the remote pool too', async () => {
    const lab = await startLab(['micro1', 'micro2', 'micro3', 'micro4']);
    try {
      lab.inventory(FULL(['micro1', 'micro2', 'micro3', 'micro4'], ['micro1', 'micro2', 'micro3'], 'direct'));
      const r = await lab.mc('deploy', '--yes');
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /define on micro4 storage pool remote \(ceph\)/);
      assert.doesNotMatch(r.stdout, /\[micro4\] >> add OSD/);
      const again = await lab.mc('deploy', '--yes');
      assert.match(again.stdout, /No changes/);
    } finally {
      await lab.stop();
    }
  });
});
