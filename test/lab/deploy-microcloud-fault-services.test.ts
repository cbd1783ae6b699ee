// The MicroCloud engine on the embedded lab: the initiator's preseed fails after MicroCloud bootstrapped its
// own daemon but before MicroCeph did (MicroCloud 2.1 reverts neither). MicroCloud then refuses both modes on
// that host: bootstrap ("MicroCloud is already initialized") and add ("MicroCeph is not initialized"). So the
// next deploy's plan has mc bootstrap what is missing on the initiator itself, then MicroCloud adds the
// others (add mode), then the direct phases finish what add mode leaves; verify passes, a third says
// "No changes".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runShell } from '../../src/lab/sim/index.js';
import { FULL, startLab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];

describe(
  'mc deploy with the MicroCloud engine: the initiator fails after MicroCloud bootstrapped',
  { concurrency: false },
  () => {
    it('stops naming the host, step and next action, then converges with add mode', async () => {
      const lab = await startLab(HOSTS);
      try {
        lab.inventory(FULL(HOSTS));
        lab.world.faults.failOnce('micro1', 'microcloud-setup bootstrap microceph', {
          stderr: 'Failed to run: ceph mon create: exit status 1',
        });
        const failed = await lab.mc('deploy', '--yes');
        assert.equal(failed.exitCode, 1, failed.stdout + failed.stderr);
        assert.match(
          failed.stdout,
          /\[micro1\] FAILED: microcloud preseed: form MicroCloud as the initiator \(micro1, micro2, micro3\): microcloud preseed failed \(exit 1\): Error: Failed to bootstrap local MicroCeph: Failed to run: ceph mon create: exit status 1 \(fix the cause on micro1 \(MicroCloud's message above\), then run mc deploy again/,
        );
        const cloud = JSON.parse(
          (await runShell(lab.world, 'micro1', 'microcloud cluster list -f json')).stdout,
        ) as {
          name: string;
        }[];
        assert.deepEqual(
          cloud.map((m) => m.name),
          ['micro1'],
          'MicroCloud itself was bootstrapped on micro1 before MicroCeph failed',
        );

        const plan = await lab.mc('plan');
        assert.equal(plan.exitCode, 0, plan.stdout + plan.stderr);
        assert.match(plan.stdout, /micro1: MicroCloud is set up but not MicroCeph, LXD /);
        assert.match(plan.stdout, /bootstrap microceph on 10\.1\.123\.11/);
        assert.match(
          plan.stdout,
          /microcloud preseed: take in micro2, micro3 \(add mode, initiator_address 10\.1\.123\.11\)/,
        );

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
  },
);
