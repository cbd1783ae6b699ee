// The MicroCloud engine on the embedded lab: a member stuck PENDING. micro3's MicroCloud join dies after
// micro1 made its record (microcluster lists a joiner PENDING until dqlite has taken it in) and before dqlite
// took it in: micro1 and micro2 list micro3 PENDING for good, micro3's own MicroCloud is not set up.
// MicroCloud adds no system it lists already ("System with name ... is already clustered"), so mc refuses in
// validate, touching nothing, and names the record and how to remove it; once it is removed, one deploy adds
// micro3 (add mode) and joins micro2 to the rest, verify passes, and the next deploy says "No changes".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runShell } from '../../src/lab/sim/index.js';
import { FULL, startLab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];

describe('mc deploy with the MicroCloud engine: a member stuck PENDING', { concurrency: false }, () => {
  it('refuses with MicroCloud’s message and the next step, then converges once the record is gone', async () => {
    const lab = await startLab(HOSTS);
    try {
      lab.inventory(FULL(HOSTS));
      lab.world.faults.failOnce('micro3', 'microcluster-db-join microcloud', {
        stderr: 'context deadline exceeded',
      });
      const failed = await lab.mc('deploy', '--yes');
      assert.equal(failed.exitCode, 1, failed.stdout + failed.stderr);
      assert.match(
        failed.stdout,
        /\[micro1\] FAILED: .*System "micro3" failed to join the cluster: Failed to join "MicroCloud" cluster: .*Failed to join cluster: context deadline exceeded/,
      );
      const list = await runShell(lab.world, 'micro1', 'microcloud cluster list -f json');
      const members = JSON.parse(list.stdout) as { name: string; role: string; status: string }[];
      assert.deepEqual(
        members.find((m) => m.name === 'micro3'),
        { ...members.find((m) => m.name === 'micro3'), role: 'PENDING', status: 'UNREACHABLE' },
      );

      const next =
        'micro3: System with name "micro3" is already clustered (micro1\'s MicroCloud lists micro3 as PENDING, but micro3\'s own MicroCloud is not set up: its join never finished, and MicroCloud adds no system it lists already. Remove that record (it holds nothing; micro3 is in no MicroCloud service yet), on micro1: sudo microcloud cluster remove micro3 --force; then run mc deploy again)';
      const before = lab.world.records.length;
      const refused = await lab.mc('deploy', '--yes');
      assert.equal(refused.exitCode, 2, refused.stdout + refused.stderr);
      assert.ok(
        refused.stderr.includes(next) || refused.stdout.includes(next),
        refused.stdout + refused.stderr,
      );
      assert.match(refused.stderr + refused.stdout, /1 problem\(s\) found; nothing was changed on any host/);
      const changes = lab.world.records
        .slice(before)
        .map((r) => r.argv.join(' '))
        .filter((c) => /preseed|install|bootstrap|join|remove/.test(c));
      assert.deepEqual(changes, [], 'nothing touched before validation passed');

      const removed = await runShell(lab.world, 'micro1', 'microcloud cluster remove micro3 --force');
      assert.equal(removed.exitCode, 0, removed.stderr);
      const again = await lab.mc('deploy', '--yes');
      assert.equal(again.exitCode, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /take in micro3 \(add mode/);
      assert.match(again.stdout, /Verified: \d+ checks passed\. MicroCloud is ready\./);
      for (const host of HOSTS) {
        const cloud = await runShell(lab.world, host, 'microcloud cluster list -f json');
        const seen = JSON.parse(cloud.stdout) as { name: string; status: string; role: string }[];
        assert.deepEqual(
          seen.map((m) => [m.name, m.status]).sort(),
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
