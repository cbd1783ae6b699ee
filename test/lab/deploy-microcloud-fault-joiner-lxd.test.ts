// The MicroCloud engine on the embedded lab: MicroCloud joined micro2 to itself, MicroCeph and MicroOVN, then
// its LXD join failed, so the preseed stopped there (micro3 was in MicroCloud only: MicroCloud adds every
// peer to itself first, then the other services one peer after another). The next plan has nothing for
// MicroCloud to do (every host is a member) and shows the direct phases finishing the rest: LXD on micro2,
// everything but MicroCloud on micro3, LXD's pools and networks. The deploy converges, verify passes, and
// a third deploy says "No changes".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runShell } from '../../src/lab/sim/index.js';
import { FULL, startLab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];

describe('mc deploy with the MicroCloud engine: MicroCloud joined, LXD not', { concurrency: false }, () => {
  it('plans the direct joins, converges and verifies', async () => {
    const lab = await startLab(HOSTS);
    try {
      lab.inventory(FULL(HOSTS));
      lab.world.faults.failOnce('micro2', 'microcloud-setup join lxd', {
        stderr: 'Failed to join cluster: Failed request to add member: context deadline exceeded',
      });
      const failed = await lab.mc('deploy', '--yes');
      assert.equal(failed.exitCode, 1, failed.stdout + failed.stderr);
      assert.match(
        failed.stdout,
        /\[micro1\] FAILED: microcloud preseed: form MicroCloud as the initiator \(micro1, micro2, micro3\): microcloud preseed failed \(exit 1\): Error: System "micro2" failed to join the cluster: Failed to join "LXD" cluster: Failed to join cluster: Failed request to add member: context deadline exceeded \(fix the cause on micro1/,
      );
      const lxd = JSON.parse((await runShell(lab.world, 'micro1', 'lxc cluster list -f json')).stdout) as {
        server_name: string;
      }[];
      assert.deepEqual(
        lxd.map((m) => m.server_name),
        ['micro1'],
      );

      const plan = await lab.mc('plan');
      assert.equal(plan.exitCode, 0, plan.stdout + plan.stderr);
      assert.doesNotMatch(plan.stdout, /microcloud preseed: (form|take in|join)/, plan.stdout);
      assert.match(plan.stdout, /micro2.*join LXD as 10\.1\.123\.12:8443 \(token from micro1\)/, plan.stdout);
      assert.match(plan.stdout, /micro3.*join microceph as/, plan.stdout);
      assert.doesNotMatch(plan.stdout, /micro2.*join microceph as/, plan.stdout);

      const again = await lab.mc('deploy', '--yes');
      assert.equal(again.exitCode, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /Verified: \d+ checks passed\. MicroCloud is ready\./);
      for (const host of HOSTS) {
        const list = await runShell(lab.world, host, 'microcloud cluster list -f json');
        const members = JSON.parse(list.stdout) as { name: string; status: string }[];
        assert.deepEqual(
          members.map((m) => [m.name, m.status]).sort(),
          HOSTS.map((h) => [h, 'ONLINE']),
          host,
        );
      }
      const third = await lab.mc('deploy', '--yes');
      assert.equal(third.exitCode, 0, third.stdout + third.stderr);
      assert.match(third.stdout, /No changes/);
    } finally {
      await lab.stop();
    }
  });
});
