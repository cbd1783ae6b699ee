import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MICROCLUSTER_MEMBERS_COMMANDS, parseMicroclusterMembers } from '../../../src/domain/facts/index.js';
import { failure, fixture } from './helpers.js';

describe('parseMicroclusterMembers (`<app> cluster list -f json`)', () => {
  it('reads the tutorial MicroCeph members of §10.7, stand-by included', () => {
    assert.deepEqual(
      parseMicroclusterMembers('microceph', fixture('reference/microceph-cluster-list.json')),
      [
        { name: 'micro1', address: '10.1.123.10:7443', role: 'voter', status: 'ONLINE' },
        { name: 'micro4', address: '10.1.123.40:7443', role: 'stand-by', status: 'ONLINE' },
      ],
    );
  });

  it('keeps members that are joining or unreachable as they are', () => {
    assert.deepEqual(
      parseMicroclusterMembers('microovn', fixture('reference/microovn-cluster-list.json')).map((m) => [
        m.name,
        m.role,
        m.status,
      ]),
      [
        ['micro1', 'voter', 'ONLINE'],
        ['micro2', 'spare', 'UNREACHABLE'],
        ['micro3', 'PENDING', 'ONLINE'],
      ],
    );
  });

  it('reads each app of a deployed MicroCloud (simulator)', () => {
    for (const [app, port] of [
      ['microceph', 7443],
      ['microovn', 6443],
      ['microcloud', 9443],
    ] as const) {
      assert.deepEqual(
        parseMicroclusterMembers(app, fixture(`sim/deployed/${app}-cluster-list.json`)).map((m) => [
          m.name,
          m.address,
          m.role,
          m.status,
        ]),
        [1, 2, 3].map((n) => [`micro${n}`, `10.1.123.1${n}:${port}`, 'voter', 'ONLINE']),
        app,
      );
    }
  });

  it('names the app and the command in its errors', () => {
    assert.equal(
      failure(() => parseMicroclusterMembers('microovn', '[]\n')),
      'microovn cluster list: $: expected at least one member (this host), got an empty array',
    );
    assert.equal(
      failure(() =>
        parseMicroclusterMembers(
          'microcloud',
          '[{"name":"micro1","address":"10.0.0.1:9443","role":"voter"}]',
        ),
      ),
      'microcloud cluster list: $[0].status: expected a non-empty string, got nothing',
    );
    // The table form is not what the command asks for.
    assert.match(
      failure(() => parseMicroclusterMembers('microceph', '+--------+\n|  NAME  |\n')),
      /^microceph cluster list: \$: expected JSON from `microceph cluster list -f json`/,
    );
    assert.equal(MICROCLUSTER_MEMBERS_COMMANDS.microcloud, 'microcloud cluster list -f json');
  });
});
