import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { commandsOn, createSimLab, VirtualClock, type World } from '../../../src/lab/sim/index.js';
import { installStack, ok, sh, tokenJson } from './helpers.js';

// The deploy workflow drives the microcluster daemons' control sockets with curl (§1.4 caveat).
type Snap = 'microceph' | 'microovn' | 'microcloud';
const PORT: Record<Snap, number> = { microceph: 7443, microovn: 6443, microcloud: 9443 };
const IP = { micro1: '10.1.123.11', micro2: '10.1.123.12', micro3: '10.1.123.13' } as const;
type Host = keyof typeof IP;

const socket = (snap: Snap): string => `/var/snap/${snap}/common/state/control.socket`;
const post = (snap: Snap, path: string): string =>
  `curl -sS --unix-socket ${socket(snap)} -X POST -H 'Content-Type: application/json' --data-binary @- http://control${path}`;
const get = (snap: Snap, path: string): string =>
  `curl -sS --unix-socket ${socket(snap)} http://control${path}`;
const del = (snap: Snap, path: string): string =>
  `curl -sS --unix-socket ${socket(snap)} -X DELETE http://control${path}`;

const EMPTY_SYNC =
  '{"type":"sync","status":"Success","status_code":200,"operation":"","error_code":0,"error":"","metadata":{}}\n';
const errorEnvelope = (code: number, message: string): string =>
  `{"type":"error","status":"","status_code":0,"operation":"","error_code":${code},"error":${JSON.stringify(message)},"metadata":null}\n\n`;

interface Envelope {
  type: string;
  metadata: unknown;
}

async function api(world: World, host: Host, line: string, body?: unknown): Promise<Envelope> {
  const stdin = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  return JSON.parse(await ok(world, host, line, stdin)) as Envelope;
}

async function lab(hosts: Host[] = ['micro1', 'micro2'], clock?: VirtualClock): Promise<World> {
  const world = createSimLab({
    hosts,
    ...(clock
      ? { clock, latency: { 'microovn.bootstrap': 10_000, 'microovn.join': 8_000, 'cluster.settle': 3_000 } }
      : {}),
  });
  for (const host of hosts) await installStack(world, host);
  return world;
}

const bootstrapBody = (host: Host, snap: Snap, config: Record<string, string> = {}): unknown => ({
  bootstrap: true,
  name: host,
  address: `${IP[host]}:${PORT[snap]}`,
  config,
});

async function issue(
  world: World,
  snap: Snap,
  name: string,
  expireAfterNs = 3_600_000_000_000,
): Promise<string> {
  const envelope = await api(world, 'micro1', post(snap, '/core/1.0/tokens'), {
    name,
    expire_after: expireAfterNs,
  });
  return envelope.metadata as string;
}

const joinBody = (host: Host, snap: Snap, token: string, config: Record<string, string> = {}): unknown => ({
  bootstrap: false,
  name: host,
  address: `${IP[host]}:${PORT[snap]}`,
  join_token: token,
  config,
});

describe('microcluster control API over curl (§1.3, §1.4)', () => {
  it('bootstraps MicroOVN with an address and encap IP, joins with an API token, as the CLI would', async () => {
    const clock = new VirtualClock();
    const world = await lab(['micro1', 'micro2'], clock);
    const started = clock.now();
    const result = await sh(
      world,
      'micro1',
      post('microovn', '/core/control'),
      JSON.stringify(bootstrapBody('micro1', 'microovn', { 'ovn-encap-ip': '10.3.0.1' })),
    );
    assert.equal(result.stdout, EMPTY_SYNC);
    assert.equal(result.stderr, '');
    assert.equal(result.exitCode, 0);
    // The bootstrap latency is the CLI's.
    assert.equal(clock.now() - started, 10_000);
    const list = await ok(world, 'micro1', 'microovn cluster list -f json');
    const members = JSON.parse(list) as { name: string; address: string; role: string }[];
    assert.deepEqual(
      members.map((m) => [m.name, m.address]),
      [['micro1', '10.1.123.11:6443']],
    );
    // OVN side effects of the bootstrap hook: central/chassis/switch.
    assert.match(
      await ok(world, 'micro1', 'microovn status'),
      /- micro1 \(10\.1\.123\.11\)\n {2}Services: central, chassis, switch/,
    );

    const token = await issue(world, 'microovn', 'micro2');
    assert.deepEqual((tokenJson(token) as { join_addresses: string[] }).join_addresses, ['10.1.123.11:6443']);
    assert.equal(
      await ok(
        world,
        'micro2',
        post('microovn', '/core/control'),
        JSON.stringify(joinBody('micro2', 'microovn', token)),
      ),
      EMPTY_SYNC,
    );
    // PENDING until the member settled, like a CLI join.
    const pending = JSON.parse(await ok(world, 'micro1', 'microovn cluster list -f json')) as {
      name: string;
      role: string;
    }[];
    assert.equal(pending.find((m) => m.name === 'micro2')?.role, 'PENDING');
    await clock.sleep(3_000);
    assert.match(
      await ok(world, 'micro2', 'microovn cluster list'),
      /\| micro2 \| 10\.1\.123\.12:6443 \| spare /,
    );
    // Every call is recorded like any other command.
    assert.ok(commandsOn(world, 'micro2').some((r) => r.argv[0] === 'curl' && r.exitCode === 0));
  });

  it('lists pending tokens, refuses a duplicate name, revokes and reissues', async () => {
    const clock = new VirtualClock();
    const world = await lab(['micro1', 'micro2'], clock);
    await api(world, 'micro1', post('microceph', '/core/control'), bootstrapBody('micro1', 'microceph'));
    const first = await issue(world, 'microceph', 'micro2');
    const listed = (await api(world, 'micro1', get('microceph', '/core/1.0/tokens'))).metadata as Record<
      string,
      string
    >[];
    assert.equal(listed.length, 1);
    assert.deepEqual(Object.keys(listed[0] ?? {}), ['name', 'token', 'expires_at']);
    assert.equal(listed[0]?.['name'], 'micro2');
    assert.equal(listed[0]?.['token'], first);
    assert.equal(
      listed[0]?.['expires_at'],
      new Date(clock.now() + 3_600_000).toISOString().replace('.000Z', 'Z'),
    );

    const duplicate = await sh(
      world,
      'micro1',
      post('microceph', '/core/1.0/tokens'),
      '{"name":"micro2","expire_after":0}',
    );
    assert.equal(duplicate.exitCode, 0);
    assert.equal(
      duplicate.stdout,
      errorEnvelope(
        500,
        'Failed to create "core_token_records" entry: UNIQUE constraint failed: core_token_records.name',
      ),
    );

    assert.equal(await ok(world, 'micro1', del('microceph', '/core/1.0/tokens/micro2')), EMPTY_SYNC);
    assert.equal(
      await ok(world, 'micro1', del('microceph', '/core/1.0/tokens/micro2')),
      errorEnvelope(404, 'CoreTokenRecord not found'),
    );
    // The revoked token no longer joins; a new one does. A token without expiry lists as Go's zero time.
    const revoked = await ok(
      world,
      'micro2',
      post('microceph', '/core/control'),
      JSON.stringify(joinBody('micro2', 'microceph', first)),
    );
    assert.equal(
      revoked,
      errorEnvelope(404, '1 join attempts were unsuccessful. Last error: CoreTokenRecord not found'),
    );
    const second = await issue(world, 'microceph', 'micro2', 0);
    const again = (await api(world, 'micro1', get('microceph', '/core/1.0/tokens'))).metadata as Record<
      string,
      string
    >[];
    assert.equal(again[0]?.['expires_at'], '0001-01-01T00:00:00Z');
    assert.equal(
      await ok(
        world,
        'micro2',
        post('microceph', '/core/control'),
        JSON.stringify(joinBody('micro2', 'microceph', second)),
      ),
      EMPTY_SYNC,
    );
    // Used: the record is gone.
    assert.deepEqual((await api(world, 'micro1', get('microceph', '/core/1.0/tokens'))).metadata, []);
    assert.match(
      await ok(world, 'micro1', 'microceph status'),
      /- micro2 \(10\.1\.123\.12\)\n {2}Services: mds, mgr, mon/,
    );
  });

  it('fails used, expired, foreign and malformed tokens with the daemon error envelope', async () => {
    const clock = new VirtualClock();
    const world = await lab(['micro1', 'micro2', 'micro3'], clock);
    await api(world, 'micro1', post('microovn', '/core/control'), bootstrapBody('micro1', 'microovn'));
    const token = await issue(world, 'microovn', 'micro2', 10 * 60 * 1e9);
    // Issued for micro2: micro3 cannot use it (the certificate SAN is the request's name).
    const wrongName = await ok(
      world,
      'micro3',
      post('microovn', '/core/control'),
      JSON.stringify(joinBody('micro3', 'microovn', token)),
    );
    assert.equal(
      wrongName,
      errorEnvelope(
        500,
        '1 join attempts were unsuccessful. Last error: Joining server certificate SAN does not contain join token name',
      ),
    );
    await clock.sleep(11 * 60_000);
    const expired = await ok(
      world,
      'micro2',
      post('microovn', '/core/control'),
      JSON.stringify(joinBody('micro2', 'microovn', token)),
    );
    assert.equal(expired, errorEnvelope(500, '1 join attempts were unsuccessful. Last error: Token expired'));
    // Expired records are not listed (and the next issue deletes them).
    assert.deepEqual((await api(world, 'micro1', get('microovn', '/core/1.0/tokens'))).metadata, []);
    const fresh = await issue(world, 'microovn', 'micro2');
    await api(world, 'micro2', post('microovn', '/core/control'), joinBody('micro2', 'microovn', fresh));
    const reused = await ok(
      world,
      'micro3',
      post('microovn', '/core/control'),
      JSON.stringify(joinBody('micro3', 'microovn', fresh)),
    );
    assert.equal(
      reused,
      errorEnvelope(404, '1 join attempts were unsuccessful. Last error: CoreTokenRecord not found'),
    );
    const garbage = await ok(
      world,
      'micro3',
      post('microovn', '/core/control'),
      JSON.stringify(joinBody('micro3', 'microovn', 'not-a-token')),
    );
    assert.equal(garbage, errorEnvelope(500, 'illegal base64 data at input byte 3'));
    // With --fail the body is dropped and curl exits 22; --fail-with-body keeps it.
    const failing = await sh(
      world,
      'micro3',
      `${post('microovn', '/core/control')} --fail`,
      JSON.stringify(joinBody('micro3', 'microovn', fresh)),
    );
    assert.deepEqual(
      [failing.exitCode, failing.stdout, failing.stderr],
      [22, '', 'curl: (22) The requested URL returned error: 404\n'],
    );
    const withBody = await sh(
      world,
      'micro3',
      `${post('microovn', '/core/control')} --fail-with-body -w '%{http_code}\\n'`,
      JSON.stringify(joinBody('micro3', 'microovn', fresh)),
    );
    assert.equal(withBody.exitCode, 22);
    assert.equal(
      withBody.stdout,
      `${errorEnvelope(404, '1 join attempts were unsuccessful. Last error: CoreTokenRecord not found')}404\n`,
    );
  });

  it('validates the request as the daemon does', async () => {
    const world = await lab(['micro1']);
    const call = (body: string): Promise<string> =>
      ok(world, 'micro1', post('microovn', '/core/control'), body);
    assert.equal(await call(''), errorEnvelope(400, 'EOF'));
    assert.equal(await call('{"bootstrap":true'), errorEnvelope(400, 'unexpected EOF'));
    assert.equal(
      await call('{bootstrap:true}'),
      errorEnvelope(400, "invalid character 'b' looking for beginning of object key string"),
    );
    assert.equal(
      await call('{"bootstrap":"yes"}'),
      errorEnvelope(400, 'json: cannot unmarshal string into Go struct field Control.bootstrap of type bool'),
    );
    assert.equal(
      await call('{"bootstrap":true,"name":"micro1","address":"10.1.123.11"}'),
      errorEnvelope(400, 'not an ip:port'),
    );
    assert.equal(
      await call('{"bootstrap":true,"name":"","address":"10.1.123.11:6443"}'),
      errorEnvelope(400, 'Cluster member name "" is not a valid FQDN: Name must be 1-255 characters long'),
    );
    assert.equal(
      await call('{"bootstrap":true,"name":"micro_1","address":"10.1.123.11:6443"}'),
      errorEnvelope(
        400,
        'Cluster member name "micro_1" is not a valid FQDN: Name can only contain alphanumeric and hyphen characters',
      ),
    );
    assert.equal(
      await call('{"bootstrap":true,"name":"micro1","join_token":"x"}'),
      errorEnvelope(500, 'Invalid options - received join token and bootstrap flag'),
    );
    assert.equal(
      await call('{"bootstrap":true,"name":"micro1"}'),
      errorEnvelope(500, 'Cannot start network API without valid daemon configuration'),
    );
    // The address must be the host's, on a port the daemon can bind.
    assert.equal(
      await call('{"bootstrap":true,"name":"micro1","address":"10.9.9.9:6443"}'),
      errorEnvelope(
        500,
        'Failed to listen on https socket: listen tcp 10.9.9.9:6443: bind: cannot assign requested address',
      ),
    );
    assert.equal(
      await call('{"bootstrap":true,"name":"micro1","address":"10.1.123.11:22"}'),
      errorEnvelope(
        500,
        'Failed to listen on https socket: listen tcp 10.1.123.11:22: bind: address already in use',
      ),
    );
    const otherPort = await sh(
      world,
      'micro1',
      post('microovn', '/core/control'),
      '{"bootstrap":true,"name":"micro1","address":"10.1.123.11:16443"}',
    );
    assert.deepEqual([otherPort.exitCode, otherPort.notModelled], [127, true]);
    // None of this initialised the daemon.
    assert.equal(
      await ok(
        world,
        'micro1',
        post('microovn', '/core/control'),
        JSON.stringify(bootstrapBody('micro1', 'microovn')),
      ),
      EMPTY_SYNC,
    );
    assert.equal(
      await call(JSON.stringify(bootstrapBody('micro1', 'microovn'))),
      errorEnvelope(500, 'Unable to initialize cluster: Database is online'),
    );
    // Token requests: expire_after is a time.Duration, JSON nanoseconds.
    const tokens = (body: string): Promise<string> =>
      ok(world, 'micro1', post('microovn', '/core/1.0/tokens'), body);
    assert.equal(
      await tokens('{"name":"micro2","expire_after":"1h"}'),
      errorEnvelope(
        400,
        'json: cannot unmarshal string into Go struct field TokenRequest.expire_after of type time.Duration',
      ),
    );
    assert.equal(
      await tokens('{"name":"micro 2"}'),
      errorEnvelope(
        400,
        'Token name "micro 2" is not a valid FQDN: Name can only contain alphanumeric and hyphen characters',
      ),
    );
    // Another method on a known endpoint.
    assert.equal(
      await ok(world, 'micro1', get('microovn', '/core/control')),
      errorEnvelope(501, 'not implemented'),
    );
  });

  it('bootstraps MicroCeph with the networks MicroCloud passes, and undoes a bootstrap whose hook fails', async () => {
    const world = await lab(['micro1']);
    const bad = await ok(
      world,
      'micro1',
      post('microceph', '/core/control'),
      JSON.stringify(bootstrapBody('micro1', 'microceph', { PublicNet: '10.2.0.0/24' })),
    );
    assert.equal(
      bad,
      errorEnvelope(
        500,
        'Failed to run post-bootstrap actions: failed to locate  on host: no IP belongs to provided subnet 10.2.0.0/24',
      ),
    );
    // The reverter reset the member: the daemon is uninitialised again.
    assert.equal(
      (await sh(world, 'micro1', 'microceph status')).stderr,
      'Error: Database is not yet initialized\n',
    );
    await api(
      world,
      'micro1',
      post('microceph', '/core/control'),
      bootstrapBody('micro1', 'microceph', { PublicNet: '10.1.123.0/24', ClusterNet: '10.1.123.0/24' }),
    );
    const config = await ok(world, 'micro1', 'microceph cluster config list');
    assert.match(config, /\| public_network {2}\| 10\.1\.123\.0\/24 \|/);
    assert.match(await ok(world, 'micro1', 'microceph status'), /Services: mds, mgr, mon/);
  });

  it('a MicroCloud join without a trust session kills the request (cmd/microcloudd/main.go PostJoin)', async () => {
    const world = await lab(['micro1', 'micro2']);
    await api(world, 'micro1', post('microcloud', '/core/control'), bootstrapBody('micro1', 'microcloud'));
    const token = await issue(world, 'microcloud', 'micro2');
    const result = await sh(
      world,
      'micro2',
      post('microcloud', '/core/control'),
      JSON.stringify(joinBody('micro2', 'microcloud', token)),
    );
    assert.deepEqual(
      [result.exitCode, result.stdout, result.stderr],
      [52, '', 'curl: (52) Empty reply from server\n'],
    );
    // The joiner was reset; its member record stays behind on the cluster.
    assert.match(
      await ok(world, 'micro1', 'microcloud cluster list -f csv'),
      /^micro2,10\.1\.123\.12:9443,\w+,\w+,UNREACHABLE$/m,
    );
    assert.equal(
      (await sh(world, 'micro2', 'microcloud cluster list')).stderr,
      '⨯ Error: Database is not yet initialized\n',
    );
  });

  it('has no socket before the snap is installed or for a non-root caller', async () => {
    const world = createSimLab({ hosts: ['micro1'] });
    const absent = await sh(world, 'micro1', get('microovn', '/core/1.0/tokens'));
    assert.deepEqual(
      [absent.exitCode, absent.stdout, absent.stderr],
      [7, '', "curl: (7) Failed to connect to control port 80 after 0 ms: Couldn't connect to server\n"],
    );
    // -s alone hides the message; the exit code stays.
    const quiet = await sh(
      world,
      'micro1',
      `curl -s --unix-socket ${socket('microovn')} -w '%{http_code}' http://control/core/1.0/tokens`,
    );
    assert.deepEqual([quiet.exitCode, quiet.stdout, quiet.stderr], [7, '000', '']);
    await ok(world, 'micro1', 'snap install microovn --channel=24.03/stable');
    const user = await sh(world, 'micro1', get('microovn', '/core/1.0/tokens'), '', { uid: 1000 });
    assert.equal(user.exitCode, 7);
    const root = await sh(world, 'micro1', `sudo ${get('microovn', '/core/1.0/tokens')}`, '', { uid: 1000 });
    assert.equal(root.stdout, errorEnvelope(503, 'Database is not yet initialized'));
    // A stopped daemon has no socket either.
    await ok(world, 'micro1', 'snap stop microovn.daemon');
    assert.equal((await sh(world, 'micro1', get('microovn', '/core/1.0/tokens'))).exitCode, 7);
  });

  it('words the connect error as 22.04 curl 7.81 does', async () => {
    const world = createSimLab({ hosts: ['micro1'], release: '22.04' });
    const absent = await sh(world, 'micro1', get('microceph', '/core/1.0/tokens'));
    assert.equal(
      absent.stderr,
      'curl: (7) Failed to connect to control port 80 after 0 ms: No such file or directory\n',
    );
    await ok(world, 'micro1', 'snap install microceph --channel=squid/stable');
    const user = await sh(world, 'micro1', get('microceph', '/core/1.0/tokens'), '', { uid: 1000 });
    assert.equal(
      user.stderr,
      'curl: (7) Failed to connect to control port 80 after 0 ms: Permission denied\n',
    );
  });

  it('does not model other curl uses', async () => {
    const world = await lab(['micro1']);
    for (const line of [
      'curl -sS https://example.com/',
      `curl --unix-socket ${socket('microovn')} http://control/core/1.0/tokens`,
      `curl -sS --unix-socket /var/snap/lxd/common/lxd/unix.socket http://lxd/1.0`,
      `curl -sS -k --unix-socket ${socket('microovn')} http://control/core/1.0/tokens`,
      `curl -sS --unix-socket ${socket('microovn')} http://control/core/1.0/cluster`,
      `curl -sS --unix-socket ${socket('microovn')} 'http://control/core/1.0/tokens?target=micro2'`,
      `curl -sS --unix-socket ${socket('microovn')} --data-binary @body.json http://control/core/control`,
    ]) {
      const result = await sh(world, 'micro1', line);
      assert.deepEqual([result.exitCode, result.notModelled], [127, true], line);
    }
  });
});
