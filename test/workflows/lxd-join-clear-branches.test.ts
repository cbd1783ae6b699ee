// The clear of an unfinished LXD join, step by step against stand-in remotes (what each host is asked and
// what it answers): the "join completed meanwhile" branch (the working member deletes no pending row: the
// joiner finished after mc looked) starts LXD again and stops, clearing nothing; a clear with no row to
// delete (an LXD answering with no member name whose row is gone, or a resumed clear) never takes that branch.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Action } from '../../src/domain/cluster/actions.js';
import { StepError, type Remote } from '../../src/workflows/deploy/remote.js';
import { DEPLOY_PHASES } from '../../src/workflows/deploy/phases/index.js';

type ClearAction = Extract<Action, { kind: 'lxd-join-clear' }>;

const CLEAR: ClearAction = {
  kind: 'lxd-join-clear',
  viewer: 'micro1',
  memberId: 3,
  address: '10.1.123.13:8443',
  lxdDir: '/var/lib/lxd',
};

/** A host that records each command and answers with `answer(command)`'s stdout (exit 0). */
function standIn(host: string, answer: (command: string) => string = () => '') {
  const ran: string[] = [];
  const warnings: string[] = [];
  const remote = {
    host,
    session: { bus: { emit: (event: { message?: string }) => warnings.push(event.message ?? '') } },
    run: (command: string) => {
      ran.push(command);
      return Promise.resolve({ exitCode: 0, stdout: answer(command), stderr: '' });
    },
  } as unknown as Remote;
  return { remote, ran, warnings };
}

async function clear(action: ClearAction, viewerSays: string) {
  const joiner = standIn('micro3');
  const viewer = standIn('micro1', (command) => (command.includes('lxd sql global') ? viewerSays : ''));
  const phase = DEPLOY_PHASES.find((p) => p.title === 'join LXD');
  assert.ok(phase !== undefined);
  const outcome = await phase
    .run(action, {
      remote: joiner.remote,
      on: (host: string) => {
        assert.equal(host, 'micro1');
        return Promise.resolve(viewer.remote);
      },
      dmCryptReady: new Set(),
      formation: undefined as never,
      members: [],
    })
    .then(
      () => null,
      (error: unknown) => error,
    );
  const joinerDid = joiner.ran.map((c) =>
    c.includes('snap stop lxd')
      ? 'stop'
      : c.includes('rm -rf')
        ? 'remove join state, start'
        : c.includes('snap start lxd')
          ? 'start'
          : c.includes('mc-lxd-init.pid')
            ? 'end leftover lxd init'
            : c,
  );
  return { outcome, joinerDid, viewerRan: viewer.ran };
}

describe('the clear of an unfinished LXD join', () => {
  it('deletes the pending row on the working member, then restarts LXD without the join state', async () => {
    const { outcome, joinerDid, viewerRan } = await clear(CLEAR, 'Rows affected: 1\n');
    assert.equal(outcome, null);
    assert.deepEqual(joinerDid, ['end leftover lxd init', 'stop', 'remove join state, start']);
    assert.equal(viewerRan.length, 1);
    assert.match(viewerRan[0] ?? '', /DELETE FROM nodes WHERE id = 3 AND name = \S*micro3\S* AND state = 1/);
    assert.match(viewerRan[0] ?? '', /remove-raft-node -q 10\.1\.123\.13\\:8443 /);
  });

  it('when no row was deleted, the join completed meanwhile: LXD starts again as it is, and the step fails', async () => {
    const { outcome, joinerDid } = await clear(CLEAR, 'Rows affected: 0\n');
    assert.ok(outcome instanceof StepError, String(outcome));
    assert.equal(
      outcome.message,
      'micro3 finished its LXD join before mc stopped its LXD (micro1 no longer lists it as pending): nothing was cleared, its LXD was started again',
    );
    assert.equal(outcome.hint, 'run mc deploy again');
    // Its database and cluster certificate, now a member's, are kept.
    assert.deepEqual(joinerDid, ['end leftover lxd init', 'stop', 'start']);
  });

  it('with no row to delete (no member name and no row, or a resumed clear), never takes that branch', async () => {
    for (const action of [
      { ...CLEAR, memberId: null, unnamed: true as const },
      { ...CLEAR, memberId: null },
    ]) {
      const { outcome, joinerDid, viewerRan } = await clear(action, '');
      assert.equal(outcome, null);
      assert.deepEqual(joinerDid, ['end leftover lxd init', 'stop', 'remove join state, start']);
      assert.doesNotMatch(viewerRan[0] ?? '', /DELETE/);
      assert.match(viewerRan[0] ?? '', /remove-raft-node -q 10\.1\.123\.13\\:8443 /);
    }
  });
});
