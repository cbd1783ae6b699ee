// mc reset and mc upgrade on a host mc never deployed, as a terminal shows them (golden, times masked): the
// facts tree, the recap, and that there is nothing to do.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startLab } from '../support/deploy-lab.js';

const mask = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.replace(/\s+\d+(\.\d+)?m?s$/, ' T'))
    .sort();

/** The live tree of the fact gathering (its lines' order varies) and the recap. */
const TREE = [
  '',
  '❯ Connect and gather facts',
  '❯ micro1',
  '✔ Connect and gather facts',
  '✔ micro1',
  'RECAP ok=1',
  'micro1  ok T',
];

describe('mc reset and mc upgrade on a terminal', { concurrency: false }, () => {
  it('say there is nothing to do on a fresh host', async () => {
    const lab = await startLab(['micro1']);
    try {
      lab.inventory('cluster:\n  systems:\n    micro1: {}\n');
      const reset = await lab.mc('reset', '--yes', '-o', 'tty');
      assert.equal(reset.exitCode, 0, reset.stdout + reset.stderr);
      assert.deepEqual(
        mask(reset.stdout),
        [...TREE, '', "No changes: nothing of mc's is left on micro1."].sort(),
      );
      const upgrade = await lab.mc('upgrade', '--dry-run', '-o', 'tty');
      assert.equal(upgrade.exitCode, 0, upgrade.stdout + upgrade.stderr);
      assert.deepEqual(
        mask(upgrade.stdout),
        [...TREE, 'No changes: every member runs the target revisions.'].sort(),
      );
    } finally {
      await lab.stop();
    }
  });
});
