// The MicroCloud engine on the embedded lab: 1 host grown to 3. The first deploy forms a one-member
// MicroCloud; with two hosts added to the inventory, the next runs the preseed in add mode (only the new
// systems, initiator_address = the existing member, §2.2, §3.7); every member ONLINE everywhere, then no changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runShell } from '../../src/lab/sim/index.js';
import { FULL, startLab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];

describe('mc deploy with the MicroCloud engine: 1 host grown to 3', { concurrency: false }, () => {
  it('grows a one-member MicroCloud with an add-mode preseed', async () => {
    const lab = await startLab(HOSTS);
    try {
      lab.inventory(FULL(['micro1']), ['micro1']);
      const one = await lab.mc('deploy', '--yes');
      assert.equal(one.exitCode, 0, one.stdout + one.stderr);
      assert.match(one.stdout, /microcloud preseed: form MicroCloud as the initiator \(micro1\)/);
      lab.inventory(FULL(HOSTS));
      const plan = await lab.mc('plan');
      assert.equal(plan.exitCode, 0, plan.stdout + plan.stderr);
      assert.match(
        plan.stdout,
        /micro1 +microcloud preseed: take in micro2, micro3 \(add mode, initiator_address 10\.1\.123\.11\)/,
      );
      assert.match(plan.stdout, /micro2 +microcloud preseed: join through micro1 \(10\.1\.123\.11\)/);
      const three = await lab.mc('deploy', '--yes');
      assert.equal(three.exitCode, 0, three.stdout + three.stderr);
      assert.match(three.stdout, /\[micro1\] +Peer micro2 has joined the cluster/);
      assert.match(three.stdout, /Verified: \d+ checks passed\. MicroCloud is ready\./);
      for (const host of HOSTS) {
        const list = await runShell(lab.world, host, 'microcloud cluster list -f json');
        const members = JSON.parse(list.stdout) as { name: string; status: string }[];
        assert.deepEqual(
          members.map((m) => `${m.name} ${m.status}`).sort(),
          HOSTS.map((h) => `${h} ONLINE`),
        );
      }
      const lxd = await runShell(lab.world, 'micro3', 'lxc cluster list -f json');
      assert.deepEqual(
        (JSON.parse(lxd.stdout) as { server_name: string }[]).map((m) => m.server_name).sort(),
        HOSTS,
      );
      const again = await lab.mc('deploy', '--yes');
      assert.equal(again.exitCode, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /No changes/);
    } finally {
      await lab.stop();
    }
  });
});
