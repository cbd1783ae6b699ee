// The wait for a cluster-wide `lxc … create` an earlier run left running (a cut SSH session does not end it),
// run in this machine's shell against a stand-in `lxc` recorded as deploy records the real one.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { execa } from 'execa';
import { clusterCreateLine } from '../../src/workflows/deploy/earlier-lxc-create.js';
import { awaitLeftoverScript } from '../../src/workflows/deploy/recorded-process.js';

const dir = mkdtempSync(join(tmpdir(), 'mc-earlier-create-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(dir, 'bin');
await execa('mkdir', [bin]);
// The stand-in runs as long as LXC_SECONDS says, as a create waiting for another member would.
writeFileSync(join(bin, 'lxc'), '#!/bin/sh\nsleep "$LXC_SECONDS"\n');
chmodSync(join(bin, 'lxc'), 0o755);
const env = { MC_LOCK_DIR: dir, PATH: `${bin}:${process.env.PATH ?? ''}` };
const pidFile = join(dir, 'mc-lxc-create.pid');

/** Starts a recorded cluster-wide create in the background; resolves once its pid is recorded. */
async function startCreate(seconds: number): Promise<void> {
  const line = clusterCreateLine(['lxc', 'network', 'create', 'br1', '--type=bridge'], undefined);
  void execa('sh', ['-c', line], { env: { ...env, LXC_SECONDS: String(seconds) }, reject: false });
  for (let i = 0; i < 100 && !existsSync(pidFile); i += 1) await new Promise((r) => setTimeout(r, 20));
  assert.ok(existsSync(pidFile), 'the create recorded its pid');
}

const wait = async (seconds: number): Promise<string> =>
  (await execa('sh', ['-c', awaitLeftoverScript('mc-lxc-create.pid', ['lxc'], seconds)], { env })).stdout;

describe('waiting for an earlier run’s cluster-wide lxc create', () => {
  it('says nothing when no create was recorded', async () => {
    assert.equal(await wait(1), '');
  });

  it('waits for a recorded create that ends within the wait, and forgets it', async () => {
    await startCreate(1.5);
    const started = Date.now();
    assert.match(await wait(10), /^waited \d+$/);
    assert.ok(Date.now() - started >= 1000, 'it waited for the create');
    assert.equal(existsSync(pidFile), false);
  });

  it('reports a create that still runs after the wait', async () => {
    await startCreate(4);
    assert.match(await wait(1), /^alive \d+$/);
    assert.equal(existsSync(pidFile), true, 'kept for the next run');
    assert.match(await wait(10), /^waited \d+$/);
  });

  it('leaves alone a recorded pid that is no longer an lxc (reused), and forgets it', async () => {
    const other = execa('sleep', ['5'], { reject: false });
    writeFileSync(pidFile, `${other.pid}\n`);
    assert.equal(await wait(1), '');
    assert.equal(existsSync(pidFile), false);
    other.kill();
    await other;
  });

  it('a create with --target is not recorded (LXD only stores it as pending)', () => {
    assert.equal(
      clusterCreateLine(['lxc', 'network', 'create', 'br1', '--target', 'n1'], 'n1'),
      'lxc network create br1 --target n1',
    );
  });
});
