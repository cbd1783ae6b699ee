import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ProgramRunner } from '../../../src/lab/embedded/ssh-host.js';
import {
  commandsOn,
  createProgramRunner,
  createSimLab,
  runShell,
  snapshotState,
} from '../../../src/lab/sim/index.js';

describe('program runner for host labs', () => {
  it('fits the embedded lab’s ProgramRunner and follows what is installed', async () => {
    const world = createSimLab({ hosts: 1 });
    const runner: ProgramRunner = createProgramRunner(world);
    assert.deepEqual(runner.programs('micro1'), [
      'cat',
      'curl',
      'find',
      'hostname',
      'ip',
      'lsblk',
      'nproc',
      'snap',
      'ss',
      'uname',
      'wipefs',
    ]);
    const call = { uid: 0, signal: new AbortController().signal };
    const denied = await runner.run('micro1', ['snap', 'install', 'lxd'], '', { ...call, uid: 1000 });
    assert.equal(denied.exitCode, 1);
    assert.match(denied.stderr, /access denied \(try with sudo\)/);
    const install = await runner.run('micro1', ['snap', 'install', 'lxd', 'microceph'], '', call);
    assert.equal(install.exitCode, 0, install.stderr);
    const present = runner.programs('micro1');
    for (const name of ['lxc', 'lxd', 'microceph', 'microceph.ceph']) assert.ok(present.includes(name), name);
    assert.ok(!present.includes('microovn'));
    assert.equal(runner.readsStdin('micro1', ['/snap/bin/microcloud', 'preseed']), true);
    assert.equal(runner.readsStdin('micro1', ['microceph', 'status']), false);
  });

  it('reports injected connection drops as dropConnection', async () => {
    const world = createSimLab({ hosts: 1 });
    world.faults.dropConnection('micro1', 'snap list');
    const outcome = await createProgramRunner(world).run('micro1', ['snap', 'list'], '');
    assert.deepEqual(outcome, { stdout: '', stderr: '', exitCode: 255, dropConnection: true });
  });
});

describe('runShell', () => {
  it('runs && / || chains and sudo the way bash would, recording each command', async () => {
    const world = createSimLab({ hosts: 1 });
    const chain = await runShell(
      world,
      'micro1',
      'microceph status || sudo snap install microceph && microceph status',
      '',
      { uid: 1000 },
    );
    assert.equal(chain.exitCode, 1);
    assert.match(
      chain.stderr,
      /^bash: line 1: microceph: command not found\nError: Database is not yet initialized\n$/,
    );
    assert.deepEqual(
      commandsOn(world, 'micro1').map((r) => [r.argv.join(' '), r.exitCode]),
      [
        ['microceph status', 127],
        ['sudo snap install microceph', 0],
        ['microceph status', 1],
      ],
    );
    const piped = await runShell(world, 'micro1', 'snap list | grep lxd');
    assert.equal(piped.notModelled, true);
  });

  it('keeps the world state plain JSON', async () => {
    const world = createSimLab({ hosts: 2 });
    await runShell(world, 'micro1', 'snap install microceph && microceph cluster bootstrap');
    const token = (await runShell(world, 'micro1', 'microceph cluster add micro2')).stdout.trim();
    await runShell(world, 'micro2', `snap install microceph && microceph cluster join ${token}`);
    assert.deepEqual(JSON.parse(JSON.stringify(world.state)), world.state);
    assert.deepEqual(snapshotState(world), world.state);
  });
});
