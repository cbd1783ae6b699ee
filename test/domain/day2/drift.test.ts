// The drift report on fixtures: each pending deploy step is a named difference repaired by that step; members
// a service lists that the inventory lacks are named with what to do.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { driftFromPlan, extraMembers } from '../../../src/domain/day2/drift.js';
import type { Plan } from '../../../src/domain/cluster/plan.js';
import type { HostFacts } from '../../../src/domain/facts/index.js';

const step = (
  id: string,
  host: string,
  action: Plan['phases'][number]['stages'][number]['lanes'][number][number]['action'],
  done = false,
) => ({
  id,
  host,
  action,
  done,
});

describe('drift', () => {
  it('names each pending step of the plan by kind, and skips what is done', () => {
    const plan = {
      design: {},
      anchors: {},
      phases: [
        {
          id: 'install',
          title: 'Install and hold the snaps',
          stages: [
            {
              lanes: [
                [
                  step('a', 'm2', { kind: 'snap-install', snap: 'microovn', channel: '24.03/stable' }),
                  step('b', 'm2', { kind: 'snap-hold', snaps: ['lxd'] }, true),
                ],
              ],
            },
          ],
        },
        {
          id: 'join',
          title: 'Join',
          stages: [
            {
              lanes: [
                [
                  step('c', 'm3', {
                    kind: 'microcluster-join',
                    service: 'microceph',
                    anchor: 'm1',
                    address: '10.0.0.3:7443',
                    config: {},
                  }),
                ],
              ],
            },
          ],
        },
      ],
    } as unknown as Plan;
    assert.deepEqual(
      driftFromPlan(plan).map((d) => [d.kind, d.host, d.detail]),
      [
        ['snap missing', 'm2', 'install microovn (24.03/stable, cohort +)'],
        ['member missing', 'm3', 'join microceph as 10.0.0.3:7443 (token from m1)'],
      ],
    );
  });

  it('names members a service lists that the inventory does not', () => {
    const member = (name: string) => ({ name, address: '', role: 'voter', status: 'ONLINE' });
    const facts = new Map([
      [
        'm1',
        {
          services: {
            lxd: { state: 'not installed' },
            microceph: { state: 'bootstrapped', members: [member('m1'), member('old')] },
            microovn: { state: 'not installed' },
            microcloud: { state: 'not installed' },
          },
        } as unknown as HostFacts,
      ],
    ]);
    const drifts = extraMembers(facts, ['m1']);
    assert.deepEqual(
      drifts.map((d) => [d.kind, d.host, d.detail]),
      [['member not in inventory', 'm1', 'MicroCeph lists old, which the inventory does not']],
    );
  });
});
