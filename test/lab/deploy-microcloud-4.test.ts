// The MicroCloud engine on the embedded lab: 4 hosts, Ceph disks on 3 of them. MicroCloud forms the cluster;
// every host's `microcloud cluster list` shows every member ONLINE; a second deploy changes nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runShell } from '../../src/lab/sim/index.js';
import { FULL, startLab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3', 'micro4'];

describe('mc deploy with the MicroCloud engine: 4 hosts, Ceph on 3', { concurrency: false }, () => {
  it('forms the cluster, verifies it, and changes nothing the second time', async () => {
    const lab = await startLab(HOSTS);
    try {
      lab.inventory(FULL(HOSTS, ['micro1', 'micro2', 'micro3']));
      const deployed = await lab.mc('deploy', '--yes');
      assert.equal(deployed.exitCode, 0, deployed.stdout + deployed.stderr);
      assert.match(deployed.stdout, /Verified: \d+ checks passed\. MicroCloud is ready\./);
      for (const host of HOSTS) {
        const list = await runShell(lab.world, host, 'microcloud cluster list -f json');
        const members = JSON.parse(list.stdout) as { name: string; status: string }[];
        assert.deepEqual(
          members.map((m) => `${m.name} ${m.status}`).sort(),
          HOSTS.map((h) => `${h} ONLINE`),
        );
      }
      const osds = await runShell(lab.world, 'micro1', 'microceph disk list --json');
      assert.equal(osds.exitCode, 0, osds.stderr);
      const again = await lab.mc('deploy', '--yes');
      assert.equal(again.exitCode, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /No changes/);
    } finally {
      await lab.stop();
    }
  });
});
