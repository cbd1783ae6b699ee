import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  createSimLab,
  getMachine,
  resolveBlockPath,
  VirtualClock,
  type World,
} from '../../../src/lab/sim/index.js';
import { encodeLxdJoinToken, type LxdJoinToken } from '../../../src/lab/sim/lxd.js';
import { fixture, installStack, ok, sh } from './helpers.js';

const HOSTS = ['micro1', 'micro2', 'micro3'] as const;
const DISK1 = '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk1';

/** MicroCloud's bootstrap preseed for the first member (§1.3 step 1, §1.4). */
const BOOTSTRAP = [
  'config:',
  '  core.https_address: "[::]:8443"',
  '  cluster.https_address: 10.1.123.11:8443',
  '  instances.migration.stateful: "true"',
  '  user.microcloud: 2.1.0',
  'cluster:',
  '  server_name: micro1',
  '  enabled: true',
  '',
].join('\n');

function joinPreseed(name: string, address: string, token: string, memberConfig = '[]'): string {
  return [
    'cluster:',
    '  enabled: true',
    `  server_name: ${name}`,
    `  server_address: ${address}:8443`,
    `  cluster_token: ${token}`,
    `  member_config: ${memberConfig}`,
    '',
  ].join('\n');
}

function tokenOf(text: string): LxdJoinToken {
  return JSON.parse(Buffer.from(text.trim(), 'base64').toString('utf8')) as LxdJoinToken;
}

async function lxdHosts(
  options: { clock?: VirtualClock; seed?: string; hosts?: string[]; channel?: string } = {},
): Promise<World> {
  const hosts = options.hosts ?? [...HOSTS];
  const world = createSimLab({
    hosts,
    ...(options.clock
      ? {
          clock: options.clock,
          latency: { 'lxd.join': 10_000, 'lxd.bootstrap': 5_000, 'cluster.settle': 3_000 },
        }
      : {}),
    ...(options.seed ? { seed: options.seed } : {}),
  });
  for (const host of hosts)
    await ok(world, host, `snap install lxd --channel=${options.channel ?? '5.21/stable'}`);
  return world;
}

/** Bootstrap on micro1, then each joiner with a fresh token, as MicroCloud drives it (§1.3 step 2). */
async function formCluster(world: World): Promise<void> {
  await ok(world, 'micro1', 'lxd init --preseed', BOOTSTRAP);
  for (const [name, address] of [
    ['micro2', '10.1.123.12'],
    ['micro3', '10.1.123.13'],
  ] as const) {
    const token = await ok(world, 'micro1', `lxc cluster add ${name} --quiet`);
    await ok(world, name, 'lxd init --preseed', joinPreseed(name, address, token.trim()));
    await ok(world, name, 'lxc config set core.https_address "[::]:8443"');
  }
}

interface Member {
  server_name: string;
  url: string;
  status: string;
  roles: string[];
  database: boolean;
}

async function members(world: World, host = 'micro1'): Promise<Member[]> {
  return JSON.parse(await ok(world, host, 'lxc cluster list -f json')) as Member[];
}

describe('lxd init --preseed and lxc cluster (§1.3, §1.4, §10.5)', () => {
  it('forms a 3-member cluster in MicroCloud’s order; members are ONLINE and get roles once settled', async () => {
    const clock = new VirtualClock();
    const world = await lxdHosts({ clock });
    await ok(world, 'micro1', 'lxd init --preseed', BOOTSTRAP);
    const token2 = (await ok(world, 'micro1', 'lxc cluster add micro2')).split('\n');
    assert.equal(token2[0], 'Member micro2 join token:');
    const server = JSON.parse(await ok(world, 'micro1', 'lxc query /1.0')) as {
      environment: { certificate_fingerprint: string; server_name: string; server_clustered: boolean };
    };
    const decoded = tokenOf(token2[1] as string);
    assert.equal(decoded.server_name, 'micro2');
    assert.deepEqual(decoded.addresses, ['10.1.123.11:8443']);
    assert.equal(decoded.fingerprint, server.environment.certificate_fingerprint);
    assert.match(decoded.secret, /^[0-9a-f]{64}$/);
    // cluster.join_token_expiry defaults to 3H (lxd/cluster/config/config.go).
    assert.equal(Date.parse(decoded.expires_at) - clock.now(), 3 * 3_600_000);
    assert.deepEqual([server.environment.server_name, server.environment.server_clustered], ['micro1', true]);

    // While micro2's join runs it is pending and not listed (db GetNodes skips pending members).
    const joining = ok(
      world,
      'micro2',
      'lxd init --preseed',
      joinPreseed('micro2', '10.1.123.12', token2[1] as string),
    );
    await clock.sleep(1_000);
    assert.deepEqual(
      (await members(world)).map((m) => m.server_name),
      ['micro1'],
    );
    await joining;
    // The second member is accepted as a stand-by (cluster.Accept) and stays one in a 2-member cluster.
    assert.deepEqual(
      (await members(world)).map((m) => [m.server_name, m.roles]),
      [
        ['micro1', ['database-leader', 'database']],
        ['micro2', ['database-standby']],
      ],
    );
    const token3 = (await ok(world, 'micro1', 'lxc cluster add micro3 --quiet')).trim();
    assert.deepEqual(tokenOf(token3).addresses, ['10.1.123.11:8443', '10.1.123.12:8443']);
    await ok(world, 'micro3', 'lxd init --preseed', joinPreseed('micro3', '10.1.123.13', token3));
    for (const host of ['micro2', 'micro3'])
      await ok(world, host, 'lxc config set core.https_address "[::]:8443"');
    // Accepted as a voter; micro2 is promoted by the leader's rebalance once the join has settled.
    assert.deepEqual(
      (await members(world, 'micro3')).map((m) => m.roles.join(',')),
      ['database-leader,database', 'database-standby', 'database'],
    );
    await clock.sleep(3_000);
    const settled = await members(world, 'micro3');
    assert.deepEqual(
      settled.map((m) => [m.server_name, m.url, m.status, m.roles.join(',')]),
      [
        ['micro1', 'https://10.1.123.11:8443', 'Online', 'database-leader,database'],
        ['micro2', 'https://10.1.123.12:8443', 'Online', 'database'],
        ['micro3', 'https://10.1.123.13:8443', 'Online', 'database'],
      ],
    );
    assert.equal(
      await ok(world, 'micro2', 'lxc cluster list'),
      [
        '+--------+--------------------------+-----------------+--------------+----------------+-------------+--------+-------------------+',
        '|  NAME  |           URL            |      ROLES      | ARCHITECTURE | FAILURE DOMAIN | DESCRIPTION | STATE  |      MESSAGE      |',
        '+--------+--------------------------+-----------------+--------------+----------------+-------------+--------+-------------------+',
        '| micro1 | https://10.1.123.11:8443 | database-leader | x86_64       | default        |             | ONLINE | Fully operational |',
        '|        |                          | database        |              |                |             |        |                   |',
        '+--------+--------------------------+-----------------+--------------+----------------+-------------+--------+-------------------+',
        '| micro2 | https://10.1.123.12:8443 | database        | x86_64       | default        |             | ONLINE | Fully operational |',
        '+--------+--------------------------+-----------------+--------------+----------------+-------------+--------+-------------------+',
        '| micro3 | https://10.1.123.13:8443 | database        | x86_64       | default        |             | ONLINE | Fully operational |',
        '+--------+--------------------------+-----------------+--------------+----------------+-------------+--------+-------------------+',
        '',
      ].join('\n'),
    );
    assert.equal(
      await ok(world, 'micro1', 'lxc cluster list -f csv'),
      'micro1,https://10.1.123.11:8443,"database-leader,database",x86_64,default,,ONLINE,Fully operational\n' +
        'micro2,https://10.1.123.12:8443,database,x86_64,default,,ONLINE,Fully operational\n' +
        'micro3,https://10.1.123.13:8443,database,x86_64,default,,ONLINE,Fully operational\n',
    );
    // Member-local and cluster-wide keys (§3.1): joiners got cluster.https_address from server_address.
    assert.equal(await ok(world, 'micro3', 'lxc config get cluster.https_address'), '10.1.123.13:8443\n');
    assert.equal(await ok(world, 'micro3', 'lxc config get core.https_address'), '[::]:8443\n');
    assert.equal(await ok(world, 'micro3', 'lxc config get user.microcloud'), '2.1.0\n');
    assert.equal(
      await ok(world, 'micro1', 'lxc config get cluster.https_address --target micro2'),
      '10.1.123.12:8443\n',
    );
    await ok(world, 'micro2', 'lxc config unset user.microcloud');
    assert.equal(await ok(world, 'micro1', 'lxc config get user.microcloud'), '\n');
    assert.equal(
      (await sh(world, 'micro1', 'lxc config set cluster.max_voters 4')).stderr,
      'Error: Cannot set "cluster.max_voters" to "4": Value must be an odd number equal to or higher than 3\n',
    );
    assert.equal(
      (await sh(world, 'micro1', 'lxc config set no.such.key 1')).stderr,
      'Error: Cannot set "no.such.key" to "1": Unknown key\n',
    );
    const changed = await sh(world, 'micro2', 'lxc config set cluster.https_address 10.1.123.12:9443');
    assert.equal(changed.stderr, 'Error: Changing cluster.https_address is currently not supported\n');
    // A member is already clustered: a second join is refused before anything else.
    const again = await sh(
      world,
      'micro2',
      'lxd init --preseed',
      joinPreseed('micro2', '10.1.123.12', token3),
    );
    assert.equal(again.stderr, 'Error: Failed to join cluster: This server is already clustered\n');
  });

  it('accepts a token once, only on its cluster, only before it expires', async () => {
    const world = await lxdHosts();
    await ok(world, 'micro1', 'lxd init --preseed', BOOTSTRAP);
    const token = (await ok(world, 'micro1', 'lxc cluster add micro2 --quiet')).trim();
    await ok(world, 'micro2', 'lxd init --preseed', joinPreseed('micro2', '10.1.123.12', token));
    // Reused: the join token operation was cancelled by its first use (lxd/certificates.go).
    const reused = await sh(
      world,
      'micro3',
      'lxd init --preseed',
      joinPreseed('micro3', '10.1.123.13', token),
    );
    assert.equal(reused.exitCode, 1);
    assert.equal(
      reused.stderr,
      'Error: Failed to join cluster: Failed to setup cluster trust: Failed to add server cert to cluster: No matching cluster join operation found\n',
    );
    // A secret the cluster never issued (e.g. another cluster's) matches no operation either.
    const issued = tokenOf((await ok(world, 'micro1', 'lxc cluster add micro3 --quiet')).trim());
    const forged = encodeLxdJoinToken({ ...issued, secret: 'f'.repeat(64) });
    const wrongSecret = await sh(
      world,
      'micro3',
      'lxd init --preseed',
      joinPreseed('micro3', '10.1.123.13', forged),
    );
    assert.match(wrongSecret.stderr, /No matching cluster join operation found\n$/);
    // Expired: cluster.join_token_expiry is honoured; the token is spent even so.
    await ok(world, 'micro1', 'lxc config set cluster.join_token_expiry=10M');
    const short = (await ok(world, 'micro1', 'lxc cluster add micro3 --quiet')).trim();
    await world.clock.sleep(11 * 60_000);
    const expired = await sh(
      world,
      'micro3',
      'lxd init --preseed',
      joinPreseed('micro3', '10.1.123.13', short),
    );
    assert.equal(
      expired.stderr,
      'Error: Failed to join cluster: Failed to setup cluster trust: Failed to add server cert to cluster: Failed during search for join token operation: Token has expired\n',
    );
    // A new token for the same name replaces the old one (clusterNodesPost).
    const first = (await ok(world, 'micro1', 'lxc cluster add micro3 --quiet')).trim();
    const second = (await ok(world, 'micro1', 'lxc cluster add micro3 --quiet')).trim();
    const replaced = await sh(
      world,
      'micro3',
      'lxd init --preseed',
      joinPreseed('micro3', '10.1.123.13', first),
    );
    assert.match(replaced.stderr, /No matching cluster join operation found\n$/);
    await ok(world, 'micro3', 'lxd init --preseed', joinPreseed('micro3', '10.1.123.13', second));
    assert.deepEqual(
      (await members(world)).map((m) => m.server_name),
      ['micro1', 'micro2', 'micro3'],
    );
  });

  it('refuses a foreign token: the member at its address serves another cluster certificate', async () => {
    const first = await lxdHosts({ seed: 'first' });
    await ok(first, 'micro1', 'lxd init --preseed', BOOTSTRAP);
    const foreign = (await ok(first, 'micro1', 'lxc cluster add micro2 --quiet')).trim();
    // Same addresses, a different cluster (another seed: another certificate).
    const second = await lxdHosts({ seed: 'second' });
    await ok(second, 'micro1', 'lxd init --preseed', BOOTSTRAP);
    const result = await sh(
      second,
      'micro2',
      'lxd init --preseed',
      joinPreseed('micro2', '10.1.123.12', foreign),
    );
    assert.equal(
      result.stderr,
      'Error: Certificate fingerprint mismatch between join token and cluster member "10.1.123.11:8443"\n',
    );
    // Nothing answers at the token's address: lxd init says so on stdout and gives up (main_init.go).
    const lonely = await lxdHosts({ seed: 'third' });
    const unreachable = await sh(
      lonely,
      'micro2',
      'lxd init --preseed',
      joinPreseed('micro2', '10.1.123.12', foreign),
    );
    assert.equal(
      unreachable.stdout,
      'Error connecting to existing cluster member "10.1.123.11:8443": Get "https://10.1.123.11:8443": Unable to connect to: 10.1.123.11:8443 ([dial tcp 10.1.123.11:8443: connect: connection refused])\n',
    );
    assert.equal(
      unreachable.stderr,
      'Error: Unable to connect to any of the cluster members specified in join token\n',
    );
    const garbage = await sh(
      lonely,
      'micro2',
      'lxd init --preseed',
      joinPreseed('micro2', '10.1.123.12', 'abc'),
    );
    assert.equal(garbage.stderr, 'Error: Invalid cluster join token: illegal base64 data at input byte 0\n');
  });

  it('reports preseed, address and clustering errors as LXD does', async () => {
    const world = await lxdHosts();
    const strict = await sh(
      world,
      'micro1',
      'lxd init --preseed',
      'foo: 1\ncluster:\n  enabled: maybe\n  bar: 2\n',
    );
    assert.equal(
      strict.stderr,
      'Error: Failed to parse the preseed: yaml: unmarshal errors:\n' +
        '  line 1: field foo not found in type api.InitPreseed\n' +
        '  line 3: cannot unmarshal !!str `maybe` into bool\n' +
        '  line 4: field bar not found in type api.InitClusterPreseed\n',
    );
    const wildcard = await sh(
      world,
      'micro1',
      'lxd init --preseed',
      'cluster:\n  server_name: micro1\n  enabled: true\n',
    );
    assert.equal(
      wildcard.stderr,
      'Error: Failed to configure cluster: Cannot use wildcard core.https_address "" for cluster.https_address. Please specify a new cluster.https_address or core.https_address\n',
    );
    const bind = await sh(
      world,
      'micro1',
      'lxd init --preseed',
      'config:\n  core.https_address: 10.9.9.9:8443\n',
    );
    assert.equal(
      bind.stderr,
      'Error: Failed to update server configuration: Cannot listen on network HTTPS socket "10.9.9.9:8443": listen tcp 10.9.9.9:8443: bind: cannot assign requested address\n',
    );
    const flags = await sh(world, 'micro1', 'lxd init --auto --preseed');
    assert.equal(flags.stderr, "Error: Can't use --auto and --preseed together\n");
    // A failed init leaves nothing behind (revert): the server is still uninitialised.
    const pool = await sh(
      world,
      'micro1',
      'lxd init --preseed',
      'storage_pools:\n- name: default\n  driver: dir\ncluster:\n  server_name: micro1\n  enabled: true\n',
    );
    assert.match(pool.stderr, /^Error: Failed to configure cluster: Cannot use wildcard/);
    assert.match(await ok(world, 'micro1', 'lxc storage list -f csv'), /^$/);
    assert.equal(await ok(world, 'micro1', 'lxd --version'), '5.21.3 LTS\n');
    await ok(world, 'micro1', 'lxd waitready --timeout 30');
    await ok(world, 'micro1', 'lxc config set core.https_address=10.1.123.11:8443');
    assert.equal(await ok(world, 'micro1', 'lxc cluster enable micro1'), 'Clustering enabled\n');
    assert.equal(
      (await sh(world, 'micro1', 'lxc cluster enable micro1')).stderr,
      'Error: This LXD server is already clustered\n',
    );
    const token = (await ok(world, 'micro1', 'lxc cluster add micro2 --quiet')).trim();
    const badAddress = await sh(
      world,
      'micro2',
      'lxd init --preseed',
      joinPreseed('micro2', '10.1.123.99', token),
    );
    assert.equal(
      badAddress.stderr,
      'Error: Failed to join cluster: Cannot listen on network HTTPS socket "10.1.123.99:8443": listen tcp 10.1.123.99:8443: bind: cannot assign requested address\n',
    );
    // The token carries the name: a host joining with another's token becomes that member.
    await ok(world, 'micro3', 'lxd init --preseed', joinPreseed('micro3', '10.1.123.13', token));
    assert.deepEqual(
      (await members(world)).map((m) => [m.server_name, m.url]),
      [
        ['micro1', 'https://10.1.123.11:8443'],
        ['micro2', 'https://10.1.123.13:8443'],
      ],
    );
    assert.equal(await ok(world, 'micro1', 'lxc cluster remove micro2'), 'Member micro2 removed\n');
    assert.equal(
      (await sh(world, 'micro1', 'lxc cluster remove micro1')).stderr,
      'Error: Member is the only member in the cluster\n',
    );
    // The removed member's LXD is reset to a fresh, unclustered server (clusterPutDisable).
    assert.match(
      (await sh(world, 'micro3', 'lxc cluster list')).stderr,
      /\nError: LXD server isn't part of a cluster\n$/,
    );
  });

  it('fails before lxd init the way a fresh LXD does, and only exists once the snap is installed', async () => {
    const world = createSimLab({ hosts: 1 });
    const missing = await sh(world, 'micro1', 'lxc cluster list');
    assert.equal(missing.stderr, 'bash: line 1: lxc: command not found\n');
    await ok(world, 'micro1', 'snap install lxd --channel=5.21/stable');
    const first = await sh(world, 'micro1', 'lxc cluster list');
    assert.equal(first.exitCode, 1);
    // lxc's first run per user prints hints first (lxc/main.go PreRun).
    assert.equal(
      first.stderr,
      'If this is your first time running LXD on this machine, you should also run: lxd init\n' +
        'To start your first container, try: lxc launch ubuntu:24.04\n' +
        'Or for a virtual machine: lxc launch ubuntu:24.04 --vm\n\n' +
        "Error: LXD server isn't part of a cluster\n",
    );
    assert.equal(
      (await sh(world, 'micro1', 'lxc cluster add micro2')).stderr,
      'Error: This server is not clustered\n',
    );
    assert.equal(
      (await sh(world, 'micro1', 'lxc storage create local zfs --target micro1')).stderr,
      'Error: Cluster member not found\n',
    );
    assert.equal(
      (await sh(world, 'micro1', 'lxc config get core.https_address --target micro1')).stderr,
      'Error: To use --target, the destination remote must be a cluster\n',
    );
    assert.equal(await ok(world, 'micro1', 'lxc config get core.https_address'), '\n');
    assert.equal(
      await ok(world, 'micro1', 'lxc storage list'),
      '+------+--------+--------+-------------+---------+-------+\n' +
        '| NAME | DRIVER | SOURCE | DESCRIPTION | USED BY | STATE |\n' +
        '+------+--------+--------+-------------+---------+-------+\n',
    );
    assert.equal(
      await ok(world, 'micro1', 'lxc profile show default'),
      'name: default\ndescription: Default LXD profile\nconfig: {}\ndevices: {}\nused_by: []\n',
    );
    // cobra: unknown commands (with suggestions on the root) and flags.
    assert.equal(
      (await sh(world, 'micro1', 'lxc clustr list')).stderr,
      'Error: unknown command "clustr" for "lxc"\n\nDid you mean this?\n\tcluster\n\n',
    );
    assert.equal(
      (await sh(world, 'micro1', 'lxc cluster foo')).stderr,
      'Error: unknown command "foo" for "lxc cluster"\n',
    );
    assert.equal(
      (await sh(world, 'micro1', 'lxc cluster list --foo')).stderr,
      'Error: unknown flag: --foo\n',
    );
    assert.equal(
      (await sh(world, 'micro1', 'lxc storage list -f xml')).stderr,
      'Error: Invalid format "xml"\n',
    );
    assert.equal((await sh(world, 'micro1', 'lxd foo')).stderr, 'Error: unknown command "foo" for "lxd"\n');
    const noArgs = await sh(world, 'micro1', 'lxc cluster add');
    assert.equal(noArgs.exitCode, 0);
    assert.match(noArgs.stdout, /Usage:\n {2}lxc cluster add \[\[<remote>:\]<member>\] \[flags\]/);
    const tooMany = await sh(world, 'micro1', 'lxc cluster add a b');
    assert.equal(tooMany.stderr, 'Error: Invalid number of arguments\n');
    // Real commands outside the model say so instead of pretending.
    for (const line of [
      'lxc launch ubuntu:24.04 c1',
      'lxc storage set local size=1GiB',
      'lxd init --auto',
      'lxd',
    ]) {
      const result = await sh(world, 'micro1', line);
      assert.equal(result.notModelled, true, line);
      assert.equal(result.exitCode, 127, line);
    }
    // The 22.04 image's lxd 5.0 snap is not the modelled 5.21.
    const jammy = createSimLab({ hosts: 1, release: '22.04' });
    const old = await sh(jammy, 'micro1', 'lxc cluster list');
    assert.equal(old.notModelled, true);
  });
});

describe('lxc storage, network and profile (§3.2-§3.5, §10.6)', () => {
  it('creates pools and networks pending per member, then cluster-wide; refuses incomplete ones', async () => {
    const world = await lxdHosts();
    await formCluster(world);
    const before = await sh(world, 'micro1', 'lxc storage create local zfs');
    assert.equal(before.stderr, 'Error: Pool not pending on any node (use --target <node> first)\n');
    assert.equal(
      await ok(world, 'micro1', `lxc storage create local zfs source=${DISK1} --target micro1`),
      'Storage pool local pending on member micro1\n',
    );
    assert.equal(
      (await sh(world, 'micro1', 'lxc storage create local zfs')).stderr,
      'Error: Pool not defined on cluster members: micro2, micro3\n',
    );
    assert.equal(
      (await sh(world, 'micro1', 'lxc storage create local zfs zfs.export=false --target micro2')).stderr,
      'Error: Config key "zfs.export" may not be used as member-specific key\n',
    );
    assert.equal(
      (await sh(world, 'micro1', `lxc storage create local zfs source=${DISK1} --target micro1`)).stderr,
      'Error: The storage pool already defined on member "micro1"\n',
    );
    assert.equal(
      (await sh(world, 'micro1', 'lxc storage create local dir --target micro2')).stderr,
      'Error: Storage pool already exists with a different driver\n',
    );
    for (const host of ['micro2', 'micro3'])
      await ok(world, 'micro1', `lxc storage create local zfs source=${DISK1} --target ${host}`);
    assert.equal(await ok(world, 'micro1', 'lxc storage list -f csv'), 'local,zfs,,0,PENDING\n');
    assert.equal(
      (await sh(world, 'micro1', 'lxc storage create local zfs source=/dev/sdc')).stderr,
      'Error: Config key "source" is cluster member specific\n',
    );
    assert.equal(await ok(world, 'micro1', 'lxc storage create local zfs'), 'Storage pool local created\n');
    assert.equal(
      (await sh(world, 'micro1', 'lxc storage create local zfs')).stderr,
      'Error: The storage pool is already created\n',
    );
    // §3.8: the cluster-wide view has no member keys; --target shows them.
    assert.equal(
      await ok(world, 'micro1', 'lxc storage show local'),
      'name: local\ndescription: ""\ndriver: zfs\nstatus: Created\nconfig: {}\nused_by: []\nlocations:\n- micro1\n- micro2\n- micro3\n',
    );
    assert.match(
      await ok(world, 'micro1', 'lxc storage show local --target micro2'),
      /\nconfig:\n {2}source: local\n {2}volatile\.initial_source: \/dev\/disk\/by-id\/scsi-0QEMU_QEMU_HARDDISK_lxd_disk1\n {2}zfs\.pool_name: local\n/,
    );
    // The disk now carries ZFS on every member (zpool create).
    for (const host of HOSTS) {
      assert.equal(
        resolveBlockPath(getMachine(world, host), DISK1)?.disk.partitions[0]?.filesystem?.type,
        'zfs_member',
      );
    }

    // Networks: UPLINK physical with its parent per member, and a member whose parent is missing.
    for (const host of ['micro1', 'micro2'])
      await ok(world, 'micro1', `lxc network create UPLINK --type=physical parent=enp6s0 --target ${host}`);
    assert.equal(
      (await sh(world, 'micro1', 'lxc network create UPLINK --type=physical')).stderr,
      'Error: Network not defined on nodes: micro3\n',
    );
    await ok(world, 'micro1', 'lxc network create UPLINK --type=physical parent=enp9s0 --target micro3');
    const peer = await sh(
      world,
      'micro1',
      'lxc network create UPLINK --type=physical ipv4.gateway=10.1.124.1/24',
    );
    assert.equal(
      peer.stderr,
      'Error: Failed to notify peer micro3 at 10.1.123.13:8443: Parent interface "enp9s0" not found\n',
    );
    assert.match(await ok(world, 'micro1', 'lxc network list -f csv'), /^UPLINK,physical,YES,,,,0,ERRORED\n/);
    const rerun = await sh(
      world,
      'micro1',
      'lxc network create UPLINK --type=physical ipv4.gateway=10.1.124.1/24',
    );
    assert.equal(
      rerun.stderr,
      'Error: Network already partially created. Please do not specify any global config when re-running create\n',
    );
  });

  it('LXD 6.x words a failing peer anew (lxd/cluster/notify.go at lxd-6.9)', async () => {
    const world = await lxdHosts({ channel: '6/stable' });
    await formCluster(world);
    for (const [host, parent] of [
      ['micro1', 'enp6s0'],
      ['micro2', 'enp6s0'],
      ['micro3', 'enp9s0'],
    ] as const)
      await ok(
        world,
        'micro1',
        `lxc network create UPLINK --type=physical parent=${parent} --target ${host}`,
      );
    assert.equal(
      (await sh(world, 'micro1', 'lxc network create UPLINK --type=physical')).stderr,
      'Error: Failed notifying cluster member "micro3" at "10.1.123.13:8443": Parent interface "enp9s0" not found\n',
    );
  });

  it('builds the OVN network, the default profile and the member volumes MicroCloud configures', async () => {
    const world = await lxdHosts();
    for (const host of HOSTS) await ok(world, host, 'snap install microovn --channel=24.03/stable');
    await ok(world, 'micro1', 'microovn cluster bootstrap');
    for (const host of ['micro2', 'micro3']) {
      const token = (await ok(world, 'micro1', `microovn cluster add ${host}`)).trim();
      await ok(world, host, `microovn cluster join ${token}`);
    }
    await formCluster(world);
    for (const host of HOSTS) {
      await ok(world, 'micro1', `lxc storage create local zfs source=${DISK1} --target ${host}`);
      await ok(world, 'micro1', `lxc network create UPLINK --type=physical parent=enp6s0 --target ${host}`);
    }
    await ok(world, 'micro1', 'lxc storage create local zfs');
    await ok(
      world,
      'micro1',
      'lxc network create UPLINK --type=physical ipv4.gateway=10.1.124.1/24 ipv4.ovn.ranges=10.1.124.100-10.1.124.254 dns.nameservers=10.1.124.1',
    );
    assert.equal(
      (await sh(world, 'micro1', 'lxc network create default --type=ovn --target micro1')).stderr,
      'Error: Network type "ovn" does not support member specific config\n',
    );
    // LXD 5.21 talks to OVN only through network.ovn.northbound_connection (§3.1): not set, not modelled.
    const noNorthbound = await sh(world, 'micro1', 'lxc network create default --type=ovn network=UPLINK');
    assert.equal(noNorthbound.notModelled, true);
    await ok(world, 'micro1', 'lxc network delete default');
    await ok(
      world,
      'micro1',
      'lxc config set network.ovn.northbound_connection=ssl:10.1.123.11:6641,ssl:10.1.123.12:6641,ssl:10.1.123.13:6641',
    );
    assert.equal(
      await ok(world, 'micro1', 'lxc network create default --type=ovn network=UPLINK'),
      'Network default created\n',
    );
    const shown = await ok(world, 'micro1', 'lxc network show default');
    assert.match(
      shown,
      /^name: default\ndescription: ""\ntype: ovn\nmanaged: true\nstatus: Created\nconfig:\n/,
    );
    assert.match(shown, /\n {2}bridge\.mtu: "1442"\n/);
    assert.match(shown, /\n {2}network: UPLINK\n/);
    assert.match(shown, /\n {2}volatile\.network\.ipv4\.address: 10\.1\.124\.100\n/);
    assert.equal(await ok(world, 'micro1', 'lxc network get UPLINK dns.nameservers'), '10.1.124.1\n');
    assert.equal(await ok(world, 'micro1', 'lxc network get UPLINK parent --target micro2'), 'enp6s0\n');
    assert.equal(await ok(world, 'micro1', 'lxc network get UPLINK parent'), '');

    // Default profile (§3.4): eth0 on the OVN network, root on the pool.
    assert.equal(
      (await sh(world, 'micro1', 'lxc profile device add default eth0 nic network=missing name=eth0')).stderr,
      'Error: Device validation failed for "eth0": Failed loading device "eth0": Failed to load network "missing" for project "default": Network not found\n',
    );
    await ok(world, 'micro1', 'lxc profile device add default eth0 nic network=default name=eth0');
    assert.equal(
      (await sh(world, 'micro1', 'lxc profile device add default root disk path=/')).stderr,
      'Error: Device validation failed for "root": Root disk entry must have a "pool" property set\n',
    );
    await ok(world, 'micro1', 'lxc profile device add default root disk path=/ pool=local');
    assert.equal(
      await ok(world, 'micro3', 'lxc profile show default'),
      [
        'name: default',
        'description: Default LXD profile',
        'config: {}',
        'devices:',
        '  eth0:',
        '    name: eth0',
        '    network: default',
        '    type: nic',
        '  root:',
        '    path: /',
        '    pool: local',
        '    type: disk',
        'used_by: []',
        '',
      ].join('\n'),
    );
    assert.equal(await ok(world, 'micro2', 'lxc profile device get default root pool'), 'local\n');

    // Member volumes and storage.*_volume (§3.5).
    const missing = await sh(
      world,
      'micro1',
      'lxc config set storage.images_volume=local/images --target micro2',
    );
    assert.equal(
      missing.stderr,
      'Error: Failed validation of "storage.images_volume": Failed loading storage volume "local/images" in "default" project: Storage volume not found\n',
    );
    for (const host of HOSTS) {
      await ok(world, 'micro1', `lxc storage volume create local images --target ${host}`);
      await ok(world, 'micro1', `lxc storage volume create local backups --target ${host}`);
      await ok(
        world,
        'micro1',
        `lxc config set storage.backups_volume=local/backups storage.images_volume=local/images --target ${host}`,
      );
    }
    assert.equal(await ok(world, 'micro3', 'lxc config get storage.images_volume'), 'local/images\n');
    assert.match(
      await ok(world, 'micro1', 'lxc storage show local --target micro3'),
      /used_by:\n- \/1\.0\/profiles\/default\n- \/1\.0\/storage-pools\/local\/volumes\/custom\/backups\?target=micro3\n- \/1\.0\/storage-pools\/local\/volumes\/custom\/images\?target=micro3\nlocations:/,
    );
    assert.equal(await ok(world, 'micro1', 'lxc storage list -f csv'), 'local,zfs,,7,CREATED\n');
    assert.equal(
      await ok(world, 'micro1', 'lxc network list -f csv'),
      'UPLINK,physical,YES,,,,1,CREATED\n' +
        `default,ovn,YES,${/ipv4\.address: (\S+)/.exec(shown)?.[1] ?? ''},${/ipv6\.address: (\S+)/.exec(shown)?.[1] ?? ''},,1,CREATED\n` +
        'enp5s0,physical,NO,,,,0,\n' +
        'enp6s0,physical,NO,,,,1,\n',
    );
  });
});

describe('lxc query (§10.4)', () => {
  it('serves /1.0 with LXD 5.21.3’s extensions and /1.0/resources from the machine model', async () => {
    const world = await lxdHosts({ hosts: ['micro1'] });
    const server = JSON.parse(await ok(world, 'micro1', 'lxc query /1.0')) as {
      api_extensions: string[];
      api_version: string;
      environment: Record<string, unknown>;
    };
    assert.equal(server.api_extensions.length, 401);
    assert.equal(server.api_extensions[0], 'storage_zfs_remove_snapshots');
    assert.ok(server.api_extensions.includes('instances_migration_stateful'));
    assert.ok(server.api_extensions.includes('storage_pool_source_wipe'));
    // LXD 5.21 lacks these, which is why MicroCloud sets the northbound connection itself (§3.1).
    assert.ok(!server.api_extensions.includes('ovn_dynamic_northbound_connection'));
    assert.ok(!server.api_extensions.includes('storage_remote_drop_source'));
    assert.equal(server.api_version, '1.0');
    assert.equal(server.environment['server_version'], '5.21.3');
    assert.equal(server.environment['server_lts'], true);
    assert.equal(server.environment['server_clustered'], false);
    assert.equal(server.environment['server_name'], 'micro1');
    assert.equal(server.environment['kernel_version'], getMachine(world, 'micro1').kernel);
    // The pretty printer: keys sorted, tab indent, and fmt.Println's extra newline.
    const text = await ok(world, 'micro1', 'lxc query /1.0');
    assert.match(text, /^\{\n\t"api_extensions": \[\n\t\t"storage_zfs_remove_snapshots",\n/);
    assert.ok(text.endsWith('}\n\n'));

    const machine = getMachine(world, 'micro1');
    const resources = JSON.parse(await ok(world, 'micro1', 'lxc query /1.0/resources')) as {
      cpu: { architecture: string; total: number };
      memory: { total: number };
      storage: { disks: Record<string, unknown>[]; total: number };
      network: { cards: { ports: { id: string; address: string }[]; pci_address: string }[] };
    };
    assert.equal(resources.cpu.architecture, 'x86_64');
    assert.equal(resources.cpu.total, machine.cpus);
    assert.equal(resources.memory.total, machine.memoryBytes);
    assert.deepEqual(
      resources.storage.disks.map((d) => [
        d['id'],
        d['size'],
        d['device_id'],
        (d['partitions'] as unknown[]).length,
      ]),
      machine.blockDevices.map((d) => [
        d.name,
        d.sizeBytes,
        [...d.byId].sort().at(-1) ?? '',
        d.partitions.length,
      ]),
    );
    const sda = resources.storage.disks.find((d) => d['id'] === 'sda');
    // The §10.4 element, field for field (lxd-5.21.3 ResourcesStorageDisk).
    assert.deepEqual(sda, {
      block_size: 512,
      device: '8:0',
      device_id: 'scsi-0QEMU_QEMU_HARDDISK_lxd_disk1',
      device_path: 'pci-0000:06:00.0-scsi-0:0:0:1',
      firmware_version: '2.5+',
      id: 'sda',
      model: 'QEMU HARDDISK',
      mounted: false,
      numa_node: 0,
      partitions: [],
      pci_address: '0000:06:00.0',
      read_only: false,
      removable: false,
      rpm: 1,
      serial: 'lxd_disk1',
      size: 10 * 1024 ** 3,
      type: 'scsi',
    });
    assert.equal(resources.storage.disks.find((d) => d['id'] === 'vda')?.['mounted'], true);
    assert.deepEqual(
      resources.network.cards.map((c) => [c.ports[0]?.id, c.ports[0]?.address, c.pci_address]),
      machine.nics.filter((n) => n.kind === 'physical').map((n) => [n.name, n.mac, n.pciAddress]),
    );
    const unknown = await sh(world, 'micro1', 'lxc query /1.0/instances');
    assert.equal(unknown.notModelled, true);
    assert.equal(
      (await sh(world, 'micro1', 'lxc query 1.0')).stderr,
      'Error: Query path must start with /\n',
    );
  });
});

describe('what MicroCloud leaves in LXD, seen through lxc (§3.8)', () => {
  it('members ONLINE, pools and networks CREATED, the default profile and member volumes', async () => {
    const world = createSimLab({ hosts: [...HOSTS] });
    await Promise.all(HOSTS.map((host) => installStack(world, host)));
    const preseed = fixture('preseed-unicast.yaml');
    const initiator = sh(world, 'micro1', 'microcloud preseed', preseed);
    await world.clock.sleep(5_000);
    const results = await Promise.all([
      initiator,
      sh(world, 'micro2', 'microcloud preseed', preseed),
      sh(world, 'micro3', 'microcloud preseed', preseed),
    ]);
    assert.equal(results[0].exitCode, 0, results[0].stderr);
    assert.deepEqual(
      (await members(world, 'micro2')).map((m) => [m.server_name, m.status]),
      HOSTS.map((h) => [h, 'Online']),
    );
    assert.equal(await ok(world, 'micro3', 'lxc config get core.https_address'), '[::]:8443\n');
    assert.match(await ok(world, 'micro1', 'lxc config get user.microcloud'), /^2\.1\.\d+\n$/);
    assert.equal(
      await ok(world, 'micro1', 'lxc storage list -f csv'),
      'local,zfs,Local storage on ZFS,6,CREATED\n' +
        'remote,ceph,Distributed storage on Ceph,1,CREATED\n' +
        'remote-fs,cephfs,Distributed file-system storage using CephFS,0,CREATED\n',
    );
    const remote = await ok(world, 'micro1', 'lxc storage show remote');
    for (const line of [
      '  ceph.cluster_name: ceph',
      '  ceph.osd.pg_num: "32"',
      '  ceph.osd.pool_name: lxd_remote',
      '  ceph.rbd.du: "false"',
      '  ceph.user.name: admin',
      '  volatile.pool.pristine: "true"',
    ])
      assert.ok(remote.includes(`${line}\n`), line);
    assert.match(
      await ok(world, 'micro1', 'lxc storage show remote-fs --target micro2'),
      /\n {2}cephfs\.path: lxd_cephfs\n/,
    );
    assert.match(
      await ok(world, 'micro1', 'lxc network show UPLINK --target micro3'),
      /\n {2}parent: enp6s0\n/,
    );
    assert.equal(await ok(world, 'micro1', 'lxc network get UPLINK dns.nameservers'), '10.1.124.1,8.8.8.8\n');
    const ovn = await ok(world, 'micro1', 'lxc network show default');
    assert.match(ovn, /\ntype: ovn\nmanaged: true\nstatus: Created\n/);
    assert.match(ovn, /\n {2}network: UPLINK\n/);
    assert.equal(await ok(world, 'micro2', 'lxc profile device get default root pool'), 'remote\n');
    assert.equal(await ok(world, 'micro2', 'lxc profile device get default eth0 network'), 'default\n');
    assert.equal(
      await ok(world, 'micro1', 'lxc config get storage.backups_volume --target micro3'),
      'local/backups\n',
    );
  });
});

describe('lxc cluster evacuate and restore (lxc/cluster.go, lxd/api_cluster.go evacuateClusterSetState)', () => {
  it('marks the member EVACUATED until it is restored, and refuses what LXD refuses', async () => {
    const world = await lxdHosts();
    await formCluster(world);
    // From another member: the state request goes to the member it names.
    assert.equal(await ok(world, 'micro1', 'lxc cluster evacuate micro2 --force'), '');
    for (const host of HOSTS) {
      const micro2 = (await members(world, host)).find((m) => m.server_name === 'micro2');
      assert.equal(micro2?.status, 'Evacuated', host);
    }
    assert.match(
      await ok(world, 'micro3', 'lxc cluster list -f csv'),
      /^micro2,https:\/\/10\.1\.123\.12:8443,[^\n]*,EVACUATED,Unavailable due to maintenance$/m,
    );
    assert.match(
      await ok(world, 'micro1', 'lxc query /1.0/cluster/members/micro2'),
      /"message": "Unavailable due to maintenance",[\s\S]*"status": "Evacuated"/,
    );
    const twice = await sh(world, 'micro2', 'lxc cluster evac micro2 --force');
    assert.deepEqual([twice.exitCode, twice.stderr], [1, 'Error: Cluster member is already evacuated\n']);

    assert.equal(await ok(world, 'micro2', 'lxc cluster restore micro2 --force'), '');
    assert.ok((await members(world)).every((m) => m.status === 'Online'));
    const again = await sh(world, 'micro2', 'lxc cluster restore micro2 --force');
    assert.deepEqual([again.exitCode, again.stderr], [1, 'Error: Cluster member is already restored\n']);
    const unknown = await sh(world, 'micro1', 'lxc cluster evacuate micro9 --force');
    assert.deepEqual(
      [unknown.exitCode, unknown.stderr],
      [1, 'Error: Failed to update cluster member state: Cluster member not found\n'],
    );
    // cmdGlobal.CheckArgs: no argument at all shows the help (exit 0), two are an error.
    const noName = await sh(world, 'micro1', 'lxc cluster evacuate --force');
    assert.equal(noName.exitCode, 0);
    assert.match(noName.stdout, /Evacuate cluster member/);
    const two = await sh(world, 'micro1', 'lxc cluster restore micro1 micro2 --force');
    assert.equal(two.exitCode, 1);
    assert.match(two.stderr, /^Error: Invalid number of arguments/m);
    // The yes/no question and --action (what happens to instances) are not modelled: said, not guessed.
    for (const line of ['lxc cluster evacuate micro2', 'lxc cluster evacuate micro2 --force --action stop']) {
      const r = await sh(world, 'micro1', line);
      assert.notEqual(r.exitCode, 0, line);
      assert.match(r.stderr, /not modelled/, line);
    }
  });
});
