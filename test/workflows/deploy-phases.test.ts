// The deploy phases (src/workflows/deploy/phases): every step of a full plan, from a fresh cluster to the
// configure steps of a formed one, belongs to exactly one phase, and each phase's plan() lists its steps.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { allSteps, planDeploy, type Plan } from '../../src/domain/cluster/plan.js';
import { EMPTY_CLUSTER_STATE } from '../../src/domain/cluster/state.js';
import type { ClusterDesign } from '../../src/domain/cluster/types.js';
import { LXD_521_EXTENSIONS } from '../../src/workflows/deploy/index.js';
import { DEPLOY_PHASES, phaseOf } from '../../src/workflows/deploy/phases/index.js';
import { StepError } from '../../src/workflows/deploy/remote.js';
import { designOf, freshWorld, inventoryOf, simFacts } from '../domain/cluster/support.js';

const FULL = readFileSync(new URL('../fixtures/cluster/full.yaml', import.meta.url), 'utf8');

/** The direct engine's plan (every step kind but the preseed), or the MicroCloud engine's. */
async function freshPlan(engine: 'direct' | 'microcloud' = 'direct'): Promise<Plan> {
  const world = freshWorld(3);
  const facts = await simFacts(world);
  const designed = designOf(inventoryOf(FULL), facts);
  const design: ClusterDesign =
    engine === 'direct' ? { ...designed, engine: { kind: 'direct', reason: 'under test' } } : designed;
  return planDeploy(
    { design, facts, state: EMPTY_CLUSTER_STATE },
    { apiExtensions: LXD_521_EXTENSIONS, microcloudVersion: null },
  );
}

describe('deploy phases', () => {
  it('each step of a fresh 3-host plan belongs to exactly one phase, in plan order', async () => {
    const plan = await freshPlan();
    const steps = allSteps(plan);
    assert.ok(steps.length > 20, `a full plan has many steps, got ${steps.length}`);
    for (const step of steps) {
      const owners = DEPLOY_PHASES.filter((p) => p.owns(step.action)).map((p) => p.title);
      assert.equal(owners.length, 1, `${step.id} (${step.action.kind}) is owned by [${owners.join(', ')}]`);
    }
    const claimed = DEPLOY_PHASES.flatMap((p) => p.plan(plan).map((s) => s.id));
    assert.deepEqual(claimed.slice().sort(), steps.map((s) => s.id).sort());
    assert.equal(
      phaseOf(steps.find((s) => s.id === 'join:micro2:microceph')!.action).title,
      'join MicroCeph',
    );
    assert.equal(phaseOf(steps.find((s) => s.id === 'join:micro3:microovn')!.action).title, 'join MicroOVN');
    assert.deepEqual(
      DEPLOY_PHASES.find((p) => p.title === 'join LXD')!
        .plan(plan)
        .map((s) => s.id),
      ['join:micro2:lxd', 'join:micro3:lxd'],
    );
  });

  it('the MicroCloud engine’s preseed steps belong to form-microcloud', async () => {
    const plan = await freshPlan('microcloud');
    const form = DEPLOY_PHASES.find((p) => p.title === 'form the cluster with MicroCloud')!;
    assert.deepEqual(
      form.plan(plan).map((s) => s.id),
      ['form:micro1', 'form:micro2', 'form:micro3'],
    );
    for (const step of allSteps(plan))
      assert.equal(DEPLOY_PHASES.filter((p) => p.owns(step.action)).length, 1);
  });

  it('a phase refuses a step that is not its own', async () => {
    const plan = await freshPlan();
    const hold = allSteps(plan).find((s) => s.action.kind === 'snap-hold')!;
    const joinLxd = DEPLOY_PHASES.find((p) => p.title === 'join LXD')!;
    await assert.rejects(
      joinLxd.run(hold.action, {
        remote: undefined as never,
        on: () => assert.fail(),
        dmCryptReady: new Set(),
        formation: undefined as never,
        members: [],
      }),
      /join LXD: not one of its steps: snap-hold/,
    );
  });

  it('a cluster-wide create that fails on a peer names that peer in the next action', async () => {
    const plan = await freshPlan();
    const configure = DEPLOY_PHASES.find((p) => p.title === 'configure LXD')!;
    const network = { kind: 'lxd-network-create', network: 'br1', type: 'bridge', config: {} } as const;
    const failing = (said: string) => ({
      host: 'micro1',
      run: () =>
        Promise.reject(
          new StepError(`\`lxc network create br1 --type=bridge\` failed (exit 1): Error: ${said}`),
        ),
    });
    const context = (said: string) => ({
      remote: failing(said) as never,
      on: () => assert.fail(),
      dmCryptReady: new Set<string>(),
      formation: undefined as never,
      members: plan.design.members,
    });
    const peer = plan.design.members[2]!;
    await assert.rejects(
      configure.run(network, context(`failed to notify peer ${peer.address.value}:8443: busy`)),
      (err: unknown) =>
        err instanceof StepError &&
        /failed to notify peer/.test(err.message) &&
        err.hint ===
          `fix the cause on ${peer.host} (LXD could not create network br1 there), then run mc deploy again: it resumes the create`,
    );
    // An error that names no peer keeps the default next action (on the host that ran it).
    await assert.rejects(
      configure.run(network, context('Network interface "br1" already exists')),
      (err: unknown) => err instanceof StepError && err.hint === undefined,
    );
  });
});
