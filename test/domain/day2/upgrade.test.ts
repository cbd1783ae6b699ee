// The upgrade planner on fixtures: MicroCloud's order (MicroCeph, MicroOVN, LXD all at once, MicroCloud), one
// member at a time, hosts already at the target skipped (resume), and the refusals of §7.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstalledSnap } from '../../../src/domain/facts/snaps.js';
import {
  describeUpgrade,
  parseSnapInfoChannels,
  parseTargets,
  planUpgrade,
  type StoreRevisions,
  type UpgradeInput,
} from '../../../src/domain/day2/upgrade.js';

const HOSTS = ['m1', 'm2', 'm3'];
const snap = (name: string, tracking: string, revision: string): InstalledSnap => ({
  name,
  version: 'v',
  revision,
  tracking,
  publisher: 'canonical',
  publisherMark: 'verified',
  notes: ['in-cohort', 'held'],
  held: true,
  inCohort: true,
});
/** The MicroCloud 2 LTS set (§7, §10.1). */
const LTS = [
  snap('lxd', '5.21/stable', '33110'),
  snap('microceph', 'squid/stable', '1393'),
  snap('microovn', '24.03/stable', '667'),
  snap('microcloud', '2/stable', '1144'),
];
const REVISIONS: StoreRevisions = {
  lxd: { '5.21/stable': '33110', '6/stable': '35230', '5.0/stable': '29351' },
  microceph: { 'squid/stable': '1393', 'squid/candidate': '1518', 'reef/stable': '1169' },
  microovn: { '24.03/stable': '667', '22.03/stable': '395' },
  microcloud: { '2/stable': '1144', '3/stable': '2102', '1/stable': '734' },
};
const input = (over: Partial<UpgradeInput> = {}): UpgradeInput => ({
  hosts: HOSTS,
  snaps: new Map(HOSTS.map((h) => [h, LTS])),
  targets: {
    microceph: 'squid/candidate',
    lxd: '6/stable',
    microcloud: '3/stable',
    microovn: '24.03/stable',
  },
  revisions: REVISIONS,
  ...over,
});

describe('planUpgrade', () => {
  it('refreshes MicroCeph member by member, then LXD on every member at once, then MicroCloud; MicroOVN is there already', () => {
    const plan = planUpgrade(input());
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.phases.map((p) => [
        p.id,
        p.stages.map((s) => s.lanes.map((l) => l.map((x) => x.host).join('+')).join(' | ')),
      ]),
      [
        ['upgrade-microceph', ['m1', 'm2', 'm3']],
        ['upgrade-lxd', ['m1 | m2 | m3']],
        ['upgrade-microcloud', ['m1', 'm2', 'm3']],
      ],
    );
    assert.deepEqual(
      plan.done.map((d) => `${d.host} ${d.snap}`),
      ['m1 microovn', 'm2 microovn', 'm3 microovn'],
    );
    assert.equal(plan.steps, 9);
    assert.equal(
      describeUpgrade(plan.phases[1]?.stages[0]?.lanes[0]?.[0] as never),
      'refresh lxd 5.21/stable rev 33110 → 6/stable rev 35230, keep the hold, then check the cluster',
    );
  });

  it('resumes: a host already at the target channel and revision is skipped', () => {
    const upgraded = [snap('lxd', '5.21/stable', '33110'), snap('microceph', 'squid/candidate', '1518')];
    const plan = planUpgrade(
      input({
        snaps: new Map([
          ['m1', upgraded],
          ['m2', upgraded],
          ['m3', [snap('lxd', '5.21/stable', '33110'), snap('microceph', 'squid/stable', '1393')]],
        ]),
        targets: { microceph: 'squid/candidate' },
      }),
    );
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.phases.flatMap((p) => p.stages.flatMap((s) => s.lanes.flat().map((x) => `${x.host} ${x.snap}`))),
      ['m3 microceph'],
    );
    assert.deepEqual(
      plan.done.map((d) => d.host),
      ['m1', 'm2'],
    );
    // Everything there: nothing to do.
    const all = planUpgrade(
      input({ snaps: new Map(HOSTS.map((h) => [h, upgraded])), targets: { microceph: 'squid/candidate' } }),
    );
    assert.ok(all.ok);
    assert.equal(all.steps, 0);
  });

  it('refuses a skipped step, a way back, and a set MicroCloud does not accept, before anything changes', () => {
    const old = [snap('lxd', '5.0/stable', '29351'), snap('microcloud', '1/stable', '734')];
    const plan = planUpgrade(
      input({ snaps: new Map(HOSTS.map((h) => [h, old])), targets: { lxd: '6', microcloud: '3/stable' } }),
    );
    assert.equal(plan.ok, false);
    assert.deepEqual(!plan.ok && plan.refusals.map((r) => `${r.snap}: ${r.reason}; ${r.next}`), [
      "lxd: lxd 5.0 → 6 skips 5.21, a step MicroCloud's upgrade path goes through; upgrade to 5.21 first: mc upgrade --to lxd=5.21/stable, then to 6",
      "microcloud: microcloud 1 → 3 skips 2, a step MicroCloud's upgrade path goes through; upgrade to 2 first: mc upgrade --to microcloud=2/stable, then to 3",
    ]);
    const back = planUpgrade(input({ targets: { microceph: 'reef/stable' } }));
    assert.equal(back.ok, false);
    assert.deepEqual(!back.ok && back.refusals.map((r) => r.reason), [
      'microceph squid cannot go back to reef: snaps refresh forward only (its data was upgraded)',
      'MicroCloud 2 accepts MicroCeph squid (Ceph 19.2) only; the upgrade would leave reef',
    ]);
    const ovn = planUpgrade(
      input({
        snaps: new Map(
          HOSTS.map((h) => [
            h,
            [...LTS.filter((s) => s.name !== 'microovn'), snap('microovn', '22.03/stable', '395')],
          ]),
        ),
        targets: {},
      }),
    );
    assert.equal(ovn.ok, false);
    assert.match(
      !ovn.ok ? (ovn.refusals[0]?.reason ?? '') : '',
      /MicroCloud 2 accepts MicroOVN 24.03 exactly; the upgrade would leave 22.03/,
    );
    const unknown = planUpgrade(input({ targets: { lxd: '7/stable' } }));
    assert.match(
      !unknown.ok ? (unknown.refusals[0]?.reason ?? '') : '',
      /7\/stable is not a track mc knows for lxd/,
    );
  });

  it('reads --to and snap info', () => {
    assert.deepEqual(parseTargets(['lxd=6/stable', 'microceph=squid/candidate']), {
      targets: { lxd: '6/stable', microceph: 'squid/candidate' },
    });
    assert.match((parseTargets(['ceph=squid']) as { error: string }).error, /expected SNAP=CHANNEL/);
    assert.match((parseTargets(['lxd=6', 'lxd=5.21']) as { error: string }).error, /lxd is given twice/);
    const info = [
      'name:      microceph',
      'channels:',
      '  latest/stable:    19.2.0+snapab139d4a1f 2025-02-10 (1393) 96MB -',
      '  latest/candidate: ^                                            ',
      '  squid/stable:     19.2.0+snapab139d4a1f 2025-02-10 (1393) 96MB -',
      '  squid/candidate:  19.2.1+snap30863f37a3 2025-07-22 (1518) 96MB -',
      '  quincy/stable:    --                                           ',
      'installed:          19.2.0+snapab139d4a1f            (1393) 96MB in-cohort',
    ].join('\n');
    assert.deepEqual(parseSnapInfoChannels(info), {
      'latest/stable': '1393',
      'latest/candidate': '1393',
      'squid/stable': '1393',
      'squid/candidate': '1518',
    });
  });
});

describe('planUpgrade --evacuate and a non-snap LXD', () => {
  const lanes = (plan: ReturnType<typeof planUpgrade>): string[][] =>
    plan.ok
      ? plan.phases.map((p) =>
          p.stages.flatMap((s) => s.lanes.map((l) => l.map((x) => `${x.kind} ${x.host}`).join(', '))),
        )
      : [];

  it('evacuates each member around its MicroCeph and MicroOVN refreshes only, and says why not around LXD', () => {
    const plan = planUpgrade(
      input({ targets: { microceph: 'squid/candidate', lxd: '6/stable' }, evacuate: true }),
    );
    assert.ok(plan.ok);
    assert.deepEqual(lanes(plan), [
      [
        'evacuate m1, refresh m1, restore m1',
        'evacuate m2, refresh m2, restore m2',
        'evacuate m3, refresh m3, restore m3',
      ],
      ['refresh m1', 'refresh m2', 'refresh m3'],
    ]);
    // Only refreshes count as the upgrade's steps.
    assert.equal(plan.steps, 6);
    assert.match(
      plan.notes[0] ?? '',
      /^--evacuate: each member is evacuated around its MicroCeph and MicroOVN refreshes only/,
    );
    assert.equal(
      describeUpgrade(plan.phases[0]?.stages[0]?.lanes[0]?.[0] as never),
      'evacuate m1 before its microceph refresh (lxc cluster evacuate: its instances move to other members)',
    );
  });

  it('restores first what a stopped run left evacuated, even without --evacuate; leaves one evacuated by others', () => {
    const plan = planUpgrade(
      input({
        targets: { microceph: 'squid/candidate' },
        evacuate: true,
        evacuatedByMc: ['m2'],
        evacuatedByOthers: ['m3'],
      }),
    );
    assert.deepEqual(lanes(plan), [
      ['restore m2'],
      ['evacuate m1, refresh m1, restore m1', 'evacuate m2, refresh m2, restore m2', 'refresh m3'],
    ]);
    assert.ok(plan.ok);
    assert.ok(
      plan.notes.some((n) =>
        n.startsWith('m3 was evacuated outside mc: mc neither evacuates nor restores it'),
      ),
    );
    // Nothing to refresh any more: the restore alone is planned.
    const atTarget = [
      snap('microceph', 'squid/candidate', '1518'),
      ...LTS.filter((s) => s.name !== 'microceph'),
    ];
    const only = planUpgrade(
      input({
        snaps: new Map(HOSTS.map((h) => [h, atTarget])),
        targets: { microceph: 'squid/candidate' },
        evacuatedByMc: ['m1'],
      }),
    );
    assert.deepEqual(lanes(only), [['restore m1']]);
    assert.equal(only.ok && only.steps, 0);
  });

  it("refuses an LXD refresh where the answering LXD is not the snap's (Debian's 5.0.2)", () => {
    const lts = LTS.map((s) => (s.name === 'lxd' ? { ...s, version: '5.21.3-c5ae129' } : s));
    const plan = planUpgrade(
      input({
        snaps: new Map(HOSTS.map((h) => [h, lts])),
        targets: { lxd: '6/stable' },
        lxdRunning: new Map([
          ['m1', '5.0.2'],
          ['m2', '5.21.3'],
          ['m3', '5.0.2'],
        ]),
      }),
    );
    assert.ok(!plan.ok);
    assert.deepEqual(
      plan.refusals.map((r) => `${r.reason}; ${r.next}`),
      ['m1', 'm3'].map(
        (h) =>
          `${h}: the LXD answering there is 5.0.2, not the lxd snap's 5.21.3: it is another LXD (a distribution package), which snap refresh does not upgrade; upgrade that LXD with its own package manager, or leave LXD as it is: --to lxd=5.21/stable`,
      ),
    );
  });

  it('refuses a channel of the same track that serves an older build than a member runs', () => {
    const newer = LTS.map((x) => (x.name === 'microceph' ? snap('microceph', 'squid/candidate', '1518') : x));
    const plan = planUpgrade(
      input({ snaps: new Map(HOSTS.map((h) => [h, newer])), targets: { microceph: 'squid/stable' } }),
    );
    assert.ok(!plan.ok);
    assert.deepEqual(
      plan.refusals.map((r) => `${r.reason}; ${r.next}`),
      [
        'm1, m2, m3: microceph squid/candidate rev 1518 would go back to squid/stable rev 1393, an older build: snaps refresh forward only (its data was upgraded); keep the newer build: --to microceph=squid/candidate',
      ],
    );
  });
});
