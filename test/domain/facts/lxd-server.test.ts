import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  parseLxdClusterMembers,
  parseLxdServer,
  parseLxdStoragePools,
} from '../../../src/domain/facts/index.js';
import { failure, fixture } from './helpers.js';

describe('parseLxdServer (`lxc query /1.0`)', () => {
  it('reads the version, API extensions and clustering of a fresh LXD 5.21 (simulator)', () => {
    const server = parseLxdServer(fixture('sim/installed/lxd-server.json'));
    assert.equal(server.version, '5.21.3');
    assert.equal(server.lts, true);
    assert.equal(server.clustered, false);
    assert.equal(server.serverName, 'micro1');
    assert.equal(server.apiExtensions.length, 401);
    assert.equal(server.apiExtensions[0], 'storage_zfs_remove_snapshots');
    assert.ok(server.apiExtensions.includes('clustering_join_token'));
  });

  it('sees a clustered member (simulator, after microcloud preseed)', () => {
    const server = parseLxdServer(fixture('sim/deployed/lxd-server.json'));
    assert.deepEqual([server.clustered, server.serverName], [true, 'micro1']);
  });

  it('refuses what an untrusted client or a broken output shows', () => {
    assert.equal(
      failure(() => parseLxdServer('{"api_extensions":[],"auth":"untrusted","public":false}')),
      'lxd server: $.auth: expected "trusted" (run `lxc` as root), got "untrusted"',
    );
    assert.equal(
      failure(() => parseLxdServer('{"auth":"trusted","environment":{}}')),
      'lxd server: $.api_extensions: expected an array of API extension names, got nothing',
    );
    assert.equal(
      failure(() =>
        parseLxdServer(
          '{"auth":"trusted","api_extensions":[],"environment":{"server_version":"5.21.3","server_name":"a","server_clustered":"yes"}}',
        ),
      ),
      'lxd server: $.environment.server_clustered: expected true or false (or "1"/"0"), got "yes"',
    );
    assert.match(
      failure(() => parseLxdServer('Error: not authorized\n')),
      /^lxd server: \$: expected JSON from `lxc query \/1\.0`, got "Error: not authorized"/,
    );
  });
});

describe('parseLxdStoragePools (`lxc query /1.0/storage-pools`)', () => {
  it('lists pool names, none before `lxd init` (simulator)', () => {
    assert.deepEqual(parseLxdStoragePools(fixture('sim/installed/lxd-storage-pools.json')), []);
    assert.deepEqual(parseLxdStoragePools(fixture('sim/deployed/lxd-storage-pools.json')), [
      'local',
      'remote',
      'remote-fs',
    ]);
    assert.deepEqual(parseLxdStoragePools('["/1.0/storage-pools/my%20pool"]'), ['my pool']);
  });

  it('refuses anything but pool URLs', () => {
    assert.equal(
      failure(() => parseLxdStoragePools('[{"name":"local"}]')),
      'lxd storage pools: $[0]: expected a URL `/1.0/storage-pools/NAME`, got {"name":"local"}',
    );
    assert.equal(
      failure(() => parseLxdStoragePools('{}')),
      'lxd storage pools: $: expected an array of storage pool URLs, got {}',
    );
  });
});

describe('parseLxdClusterMembers (`lxc cluster list -f json`)', () => {
  it('reads the tutorial cluster of §10.5', () => {
    const members = parseLxdClusterMembers(fixture('reference/lxd-cluster-list.json'));
    assert.deepEqual(
      members.map((m) => [m.name, m.url, m.status, m.roles.join(','), m.database]),
      [
        ['micro1', 'https://10.1.123.10:8443', 'Online', 'database-leader,database', true],
        ['micro2', 'https://10.1.123.20:8443', 'Online', 'database', true],
        ['micro3', 'https://10.1.123.30:8443', 'Online', 'database', true],
        ['micro4', 'https://10.1.123.40:8443', 'Online', 'database-standby', true],
      ],
    );
    assert.deepEqual(
      [members[0]?.message, members[0]?.architecture, members[0]?.failureDomain],
      ['Fully operational', 'x86_64', 'default'],
    );
  });

  it('reads the members MicroCloud formed (simulator)', () => {
    assert.deepEqual(
      parseLxdClusterMembers(fixture('sim/deployed/lxd-cluster-list.json')).map((m) => [m.name, m.status]),
      [
        ['micro1', 'Online'],
        ['micro2', 'Online'],
        ['micro3', 'Online'],
      ],
    );
  });

  it('refuses an empty list and members without a name or status', () => {
    assert.equal(
      failure(() => parseLxdClusterMembers('[]\n')),
      'lxd cluster list: $: expected at least one member (this server), got an empty array',
    );
    assert.equal(
      failure(() => parseLxdClusterMembers('[{"server_name":"micro1","url":"https://10.0.0.1:8443"}]')),
      'lxd cluster list: $[0].status: expected a non-empty string, got nothing',
    );
  });
});
