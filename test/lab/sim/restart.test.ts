// A refresh restarts the snap's daemon (down on its host, offline in its peers' views until a heartbeat),
// and the LXD 6.9 / MicroCloud 3.2 daemons the simulator knows besides the 2 LTS set.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createSimLab, VirtualClock, type World } from '../../../src/lab/sim/index.js';
import { fixture, installStack, ok, sh } from './helpers.js';

const HOSTS = ['micro1', 'micro2', 'micro3'] as const;

async function microcloud(): Promise<World> {
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
  world.latency['daemon.restart'] = 5_000;
  world.latency['cluster.heartbeat'] = 10_000;
  return world;
}

const statuses = async (world: World, host: string, list: string): Promise<string[]> =>
  (
    JSON.parse(await ok(world, host, `${list} -f json`)) as {
      name?: string;
      server_name?: string;
      status: string;
    }[]
  ).map((m) => `${m.server_name ?? m.name ?? ''} ${m.status}`);

describe('daemon restarts on refresh', () => {
  it('a refreshed MicroCeph is down on its host, UNREACHABLE to its peers until a heartbeat, and waitready waits', async () => {
    const world = await microcloud();
    await ok(world, 'micro1', 'snap refresh microceph --channel=squid/candidate');
    const down = await sh(world, 'micro1', 'microceph cluster list');
    assert.equal(down.exitCode, 1);
    assert.equal(
      down.stderr,
      'Error: Get "http://control.socket/core/1.0/cluster": dial unix /var/snap/microceph/common/state/control.socket: connect: connection refused\n',
    );
    assert.deepEqual(await statuses(world, 'micro2', 'microceph cluster list'), [
      'micro1 UNREACHABLE',
      'micro2 ONLINE',
      'micro3 ONLINE',
    ]);
    // Other services on the host and Ceph itself keep answering.
    await ok(world, 'micro1', 'microovn cluster list');
    const before = world.clock.now();
    await ok(world, 'micro1', 'microceph waitready');
    assert.equal(world.clock.now() - before, 5_000);
    // Back, but its peers hear from it only at the next heartbeat.
    assert.deepEqual(await statuses(world, 'micro1', 'microceph cluster list'), [
      'micro1 UNREACHABLE',
      'micro2 ONLINE',
      'micro3 ONLINE',
    ]);
    await world.clock.sleep(10_000);
    assert.deepEqual(await statuses(world, 'micro3', 'microceph cluster list'), [
      'micro1 ONLINE',
      'micro2 ONLINE',
      'micro3 ONLINE',
    ]);
    // A refresh with nothing new restarts nothing.
    assert.equal((await sh(world, 'micro1', 'snap refresh microceph')).exitCode, 0);
    await ok(world, 'micro1', 'microceph cluster list');
  });

  it('LXD 6.9 after a refresh: Offline with "No heartbeat for", waitready bounded, its version and API extensions', async () => {
    const world = await microcloud();
    const lts = JSON.parse(await ok(world, 'micro2', 'lxc query /1.0')) as { api_extensions: string[] };
    assert.equal(lts.api_extensions.includes('ovn_dynamic_northbound_connection'), false);
    assert.equal(await ok(world, 'micro2', 'lxd version'), '5.21.3 LTS\n');
    await ok(world, 'micro2', 'snap refresh lxd --channel=6/stable');
    const listed = JSON.parse(await ok(world, 'micro1', 'lxc cluster list -f json')) as {
      server_name: string;
      status: string;
      message: string;
    }[];
    const micro2 = listed.find((m) => m.server_name === 'micro2');
    assert.equal(micro2?.status, 'Offline');
    assert.match(micro2?.message ?? '', /^No heartbeat for 0s \(\d{4}-\d\d-\d\dT[\d:.]+Z\)$/);
    assert.match(
      (await sh(world, 'micro2', 'lxc cluster list')).stderr,
      /^Error: LXD unix socket "\/var\/snap\/lxd\/common\/lxd\/unix.socket" not accessible: .*connection refused\n$/,
    );
    const short = await sh(world, 'micro2', 'lxd waitready --timeout=2');
    assert.equal(short.exitCode, 1);
    assert.equal(short.stderr, 'Error: LXD still not running after 2s timeout\n');
    await ok(world, 'micro2', 'lxd waitready --timeout=60');
    assert.equal(await ok(world, 'micro2', 'lxd version'), '6.9\n');
    assert.equal(await ok(world, 'micro2', 'lxc version'), 'Client version: 6.9\nServer version: 6.9\n');
    const six = JSON.parse(await ok(world, 'micro2', 'lxc query /1.0')) as {
      api_extensions: string[];
      environment: { server_version: string };
    };
    assert.equal(six.environment.server_version, '6.9');
    for (const extension of [
      'ovn_dynamic_northbound_connection',
      'storage_remote_drop_source',
      'auth_bearer',
    ])
      assert.ok(six.api_extensions.includes(extension), extension);
    assert.equal(six.api_extensions.length, 475);
    await world.clock.sleep(10_000);
    assert.deepEqual(await statuses(world, 'micro1', 'lxc cluster list'), [
      'micro1 Online',
      'micro2 Online',
      'micro3 Online',
    ]);
  });
});

describe('MicroCloud 3 version rules (canonical/microcloud 3.2 service/version.go)', () => {
  const single = 'initiator_address: 10.1.123.11\nsystems:\n- name: micro1\n  address: 10.1.123.11\n';

  it('takes LXD 6.9 with the non-LTS warning, and refuses a MicroOVN below 24.03', async () => {
    const world = createSimLab({ hosts: 1, clock: new VirtualClock() });
    await ok(world, 'micro1', 'snap install microovn --channel=22.03/stable');
    await ok(world, 'micro1', 'snap install lxd --channel=6/stable');
    await ok(world, 'micro1', 'snap install microcloud --channel=3/stable');
    assert.equal(await ok(world, 'micro1', 'microcloud --version'), '3.2\n');
    const old = await sh(world, 'micro1', 'microcloud preseed', single);
    assert.equal(old.exitCode, 1);
    assert.match(old.stdout + old.stderr, /Discovered non-LTS version "6\.9" of LXD/);
    assert.match(old.stderr, /⨯ Error: MicroOVN version "22\.03" is not supported\n$/);
  });

  it('MicroCloud 2 refuses that MicroOVN too, and a 24.03 one passes both', async () => {
    const world = createSimLab({ hosts: 1, clock: new VirtualClock() });
    await ok(world, 'micro1', 'snap install microovn --channel=22.03/stable');
    await ok(world, 'micro1', 'snap install lxd --channel=6/stable');
    await ok(world, 'micro1', 'snap install microcloud --channel=2/stable');
    const two = await sh(world, 'micro1', 'microcloud preseed', single);
    assert.match(two.stderr, /⨯ Error: MicroOVN version "22\.03" is not supported\n$/);
    await ok(world, 'micro1', 'snap refresh microovn --channel=24.03/stable');
    await ok(world, 'micro1', 'snap refresh microcloud --channel=3/stable');
    const three = await sh(world, 'micro1', 'microcloud preseed', single);
    assert.equal(three.exitCode, 0, three.stderr);
  });
});
