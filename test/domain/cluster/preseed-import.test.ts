// `mc preseed import` in the domain: a MicroCloud preseed turned into mc's cluster section, multicast files
// made unicast from the probed addresses, and export → import giving the same design.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';

import { buildPreseed, renderPreseed } from '../../../src/domain/cluster/preseed.js';
import { importPreseed } from '../../../src/domain/cluster/preseed-import.js';
import { formatDeployIssue } from '../../../src/domain/cluster/validate.js';
import type { ClusterDesign } from '../../../src/domain/cluster/types.js';
import { designOf, freshWorld, inventoryOf, inventoryText, lines, simFacts } from './support.js';

const FULL = readFileSync(new URL('../../fixtures/cluster/full.yaml', import.meta.url), 'utf8');
const HOSTS = inventoryText(3);

/** What the plan is made of, without the reasons (an imported disk is explicit where a filter chose it). */
function essence(design: ClusterDesign): unknown {
  return {
    ...design,
    engine: { ...design.engine, reason: '' },
    members: design.members.map((member) => ({
      host: member.host,
      address: member.address.value,
      localDisk: member.localDisk?.value ?? null,
      cephDisks: member.cephDisks.map((disk) => disk.value),
      uplinkInterface: member.uplinkInterface?.value ?? null,
      underlayIp: member.underlayIp,
    })),
  };
}

function imported(preseed: string, facts: Awaited<ReturnType<typeof simFacts>>, hosts = HOSTS) {
  const result = importPreseed('preseed.yaml', preseed, inventoryOf(hosts), facts);
  if (!result.ok) assert.fail(result.issues.map(formatDeployIssue).join('\n'));
  return result;
}

describe('preseed import', () => {
  it('export then import gives the same design', async () => {
    const facts = await simFacts(freshWorld(3));
    const design = designOf(inventoryOf(FULL), facts);
    const exported = renderPreseed(buildPreseed(design, facts, { mode: 'bootstrap' }));
    const { cluster, notes } = imported(exported, facts);
    assert.deepEqual(notes, []);
    const again = designOf(inventoryOf(`${HOSTS}${stringify({ cluster })}`), facts);
    assert.deepEqual(essence(again), essence(design));
  });

  it('a multicast preseed becomes unicast with the probed addresses', async () => {
    const facts = await simFacts(freshWorld(3));
    const preseed = lines(
      'initiator: micro2',
      'lookup_subnet: 10.1.123.0/24',
      'session_passphrase: foo',
      'systems:',
      '- name: micro1',
      '- name: micro2',
      '- name: micro3',
      'ceph: {cephfs: true}',
      'storage:',
      '  local: [{find: "size > 5GiB", find_min: 1, find_max: 1}]',
    );
    const { cluster, notes } = imported(preseed, facts);
    assert.deepEqual(cluster, {
      initiator: 'micro2',
      systems: {
        micro1: { address: '10.1.123.11' },
        micro2: { address: '10.1.123.12' },
        micro3: { address: '10.1.123.13' },
      },
      storage: { local: [{ find: 'size > 5GiB', find_min: 1, find_max: 1 }] },
      ceph: { cephfs: true },
    });
    assert.deepEqual(notes, [
      'multicast preseed (lookup_subnet 10.1.123.0/24) converted to unicast: micro1 10.1.123.11, micro2 10.1.123.12, micro3 10.1.123.13',
      'session_passphrase left out: mc generates a random one for each run',
    ]);
  });

  it('says so when a host has no address in the lookup subnet', async () => {
    const facts = await simFacts(freshWorld(2));
    const preseed = lines(
      'initiator: micro1',
      'lookup_subnet: 10.9.0.0/16',
      'systems:',
      '- name: micro1',
      '- name: micro2',
    );
    const result = importPreseed('preseed.yaml', preseed, inventoryOf(inventoryText(2)), facts);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.issues.map(formatDeployIssue), [
      'preseed.yaml:2:16: micro1: cannot convert to unicast: micro1 has no address in the lookup subnet 10.9.0.0/16 (its addresses: 10.1.123.11/24; give it an address in 10.9.0.0/16, or write address: for micro1 and initiator_address: in the preseed)',
      'preseed.yaml:2:16: micro2: cannot convert to unicast: micro2 has no address in the lookup subnet 10.9.0.0/16 (its addresses: 10.1.123.12/24; give it an address in 10.9.0.0/16, or write address: for micro2 and initiator_address: in the preseed)',
    ]);
  });

  it('refuses what MicroCloud refuses, and systems outside the inventory, with positions', async () => {
    const facts = await simFacts(freshWorld(2));
    const issues = (text: string): string[] => {
      const result = importPreseed('preseed.yaml', text, inventoryOf(inventoryText(2)), facts);
      return result.ok ? [] : result.issues.map(formatDeployIssue);
    };
    assert.deepEqual(
      issues(lines('initiator_address: 10.1.123.11', 'systems:', '- name: micro1', '- name: micro2')),
      [
        'preseed.yaml:3:9: Missing address for system "micro1" when the initiator\'s address is set',
        'preseed.yaml:4:9: Missing address for system "micro2" when the initiator\'s address is set',
      ],
    );
    assert.deepEqual(issues(lines('initiator: micro1', 'systems:', '- {name: micro1}', '- {name: micro2}')), [
      'preseed.yaml:1:12: Missing lookup subnet',
    ]);
    assert.deepEqual(
      issues(
        lines(
          'initiator_address: 10.1.123.11',
          'systems:',
          '- {name: micro1, address: 10.1.123.11}',
          '- {name: web9, address: 10.1.123.19}',
        ),
      ),
      [
        'preseed.yaml:4:10: system "web9" is not an inventory host (inventory hosts: micro1, micro2; add it to hosts.yaml, or remove it from the preseed)',
      ],
    );
    assert.deepEqual(issues(lines('initiator_address: 10.1.123.11', 'systems: []')), [
      'preseed.yaml:2:10: No systems given (mc reads MicroCloud 2 preseed files (doc/reference/preseed.yaml))',
    ]);
    assert.deepEqual(
      issues(
        lines('initiator_address: 10.1.123.11', 'lookup_subnets: 10.0.0.0/8', 'systems: [{name: micro1}]'),
      ),
      [
        'preseed.yaml:2:17: unknown key "lookup_subnets" in a MicroCloud preseed (mc reads MicroCloud 2 preseed files (doc/reference/preseed.yaml))',
      ],
    );
  });
});
