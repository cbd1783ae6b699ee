// Real LXD (Debian's 5.0.2 in the namespace lab, root): an `lxd init --preseed` an earlier mc run started on a
// joiner and could not stop (its link was cut) still runs there. Deploy ends it before that host joins, says so
// with the host and the pid, and forms the cluster. A recorded pid whose process is not `lxd init` is left
// alone. (The leftover here waits for the rest of its preseed on a pipe that stays open.)
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSimNamespaceLab } from '../../src/lab/sim-netns.js';
import { cmdline } from '../support/lxd-faults.js';
import { FLOOR_50, LXD_ONLY, mcOnLab, writeInventory } from '../support/netns-lxd.js';
import { tempDir, uniqueSuffix } from '../support/system.js';

/** Starts `program` detached on the host, its pid recorded as mc records lxd init's; its stdin stays open. */
const recorded = (program: string): string =>
  `(sleep 300 | setsid sh -c 'echo $$ > "\${MC_LOCK_DIR:-/run/lock}/mc-lxd-init.pid" && exec ${program}') < /dev/null > /dev/null 2>&1 &`;

async function readPid(path: string): Promise<number> {
  for (let i = 0; i < 100 && !existsSync(path); i++) await sleep(100);
  return Number(readFileSync(path, 'utf8').trim());
}

describe('real LXD: a leftover lxd init', { concurrency: false }, () => {
  let scratch: ReturnType<typeof tempDir>;
  before(() => {
    scratch = tempDir('mc-lxd-leftover');
  });
  after(() => scratch.remove());

  it('ends the lxd init an earlier run left behind, with a warning, and leaves other processes alone', async () => {
    const suffix = uniqueSuffix().slice(-4);
    const names = [1, 2, 3].map((i) => `lo${suffix}n${i}`);
    const [, second = '', third = ''] = names;
    const { lab } = await startSimNamespaceLab({ names, baseDir: scratch.path, realLxd: true });
    const pidFile = (host: string): string => join(lab.dir, host, 'lock', 'mc-lxd-init.pid');
    let decoy: number | undefined;
    try {
      writeInventory(lab, [...LXD_ONLY, FLOOR_50]);
      // The third host's LXD runs (an earlier deploy installed it) and a join of that deploy still waits.
      const installed = await mcOnLab(lab, ['run', '-l', third, '--', 'snap install lxd']);
      assert.equal(installed.code, 0, installed.stdout + installed.stderr);
      const started = await mcOnLab(lab, ['run', '-l', third, '--', recorded('lxd init --preseed')]);
      assert.equal(started.code, 0, started.stdout + started.stderr);
      const orphan = await readPid(pidFile(third));
      for (let i = 0; i < 100 && cmdline(orphan) !== 'lxd init --preseed'; i++) await sleep(100);
      assert.equal(cmdline(orphan), 'lxd init --preseed');
      // The second: the recorded pid is some other program now, not mc's lxd init.
      const other = await mcOnLab(lab, ['run', '-l', second, '--', recorded('sleep 300')]);
      assert.equal(other.code, 0, other.stdout + other.stderr);
      decoy = await readPid(pidFile(second));
      assert.equal(cmdline(decoy), 'sleep 300');

      const deployed = await mcOnLab(lab, ['deploy', '--yes']);
      assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
      const warnings = deployed.stdout.split('\n').filter((l) => /WARNING: ended `lxd init/.test(l));
      assert.deepEqual(
        warnings,
        [
          `[${third}] WARNING: ended \`lxd init --preseed\` (pid ${orphan}) left running by an earlier mc run`,
        ],
        deployed.stdout,
      );
      assert.equal(cmdline(orphan), '', 'the leftover lxd init is gone');
      assert.equal(cmdline(decoy), 'sleep 300', 'a process mc did not start is left alone');
      assert.match(deployed.stdout, new RegExp(`^\\[${third}\\] changed: join LXD as `, 'm'));
      assert.match(deployed.stdout, /^Verified: \d+ checks passed\./m);
    } finally {
      if (decoy !== undefined && cmdline(decoy) === 'sleep 300') process.kill(decoy, 'SIGTERM');
      await lab.stop();
    }
  });
});
