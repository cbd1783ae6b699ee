import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { commandsOn, createSimLab, getMachine, VirtualClock } from '../../../src/lab/sim/index.js';
import { installStack, ok, sh, tokenJson } from './helpers.js';

interface MemberJson {
  name: string;
  address: string;
  certificate: string;
  role: string;
  status: string;
  last_heartbeat: string;
}

const HOSTS = ['micro1', 'micro2', 'micro3'] as const;
const IP = { micro1: '10.1.123.11', micro2: '10.1.123.12', micro3: '10.1.123.13' } as const;

describe('manual bootstrap and join across three machines (§1.4)', () => {
  it('runs the whole sequence and every service shows all members', async () => {
    const clock = new VirtualClock();
    const world = createSimLab({
      hosts: [...HOSTS],
      clock,
      latency: {
        'snap.install': 20_000,
        'microceph.bootstrap': 30_000,
        'microceph.join': 15_000,
        'microovn.join': 8_000,
        'cluster.settle': 3_000,
      },
    });
    const start = clock.now();
    // Installs run on all hosts concurrently; each host installs serially (4 snaps x 20 s).
    await Promise.all(HOSTS.map((host) => installStack(world, host)));
    assert.equal(clock.now() - start, 80_000);

    await ok(world, 'micro1', `microceph cluster bootstrap --microceph-ip ${IP.micro1}`);
    await ok(world, 'micro1', 'microovn cluster bootstrap');
    for (const host of ['micro2', 'micro3'] as const) {
      const cephToken = (await ok(world, 'micro1', `microceph cluster add ${host}`)).trim();
      const ovnToken = (await ok(world, 'micro1', `microovn cluster add ${host}`)).trim();
      // Join tokens are base64 JSON {secret, fingerprint, join_addresses} (§10.7).
      const decoded = tokenJson(cephToken) as Record<string, unknown>;
      assert.deepEqual(Object.keys(decoded), ['secret', 'fingerprint', 'join_addresses']);
      assert.ok((decoded['join_addresses'] as string[]).includes(`${IP.micro1}:7443`));
      await Promise.all([
        ok(world, host, `microceph cluster join ${cephToken} --microceph-ip ${IP[host]}`),
        ok(world, host, `microovn cluster join ${ovnToken}`),
      ]);
    }

    // Right after the last join that member is still settling (§11.3: PENDING -> voter).
    const settling = JSON.parse(await ok(world, 'micro1', 'microceph cluster list -f json')) as MemberJson[];
    assert.equal(settling.find((m) => m.name === 'micro3')?.role, 'PENDING');
    await clock.sleep(3_000);
    for (const program of ['microceph', 'microovn'] as const) {
      const members = JSON.parse(
        await ok(world, 'micro2', `${program} cluster list -f json`),
      ) as MemberJson[];
      const port = program === 'microceph' ? 7443 : 6443;
      assert.deepEqual(
        members.map((m) => [m.name, m.address, m.role, m.status]),
        HOSTS.map((h) => [h, `${IP[h]}:${port}`, 'voter', 'ONLINE']),
      );
      for (const member of members) assert.match(member.certificate, /^-----BEGIN CERTIFICATE-----\n/);
    }

    // Disks: every host adds one OSD; the pool replication follows the OSD count (§3.6).
    for (const host of HOSTS) {
      const out = await ok(
        world,
        host,
        'microceph disk add /dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk1',
      );
      assert.match(out, /\| \/dev\/disk\/by-id\/scsi-0QEMU_QEMU_HARDDISK_lxd_disk1 \| Success \|/);
    }
    await ok(world, 'micro1', 'microceph pool set-rf --size 3 ""');
    const status = await ok(world, 'micro3', 'microceph status');
    assert.equal(
      status,
      [
        'MicroCeph deployment summary:',
        ...HOSTS.flatMap((h) => [`- ${h} (${IP[h]})`, '  Services: mds, mgr, mon, osd', '  Disks: 1']),
        '',
      ].join('\n'),
    );
    const disks = JSON.parse(await ok(world, 'micro2', 'microceph disk list --json')) as {
      ConfiguredDisks: { osd: number; path: string; location: string }[];
      AvailableDisks: { Model: string; Size: string; Type: string; Path: string }[];
    };
    assert.deepEqual(
      disks.ConfiguredDisks.map((d) => [d.osd, d.location]),
      [
        [1, 'micro1'],
        [2, 'micro2'],
        [3, 'micro3'],
      ],
    );
    assert.deepEqual(
      disks.AvailableDisks.map((d) => [d.Size, d.Path]),
      [
        ['20.00GiB', '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk2'],
        ['40.00GiB', '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk3'],
      ],
    );
    assert.match(
      await ok(world, 'micro1', 'microovn status'),
      /- micro3 \(10\.1\.123\.13\)\n {2}Services: central, chassis, switch\n/,
    );

    // The records give the order each host ran its commands in.
    const micro2 = commandsOn(world, 'micro2').map((r) => r.argv.slice(0, 3).join(' '));
    assert.deepEqual(micro2.slice(0, 5), [
      'snap install microceph',
      'snap install microovn',
      'snap install lxd',
      'snap install microcloud',
      'snap refresh --hold',
    ]);
    assert.ok(micro2.indexOf('microceph cluster join') > micro2.indexOf('snap refresh --hold'));
    const bootstrapAt = commandsOn(world, 'micro1').find((r) =>
      r.argv.join(' ').startsWith('microceph cluster bootstrap'),
    );
    const joinAt = commandsOn(world, 'micro2').find((r) =>
      r.argv.join(' ').startsWith('microceph cluster join'),
    );
    assert.ok(
      bootstrapAt?.finishedAt !== null &&
        joinAt &&
        bootstrapAt &&
        joinAt.startedAt >= (bootstrapAt.finishedAt ?? Infinity),
    );
  });

  it('binds MicroCeph to the given address and refuses one the host does not have', async () => {
    const world = createSimLab({ hosts: 1 });
    await installStack(world, 'micro1', { microcloud: false });
    const wrong = await sh(world, 'micro1', 'microceph cluster bootstrap --microceph-ip 10.9.9.9');
    assert.equal(wrong.exitCode, 1);
    assert.equal(
      wrong.stderr,
      'Error: Failed to listen on https socket: listen tcp 10.9.9.9:7443: bind: cannot assign requested address\n',
    );
    const badNet = await sh(
      world,
      'micro1',
      'microceph cluster bootstrap --mon-ip 10.1.123.11 --public-network 10.2.0.0/24',
    );
    assert.equal(
      badNet.stderr,
      'Error: provided mon-ip 10.1.123.11 is not available on provided public network 10.2.0.0/24\n',
    );
    await ok(world, 'micro1', 'microceph cluster bootstrap');
    const twice = await sh(world, 'micro1', 'microceph cluster bootstrap');
    assert.equal(twice.stderr, 'Error: Unable to initialize cluster: Database is online\n');
    const config = await ok(world, 'micro1', 'microceph cluster config list');
    assert.match(config, /\| 0 \| cluster_network \| 10\.1\.123\.0\/24 \|/);
    assert.match(config, /\| 1 \| public_network {2}\| 10\.1\.123\.0\/24 \|/);
    const readOnly = await sh(world, 'micro1', 'microceph cluster config set public_network 10.0.0.0/8');
    assert.equal(readOnly.stderr, 'Error: requested key public_network does not support write operation\n');
  });

  it('assigns dqlite roles by join order: voters, then stand-bys (§10.7)', async () => {
    const hosts = ['m1', 'm2', 'm3', 'm4'];
    const world = createSimLab({ hosts });
    for (const host of hosts) await ok(world, host, 'snap install microovn --channel=24.03/stable');
    await ok(world, 'm1', 'microovn cluster bootstrap');
    const roles = async (): Promise<string[]> =>
      (JSON.parse(await ok(world, 'm1', 'microovn cluster list -f json')) as MemberJson[]).map((m) => m.role);
    await ok(
      world,
      'm2',
      `microovn cluster join ${(await ok(world, 'm1', 'microovn cluster add m2')).trim()}`,
    );
    // Fewer than three members: only the leader votes (go-dqlite roles adjustment).
    assert.deepEqual(await roles(), ['voter', 'spare']);
    for (const host of ['m3', 'm4']) {
      await ok(
        world,
        host,
        `microovn cluster join ${(await ok(world, 'm1', `microovn cluster add ${host}`)).trim()}`,
      );
    }
    assert.deepEqual(await roles(), ['voter', 'voter', 'voter', 'stand-by']);
    assert.equal(getMachine(world, 'm4').daemons.microovn?.address, '10.1.123.14:6443');
  });
});
