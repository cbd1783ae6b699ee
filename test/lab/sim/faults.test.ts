import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  commandsOn,
  createSimLab,
  getMachine,
  matchesPattern,
  realClock,
  runProgram,
  VirtualClock,
} from '../../../src/lab/sim/index.js';
import { ok, sh } from './helpers.js';

describe('faults', () => {
  it('fail once: the command does not run, the next attempt does', async () => {
    const world = createSimLab({ hosts: 2 });
    world.faults.failOnce('micro1', 'snap install', { stderr: 'error: unable to contact snap store\n' });
    const first = await sh(world, 'micro1', 'snap install lxd');
    assert.deepEqual([first.exitCode, first.stderr], [1, 'error: unable to contact snap store\n']);
    assert.equal(
      getMachine(world, 'micro1').snaps.some((s) => s.name === 'lxd'),
      false,
    );
    await ok(world, 'micro2', 'snap install lxd');
    await ok(world, 'micro1', 'snap install lxd');
    assert.deepEqual(
      commandsOn(world, 'micro1').map((r) => r.faults),
      [['fail'], []],
    );
  });

  it('fail always applies to every host when host is null, until removed', async () => {
    const world = createSimLab({ hosts: 2 });
    const rule = world.faults.failAlways(null, /^snap (install|refresh)/, { exitCode: 2 });
    assert.equal((await sh(world, 'micro1', 'snap install lxd')).exitCode, 2);
    assert.equal((await sh(world, 'micro2', 'snap refresh --hold')).exitCode, 2);
    assert.equal((await sh(world, 'micro2', 'snap list')).exitCode, 0);
    assert.equal(rule.hits, 2);
    world.faults.remove(rule);
    assert.equal((await sh(world, 'micro1', 'snap install lxd')).exitCode, 0);
  });

  it('slow down adds modelled time to the matching command only', async () => {
    const clock = new VirtualClock();
    const world = createSimLab({ hosts: 1, clock });
    world.faults.slowDown('micro1', 'snap install', 45_000);
    const result = await sh(world, 'micro1', 'snap install lxd');
    assert.equal(result.durationMs, 45_000);
    assert.equal((await sh(world, 'micro1', 'snap list')).durationMs, 0);
  });

  it('hang never returns; the caller’s abort ends it', async () => {
    const clock = new VirtualClock();
    const world = createSimLab({ hosts: 1, clock });
    world.faults.hang('micro1', 'snap install');
    const controller = new AbortController();
    const hung = runProgram(
      world,
      'micro1',
      ['snap', 'install', 'lxd'],
      '',
      {},
      { signal: controller.signal },
    );
    await clock.sleep(600_000);
    controller.abort(new Error('ssh command timed out'));
    await assert.rejects(hung, /ssh command timed out/);
    const record = commandsOn(world, 'micro1')[0];
    assert.deepEqual([record?.exitCode, record?.finishedAt, record?.faults], [null, null, ['hang']]);
    assert.equal(
      getMachine(world, 'micro1').snaps.some((s) => s.name === 'lxd'),
      false,
    );
  });

  it('drop before: nothing ran; drop after: it ran but the output is lost', async () => {
    const world = createSimLab({ hosts: 1 });
    await ok(world, 'micro1', 'snap install microceph');
    world.faults.dropConnection('micro1', 'microceph cluster bootstrap', { when: 'before' });
    const before = await sh(world, 'micro1', 'microceph cluster bootstrap');
    assert.deepEqual([before.exitCode, before.connectionDropped, before.stdout], [255, true, '']);
    assert.equal(getMachine(world, 'micro1').daemons.microceph?.clusterId, null);
    world.faults.dropConnection('micro1', 'microceph cluster bootstrap', { when: 'after' });
    const after = await sh(world, 'micro1', 'microceph cluster bootstrap');
    assert.deepEqual([after.exitCode, after.connectionDropped], [255, true]);
    assert.notEqual(getMachine(world, 'micro1').daemons.microceph?.clusterId, null);
    // A retry after the lost answer shows what a tool must cope with.
    const retry = await sh(world, 'micro1', 'microceph cluster bootstrap');
    assert.equal(retry.stderr, 'Error: Unable to initialize cluster: Database is online\n');
    assert.deepEqual(
      commandsOn(world, 'micro1').map((r) => r.connectionDropped),
      [false, true, true, false],
    );
  });

  it('matches patterns by words with argv[0] by basename, or by RegExp', () => {
    assert.ok(matchesPattern('microceph cluster join', ['/snap/bin/microceph', 'cluster', 'join', 'TOKEN']));
    assert.ok(!matchesPattern('microceph cluster join', ['microceph', 'cluster', 'list']));
    assert.ok(matchesPattern(/disk add .*--wipe/, ['microceph', 'disk', 'add', '/dev/sdb', '--wipe']));
  });
});

describe('latencies and modelled time', () => {
  it('take modelled time per operation; concurrent hosts overlap, one host is serial', async () => {
    const clock = new VirtualClock();
    const world = createSimLab({
      hosts: 3,
      clock,
      latency: { 'snap.install': 20_000, 'microceph.bootstrap': 30_000 },
    });
    const start = clock.now();
    await Promise.all(['micro1', 'micro2', 'micro3'].map((h) => ok(world, h, 'snap install microceph')));
    assert.equal(clock.now() - start, 20_000);
    await ok(world, 'micro1', 'snap install microovn');
    await ok(world, 'micro1', 'snap install lxd');
    assert.equal(clock.now() - start, 60_000);
    const bootstrap = await sh(world, 'micro1', 'microceph cluster bootstrap');
    assert.equal(bootstrap.durationMs, 30_000);
    const record = commandsOn(world, 'micro1').at(-1);
    assert.equal((record?.finishedAt ?? 0) - (record?.startedAt ?? 0), 30_000);
  });

  it('a concurrent second bootstrap sees the first one in progress', async () => {
    const world = createSimLab({ hosts: 1, latency: { 'microceph.bootstrap': 30_000 } });
    await ok(world, 'micro1', 'snap install microceph');
    const [first, second] = await Promise.all([
      sh(world, 'micro1', 'microceph cluster bootstrap'),
      sh(world, 'micro1', 'microceph cluster bootstrap'),
    ]);
    assert.equal(first.exitCode, 0);
    assert.equal(second.stderr, 'Error: Unable to initialize cluster: Database is online\n');
  });

  it('runs on scaled real time for labs that use wall-clock timeouts', async () => {
    const world = createSimLab({
      hosts: 1,
      clock: realClock({ scale: 0.001 }),
      latency: { 'snap.install': 20_000 },
    });
    const wallStart = Date.now();
    const result = await sh(world, 'micro1', 'snap install lxd');
    const wall = Date.now() - wallStart;
    assert.equal(result.exitCode, 0);
    assert.ok(result.durationMs >= 19_000, `modelled ${result.durationMs}`);
    assert.ok(wall < 1_000, `took ${wall} ms of wall time`);
  });

  it('a manual virtual clock only moves when the test says so', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const world = createSimLab({ hosts: 1, clock, latency: { 'snap.install': 20_000 } });
    let done = false;
    const install = sh(world, 'micro1', 'snap install lxd').then((r) => {
      done = true;
      return r;
    });
    await clock.advanceBy(19_999);
    assert.equal(done, false);
    await clock.advanceBy(1);
    assert.equal((await install).exitCode, 0);
  });
});
