// What the LXD cannot do is in the plan, as skipped with the reason, never silently left out.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { allSteps, planDeploy } from '../../../src/domain/cluster/plan.js';
import { EMPTY_CLUSTER_STATE } from '../../../src/domain/cluster/state.js';
import { formatPlan } from '../../../src/output/plan-report.js';
import { LXD_521_EXTENSIONS } from '../../../src/workflows/deploy/index.js';
import { designOf, freshWorld, inventoryOf, simFacts } from './support.js';

// The direct engine, whose plan holds the configure steps (MicroCloud's engine plans them once it formed the cluster).
const FULL = readFileSync(new URL('../../fixtures/cluster/full.yaml', import.meta.url), 'utf8')
  .replace('microcloud: true}', 'microcloud: false}')
  // Keys of MicroCloud's own, refused with MicroCloud off.
  .replace(/^ {2}(lookup|session)_timeout: .*\n/gm, '');

describe('plan: what the LXD cannot do', () => {
  it('lists instances.migration.stateful as skipped on an LXD without the extension, and plans no step for it', async () => {
    const facts = await simFacts(freshWorld(3));
    const design = designOf(inventoryOf(FULL), facts);
    const planWith = (apiExtensions: string[]) =>
      planDeploy({ design, facts, state: EMPTY_CLUSTER_STATE }, { apiExtensions, microcloudVersion: null });
    const old = planWith(LXD_521_EXTENSIONS.filter((e) => e !== 'instances_migration_stateful'));
    assert.deepEqual(old.skipped, [
      {
        setting: 'instances.migration.stateful=true',
        reason: 'this LXD lacks the API extension instances_migration_stateful (LXD 5.21 has it)',
      },
    ]);
    assert.ok(!allSteps(old).some((s) => s.id === 'configure:migration-stateful'));
    assert.match(
      formatPlan(old),
      /\nSkipped \(1\): what this LXD cannot do\n {4}instances\.migration\.stateful=true: this LXD lacks /,
    );
    const current = planWith(LXD_521_EXTENSIONS);
    assert.deepEqual(current.skipped, []);
    assert.ok(allSteps(current).some((s) => s.id === 'configure:migration-stateful'));
    assert.doesNotMatch(formatPlan(current), /Skipped/);
  });
});
