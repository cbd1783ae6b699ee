// The MicroCloud engine's session passphrase appears nowhere (issue 13): three deploys, each running the
// preseed with a new passphrase, in the three output modes (tty, NDJSON events, plain). The first two stop on
// a fault of the preseed run (a joiner later than lookup_timeout; a joiner's connection dropped), naming the
// host, MicroCloud's message and what to do next; the third converges. Each passphrase, read back from the
// simulated hosts' sessions (they received it on stdin), is searched in every output, the log files, every
// command line the hosts ran, and every file left in the lab (hosts' directories included): never found.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runShell } from '../../src/lab/sim/index.js';
import { FULL, startLab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];

/** Every regular file under `dir` with its text. */
function filesUnder(dir: string): { path: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) return [];
    if (stat.isDirectory()) return filesUnder(path);
    return stat.isFile() ? [{ path, text: readFileSync(path, 'latin1') }] : [];
  });
}

describe('mc deploy with the MicroCloud engine: the session passphrase', { concurrency: false }, () => {
  it('stops on preseed faults with host, message and next step, converges, and never shows the passphrase', async () => {
    const lab = await startLab(HOSTS);
    const outputs: string[] = [];
    const passphrases: string[] = [];
    const sessionPassphrase = (): string => {
      const session = lab.world.state.sessions['micro1'];
      assert.ok(session !== undefined, 'micro1 opened a session');
      return session.passphrase;
    };
    try {
      // A joiner later than lookup_timeout: MicroCloud's initiator gives up on it.
      lab.inventory(FULL(HOSTS).replace('cluster:\n', 'cluster:\n  lookup_timeout: 5\n'));
      lab.world.faults.slowDown('micro3', 'microcloud preseed', 12_000, { times: 1 });
      const late = await lab.mc('deploy', '--yes', '-o', 'tty');
      outputs.push(late.stdout, late.stderr);
      assert.equal(late.exitCode, 1, late.stdout + late.stderr);
      // The recap names the host and MicroCloud's message; the other hosts' preseeds were stopped.
      assert.match(
        late.stdout,
        /^micro1 +failed +microcloud preseed: form MicroCloud.*: microcloud preseed failed \(exit 1\): Error: System "micro3" hasn't reached out$/m,
      );
      assert.match(late.stdout, /^micro3 +failed +.*stopped: the initiator micro1 failed$/m);
      passphrases.push(sessionPassphrase());

      // A joiner's connection dropped as its preseed starts: the host and the step are named.
      lab.world.faults.dropConnection('micro2', 'microcloud preseed');
      const dropped = await lab.mc('deploy', '--yes', '-o', 'json');
      outputs.push(dropped.stdout, dropped.stderr);
      assert.equal(dropped.exitCode, 1, dropped.stdout + dropped.stderr);
      const failures = dropped.stdout
        .split('\n')
        .filter((line) => line.includes('"step-failed"'))
        .map((line) => JSON.parse(line) as { host: string; step: string; error: string; hint: string });
      const micro2 = failures.find((f) => f.host === 'micro2');
      assert.ok(micro2 !== undefined, dropped.stdout);
      assert.match(micro2.step, /microcloud preseed: join through micro1/);
      assert.match(micro2.hint, /run mc deploy again/);
      // The initiator waited lookup_timeout for micro2, then said what to do.
      const micro1 = failures.find((f) => f.host === 'micro1');
      assert.match(micro1?.error ?? '', /System "micro2" hasn't reached out/);
      assert.match(
        micro1?.hint ?? '',
        /micro2 did not reach micro1 \(10\.1\.123\.11:9443\) within lookup_timeout \(5 s\): check that it is up/,
      );
      passphrases.push(sessionPassphrase());

      // Cleared: the next deploy forms the cluster.
      lab.inventory(FULL(HOSTS));
      const formed = await lab.mc('deploy', '--yes');
      outputs.push(formed.stdout, formed.stderr);
      assert.equal(formed.exitCode, 0, formed.stdout + formed.stderr);
      assert.match(formed.stdout, /Verified: \d+ checks passed\. MicroCloud is ready\./);
      passphrases.push(sessionPassphrase());
      for (const host of HOSTS) {
        const list = await runShell(lab.world, host, 'microcloud cluster list -f json');
        const members = JSON.parse(list.stdout) as { name: string; status: string }[];
        assert.deepEqual(
          members.map((m) => `${m.name} ${m.status}`).sort(),
          HOSTS.map((h) => `${h} ONLINE`),
        );
      }

      assert.equal(new Set(passphrases).size, 3, 'a new passphrase per run');
      const commandLines = lab.world.records.map((r) => r.argv.join(' '));
      const files = filesUnder(lab.dir);
      assert.ok(
        files.some((f) => f.path.endsWith('.log')),
        'the run logs are in the lab directory',
      );
      for (const secret of passphrases) {
        assert.ok(secret.length >= 32, 'a long random passphrase');
        for (const [i, text] of outputs.entries()) assert.ok(!text.includes(secret), `output ${i}`);
        for (const line of commandLines) assert.ok(!line.includes(secret), line);
        for (const file of files) assert.ok(!file.text.includes(secret), file.path);
      }
    } finally {
      await lab.stop();
    }
  });
});
