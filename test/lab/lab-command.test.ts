// mc lab up | status | down | demo through the real binary: a background server that starts, serves,
// and goes away cleanly, leaving no process and no files.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { isLabProcess } from '../../src/workflows/lab.js';
import { tempDir } from '../support/system.js';
import { MC } from '../support/mc-bin.js';

describe('mc lab', { concurrency: false }, () => {
  let scratch: ReturnType<typeof tempDir>;
  let dir: string;
  let inventory: string;
  const mc = async (args: string[]) => {
    const r = await execa('node', [MC, ...args], {
      cwd: scratch.path,
      reject: false,
      stdin: 'ignore',
      timeout: 60_000,
    });
    return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const where = (): string[] => ['--dir', dir, '--inventory-file', inventory];

  before(() => {
    scratch = tempDir('mc-labcmd');
    dir = join(scratch.path, 'lab');
    inventory = join(scratch.path, 'inv', 'lab.yaml');
  });
  after(async () => {
    await mc(['lab', 'down', ...where()]);
    scratch.remove();
  });

  it('starts hosts that mc can reach with the inventory it writes, and stops them cleanly', async () => {
    const up = await mc(['lab', 'up', '--hosts', '2', ...where()]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /^lab up: 2 hosts \(pid \d+\)$/m);
    const state = JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as { pid: number };
    assert.ok(isLabProcess(state.pid, dir));

    const again = await mc(['lab', 'up', ...where()]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /a lab is already running/);

    const status = await mc(['lab', 'status', ...where()]);
    assert.equal(status.code, 0);
    assert.match(status.stdout, /^ {2}node2 {2}127\.0\.1\.2:\d+ {2}up$/m);

    const run = await mc([
      'run',
      '-i',
      inventory,
      '--',
      'snap list | head -1; sudo snap install microovn --channel=24.03/stable',
    ]);
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /^\[node1\] Name +Version +Rev +Tracking +Publisher +Notes$/m);
    assert.match(run.stdout, /^\[node2\] microovn \(24\.03\/stable\) .+ installed$/m);

    const down = await mc(['lab', 'down', ...where()]);
    assert.equal(down.stdout, 'lab down');
    assert.equal(isLabProcess(state.pid, dir), false);
    assert.equal(existsSync(dir), false);
    assert.equal(existsSync(inventory), false);
    const none = await mc(['lab', 'status', ...where()]);
    assert.equal(none.code, 1);
    assert.equal(none.stdout, 'no lab is running');
  });

  it('runs the demo from start to finish and leaves nothing behind', async () => {
    const demo = await mc(['lab', 'demo', ...where()]);
    assert.equal(demo.code, 0, demo.stdout + demo.stderr);
    assert.match(demo.stdout, /^== Deploy the MicroCloud$/m);
    assert.match(demo.stdout, /^Engine: MicroCloud/m);
    assert.match(demo.stdout, /^Verified: \d+ checks passed\./m);
    assert.match(demo.stdout, /^Cluster: LXD on node1, node2, node3; MicroCeph; MicroOVN; MicroCloud\.$/m);
    assert.match(demo.stdout, /^Lab stopped\.$/m);
    assert.equal(existsSync(dir), false);
  });
});
