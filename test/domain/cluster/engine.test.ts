// Engine selection and who acts on each key of the cluster section (src/domain/cluster/engine.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { CLUSTER_KEYS, clusterKeyPattern, engineOverview } from '../../../src/domain/cluster/engine.js';
import { designOf, freshWorld, inventoryOf, inventoryText, simFacts, specOf } from './support.js';

const FULL = readFileSync(new URL('../../fixtures/cluster/full.yaml', import.meta.url), 'utf8');

describe('engine: every key of the cluster section is MicroCloud’s or mc’s', () => {
  const paths = Object.keys(specOf(inventoryOf(FULL)).positions);
  const leaves = paths.filter((path) => !paths.some((other) => other.startsWith(`${path}.`)));

  it('every key written in the full example has an entry', () => {
    const missing = [...new Set(leaves.map(clusterKeyPattern))].filter((key) => !(key in CLUSTER_KEYS));
    assert.deepEqual(missing, []);
  });

  it('every entry is a key of the section (the full example writes each)', () => {
    const written = new Set(paths.map(clusterKeyPattern));
    assert.deepEqual(
      Object.keys(CLUSTER_KEYS).filter((key) => !written.has(key)),
      [],
    );
  });

  it('preseed keys are MicroCloud 2.1’s own names', () => {
    const known =
      /^(initiator_address|lookup_timeout|session_timeout|systems\[\]\.(name|address|ovn_uplink_interface|ovn_underlay_ip|storage\.local(\.path|\.wipe)?|storage\.ceph\[\](\.path|\.wipe|\.encrypt)?)|ceph\.(cephfs|internal_network|public_network)|ovn\.(ipv4_gateway|ipv4_range|ipv6_gateway|dns_servers))$/;
    for (const [key, handling] of Object.entries(CLUSTER_KEYS)) {
      if (handling.by === 'preseed') assert.match(handling.preseedKey, known, key);
      else assert.notEqual(handling.does, '', key);
    }
  });

  it('normalises host names and list indexes', () => {
    assert.equal(
      clusterKeyPattern('systems.micro1.storage.ceph.0.path'),
      'systems.<host>.storage.ceph.[].path',
    );
    assert.equal(clusterKeyPattern('storage.local.2.find'), 'storage.local.[].find');
  });
});

describe('engine: selection', () => {
  it('MicroCloud by default, saying so, with what mc does and what MicroCloud gets', async () => {
    const facts = await simFacts(freshWorld(3));
    const design = designOf(inventoryOf(FULL), facts);
    const overview = engineOverview(design);
    assert.equal(overview.kind, 'microcloud');
    assert.equal(
      overview.reason,
      'services.microcloud: true (hosts.yaml:9:59): MicroCloud forms and owns the cluster',
    );
    assert.deepEqual(overview.mcDoes, [
      'installs lxd 5.21/stable, microceph squid/stable, microovn 24.03/stable, microcloud 2/stable and holds them (snap refresh --hold)',
      'checks that LXD is 5.21 or later',
    ]);
    assert.deepEqual(overview.microcloudGets.slice(0, 3), [
      'microcloud preseed on every host, micro1 first (unicast: initiator_address 10.1.123.11, no multicast)',
      'systems: micro1 10.1.123.11, micro2 10.1.123.12, micro3 10.1.123.13',
      'lookup_timeout 120 s, session_timeout 1800 s; the session passphrase is random per run and sent on stdin only',
    ]);
    assert.ok(overview.microcloudGets.includes('OVN uplinks: micro1 enp6s0, micro2 enp6s0, micro3 enp6s0'));
    assert.ok(overview.microcloudGets.includes('ceph: internal 10.1.123.0/24, public 10.1.123.0/24, cephfs'));

    const defaults = designOf(inventoryOf(inventoryText(3)), facts);
    assert.equal(
      defaults.engine.reason,
      'services.microcloud is on by default: MicroCloud forms and owns the cluster',
    );
  });

  it('the direct engine when services.microcloud is off, without the MicroCloud snap', async () => {
    const facts = await simFacts(freshWorld(2));
    const text = inventoryText(2, 'cluster:', '  services: {microcloud: false, microovn: false}');
    const overview = engineOverview(designOf(inventoryOf(text), facts));
    assert.deepEqual(overview, {
      kind: 'direct',
      reason:
        'services.microcloud: false (hosts.yaml:5:26): mc forms the LXD and MicroCeph clusters itself, without the MicroCloud snap',
      mcDoes: [
        'installs lxd 5.21/stable, microceph squid/stable and holds them (snap refresh --hold)',
        'checks that LXD is 5.21 or later',
        'forms the LXD and MicroCeph clusters itself, step by step as MicroCloud would',
      ],
      microcloudGets: [],
    });
  });
});
