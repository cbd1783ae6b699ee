// Dropped SSH connections and the deploy lock, on the embedded lab. A connection dropped during the MicroOVN
// join once left the next deploy hanging for good: the dead deploy's lock was still on the host, taking the
// lock threw past the code that closes the run's connections, and their sockets kept mc alive after it had
// printed the error. Now the lock of a deploy that is gone is taken over, a live one stops the deploy as a
// failed step, and mc always ends.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { FULL, MC, mutations, startLab, type Lab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];

describe('deploy: dropped connections and the deploy lock', { concurrency: false }, () => {
  let lab: Lab;
  let inventory: string;
  /**
   * The CLI, bounded: a deploy that does not end is a failure of its own, not the file's time limit. The
   * bound is far above a deploy's time (about 20 s here) because a loaded CI machine made a whole converging
   * deploy take over 90 s; a hang still fails it.
   */
  const deploy = async (): Promise<{ code: number | undefined; out: string; ms: number }> => {
    const started = Date.now();
    const r = await execa('node', [MC, 'deploy', '--yes', '-i', inventory, '-o', 'plain'], {
      reject: false,
      stdin: 'ignore',
      timeout: 200_000,
      env: { XDG_CACHE_HOME: lab.dir },
    });
    return { code: r.exitCode, out: `${r.stdout}\n${r.stderr}`, ms: Date.now() - started };
  };
  const lockFile = (host: string): string => join(lab.lab.dir, 'hosts', host, 'home', 'mc-deploy.lock');

  before(async () => {
    lab = await startLab(HOSTS);
    inventory = lab.inventory(FULL(HOSTS, HOSTS, 'direct'));
  });
  after(async () => lab.stop());

  it("stops at a live deploy's lock as a failed step naming the host and what to do, changes nothing, and ends", async () => {
    // This very process, alive, in this boot of this machine, holds micro2's lock.
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const holder = `0123456789ab tester@${hostname()} pid ${process.pid} since 2026-01-01T00:00:00.000Z boot ${boot}`;
    writeFileSync(lockFile('micro2'), `${holder}\n`);
    try {
      const held = await deploy();
      assert.equal(held.code, 1, held.out);
      assert.match(
        held.out,
        new RegExp(
          `^\\[micro2\\] FAILED: take the deploy lock: another deploy holds the lock \\(tester@${hostname()} pid ${process.pid} since 2026-01-01T00:00:00\\.000Z, last heartbeat \\d+ s ago\\) \\(wait for that deploy to finish; if it is gone, run mc deploy --force-unlock\\)$`,
          'm',
        ),
      );
      assert.match(held.out, /^mc: deploy stopped; see the failed step above/m);
      assert.deepEqual(mutations(lab.world), []);
      // The locks it took on the other hosts are given back; the live one is left alone.
      assert.equal(existsSync(lockFile('micro1')), false);
      assert.equal(existsSync(lockFile('micro3')), false);
      assert.equal(readFileSync(lockFile('micro2'), 'utf8'), `${holder}\n`);
    } finally {
      rmSync(lockFile('micro2'), { force: true });
    }
  });

  it('stops when the connection drops during the MicroOVN join, naming the host, the step and what to do next', async () => {
    // The join's POST reaches MicroOVN; its answer is lost with the connection.
    lab.world.faults.dropConnection('micro3', /^curl .*microovn.*\/core\/control$/, { when: 'after' });
    const dropped = await deploy();
    assert.equal(dropped.code, 1, dropped.out);
    assert.match(
      dropped.out,
      /^\[micro3\] FAILED: join microovn as \S+ \(token from micro1\): connection closed by the remote host \(.*run mc deploy again.*\)$/m,
    );
    // micro3 could not be reached to give its lock back.
    assert.equal(existsSync(lockFile('micro3')), true);
  });

  it('stops, and ends, when a connection drops while the cluster state is read', async () => {
    lab.world.faults.dropConnection(null, 'microceph pool list');
    const dropped = await deploy();
    assert.equal(dropped.code, 1, dropped.out);
    assert.match(
      dropped.out,
      /^\[micro\d\] FAILED: read the cluster state: connection closed by the remote host \(.*run mc deploy again.*\)$/m,
    );
  });

  it('takes over the lock the dropped deploy left, converges, and then finds nothing to do', async () => {
    // As after a long cut: its heartbeat stopped long ago (stale by age too); still named as the dead deploy's.
    const longAgo = new Date(Date.now() - 600_000);
    utimesSync(lockFile('micro3'), longAgo, longAgo);
    const converged = await deploy();
    assert.equal(converged.code, 0, converged.out);
    assert.match(
      converged.out,
      /^\[micro3\] WARNING: took over the deploy lock of a deploy that is no longer running \(\S+ pid \d+ since \S+\)$/m,
    );
    assert.match(converged.out, /^Verified: \d+ checks passed\. The cluster is ready\.$/m);
    const again = await deploy();
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /^No changes: the cluster already matches the inventory\.$/m);
  });
});
