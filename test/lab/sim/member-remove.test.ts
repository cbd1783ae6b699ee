// `microceph/microovn cluster remove [--force]` (microcluster clusterMemberDelete with MicroCeph's PreRemove
// checks) and `lxc storage volume delete` in the simulator.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createSimLab, getMachine, VirtualClock, type World } from '../../../src/lab/sim/index.js';
import { installStack, ok, sh } from './helpers.js';

const IP: Record<string, string> = {
  micro1: '10.1.123.11',
  micro2: '10.1.123.12',
  micro3: '10.1.123.13',
  micro4: '10.1.123.14',
};
const DISK2 = '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk2';

/** MicroCeph and MicroOVN on `hosts`, the first bootstrapping; an OSD on each of `osdOn`. */
async function cluster(hosts: string[], osdOn: string[]): Promise<World> {
  const world = createSimLab({ hosts, clock: new VirtualClock() });
  await Promise.all(hosts.map((h) => installStack(world, h, { microcloud: false })));
  const [first, ...others] = hosts as [string, ...string[]];
  await ok(world, first, `microceph cluster bootstrap --microceph-ip ${IP[first]}`);
  await ok(world, first, 'microovn cluster bootstrap');
  for (const host of others) {
    const ceph = (await ok(world, first, `microceph cluster add ${host}`)).trim();
    const ovn = (await ok(world, first, `microovn cluster add ${host}`)).trim();
    await ok(world, host, `microceph cluster join ${ceph} --microceph-ip ${IP[host]}`);
    await ok(world, host, `microovn cluster join ${ovn}`);
  }
  for (const host of osdOn) await ok(world, host, `microceph disk add ${DISK2} --wipe`);
  return world;
}

const names = async (world: World, host: string, program: string): Promise<string[]> =>
  (JSON.parse(await ok(world, host, `${program} cluster list -f json`)) as { name: string }[]).map(
    (m) => m.name,
  );

describe('microcluster member removal', () => {
  it('a joiner whose database join died stays PENDING; its record goes only while two members are in dqlite', async () => {
    const world = createSimLab({ hosts: ['micro1', 'micro2', 'micro3'], clock: new VirtualClock() });
    for (const host of ['micro1', 'micro2', 'micro3']) await installStack(world, host, { microcloud: false });
    await ok(world, 'micro1', 'microovn cluster bootstrap');
    world.faults.failOnce('micro2', 'microcluster-db-join microovn', { stderr: 'context deadline exceeded' });
    const token = (await ok(world, 'micro1', 'microovn cluster add micro2')).trim();
    const died = await sh(world, 'micro2', `microovn cluster join ${token}`);
    assert.equal(died.exitCode, 1);
    assert.match(died.stderr, /Failed to join cluster: context deadline exceeded/);
    const listed = JSON.parse(await ok(world, 'micro1', 'microovn cluster list -f json')) as {
      name: string;
      role: string;
      status: string;
    }[];
    assert.deepEqual(
      listed.map((m) => [m.name, m.role, m.status]),
      [
        ['micro1', 'voter', 'ONLINE'],
        ['micro2', 'PENDING', 'UNREACHABLE'],
      ],
    );
    assert.equal(getMachine(world, 'micro2').daemons.microovn?.clusterId, null);
    // micro1 alone in dqlite: microcluster refuses, as clusterMemberDelete counts dqlite's members.
    const refused = await sh(world, 'micro1', 'microovn cluster remove micro2 --force');
    assert.equal(refused.stderr, 'Error: Cannot leave a cluster with 1 members\n');
    // With micro3 in dqlite too, the pending record can go, and micro2 joins afresh.
    const third = (await ok(world, 'micro1', 'microovn cluster add micro3')).trim();
    await ok(world, 'micro3', `microovn cluster join ${third}`);
    await ok(world, 'micro1', 'microovn cluster remove micro2 --force');
    assert.deepEqual(await names(world, 'micro1', 'microovn'), ['micro1', 'micro3']);
    const again = (await ok(world, 'micro1', 'microovn cluster add micro2')).trim();
    await ok(world, 'micro2', `microovn cluster join ${again}`);
    assert.deepEqual((await names(world, 'micro1', 'microovn')).sort(), ['micro1', 'micro2', 'micro3']);
  });

  it('refuses a member with OSDs or whose monitors are needed, and --force removes it', async () => {
    const world = await cluster(['micro1', 'micro2', 'micro3'], ['micro1', 'micro2', 'micro3']);
    const refused = await sh(world, 'micro1', 'microceph cluster remove micro3');
    assert.equal(refused.exitCode, 1);
    assert.equal(refused.stderr, 'Error: Node micro3 still has disks configured, remove before proceeding\n');
    assert.deepEqual(await names(world, 'micro1', 'microceph'), ['micro1', 'micro2', 'micro3']);

    await ok(world, 'micro1', 'microceph cluster remove micro3 --force');
    assert.deepEqual(await names(world, 'micro1', 'microceph'), ['micro1', 'micro2']);
    // Its services and OSD rows went with it; the removed daemon is fresh again.
    const status = await ok(world, 'micro1', 'microceph status');
    assert.doesNotMatch(status, /micro3/);
    const disks = JSON.parse(await ok(world, 'micro1', 'microceph disk list --json')) as {
      ConfiguredDisks: { location: string }[];
    };
    assert.deepEqual(disks.ConfiguredDisks.map((d) => d.location).sort(), ['micro1', 'micro2']);
    assert.equal(getMachine(world, 'micro3').daemons.microceph?.clusterId, null);
    const fresh = await sh(world, 'micro3', 'microceph cluster list');
    assert.equal(fresh.stderr, 'Error: Database is not yet initialized\n');
  });

  it('refuses a member whose monitors would leave fewer than 3; a fourth member without mon leaves', async () => {
    const world = await cluster(['micro1', 'micro2', 'micro3', 'micro4'], []);
    const refused = await sh(world, 'micro4', 'microceph cluster remove micro2');
    assert.equal(
      refused.stderr,
      "Error: Insufficient non OSD services: need at least 3 mon, 1 mds, and 1 mgr services in the cluster besides those in node 'micro2'\n",
    );
    await ok(world, 'micro2', 'microceph cluster remove micro4');
    await ok(world, 'micro2', 'microovn cluster remove micro4');
    assert.deepEqual(await names(world, 'micro1', 'microceph'), ['micro1', 'micro2', 'micro3']);
    assert.deepEqual(await names(world, 'micro1', 'microovn'), ['micro1', 'micro2', 'micro3']);
    const ovn = await ok(world, 'micro1', 'microovn status');
    assert.doesNotMatch(ovn, /micro4/);
    const unknown = await sh(world, 'micro1', 'microovn cluster remove micro4');
    assert.equal(unknown.stderr, 'Error: No remote exists with the given name "micro4"\n');
  });

  it('will not remove the last member', async () => {
    const world = await cluster(['micro1'], []);
    const last = await sh(world, 'micro1', 'microovn cluster remove micro1');
    assert.equal(last.stderr, 'Error: Cannot leave a cluster with 1 members\n');
  });
});
