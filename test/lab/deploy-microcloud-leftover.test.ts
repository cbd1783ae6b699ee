// The MicroCloud engine on the embedded lab: a `microcloud preseed` an earlier mc run started and could not
// stop still runs on a host, its daemon's trust session open (a new preseed there would fail with "There
// already is an active session"). Deploy ends it, says so, and forms the cluster. A recorded pid whose
// process is not that preseed is left alone.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { activeSession } from '../../src/lab/sim/session.js';
import { FULL, startLab } from '../support/deploy-lab.js';
import { installStack } from './sim/helpers.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];

/** Where mc's command wrapper records the preseed's pid (the lab moves /run/lock to each host's home). */
const pidFile = (dir: string, host: string): string =>
  join(dir, 'lab', 'hosts', host, 'home', 'mc-microcloud-preseed.pid');

/** Starts `program` detached on the host, its pid recorded the way mc records a preseed's. */
const recorded = (program: string, stdinFile: string): string =>
  `sudo setsid sh -c 'echo $$ > "\${MC_LOCK_DIR:-/run/lock}/mc-microcloud-preseed.pid" && exec ${program}' < ${stdinFile} > /dev/null 2>&1 &`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function readPid(path: string): Promise<number> {
  for (let i = 0; i < 100 && !existsSync(path); i++) await sleep(100);
  return Number(readFileSync(path, 'utf8').trim());
}

describe('mc deploy with the MicroCloud engine: a leftover preseed', { concurrency: false }, () => {
  it('ends the preseed an earlier run left behind, with a warning, and leaves other processes alone', async () => {
    const lab = await startLab(HOSTS);
    let decoy: number | undefined;
    try {
      lab.inventory(FULL(HOSTS));
      await Promise.all(HOSTS.map((host) => installStack(lab.world, host)));
      // A call over SSH puts the installed snaps' commands on each host's PATH.
      assert.equal((await lab.mc('run', 'snap list')).exitCode, 0);
      // micro2: a joiner of an earlier run, still looking for its initiator (its session open).
      const leftover = join(lab.dir, 'leftover.yaml');
      writeFileSync(
        leftover,
        'initiator: micro1\nlookup_subnet: 10.1.123.0/24\nlookup_timeout: 60\nsession_passphrase: earlier-run\nsystems:\n- name: micro1\n- name: micro2\n',
      );
      const started = await lab.mc('run', '-l', 'micro2', recorded('microcloud preseed', leftover));
      assert.equal(started.exitCode, 0, started.stdout + started.stderr);
      const orphan = await readPid(pidFile(lab.dir, 'micro2'));
      for (let i = 0; i < 100 && activeSession(lab.world, 'micro2') === null; i++) await sleep(100);
      assert.notEqual(activeSession(lab.world, 'micro2'), null, 'the leftover holds a session on micro2');
      // micro3: the recorded pid is some other program now: not mc's preseed.
      const other = await lab.mc('run', '-l', 'micro3', recorded('sleep 300', '/dev/null'));
      assert.equal(other.exitCode, 0, other.stdout + other.stderr);
      decoy = await readPid(pidFile(lab.dir, 'micro3'));
      assert.ok(alive(orphan) && alive(decoy));

      const deployed = await lab.mc('deploy', '--yes', '--allow-veth');
      assert.equal(deployed.exitCode, 0, deployed.stdout + deployed.stderr);
      const warnings = deployed.stdout
        .split('\n')
        .filter((l) => /WARNING: ended `microcloud preseed`/.test(l));
      assert.deepEqual(warnings, [
        `[micro2] WARNING: ended \`microcloud preseed\` (pid ${orphan}) left running by an earlier mc run`,
      ]);
      assert.match(deployed.stdout, /^\[micro2\] Successfully joined the MicroCloud cluster/m);
      assert.equal(alive(orphan), false, 'the leftover preseed is gone');
      assert.equal(alive(decoy), true, 'a process mc did not start is left alone');
      // Each file now names the preseed this deploy ran, no longer the old processes.
      assert.notEqual(await readPid(pidFile(lab.dir, 'micro2')), orphan);
      assert.notEqual(await readPid(pidFile(lab.dir, 'micro3')), decoy);
    } finally {
      if (decoy !== undefined && alive(decoy)) process.kill(decoy, 'SIGTERM');
      await lab.stop();
    }
  });
});
