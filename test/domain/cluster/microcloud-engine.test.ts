// Bad cluster sections that only the MicroCloud engine refuses, each before any host is touched, in
// MicroCloud 2.1's words where MicroCloud has them (cmd/microcloud/preseed.go, api/session.go,
// service/version.go), with the position of the value to fix.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  deployWithPreseed,
  designIssues,
  designOf,
  freshWorld,
  installStack,
  inventoryOf,
  inventoryText,
  simClusterSnapshot,
  simFacts,
  specIssues,
} from './support.js';
import { planDeploy } from '../../../src/domain/cluster/plan.js';
import { LXD_521_EXTENSIONS } from '../../../src/workflows/deploy/index.js';
import { runShell, type World } from '../../../src/lab/sim/index.js';

const section = (...lines: string[]): string[] => specIssues(inventoryText(3, 'cluster:', ...lines));

async function sh(world: World, host: string, line: string): Promise<string> {
  const result = await runShell(world, host, line);
  assert.equal(result.exitCode, 0, `${host}$ ${line}: ${result.stderr}`);
  return result.stdout;
}

/** A unicast MicroCloud of `hosts` (names micro<N> at 10.1.123.1<N>), formed by the simulated MicroCloud. */
async function microcloudOf(world: World, hosts: number[]): Promise<void> {
  const systems = hosts.map((n) => `- {name: micro${n}, address: 10.1.123.${10 + n}}`);
  const preseed = [
    'initiator_address: 10.1.123.' + String(10 + (hosts[0] ?? 1)),
    'session_passphrase: foo',
    'systems:',
    ...systems,
  ].join('\n');
  const names = hosts.map((n) => `micro${n}`);
  await deployWithPreseed(world, `${preseed}\n`, names);
}

const DEFAULT_HINT = "leave it out for MicroCloud's default of 60 seconds";
const DISABLED = (key: string): string =>
  `hosts.yaml:7:${key === 'lookup_timeout' ? 19 : 20}: cluster.${key}: configures MicroCloud, which services.microcloud disables (remove it, or set services.microcloud: true)`;

describe('MicroCloud engine: the trust session (lookup_timeout, session_timeout)', () => {
  it('1. lookup_timeout: 0 (MicroCloud would silently take its default)', () => {
    assert.deepEqual(section('  lookup_timeout: 0'), [
      `hosts.yaml:6:19: cluster.lookup_timeout: must be at least 1 second, got 0 (${DEFAULT_HINT})`,
    ]);
  });

  it('2. lookup_timeout: 1m (MicroCloud reads whole seconds)', () => {
    assert.deepEqual(section('  lookup_timeout: 1m'), [
      'hosts.yaml:6:19: cluster.lookup_timeout: must be a whole number, got "1m"',
    ]);
  });

  it('3. lookup_timeout: 1.5', () => {
    assert.deepEqual(section('  lookup_timeout: 1.5'), [
      'hosts.yaml:6:19: cluster.lookup_timeout: must be a whole number, got 1.5',
    ]);
  });

  it('4. session_timeout: -1', () => {
    assert.deepEqual(section('  session_timeout: -1'), [
      'hosts.yaml:6:20: cluster.session_timeout: must be a whole number, got -1',
    ]);
  });

  it('5. session_timeout above an hour: MicroCloud’s session API refuses it', () => {
    assert.deepEqual(section('  session_timeout: 7200'), [
      'hosts.yaml:6:20: Session timeout cannot exceed 60 minutes (set session_timeout to 3600 seconds or less)',
    ]);
  });

  it('6. a lookup that outlasts the session', () => {
    assert.deepEqual(section('  lookup_timeout: 600', '  session_timeout: 300'), [
      'hosts.yaml:6:19: cluster.lookup_timeout: 600 seconds outlasts the session_timeout of 300 seconds (the trust session ends first; make session_timeout at least lookup_timeout)',
    ]);
  });

  it('7. lookup_timeout with the direct engine', () => {
    assert.deepEqual(section('  services: {microcloud: false}', '  lookup_timeout: 30'), [
      DISABLED('lookup_timeout'),
    ]);
  });

  it('8. session_timeout with the direct engine', () => {
    assert.deepEqual(section('  services: {microcloud: false}', '  session_timeout: 600'), [
      DISABLED('session_timeout'),
    ]);
  });
});

describe('MicroCloud engine: channels MicroCloud refuses', () => {
  it('9. MicroCloud 1 has no preseed for every host', () => {
    assert.deepEqual(section('  channels: {microcloud: 1/stable}'), [
      'hosts.yaml:6:26: cluster.channels.microcloud: 1/stable installs MicroCloud 1, which has no `microcloud preseed` to run on every host (use 2/stable (MicroCloud 2 LTS), or set services.microcloud: false to let mc form the cluster itself)',
    ]);
  });

  it('10. MicroCeph reef under MicroCloud 2', () => {
    assert.deepEqual(section('  channels: {microceph: reef/stable}'), [
      'hosts.yaml:6:25: MicroCeph version "18.2" is not supported (MicroCloud 2/stable takes MicroCeph 19.2 (squid) only: set channels.microceph to squid/stable)',
    ]);
  });

  it('11. MicroCeph quincy under MicroCloud 2', () => {
    assert.deepEqual(section('  channels: {microceph: quincy/stable}'), [
      'hosts.yaml:6:25: MicroCeph version "17.2" is not supported (MicroCloud 2/stable takes MicroCeph 19.2 (squid) only: set channels.microceph to squid/stable)',
    ]);
  });

  it('12. MicroOVN 25.03 under MicroCloud 2', () => {
    assert.deepEqual(section('  channels: {microovn: 25.03/stable}'), [
      'hosts.yaml:6:24: MicroOVN version "25.03" is not supported (MicroCloud 2/stable takes MicroOVN 24.03 only: set channels.microovn to 24.03/stable)',
    ]);
  });

  it('13. MicroOVN 23.09 under MicroCloud 2', () => {
    assert.deepEqual(section('  channels: {microovn: 23.09/stable}'), [
      'hosts.yaml:6:24: MicroOVN version "23.09" is not supported (MicroCloud 2/stable takes MicroOVN 24.03 only: set channels.microovn to 24.03/stable)',
    ]);
  });

  it('the direct engine takes those channels (it checks versions itself)', () => {
    const text = inventoryText(
      3,
      'cluster:',
      '  services: {microcloud: false}',
      '  channels: {microceph: reef/stable}',
    );
    assert.doesNotThrow(() => inventoryOf(text));
    assert.throws(() => specIssues(text), /expected issues/);
  });
});

describe('MicroCloud engine: what the hosts say', () => {
  it('14. a host whose name is not its inventory name: MicroCloud finds no system of its name', async () => {
    const world = freshWorld(2, { machine: (name) => (name === 'micro2' ? { hostname: 'server2' } : {}) });
    assert.deepEqual(designIssues(inventoryOf(inventoryText(2)), await simFacts(world)), [
      'hosts.yaml:3:3: micro2: Preseed file does not contain a system with name "server2" (the host name is "server2", the inventory says "micro2"; run `sudo hostnamectl set-hostname micro2` on the host, or name it server2 in the inventory)',
    ]);
  });

  it('15. an address that is not on its host: MicroCloud finds no lookup interface', async () => {
    const facts = await simFacts(freshWorld(2));
    const text = inventoryText(2, 'cluster:', '  systems:', '    micro2: {address: 10.1.123.99}');
    assert.deepEqual(designIssues(inventoryOf(text), facts), [
      'hosts.yaml:6:23: micro2: Failed to find lookup interface for address "10.1.123.99" (10.1.123.99 is not configured on this host (its addresses: 10.1.123.12/24 on enp5s0); set cluster.systems.micro2.address to one of the host\'s own addresses)',
    ]);
  });

  it('16. an LXD initialised by hand', async () => {
    const world = freshWorld(2);
    await installStack(world, ['micro1', 'micro2']);
    await sh(world, 'micro2', 'lxc storage create pool1 dir');
    assert.deepEqual(designIssues(inventoryOf(inventoryText(2)), await simFacts(world)), [
      'micro2: LXD is already initialized (LXD was set up by hand (storage pools: pool1); MicroCloud sets LXD up itself: delete those pools and networks, or reinstall LXD: sudo snap remove --purge lxd)',
    ]);
  });

  it('17. a host already in another MicroCloud', async () => {
    const world = freshWorld(4);
    await microcloudOf(world, [1, 4]);
    const facts = await simFacts(world);
    facts.delete('micro4');
    const found = designIssues(inventoryOf(inventoryText(3)), facts);
    assert.ok(
      found.includes(
        'micro1: MicroCloud is already initialized (micro1 is in a MicroCloud with micro4, which is not in the inventory: add it to the inventory to grow that cluster, or take micro1 out of it first (on micro4: sudo microcloud remove micro1))',
      ),
      found.join('\n'),
    );
  });

  it('18. growing a MicroCloud from a named initiator outside it', async () => {
    const world = freshWorld(3);
    await microcloudOf(world, [1, 2]);
    await installStack(world, ['micro3']);
    const text = inventoryText(3, 'cluster:', '  initiator: micro3');
    assert.deepEqual(designIssues(inventoryOf(text), await simFacts(world)), [
      "hosts.yaml:6:14: micro3: MicroCloud isn't yet initialized and cannot be the initiator (to grow the MicroCloud of micro1 and micro2, name one of them as cluster.initiator, or leave initiator out)",
    ]);
  });

  it('19. MicroCeph bootstrapped by hand on a joiner: MicroCloud would refuse it (checkInitialized)', async () => {
    const world = freshWorld(3);
    await installStack(world, ['micro1', 'micro2', 'micro3']);
    await sh(world, 'micro2', 'microceph cluster bootstrap');
    const text = inventoryText(3, 'cluster:', '  systems:', '    micro2: {address: 10.1.123.12}');
    assert.deepEqual(designIssues(inventoryOf(text), await simFacts(world)), [
      "hosts.yaml:7:5: micro2: MicroCeph is already initialized (micro2's MicroCeph is a cluster of micro2, which mc did not form (it forms every service on the initiator micro1 first); MicroCloud sets MicroCeph up itself and refuses a host where it is set up already: to start it over, on micro2: sudo snap remove --purge microceph (deletes that MicroCeph cluster's OSDs and their data on that host))",
    ]);
  });

  it('20. MicroOVN of two joiners, formed by hand without the initiator', async () => {
    const world = freshWorld(3);
    await installStack(world, ['micro1', 'micro2', 'micro3']);
    await sh(world, 'micro2', 'microovn cluster bootstrap');
    const token = await sh(world, 'micro2', 'microovn cluster add micro3');
    await sh(world, 'micro3', `microovn cluster join ${token.trim()}`);
    const found = designIssues(inventoryOf(inventoryText(3)), await simFacts(world));
    assert.deepEqual(
      found.map((issue) => issue.replace(/ \(.*/, '')),
      ['micro2: MicroOVN is already initialized', 'micro3: MicroOVN is already initialized'],
    );
  });

  it('21. an LXD cluster of a joiner alone', async () => {
    const world = freshWorld(2);
    await installStack(world, ['micro1', 'micro2']);
    await sh(world, 'micro2', 'lxc config set cluster.https_address 10.1.123.12:8443');
    await sh(world, 'micro2', 'lxc cluster enable micro2');
    const found = designIssues(inventoryOf(inventoryText(2)), await simFacts(world));
    assert.deepEqual(
      found.map((issue) => issue.replace(/ \(.*/, '')),
      ['micro2: LXD is already initialized'],
    );
  });

  it('22. but mc resumes its own half-done direct deploy (MicroCeph formed on the initiator, then micro2)', async () => {
    const world = freshWorld(3);
    await installStack(world, ['micro1', 'micro2', 'micro3']);
    await sh(world, 'micro1', 'microceph cluster bootstrap');
    const token = await sh(world, 'micro1', 'microceph cluster add micro2');
    await sh(world, 'micro2', `microceph cluster join ${token.trim()}`);
    const facts = await simFacts(world);
    const design = designOf(inventoryOf(inventoryText(3)), facts);
    const snapshot = await simClusterSnapshot(world, design, facts);
    const plan = planDeploy(
      { design, facts, state: snapshot.state },
      { apiExtensions: LXD_521_EXTENSIONS, microcloudVersion: snapshot.microcloudVersion },
    );
    assert.equal(plan.engine, 'direct');
    assert.deepEqual(plan.notes, [
      "micro1, micro2: in the MicroCeph cluster but not in MicroCloud (MicroCloud runs on no host): this cluster was formed by mc's direct engine, and MicroCloud cannot take in members that are already clustered. mc changes nothing about that and keeps the cluster converged with the direct engine; nothing is removed or wiped.",
    ]);
  });

  it('the direct engine keeps mc’s own wording', async () => {
    const world = freshWorld(2, { machine: (name) => (name === 'micro2' ? { hostname: 'server2' } : {}) });
    const text = inventoryText(2, 'cluster:', '  services: {microcloud: false}');
    assert.deepEqual(designIssues(inventoryOf(text), await simFacts(world)), [
      'hosts.yaml:3:3: micro2: host name is "server2", not "micro2" as in the inventory (MicroCloud names members by host name: run `sudo hostnamectl set-hostname micro2` on the host, or name it server2 in the inventory)',
    ]);
  });
});
