// mc status --check on the embedded lab (issue 16): manual changes on the hosts are each named, exit 1;
// mc plan proposes exactly the repair; mc deploy repairs them; --check is clean again (exit 0). Five kinds:
// a snap's hold, Ceph replication, a profile device, a member's volume and the server key naming it (nine
// more in drift-kinds.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FULL, startLab } from '../support/deploy-lab.js';
import { manual, sanitise } from '../support/drift-check.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];

// Each manual change below as --check names it: kind, host the repair runs on, what differs.
const DRIFTS: [string, string, string][] = [
  ['snap hold', 'micro2', 'hold microovn (no automatic refresh)'],
  ['Ceph replication', 'micro1', 'set Ceph replication to 3 (3 OSDs)'],
  ['profile device', 'micro1', 'add device root to profile default: path=/ pool=remote type=disk'],
  ['storage volume', 'micro1', 'create volume local/backups on micro3'],
  ['LXD config', 'micro1', 'set storage.backups_volume=local/backups on micro3'],
];

const DRIFTED = [
  '',
  'RECAP ok=3',
  ...HOSTS.map((h) => `${h}  ok T`),
  'Drift: 5 difference(s) from the inventory',
  ...DRIFTS.flatMap(([kind, host, detail]) => [
    `  ${host}  ${kind}: ${detail}`,
    `            -> mc deploy will ${detail}`,
  ]),
  'Run mc plan to see the repair, mc deploy to apply it.',
].join('\n');

describe('mc status --check on the embedded lab', { concurrency: false }, () => {
  it('names each manual change and mc deploy repairs it', async () => {
    const lab = await startLab(HOSTS);
    try {
      lab.inventory(FULL(HOSTS));
      const deployed = await lab.mc('deploy', '--yes');
      assert.equal(deployed.exitCode, 0, deployed.stdout + deployed.stderr);
      const clean = await lab.mc('status', '--check');
      assert.equal(clean.exitCode, 0, clean.stdout + clean.stderr);
      assert.ok(clean.stdout.endsWith('No drift: the cluster matches the inventory.'), clean.stdout);

      await manual(lab, 'micro2', 'snap refresh --unhold microovn');
      await manual(lab, 'micro3', 'lxc config unset storage.backups_volume');
      await manual(lab, 'micro3', 'lxc storage volume delete local backups');
      await manual(lab, 'micro1', 'lxc profile device remove default root');
      await manual(lab, 'micro1', 'microceph pool set-rf --size 2 lxd_remote');

      const drifted = await lab.mc('status', '--check');
      assert.equal(drifted.exitCode, 1, drifted.stdout + drifted.stderr);
      assert.equal(sanitise(drifted.stdout), DRIFTED);
      const json = await lab.mc('status', '--check', '-o', 'json');
      assert.equal(json.exitCode, 1);
      assert.deepEqual(JSON.parse(json.stdout.split('\n').at(-1) ?? ''), {
        type: 'drift',
        differences: 5,
        drifts: DRIFTS.map(([kind, host, detail]) => ({
          kind,
          host,
          detail,
          repair: `mc deploy will ${detail}`,
        })),
      });
      // mc plan proposes exactly these steps.
      const plan = await lab.mc('plan');
      const changes = plan.stdout.slice(plan.stdout.indexOf('Changes (5):'));
      assert.deepEqual(
        changes
          .split('\n')
          .filter((l) => l.startsWith('    '))
          .map((l) => l.trim().replace(/^(\S+)\s+/, '$1 '))
          .sort(),
        DRIFTS.map(([, host, detail]) => `${host} ${detail}`).sort(),
      );
      const repaired = await lab.mc('deploy', '--yes');
      assert.equal(repaired.exitCode, 0, repaired.stdout + repaired.stderr);
      assert.match(repaired.stdout, /^Deployed: 5 change\(s\)\.$/m);
      const after = await lab.mc('status', '--check');
      assert.equal(after.exitCode, 0, after.stdout + after.stderr);
      assert.ok(after.stdout.endsWith('No drift: the cluster matches the inventory.'), after.stdout);
    } finally {
      await lab.stop();
    }
  });
});
