// The closing message of a verified deploy: what the cluster has, and next steps that work on it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { planDeploy } from '../../../src/domain/cluster/plan.js';
import { EMPTY_CLUSTER_STATE } from '../../../src/domain/cluster/state.js';
import { deploySummary } from '../../../src/domain/cluster/summary.js';
import { LXD_521_EXTENSIONS } from '../../../src/workflows/deploy/index.js';
import { designOf, freshWorld, inventoryOf, inventoryText, simFacts } from './support.js';

// The direct engine: its plan lists every configure step (with MicroCloud's engine, a fresh plan ends with the
// preseed, and the deploy's summary comes from the plan read again once MicroCloud formed the cluster).
const FULL = readFileSync(new URL('../../fixtures/cluster/full.yaml', import.meta.url), 'utf8')
  .replace('microcloud: true}', 'microcloud: false}')
  // Keys of MicroCloud's own, refused with MicroCloud off.
  .replace(/^ {2}(lookup|session)_timeout: .*\n/gm, '');

async function summaryOf(text: string) {
  const facts = await simFacts(freshWorld(3));
  const design = designOf(inventoryOf(text), facts);
  const plan = planDeploy(
    { design, facts, state: EMPTY_CLUSTER_STATE },
    { apiExtensions: LXD_521_EXTENSIONS, microcloudVersion: null },
  );
  return deploySummary(design, plan);
}

describe('deploy summary', () => {
  it('a full MicroCloud: its pools and networks, and a launch that works', async () => {
    const summary = await summaryOf(FULL);
    assert.equal(summary.ready, true);
    assert.deepEqual(summary.lines, [
      'Cluster: LXD on micro1, micro2, micro3; MicroCeph; MicroOVN.',
      'Storage pools: local, remote, remote-fs. Networks: UPLINK, default.',
      'Next: mc status -i <inventory>; on micro1: lxc cluster list, lxc launch ubuntu:24.04 c1',
    ]);
  });

  it('LXD only without disks: no launch offered, and what an instance needs first', async () => {
    const summary = await summaryOf(
      inventoryText(3, 'cluster:', '  services: {microceph: false, microovn: false, microcloud: false}'),
    );
    assert.equal(summary.ready, false);
    assert.equal(summary.lines[0], 'Cluster: LXD on micro1, micro2, micro3.');
    assert.ok(!summary.lines.some((line) => line.includes('lxc launch')), summary.lines.join('\n'));
    assert.match(
      summary.lines.at(-1) ?? '',
      /^Before an instance can start, the default profile needs a root disk: /,
    );
  });
});
