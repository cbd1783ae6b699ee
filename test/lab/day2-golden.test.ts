// Golden outputs of the day-2 commands on one deployed embedded lab of 3 members (issue 16), in the three
// formats: mc status --check on a drifted cluster (plain, TTY, JSON), an upgrade of one service (the JSON
// preview, the live tree of the run), mc remove refused (plain) then forced (JSON), mc reset refused without
// a confirmation (plain), run (live tree) and run again (JSON). See test/support/golden.ts for what is
// sanitised; the files are test/fixtures/output/day2/*.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FULL, startLab, type Lab } from '../support/deploy-lab.js';
import { manual } from '../support/drift-check.js';
import { assertGolden, type Format } from '../support/golden.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];

// One deployment serves every golden, in this order (each test leaves the lab as the next one expects); the
// tests are split so that each has the runner's timeout to itself on a loaded machine.
describe('day-2 golden outputs on one deployed lab', { concurrency: false }, () => {
  let lab: Lab;
  const golden = async (name: string, format: Format, exitCode: number, ...args: string[]): Promise<void> => {
    const ran = await lab.mc(...args, '-o', format);
    assert.equal(ran.exitCode, exitCode, ran.stdout + ran.stderr);
    assertGolden(`${name}.${format}`, format, ran, lab.dir);
  };
  before(async () => {
    lab = await startLab(HOSTS);
    lab.inventory(FULL(HOSTS));
    const deployed = await lab.mc('deploy', '--yes');
    assert.equal(deployed.exitCode, 0, deployed.stdout + deployed.stderr);
  });
  after(async () => {
    await lab.stop();
  });

  it('mc status --check on a drifted cluster: plain, TTY, JSON', async () => {
    await manual(lab, 'micro1', 'lxc config set instances.migration.stateful false');
    await manual(lab, 'micro2', 'lxc network set UPLINK --property description=mine');
    for (const format of ['plain', 'tty', 'json'] as const)
      await golden('status-check', format, 1, 'status', '--check');
  });

  it('mc upgrade of one service: the JSON preview, the live tree of the run', async () => {
    const to = ['--to', 'microovn=24.03/candidate'];
    await golden('upgrade-preview', 'json', 0, 'upgrade', ...to, '--dry-run');
    await golden('upgrade', 'tty', 0, 'upgrade', ...to, '--yes');
  });

  it('mc remove: refused (plain), then forced (JSON)', async () => {
    await golden('remove-refused', 'plain', 2, 'remove', 'micro3');
    await golden('remove-forced', 'json', 0, 'remove', 'micro3', '--force', '--yes');
  });

  it('mc reset: refused without a confirmation (plain), run (TTY), run again (JSON)', async () => {
    await golden('reset-unconfirmed', 'plain', 2, 'reset');
    await golden('reset', 'tty', 0, 'reset', '--yes');
    await golden('reset-again', 'json', 0, 'reset', '--yes');
  });
});
