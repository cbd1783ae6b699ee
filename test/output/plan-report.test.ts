// `mc plan`'s text and JSON say which engine runs and why, what mc does itself and what MicroCloud gets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { planDeploy } from '../../src/domain/cluster/plan.js';
import { formatPlan, planAsData } from '../../src/output/plan-report.js';
import { LXD_521_EXTENSIONS } from '../../src/workflows/deploy/index.js';
import {
  designOf,
  freshWorld,
  inventoryOf,
  inventoryText,
  simClusterSnapshot,
  simFacts,
} from '../domain/cluster/support.js';

async function planText(hosts: number, ...cluster: string[]): Promise<{ text: string; data: unknown }> {
  const world = freshWorld(hosts);
  const facts = await simFacts(world);
  const design = designOf(inventoryOf(inventoryText(hosts, ...cluster)), facts);
  const snapshot = await simClusterSnapshot(world, design, facts);
  const plan = planDeploy(
    { design, facts, state: snapshot.state },
    { apiExtensions: LXD_521_EXTENSIONS, microcloudVersion: snapshot.microcloudVersion },
  );
  return { text: formatPlan(plan), data: planAsData(plan) };
}

describe('plan report: the engine', () => {
  it('the MicroCloud engine: why, what mc does before, what the preseed gives MicroCloud', async () => {
    const { text, data } = await planText(3, 'cluster:', '  lookup_timeout: 90');
    const lines = text.split('\n');
    assert.deepEqual(lines.slice(1, 8), [
      'Engine: MicroCloud (services.microcloud is on by default: MicroCloud forms and owns the cluster)',
      '  mc installs lxd 5.21/stable, microceph squid/stable, microovn 24.03/stable, microcloud 2/stable and holds them (snap refresh --hold)',
      '  mc checks that LXD is 5.21 or later',
      '  then MicroCloud forms the cluster from a preseed (mc preseed export shows it):',
      '    microcloud preseed on every host, micro1 first (unicast: initiator_address 10.1.123.11, no multicast)',
      '    systems: micro1 10.1.123.11, micro2 10.1.123.12, micro3 10.1.123.13',
      '    lookup_timeout 90 s, session_timeout 3600 s; the session passphrase is random per run and sent on stdin only',
    ]);
    const engine = (data as { engine: { kind: string; microcloudGets: string[] } }).engine;
    assert.equal(engine.kind, 'microcloud');
    assert.equal(engine.microcloudGets.length, 3);
  });

  it('the direct engine: why, and that mc forms the clusters itself', async () => {
    const { text, data } = await planText(1, 'cluster:', '  services: {microcloud: false, microceph: false}');
    const lines = text.split('\n');
    assert.deepEqual(lines.slice(1, 5), [
      'Engine: direct (services.microcloud: false (hosts.yaml:4:26): mc forms the LXD and MicroOVN clusters itself, without the MicroCloud snap)',
      '  mc installs lxd 5.21/stable, microovn 24.03/stable and holds them (snap refresh --hold)',
      '  mc checks that LXD is 5.21 or later',
      '  mc forms the LXD and MicroOVN clusters itself, step by step as MicroCloud would',
    ]);
    assert.equal(text.includes('preseed'), false);
    assert.deepEqual((data as { engine: { microcloudGets: string[] } }).engine.microcloudGets, []);
  });
});
