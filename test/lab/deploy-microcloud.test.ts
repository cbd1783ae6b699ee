// The MicroCloud engine on the embedded lab: 3 hosts with local and Ceph disks and an OVN uplink, formed by
// MicroCloud's own daemon from one unicast preseed that mc runs over SSH (§2); every host's
// `microcloud cluster list` shows every member ONLINE, verify passes, and a second deploy changes nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runShell } from '../../src/lab/sim/index.js';
import { FULL, startLab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];

describe('mc deploy with the MicroCloud engine: 3 hosts', { concurrency: false }, () => {
  it('forms the cluster with microcloud preseed, verifies it, and changes nothing the second time', async () => {
    const lab = await startLab(HOSTS);
    try {
      lab.inventory(FULL(HOSTS));
      const plan = await lab.mc('plan');
      assert.equal(plan.exitCode, 0, plan.stdout + plan.stderr);
      assert.match(
        plan.stdout,
        /microcloud preseed: form MicroCloud as the initiator \(micro1, micro2, micro3\)/,
      );
      assert.match(plan.stdout, /microcloud preseed: join through micro1 \(10\.1\.123\.11\)/);
      const deployed = await lab.mc('deploy', '--yes');
      assert.equal(deployed.exitCode, 0, deployed.stdout + deployed.stderr);
      assert.match(deployed.stdout, /MicroCloud is ready/);
      for (const host of HOSTS) {
        const list = await runShell(lab.world, host, 'microcloud cluster list -f json');
        const members = JSON.parse(list.stdout) as { name: string; status: string; role: string }[];
        assert.deepEqual(
          members.map((m) => [m.name, m.status]).sort(),
          HOSTS.map((h) => [h, 'ONLINE']),
          host,
        );
      }
      // The joiners were started only once the initiator's session was open: each polled it first.
      const commands = lab.world.records.map((r) => `${r.host} ${r.argv.join(' ')}`);
      const initiatorAt = commands.indexOf('micro1 microcloud preseed');
      assert.ok(initiatorAt >= 0, 'the initiator ran microcloud preseed');
      for (const joiner of ['micro2', 'micro3']) {
        const at = commands.indexOf(`${joiner} microcloud preseed`);
        assert.ok(at > initiatorAt, `${joiner} started after the initiator`);
      }
      assert.ok(commands.slice(initiatorAt).includes('micro1 ss -Hlun'), 'the session was polled');
      const again = await lab.mc('deploy', '--yes');
      assert.equal(again.exitCode, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /No changes/);
    } finally {
      await lab.stop();
    }
  });
});
