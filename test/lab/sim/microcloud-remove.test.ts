// `microcloud remove NAME [--force]` on a cluster `microcloud preseed` formed (mc2 api/services_cluster.go).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createSimLab, VirtualClock, type World } from '../../../src/lab/sim/index.js';
import { fixture, installStack, ok, sh } from './helpers.js';

const HOSTS = ['micro1', 'micro2', 'micro3'] as const;

async function formed(): Promise<World> {
  const world = createSimLab({ hosts: [...HOSTS], clock: new VirtualClock() });
  await Promise.all(HOSTS.map((host) => installStack(world, host)));
  const preseed = fixture('preseed-unicast.yaml');
  const initiator = sh(world, 'micro1', 'microcloud preseed', preseed);
  await world.clock.sleep(5_000);
  const results = await Promise.all([
    initiator,
    sh(world, 'micro2', 'microcloud preseed', preseed),
    sh(world, 'micro3', 'microcloud preseed', preseed),
  ]);
  for (const r of results) assert.equal(r.exitCode, 0, r.stderr);
  await world.clock.sleep(10_000);
  return world;
}

const names = async (world: World, command: string): Promise<string[]> =>
  (JSON.parse(await ok(world, 'micro1', command)) as { name?: string; server_name?: string }[])
    .map((m) => m.server_name ?? m.name ?? '')
    .sort();

describe('microcloud remove', () => {
  it('refuses what LXD or MicroCeph refuse, and --force removes the member from every service', async () => {
    const world = await formed();
    // LXD goes first and refuses the images/backups volumes MicroCloud made (docs: clean them up first).
    const volumes = await sh(world, 'micro1', 'microcloud remove micro3');
    assert.equal(volumes.exitCode, 1);
    assert.match(volumes.stderr, /^⨯ Error: Node still has the following custom volumes: /);
    const missing = await sh(world, 'micro1', 'microcloud remove micro9');
    assert.equal(missing.stderr, '⨯ Error: Cluster member "micro9" not found on any service\n');

    await ok(world, 'micro1', 'microcloud remove micro3 --force');
    const two = ['micro1', 'micro2'];
    assert.deepEqual(await names(world, 'lxc cluster list -f json'), two);
    for (const service of ['microceph', 'microovn', 'microcloud']) {
      assert.deepEqual(await names(world, `${service} cluster list -f json`), two, service);
    }
    // The pools were lowered to the OSDs that stay before MicroCeph let micro3 go.
    const pools = await ok(world, 'micro1', 'microceph pool list');
    for (const row of pools.split('\n').filter((l) => /^\| \S/.test(l) && !l.includes('NAME'))) {
      assert.equal(row.split('|')[2]?.trim(), '2', row);
    }

    // Two MicroCeph members left, both with a monitor: MicroCloud's own refusal, even with --force.
    const monmap = await sh(world, 'micro1', 'microcloud remove micro2 --force');
    assert.equal(
      monmap.stderr,
      '⨯ Error: "micro2" must be removed from the Ceph monmap before it can be removed from MicroCloud\n',
    );
  });
});
