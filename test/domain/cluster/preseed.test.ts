// The preseed mc runs (src/domain/cluster/preseed.ts): built from the design of simulated hosts, rendered, and
// accepted by the simulated MicroCloud (src/lab/sim), which checks it as MicroCloud 2.1's `preseed` does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';

import {
  buildPreseed,
  PreseedError,
  preseedFor,
  preseedStdin,
  renderPreseed,
} from '../../../src/domain/cluster/preseed.js';
import { runShell } from '../../../src/lab/sim/index.js';
import { deployWithPreseed, designOf, freshWorld, inventoryOf, inventoryText, simFacts } from './support.js';

const BY_ID = '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk';
const FULL = readFileSync(new URL('../../fixtures/cluster/full.yaml', import.meta.url), 'utf8');

describe('preseed: bootstrap mode', () => {
  it('every key of the section becomes its preseed counterpart, unicast, disks resolved', async () => {
    const world = freshWorld(3);
    const facts = await simFacts(world);
    const preseed = buildPreseed(designOf(inventoryOf(FULL), facts), facts, { mode: 'bootstrap' });
    const rendered = renderPreseed(preseed);
    assert.equal(
      rendered,
      [
        'initiator_address: 10.1.123.11',
        'lookup_timeout: 120',
        'session_timeout: 1800',
        'systems:',
        ...[1, 2, 3].flatMap((n) => [
          `- name: micro${n}`,
          `  address: 10.1.123.${10 + n}`,
          '  ovn_uplink_interface: enp6s0',
          `  ovn_underlay_ip: 10.1.123.${10 + n}`,
          '  storage:',
          '    local:',
          `      path: ${BY_ID}1`,
          '    ceph:',
          `    - path: ${BY_ID}${n === 3 ? 3 : 2}`,
          ...(n === 2 ? [] : ['      wipe: true']),
        ]),
        'ovn:',
        '  ipv4_gateway: 10.1.124.1/24',
        '  ipv4_range: 10.1.124.100-10.1.124.254',
        '  ipv6_gateway: fd42:1:1234:1234::1/64',
        '  dns_servers: 10.1.124.1,8.8.8.8',
        'ceph:',
        '  cephfs: true',
        '  internal_network: 10.1.123.0/24',
        '  public_network: 10.1.123.0/24',
        '',
      ].join('\n'),
    );
    assert.equal(rendered.includes('session_passphrase'), false);
    assert.equal(rendered.includes('lookup_subnet'), false);
    assert.equal(renderPreseed(preseed), rendered, 'the render is deterministic');
  });

  it('the simulated MicroCloud forms the cluster from it on every host', async () => {
    const world = freshWorld(3);
    const facts = await simFacts(world);
    const preseed = buildPreseed(designOf(inventoryOf(FULL), facts), facts, { mode: 'bootstrap' });
    await deployWithPreseed(world, preseedStdin(preseed, 'correct horse'));
    for (const host of ['micro1', 'micro2', 'micro3']) {
      const list = await runShell(world, host, 'microcloud cluster list -f json');
      assert.equal(list.exitCode, 0, list.stderr);
      const members = JSON.parse(list.stdout) as { name: string; status: string }[];
      assert.deepEqual(members.map((member) => [member.name, member.status]).sort(), [
        ['micro1', 'ONLINE'],
        ['micro2', 'ONLINE'],
        ['micro3', 'ONLINE'],
      ]);
    }
  });

  it('stdin carries the passphrase; without Ceph disks no Ceph networks, without OVN no ovn section', async () => {
    const world = freshWorld(3);
    const facts = await simFacts(world);
    const text = inventoryText(3, 'cluster:', '  services: {microovn: false}');
    const preseed = buildPreseed(designOf(inventoryOf(text), facts), facts, { mode: 'bootstrap' });
    const document = parseYaml(preseedStdin(preseed, 'p4ss: "word"')) as Record<string, unknown>;
    assert.equal(document.session_passphrase, 'p4ss: "word"');
    assert.deepEqual(document.ceph, { cephfs: false });
    assert.equal('ovn' in document, false);
    assert.equal(document.lookup_timeout, 60);
    assert.equal(document.session_timeout, 3600);
    assert.deepEqual(document.systems, [
      { name: 'micro1', address: '10.1.123.11' },
      { name: 'micro2', address: '10.1.123.12' },
      { name: 'micro3', address: '10.1.123.13' },
    ]);
    assert.throws(() => preseedStdin(preseed, ''), PreseedError);
  });
});

describe('preseed: add mode', () => {
  it('lists only the new systems and points at an existing member', async () => {
    const world = freshWorld(3);
    const facts = await simFacts(world);
    const design = designOf(inventoryOf(FULL), facts);
    const preseed = buildPreseed(design, facts, { mode: 'add', newHosts: ['micro3'], via: 'micro2' });
    const document = parseYaml(renderPreseed(preseed)) as Record<string, unknown>;
    assert.equal(document.initiator_address, '10.1.123.12');
    assert.deepEqual(
      (document.systems as { name: string }[]).map((system) => system.name),
      ['micro3'],
    );
    // A grown cluster keeps its UPLINK and Ceph settings; MicroCloud asks for a gateway only at bootstrap.
    assert.equal('ovn' in document, false);
    assert.equal('ceph' in document, false);
    assert.throws(() => buildPreseed(design, facts, { mode: 'add', newHosts: [] }), PreseedError);
    assert.throws(
      () => buildPreseed(design, facts, { mode: 'add', newHosts: ['micro1'], via: 'micro1' }),
      PreseedError,
    );
  });

  it('grows a simulated 2-member MicroCloud by one host', async () => {
    const world = freshWorld(3);
    const facts = await simFacts(world);
    const design = designOf(inventoryOf(inventoryText(3)), facts);
    const two = { ...design, members: design.members.slice(0, 2) };
    const bootstrap = buildPreseed(two, facts, { mode: 'bootstrap' });
    const first = preseedStdin(bootstrap, 'first session');
    // Only micro1 and micro2 run the first preseed.
    const hosts = ['micro1', 'micro2', 'micro3'];
    await deployWithPreseed(world, first, hosts.slice(0, 2), hosts);
    const grow = preseedStdin(buildPreseed(design, facts, { mode: 'add', newHosts: ['micro3'] }), 'second');
    await deployWithPreseed(world, grow, ['micro1', 'micro3'], []);
    const list = await runShell(world, 'micro3', 'microcloud cluster list -f json');
    assert.equal(list.exitCode, 0, list.stderr);
    const names = (JSON.parse(list.stdout) as { name: string }[]).map((member) => member.name).sort();
    assert.deepEqual(names, hosts);
  });
});

describe('preseed: the mode the cluster needs', () => {
  it('bootstrap, then add mode for a host outside the MicroCloud, then nothing', async () => {
    const world = freshWorld(3);
    const hosts = ['micro1', 'micro2', 'micro3'];
    const fresh = await simFacts(world);
    const design = designOf(inventoryOf(inventoryText(3, 'cluster:', '  initiator: micro2')), fresh);
    const first = preseedFor(design, fresh);
    assert.ok('mode' in first && first.mode === 'bootstrap' && first.initiatorHost === 'micro2');

    const two = { ...design, initiator: 'micro1', members: design.members.slice(0, 2) };
    await deployWithPreseed(
      world,
      preseedStdin(buildPreseed(two, fresh, { mode: 'bootstrap' }), 'x'),
      hosts.slice(0, 2),
      hosts,
    );
    const grown = await simFacts(world);
    const add = preseedFor(designOf(inventoryOf(inventoryText(3)), grown), grown);
    assert.ok('mode' in add);
    assert.deepEqual(
      [add.mode, add.initiatorHost, add.systems.map((system) => system.host)],
      ['add', 'micro1', ['micro3']],
    );
    await deployWithPreseed(world, preseedStdin(add, 'y'), ['micro1', 'micro3'], []);
    const complete = await simFacts(world);
    assert.deepEqual(preseedFor(designOf(inventoryOf(inventoryText(3)), complete), complete), {
      members: hosts,
    });
  });
});

describe('preseed: the direct engine', () => {
  it('runs no preseed', async () => {
    const world = freshWorld(1);
    const facts = await simFacts(world);
    const design = designOf(
      inventoryOf(inventoryText(1, 'cluster:', '  services: {microcloud: false}')),
      facts,
    );
    assert.equal(design.engine.kind, 'direct');
    assert.throws(() => buildPreseed(design, facts, { mode: 'bootstrap' }), PreseedError);
  });
});
