import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  describeServiceFailure,
  failureMessage,
  FactsParseError,
  parseSnapList,
  readLxdState,
  readMicroclusterState,
  type CommandOutcome,
  type InstalledSnap,
  type ServiceOutcomes,
} from '../../../src/domain/facts/index.js';
import { fixture, simOutcomes } from './helpers.js';

const failed = (stderr: string, exitCode = 1): CommandOutcome => ({ exitCode, stdout: '', stderr });
const succeeded = (stdout: string): CommandOutcome => ({ exitCode: 0, stdout, stderr: '' });

/** The snaps and service outcomes micro1 had in one simulator state. */
function simState(state: 'fresh' | 'installed' | 'deployed'): {
  snaps: InstalledSnap[];
  outcomes: ServiceOutcomes;
} {
  const recorded = simOutcomes(state);
  return { snaps: parseSnapList(recorded['snaps']?.stdout ?? ''), outcomes: recorded };
}

/** A host with all four snaps (§10.1) and the outcomes given. */
const allSnaps = (): InstalledSnap[] => parseSnapList(fixture('ubuntu-24.04/snap-list.txt'));

describe('service states on the simulator', () => {
  it('fresh host: nothing installed, nothing run', () => {
    const { snaps, outcomes } = simState('fresh');
    assert.equal(outcomes.lxdServer, undefined);
    assert.deepEqual(readLxdState(snaps, outcomes), { state: 'not installed' });
    for (const app of ['microceph', 'microovn', 'microcloud'] as const)
      assert.deepEqual(readMicroclusterState(app, snaps, undefined), { state: 'not installed' });
  });

  it('snaps installed: LXD answers but is not initialised, the microcluster apps are not bootstrapped', () => {
    const { snaps, outcomes } = simState('installed');
    const lxd = readLxdState(snaps, outcomes);
    assert.equal(lxd.state, 'not initialised');
    assert.ok(lxd.state === 'not initialised');
    assert.deepEqual([lxd.server.version, lxd.server.clustered], ['5.21.3', false]);
    // The cluster list failed ("LXD server isn't part of a cluster"), as it must on a standalone server.
    assert.equal(outcomes.lxdMembers?.exitCode, 1);
    assert.deepEqual(readMicroclusterState('microceph', snaps, outcomes.microcephMembers), {
      state: 'not bootstrapped',
    });
    assert.deepEqual(readMicroclusterState('microovn', snaps, outcomes.microovnMembers), {
      state: 'not bootstrapped',
    });
    // MicroCloud prints its own `⨯ Error: ` prefix.
    assert.match(outcomes.microcloudMembers?.stderr ?? '', /^⨯ Error: Database is not yet initialized/);
    assert.deepEqual(readMicroclusterState('microcloud', snaps, outcomes.microcloudMembers), {
      state: 'not bootstrapped',
    });
  });

  it('after microcloud preseed: LXD clustered with its pools, every app bootstrapped on three members', () => {
    const { snaps, outcomes } = simState('deployed');
    const lxd = readLxdState(snaps, outcomes);
    assert.ok(lxd.state === 'clustered', lxd.state);
    assert.deepEqual(lxd.storagePools, ['local', 'remote', 'remote-fs']);
    assert.deepEqual(
      lxd.members.map((m) => m.name),
      ['micro1', 'micro2', 'micro3'],
    );
    for (const [app, outcome] of [
      ['microceph', outcomes.microcephMembers],
      ['microovn', outcomes.microovnMembers],
      ['microcloud', outcomes.microcloudMembers],
    ] as const) {
      const state = readMicroclusterState(app, snaps, outcome);
      assert.ok(state.state === 'bootstrapped', app);
      assert.deepEqual(
        state.members.map((m) => `${m.name} ${m.role} ${m.status}`),
        ['micro1 voter ONLINE', 'micro2 voter ONLINE', 'micro3 voter ONLINE'],
      );
    }
  });
});

describe('readLxdState', () => {
  const installed = simOutcomes('installed');
  const server = installed['lxdServer'];
  assert.ok(server !== undefined);

  it('counts storage pools without a cluster as initialised (`lxd init --auto`, §1.1)', () => {
    const lxd = readLxdState(allSnaps(), {
      lxdServer: server,
      lxdStoragePools: succeeded('[\n\t"/1.0/storage-pools/default"\n]\n'),
      lxdMembers: failed("Error: LXD server isn't part of a cluster\n"),
    });
    assert.ok(lxd.state === 'initialised');
    assert.deepEqual(lxd.storagePools, ['default']);
  });

  it('reads a stopped daemon from lxc as not running', () => {
    // lxc's client/connection.go when the socket is missing (snap stopped or disabled).
    const stopped = failed(
      'Error: LXD unix socket "/var/snap/lxd/common/lxd/unix.socket" not found: Please check LXD is running\n',
    );
    assert.deepEqual(readLxdState(allSnaps(), { lxdServer: stopped }), {
      state: 'not running',
      command: 'lxc query /1.0',
      message:
        'LXD unix socket "/var/snap/lxd/common/lxd/unix.socket" not found: Please check LXD is running',
    });
    // Older lxc printed Go's dial error as it was.
    const refused = failed(
      'Error: Get "http://unix.socket/1.0": dial unix /var/snap/lxd/common/lxd/unix.socket: connect: connection refused\n',
    );
    assert.equal(readLxdState(allSnaps(), { lxdServer: refused }).state, 'not running');
  });

  it('reads a daemon whose command ran out of its time as not answering (hung or stopped)', () => {
    const hung = { exitCode: 124, stdout: '', stderr: 'timed out after 10 s' };
    assert.deepEqual(readLxdState(allSnaps(), { lxdServer: hung }), {
      state: 'not answering',
      command: 'lxc query /1.0',
      message: 'timed out after 10 s',
    });
    assert.equal(readMicroclusterState('microovn', allSnaps(), hung).state, 'not answering');
  });

  it('reports any other failure as an error naming the command', () => {
    assert.deepEqual(
      readLxdState(allSnaps(), {
        lxdServer: failed(
          'Error: LXD unix socket "/var/snap/lxd/common/lxd/unix.socket" not accessible: permission denied\n',
        ),
      }),
      {
        state: 'error',
        command: 'lxc query /1.0',
        message: 'LXD unix socket "/var/snap/lxd/common/lxd/unix.socket" not accessible: permission denied',
      },
    );
    assert.deepEqual(
      readLxdState(allSnaps(), { lxdServer: server, lxdStoragePools: failed('Error: Internal error\n') }),
      { state: 'error', command: 'lxc query /1.0/storage-pools', message: 'Internal error' },
    );
    // Clustered, but the members could not be listed.
    const deployed = simOutcomes('deployed');
    assert.deepEqual(
      readLxdState(allSnaps(), {
        ...deployed,
        lxdMembers: failed('Error: Failed to get leader address: context deadline exceeded\n'),
      }),
      {
        state: 'error',
        command: 'lxc cluster list -f json',
        message: 'Failed to get leader address: context deadline exceeded',
      },
    );
    // The snap is listed but its command is missing, or the output was never gathered.
    assert.deepEqual(readLxdState(allSnaps(), { lxdServer: failed('sh: 1: lxc: not found\n', 127) }), {
      state: 'error',
      command: 'lxc query /1.0',
      message: 'sh: 1: lxc: not found',
    });
    assert.deepEqual(readLxdState(allSnaps(), {}), {
      state: 'error',
      command: 'lxc query /1.0',
      message: 'its output was not gathered',
    });
  });

  it('reads a clustered LXD that answers with no member name as a join that never finished', () => {
    // LXD 5.0.2 after a join that failed once raft had added it (issue 14): clustered, server_name "".
    const deployed = simOutcomes('deployed');
    const withName = (clustered: boolean, name: string): CommandOutcome => {
      const server = JSON.parse(deployed['lxdServer']?.stdout ?? '{}') as {
        environment: Record<string, unknown>;
      };
      server.environment['server_clustered'] = clustered;
      server.environment['server_name'] = name;
      return succeeded(JSON.stringify(server));
    };
    const unnamed = readLxdState(allSnaps(), { ...deployed, lxdServer: withName(true, '') });
    assert.deepEqual(unnamed, {
      state: 'no member name',
      command: 'lxc query /1.0',
      message: 'clustered, server_name ""; a join that never finished',
    });
    assert.ok(unnamed.state === 'no member name');
    assert.equal(
      describeServiceFailure('LXD', 'micro3', unnamed),
      'LXD on micro3 answers but has no member name (`lxc query /1.0`: clustered, server_name ""; a join that never finished)',
    );
    // A standalone LXD always answers with its host name: an empty one is still refused.
    assert.throws(
      () => readLxdState(allSnaps(), { ...deployed, lxdServer: withName(false, '') }),
      (error: unknown) =>
        error instanceof FactsParseError && error.message.includes('$.environment.server_name'),
    );
    assert.equal(
      readLxdState(allSnaps(), { ...deployed, lxdServer: withName(true, 'micro1') }).state,
      'clustered',
    );
  });

  it('parses a successful output strictly', () => {
    assert.throws(
      () => readLxdState(allSnaps(), { lxdServer: succeeded('{"auth":"trusted"}') }),
      (error: unknown) => error instanceof FactsParseError && error.source === 'lxd server',
    );
  });
});

describe('readMicroclusterState', () => {
  it('recognises older microcluster’s "Daemon not yet initialized"', () => {
    // What MicroCloud's test suite expects from `microceph cluster list` on a member left out of MicroCeph.
    assert.deepEqual(
      readMicroclusterState('microceph', allSnaps(), failed('Error: Daemon not yet initialized\n')),
      { state: 'not bootstrapped' },
    );
  });

  it('reads a stopped daemon (no control socket) as not running', () => {
    const stderr =
      'Error: Get "http://control.socket/cluster/1.0/cluster": dial unix /var/snap/microceph/common/state/control.socket: connect: no such file or directory\n';
    assert.deepEqual(readMicroclusterState('microceph', allSnaps(), failed(stderr)), {
      state: 'not running',
      command: 'microceph cluster list -f json',
      message: stderr.trim().replace(/^Error: /, ''),
    });
  });

  it('reports other failures as errors naming the command', () => {
    // mc2 cmd/microcloud/main.go refuses anyone but root, before any Error: prefix.
    assert.deepEqual(readMicroclusterState('microcloud', allSnaps(), failed('This must be run as root\n')), {
      state: 'error',
      command: 'microcloud cluster list -f json',
      message: 'This must be run as root',
    });
    assert.deepEqual(readMicroclusterState('microovn', allSnaps(), failed('', 2)), {
      state: 'error',
      command: 'microovn cluster list -f json',
      message: 'exit status 2',
    });
    assert.deepEqual(readMicroclusterState('microovn', allSnaps(), undefined), {
      state: 'error',
      command: 'microovn cluster list -f json',
      message: 'its output was not gathered',
    });
  });

  it('parses a successful output strictly', () => {
    assert.throws(
      () => readMicroclusterState('microcloud', allSnaps(), succeeded('[]\n')),
      (error: unknown) => error instanceof FactsParseError && error.source === 'microcloud cluster list',
    );
  });
});

describe('failureMessage', () => {
  it('skips the hints lxc prints on its first run and keeps multi-line errors on one line', () => {
    const stderr = [
      'If this is your first time running LXD on this machine, you should also run: lxd init',
      'To start your first container, try: lxc launch ubuntu:24.04',
      '',
      'Error: Failed to fetch storage pools',
      'second line',
      '',
    ].join('\n');
    assert.equal(failureMessage(failed(stderr)), 'Failed to fetch storage pools second line');
    assert.equal(failureMessage(failed('', 127)), 'command not found');
  });
});
