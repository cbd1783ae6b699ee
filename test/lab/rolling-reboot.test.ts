// playbooks/rolling-reboot.yml on the embedded lab with a deployed MicroCloud: one member at a time,
// evacuate → reboot (the lab's stand-in: LXD's daemon restarted) → LXD answers → restore → health gates,
// the run stopping at the first failure with the later members untouched, and a second run continuing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runShell } from '../../src/lab/sim/index.js';
import { FULL, startLab, type Lab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];
const PLAYBOOK = new URL('../../playbooks/rolling-reboot.yml', import.meta.url).pathname;
// Embedded lab hosts cannot reboot: restarting LXD stands in, and SSH stays up.
const LAB_VARS = [
  '-e',
  'reboot_command="snap restart lxd"',
  '-e',
  'reboot_wait_ssh=false',
  '-e',
  'online_delay=1',
];

describe('playbooks/rolling-reboot.yml on a deployed MicroCloud', { concurrency: false }, () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab(HOSTS);
    lab.inventory(FULL(HOSTS));
    const deployed = await lab.mc('deploy', '--yes');
    assert.equal(deployed.exitCode, 0, deployed.stdout + deployed.stderr);
  });
  after(async () => {
    await lab.stop();
  });

  const lxdStates = async (): Promise<string[]> =>
    (await runShell(lab.world, 'micro1', 'lxc cluster list -f csv')).stdout
      .trim()
      .split('\n')
      .map((line) => `${line.split(',')[0]} ${line.split(',').at(-2)}`);
  const commands = (): string[] =>
    lab.world.records
      .map((r) => `${r.host} ${r.argv.join(' ')}`)
      .filter((c) => /lxc cluster (evacuate|restore)|snap restart lxd/.test(c));

  it('stops at the first failed step, leaving that member evacuated and the next ones untouched', async () => {
    lab.world.faults.failOnce('micro2', 'lxc cluster restore', {
      exitCode: 1,
      stdout: '',
      stderr: 'Error: Failed to update cluster member state: connection refused\n',
    });
    const r = await lab.mc('playbook', PLAYBOOK, ...LAB_VARS);
    assert.equal(r.exitCode, 2, r.stdout + r.stderr);
    assert.deepEqual(commands(), [
      'micro1 lxc cluster evacuate micro1 --force',
      'micro1 snap restart lxd',
      'micro1 lxc cluster restore micro1 --force',
      'micro2 lxc cluster evacuate micro2 --force',
      'micro2 snap restart lxd',
      'micro2 lxc cluster restore micro2 --force',
    ]);
    assert.match(r.stdout, /^micro1\s+: ok=10\s+changed=3\s+unreachable=0\s+failed=0\s+skipped=2 /m);
    assert.match(r.stdout, /^micro2\s+: ok=5\s+changed=2\s+unreachable=0\s+failed=1\s+skipped=2 /m);
    assert.ok(!/^micro3\s+: ok=[1-9]/m.test(r.stdout), 'micro3 was not touched');
    assert.deepEqual(await lxdStates(), ['micro1 ONLINE', 'micro2 EVACUATED', 'micro3 ONLINE']);
  });

  it('refuses to start while a member outside the run is not ONLINE, touching nothing', async () => {
    const before = commands().length;
    const r = await lab.mc('playbook', PLAYBOOK, ...LAB_VARS, '--limit', 'micro1');
    assert.equal(r.exitCode, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /LXD members not ONLINE and not in this run: micro2; bring them back/);
    assert.equal(commands().length, before);
  });

  it('a second run continues: the evacuated member is restored, every member goes through, all ONLINE', async () => {
    const before = commands().length;
    const r = await lab.mc('playbook', PLAYBOOK, ...LAB_VARS);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.deepEqual(commands().slice(before), [
      'micro1 lxc cluster evacuate micro1 --force',
      'micro1 snap restart lxd',
      'micro1 lxc cluster restore micro1 --force',
      // Already evacuated: not evacuated again.
      'micro2 snap restart lxd',
      'micro2 lxc cluster restore micro2 --force',
      'micro3 lxc cluster evacuate micro3 --force',
      'micro3 snap restart lxd',
      'micro3 lxc cluster restore micro3 --force',
    ]);
    assert.match(r.stdout, /^micro2\s+: ok=7\s+changed=2\s+unreachable=0\s+failed=0\s+skipped=3 /m);
    assert.deepEqual(await lxdStates(), ['micro1 ONLINE', 'micro2 ONLINE', 'micro3 ONLINE']);
  });
});
