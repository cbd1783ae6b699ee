import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  createSimLab,
  getMachine,
  preinstallSnap,
  resolveBlockPath,
  VirtualClock,
  type ClusterState,
  type RunResult,
  type World,
} from '../../../src/lab/sim/index.js';
import { fixture, installStack, ok, sh } from './helpers.js';

const HOSTS = ['micro1', 'micro2', 'micro3'] as const;
const PRESEED = fixture('preseed-unicast.yaml');

async function readyLab(options: { clock?: VirtualClock } = {}): Promise<World> {
  const world = createSimLab({ hosts: [...HOSTS], ...(options.clock ? { clock: options.clock } : {}) });
  await Promise.all(HOSTS.map((host) => installStack(world, host)));
  return world;
}

/** Upstream's run order (§2.3): initiator first, joiners 5 s later, all with the same file. */
async function preseedAll(world: World, preseed = PRESEED): Promise<Record<string, RunResult>> {
  const initiator = sh(world, 'micro1', 'microcloud preseed', preseed);
  await world.clock.sleep(5_000);
  const [micro1, micro2, micro3] = await Promise.all([
    initiator,
    sh(world, 'micro2', 'microcloud preseed', preseed),
    sh(world, 'micro3', 'microcloud preseed', preseed),
  ]);
  return { micro1: micro1, micro2: micro2, micro3: micro3 };
}

function cluster(world: World, service: ClusterState['service']): ClusterState {
  const found = Object.values(world.state.clusters).find((c) => c.service === service);
  assert.ok(found, service);
  return found;
}

describe('microcloud preseed (§1.1-§2.3)', () => {
  it('forms MicroCloud, MicroCeph, MicroOVN and LXD from one unicast preseed', async () => {
    const world = await readyLab();
    const results = await preseedAll(world);
    assert.equal(results['micro1']?.exitCode, 0, results['micro1']?.stderr);
    assert.deepEqual(results['micro1']?.stdout.split('\n'), [
      'Waiting for services to start ...',
      'Searching for joining systems (micro2, micro3)',
      'Detected joining system "micro2" at "10.1.123.12"',
      'Detected joining system "micro3" at "10.1.123.13"',
      'Initializing new services ...',
      ' Local MicroCloud is ready',
      ' Local MicroCeph is ready',
      ' Local MicroOVN is ready',
      ' Local LXD is ready',
      'Awaiting cluster formation ...',
      ' Peer micro2 has joined the cluster',
      ' Peer micro3 has joined the cluster',
      'Configuring cluster-wide devices ...',
      'MicroCloud is ready',
      '',
    ]);
    for (const joiner of ['micro2', 'micro3']) {
      // Joiners exit once they are in the MicroCloud cluster; the rest is driven by the initiator (§1.1).
      assert.deepEqual(results[joiner]?.stdout.split('\n').slice(-3), [
        'Successfully joined the MicroCloud cluster and closing the session.',
        'Commencing cluster join of the remaining services (LXD,MicroCeph,MicroOVN)',
        '',
      ]);
    }
    for (const service of ['microcloud', 'microceph', 'microovn', 'lxd'] as const) {
      assert.deepEqual(
        cluster(world, service).members.map((m) => m.name),
        [...HOSTS],
        service,
      );
    }
    const members = JSON.parse(await ok(world, 'micro3', 'microcloud cluster list -f json')) as {
      name: string;
      address: string;
      status: string;
    }[];
    assert.deepEqual(
      members.map((m) => [m.name, m.address, m.status]),
      HOSTS.map((h, i) => [h, `10.1.123.1${i + 1}:9443`, 'ONLINE']),
    );
    // Every member contributed one OSD; replication follows (§3.6); local disks became ZFS (§4.2).
    const ceph = cluster(world, 'microceph').ceph;
    // Joiners add their OSDs inside their join; the initiator's come after all peers joined (§1.3 step 3).
    assert.deepEqual(
      ceph?.osds.map((o) => [o.osd, o.member]),
      [
        [1, 'micro2'],
        [2, 'micro3'],
        [3, 'micro1'],
      ],
    );
    assert.equal(ceph?.defaultPoolSize, 3);
    assert.deepEqual(ceph?.pools.map((p) => p.name).sort(), [
      '.mgr',
      'lxd_cephfs_data',
      'lxd_cephfs_meta',
      'lxd_remote',
    ]);
    for (const host of HOSTS) {
      const machine = getMachine(world, host);
      const local = resolveBlockPath(machine, '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk1')?.disk;
      assert.deepEqual(
        local?.partitions.map((p) => p.filesystem?.type ?? null),
        ['zfs_member', null],
      );
      assert.equal(resolveBlockPath(machine, '/dev/sdb')?.disk.filesystem?.type, 'ceph_bluestore');
    }
    const lxd = cluster(world, 'lxd').lxd;
    assert.equal(
      lxd?.config['network.ovn.northbound_connection'],
      'ssl:10.1.123.11:6641,ssl:10.1.123.12:6641,ssl:10.1.123.13:6641',
    );
    assert.deepEqual(
      lxd?.storagePools.map((p) => [p.name, p.driver]),
      [
        ['local', 'zfs'],
        ['remote', 'ceph'],
        ['remote-fs', 'cephfs'],
      ],
    );
    assert.deepEqual(lxd?.networks.find((n) => n.name === 'UPLINK')?.memberConfig['micro2'], {
      parent: 'enp6s0',
    });
    assert.deepEqual(lxd?.profiles['default']?.devices, {
      eth0: { name: 'eth0', network: 'default', type: 'nic' },
      root: { path: '/', pool: 'remote', type: 'disk' },
    });
    const status = await ok(world, 'micro1', 'microcloud status');
    assert.match(status, /^\n Status: HEALTHY\n\n┌/);
    assert.match(
      status,
      /│ micro2 │ 10\.1\.123\.12 │ {2}1 {3}│ {3}mds,mgr,mon {3}│ central,chassis,switch │ ONLINE │/,
    );
  });

  it('a joiner started before the initiator fails at once with "No active session" (§1.2)', async () => {
    const world = await readyLab();
    const early = await sh(world, 'micro2', 'microcloud preseed', PRESEED);
    assert.equal(early.exitCode, 1);
    assert.equal(
      early.stderr,
      '⨯ Error: Failed to find an eligible system: Failed to send our intent to join "10.1.123.11": No active session\n',
    );
  });

  it('rejects a joiner whose service versions differ, and the initiator gives up after lookup_timeout', async () => {
    const clock = new VirtualClock();
    const world = createSimLab({ hosts: [...HOSTS], clock });
    for (const host of HOSTS) await installStack(world, host);
    await ok(world, 'micro3', 'snap refresh microceph --channel=squid/candidate');
    const start = clock.now();
    const results = await preseedAll(
      world,
      PRESEED.replace('session_passphrase: foo', 'session_passphrase: foo\nlookup_timeout: 30'),
    );
    assert.equal(
      results['micro3']?.stderr,
      '⨯ Error: Failed to find an eligible system: Failed to send our intent to join "10.1.123.11": Rejecting peer "micro3" due to invalid MicroCeph version. (Want: "ceph-version: 19.2.0-0ubuntu0.24.04.2; microceph-git: ab139d4a1f", Detected: "ceph-version: 19.2.1-0ubuntu0.24.04.1; microceph-git: 30863f37a3")\n',
    );
    assert.equal(results['micro1']?.stderr, '⨯ Error: System "micro3" hasn\'t reached out\n');
    assert.ok(clock.now() - start >= 30_000);
    // micro2 had reached out but was never confirmed.
    assert.equal(
      results['micro2']?.stderr,
      '⨯ Error: Failed to read join confirmation: Exit waiting for join confirmation\n',
    );
  });

  it('rejects joiners missing a service or using the wrong passphrase', async () => {
    const world = createSimLab({ hosts: [...HOSTS] });
    for (const host of HOSTS) await installStack(world, host);
    await ok(world, 'micro2', 'snap remove microovn');
    const initiator = sh(
      world,
      'micro1',
      'microcloud preseed',
      PRESEED.replace('session_passphrase: foo', 'session_passphrase: foo\nlookup_timeout: 10'),
    );
    await world.clock.sleep(5_000);
    const missing = await sh(world, 'micro2', 'microcloud preseed', PRESEED);
    assert.match(missing.stderr, /Rejecting peer "micro2" due to missing services \(MicroOVN\)\n$/);
    const wrong = await sh(
      world,
      'micro3',
      'microcloud preseed',
      PRESEED.replace('session_passphrase: foo', 'session_passphrase: bar'),
    );
    assert.equal(
      wrong.stderr,
      '⨯ Error: Failed to find an eligible system: Failed to send our intent to join "10.1.123.11": Wrong passphrase\n',
    );
    assert.equal((await initiator).exitCode, 1);
  });

  it('needs multicast for lookup_subnet mode; clouds drop it (§2.3, §9)', async () => {
    const multicastPreseed = PRESEED.replace(
      'initiator_address: 10.1.123.11',
      'initiator: micro1\nlookup_subnet: 10.1.123.0/24\nlookup_timeout: 20',
    ).replace(/\n {2}address: [0-9.]+/g, '');
    const cloud = createSimLab({ hosts: [...HOSTS] });
    await Promise.all(HOSTS.map((host) => installStack(cloud, host)));
    const failed = await preseedAll(cloud, multicastPreseed);
    assert.equal(
      failed['micro2']?.stderr,
      '⨯ Error: Failed to find an eligible system: Failed to lookup eligible system: Lookup timeout exceeded\n',
    );
    const lan = createSimLab({ hosts: [...HOSTS], multicast: true });
    await Promise.all(HOSTS.map((host) => installStack(lan, host)));
    const formed = await preseedAll(lan, multicastPreseed);
    assert.equal(formed['micro1']?.exitCode, 0, formed['micro1']?.stderr);
  });

  it('validates the preseed before anything else (§2.1)', async () => {
    const world = await readyLab();
    const cases: [string, string][] = [
      [PRESEED.replace('session_passphrase: foo\n', ''), 'Missing session passphrase'],
      [PRESEED.replace('initiator_address: 10.1.123.11\n', ''), "Missing initiator's name or address"],
      [
        PRESEED.replace('  address: 10.1.123.13\n', ''),
        'Missing address for system "micro3" when the initiator\'s address is set',
      ],
      [
        PRESEED.replace('  ovn_uplink_interface: enp6s0\n', ''),
        'Some systems are missing an uplink interface',
      ],
      [
        PRESEED.replace('ipv4_range: 10.1.124.100-10.1.124.254', 'ipv4_range: 10.1.124.100'),
        'Invalid IPv4 range (must be of the form <ip>-<ip>)',
      ],
      ['systems: [', 'Failed to parse the preseed yaml: yaml: '],
    ];
    for (const [text, message] of cases) {
      const result = await sh(world, 'micro1', 'microcloud preseed', text);
      assert.equal(result.exitCode, 1, message);
      assert.ok(result.stderr.startsWith(`⨯ Error: ${message}`), `${result.stderr} / ${message}`);
    }
    // Uplink ranges are checked by validateSystems, after the session collected every joiner (§1.1 step 8).
    const lateCases: [string, string][] = [
      ['10.1.124.1-10.1.124.254', 'UPLINK ipv4.ovn.ranges must not include gateway address "10.1.124.0"'],
      [
        '10.9.0.1-10.9.0.9',
        'Invalid ipv4.ovn.ranges "10.9.0.1-10.9.0.9": IP range "10.9.0.1-10.9.0.9" does not fall within any of the allowed networks [10.1.124.0/24]',
      ],
    ];
    for (const [range, message] of lateCases) {
      const fresh = await readyLab();
      const results = await preseedAll(
        fresh,
        PRESEED.replace('ipv4_range: 10.1.124.100-10.1.124.254', `ipv4_range: ${range}`),
      );
      assert.equal(results['micro1']?.stderr, `⨯ Error: ${message}\n`);
      assert.deepEqual(Object.keys(fresh.state.clusters), [], 'nothing was set up');
      // Confirmed joiners wait for a join that never comes, until their session times out (microcloud#597).
      assert.equal(
        results['micro2']?.stderr,
        '⨯ Error: Failed to join system: Exit waiting for session to end: Session timeout exceeded\n',
      );
    }
    const misnamed = createSimLab({ hosts: 1, machine: () => ({ hostname: 'ubuntu' }) });
    await installStack(misnamed, 'micro1');
    const wrongName = await sh(
      misnamed,
      'micro1',
      'microcloud preseed',
      PRESEED.replace('address: 10.1.123.11\n', 'address: 10.1.123.99\n'),
    );
    assert.equal(wrongName.stderr, '⨯ Error: Preseed file does not contain a system with name "ubuntu"\n');
  });

  it('checks versions and initialisation of the local services (§1.1, §7)', async () => {
    const jammy = createSimLab({ hosts: 1, release: '22.04' });
    await ok(jammy, 'micro1', 'snap install microceph --channel=squid/stable');
    await ok(jammy, 'micro1', 'snap install microovn --channel=24.03/stable');
    await ok(jammy, 'micro1', 'snap install microcloud --channel=2/stable');
    const single = 'initiator_address: 10.1.123.11\nsystems:\n- name: micro1\n  address: 10.1.123.11\n';
    // The 22.04 image's lxd 5.0 is still there: snap install did not replace it.
    const old = await sh(jammy, 'micro1', 'microcloud preseed', single);
    assert.equal(old.stderr, '⨯ Error: LXD version "5.0.4" is not supported\n');
    const reef = createSimLab({ hosts: 1 });
    preinstallSnap(reef, getMachine(reef, 'micro1'), 'microceph', 'reef/stable');
    for (const snap of ['lxd', 'microcloud']) await ok(reef, 'micro1', `snap install ${snap}`);
    await ok(reef, 'micro1', 'snap refresh microcloud --channel=2/stable');
    const unsupported = await sh(reef, 'micro1', 'microcloud preseed', single);
    assert.equal(unsupported.stderr, '⨯ Error: MicroCeph version "v18.2.4" is not supported\n');
    const lxdInit = createSimLab({ hosts: 1 });
    await installStack(lxdInit, 'micro1');
    // `lxd init` with a storage pool counts as initialised for MicroCloud (isInitialized, §1.1).
    await ok(lxdInit, 'micro1', 'lxd init --preseed', 'storage_pools:\n- name: default\n  driver: dir\n');
    const already = await sh(lxdInit, 'micro1', 'microcloud preseed', single);
    assert.equal(already.stderr, '⨯ Error: LXD is already initialized\n');
  });

  it('single node: status warns about fault tolerance (§10.9)', async () => {
    const world = createSimLab({ hosts: 1 });
    await installStack(world, 'micro1');
    const single =
      'initiator_address: 10.1.123.11\nsystems:\n- name: micro1\n  address: 10.1.123.11\n  storage:\n    ceph: [{path: /dev/sdb}]\n';
    const result = await sh(world, 'micro1', 'microcloud preseed', single);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(
      result.stdout,
      /! Warning: Disk configuration does not meet recommendations for fault tolerance\. At least 3 systems must supply disks \(1 currently supplying\)/,
    );
    assert.equal(cluster(world, 'microceph').ceph?.defaultPoolSize, 1);
    const status = await ok(world, 'micro1', 'microcloud status');
    assert.match(
      status,
      /^\n Status: WARNING\n\n ┃ ! Reliability risk: 3 systems are required for effective fault tolerance\n/,
    );
    assert.match(
      status,
      /┃ ! Data loss risk: MicroCeph OSD replication recommends at least 3 disks across 3 systems\n/,
    );
    assert.match(
      status,
      /│ {2}Name {2}│ {3}Address {3}│ OSDs │ MicroCeph Units │ +MicroOVN Units +│ Status │/,
    );
    // No uplink and no gateway: OVN is not used and the FAN bridge is the default network (§3.3).
    assert.deepEqual(cluster(world, 'lxd').lxd?.profiles['default']?.devices['eth0'], {
      name: 'eth0',
      network: 'lxdfan0',
      type: 'nic',
    });
  });

  it('a joiner’s OSD failure is ignored by MicroCloud, as upstream does (mc2 CephService.Join)', async () => {
    const world = await readyLab();
    const disk = resolveBlockPath(getMachine(world, 'micro2'), '/dev/sdb')?.disk;
    assert.ok(disk);
    disk.filesystem = { type: 'ext4', uuid: 'leftover', label: null };
    const results = await preseedAll(world);
    assert.equal(results['micro1']?.exitCode, 0, results['micro1']?.stderr);
    assert.deepEqual(
      cluster(world, 'microceph').ceph?.osds.map((o) => o.member),
      ['micro3', 'micro1'],
    );
    assert.match(await ok(world, 'micro1', 'microcloud status'), /Data loss risk/);
  });

  it('a preseed CLI that dies ends its daemon’s session, joiner or initiator (api/session.go)', async () => {
    const world = await readyLab();
    const stopJoiner = new AbortController();
    const initiator = sh(world, 'micro1', 'microcloud preseed', PRESEED);
    await world.clock.sleep(5_000);
    // micro2 sends its intent, then its CLI dies while it waits for micro3 to be confirmed with it.
    const killed = sh(world, 'micro2', 'microcloud preseed', PRESEED, { signal: stopJoiner.signal });
    await world.clock.sleep(2_000);
    stopJoiner.abort();
    await killed.catch(() => undefined);
    assert.notEqual(world.state.sessions.micro2?.ended ?? null, null, 'micro2 session ended');
    const [micro1, micro2, micro3] = await Promise.all([
      initiator,
      sh(world, 'micro2', 'microcloud preseed', PRESEED),
      sh(world, 'micro3', 'microcloud preseed', PRESEED),
    ]);
    for (const result of [micro1, micro2, micro3]) assert.equal(result.exitCode, 0, result.stderr);

    const fresh = await readyLab();
    const stopInitiator = new AbortController();
    const dead = sh(fresh, 'micro1', 'microcloud preseed', PRESEED, { signal: stopInitiator.signal });
    await fresh.clock.sleep(2_000);
    stopInitiator.abort();
    await dead.catch(() => undefined);
    const again = await preseedAll(fresh);
    for (const result of Object.values(again)) assert.equal(result.exitCode, 0, result.stderr);
  });

  it('a joiner whose link is down cannot send its intent (network is unreachable)', async () => {
    const world = await readyLab();
    world.state.network.linkDown.push('micro3');
    const initiator = sh(world, 'micro1', 'microcloud preseed', PRESEED);
    await world.clock.sleep(5_000);
    const cut = await sh(world, 'micro3', 'microcloud preseed', PRESEED);
    assert.equal(
      cut.stderr,
      '⨯ Error: Failed to find an eligible system: Failed to send our intent to join "10.1.123.11": Post "https://10.1.123.11:9443/1.0/session/join": dial tcp 10.1.123.11:9443: connect: network is unreachable\n',
    );
    assert.notEqual(world.state.sessions.micro3?.ended ?? null, null);
    await sh(world, 'micro2', 'microcloud preseed', PRESEED);
    assert.match((await initiator).stderr, /System "micro3" hasn't reached out/);
  });

  it('must be run as root', async () => {
    const world = await readyLab();
    const result = await sh(world, 'micro1', 'microcloud status', '', { uid: 1000 });
    assert.deepEqual([result.exitCode, result.stderr], [1, 'This must be run as root\n']);
  });
});
