// The removal planner on fixtures: MicroCloud's order and refusals (mc2 api/services_cluster.go, MicroCeph's
// PreRemove checks, LXD's custom volumes), --force, several members one after another.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  customVolumes,
  describeRemoval,
  planRemoval,
  removalSteps,
  type RemovalState,
} from '../../../src/domain/day2/remove.js';

const five = ['m1', 'm2', 'm3', 'm4', 'm5'];
const state = (over: Partial<RemovalState> = {}): RemovalState => ({
  members: { lxd: five, microceph: five, microovn: five },
  lxd: {
    memberConfig: { m4: { 'storage.images_volume': 'local/images' }, m5: {} },
    volumes: [
      { pool: 'local', volume: 'images', member: 'm4' },
      { pool: 'remote', volume: 'shared', member: null },
    ],
  },
  ceph: {
    osds: [1, 2, 3, 4].map((n) => ({ osd: n, path: `/dev/sd${n}`, location: `m${n}` })),
    pools: [{ name: 'lxd_remote', size: 3 }],
    services: {
      m1: ['mds', 'mgr', 'mon'],
      m2: ['mds', 'mgr', 'mon'],
      m3: ['mds', 'mgr', 'mon'],
      m4: [],
      m5: [],
    },
  },
  ...over,
});
const order = five;

describe('planRemoval', () => {
  it('plans LXD first (keys, volumes, member), then MicroCeph beside MicroOVN, on the first member that stays', () => {
    const plan = planRemoval({ hosts: ['m5'], force: false, order }, state());
    assert.ok(plan.ok);
    const [removal] = plan.removals;
    assert.deepEqual(
      removal?.phases.map((p) => [
        p.id,
        p.lanes.map((l) => l.map((s) => `${s.host} ${describeRemoval(s.action)}`)),
      ]),
      [
        ['lxd', [['m1 remove m5 from LXD']]],
        ['services', [['m1 remove m5 from MicroCeph'], ['m1 remove m5 from MicroOVN']]],
      ],
    );
    assert.deepEqual(removal?.losses, []);
  });

  it('cleans up the images volume and key MicroCloud made, and refuses other custom volumes unless --force', () => {
    const withVolume = state();
    withVolume.lxd?.volumes.push({ pool: 'local', volume: 'data', member: 'm4' });
    const refused = planRemoval({ hosts: ['m4'], force: false, order }, withVolume);
    assert.ok(!refused.ok);
    assert.deepEqual(
      refused.refusals.map((r) => r.reason),
      [
        'LXD: Node still has the following custom volumes: data',
        'MicroCeph: Node m4 still has disks configured, remove before proceeding',
      ],
    );
    const clean = planRemoval(
      { hosts: ['m4'], force: false, order },
      { ...state(), members: { lxd: five, microovn: five }, ceph: null },
    );
    assert.ok(clean.ok);
    assert.deepEqual(
      removalSteps(clean.removals[0]!).map((s) => describeRemoval(s.action)),
      [
        'unset storage.images_volume on m4',
        'delete volume local/images on m4',
        'remove m4 from LXD',
        'remove m4 from MicroOVN',
      ],
    );
    const forced = planRemoval({ hosts: ['m4'], force: true, order }, withVolume);
    assert.ok(forced.ok);
    const steps = removalSteps(forced.removals[0]!).map((s) => describeRemoval(s.action));
    // 4 OSDs keep 3 copies: no shrink; nothing cleaned up first.
    assert.deepEqual(steps, [
      'remove m4 from LXD (--force)',
      'remove m4 from MicroCeph (--force)',
      'remove m4 from MicroOVN (--force)',
    ]);
    assert.match(forced.removals[0]!.losses.join('\n'), /custom volumes local\/data on m4/);
  });

  it('a member with no service is nothing to do; the last member of a service is refused', () => {
    const plan = planRemoval({ hosts: ['m9'], force: false, order }, state());
    assert.ok(plan.ok);
    assert.deepEqual(plan.notMembers, ['m9']);
    assert.deepEqual(plan.removals, []);
    const alone = planRemoval(
      { hosts: ['m1'], force: true, order },
      { members: { lxd: ['m1'] }, lxd: null, ceph: null },
    );
    assert.ok(!alone.ok);
    assert.equal(alone.refusals[0]?.reason, 'm1 is the last LXD member that would remain');
  });

  it('refuses a 2-member MicroCeph whose leaving member runs a monitor, even with --force', () => {
    const plan = planRemoval(
      { hosts: ['m2'], force: true, order: ['m1', 'm2'] },
      {
        members: { microceph: ['m1', 'm2'] },
        lxd: null,
        ceph: { osds: [], pools: [], services: { m1: ['mon'], m2: ['mon'] } },
      },
    );
    assert.ok(!plan.ok);
    assert.equal(
      plan.refusals[0]?.reason,
      '"m2" must be removed from the Ceph monmap before it can be removed from MicroCloud',
    );
    assert.match(plan.refusals[0]?.next ?? '', /^on m1: sudo microceph\.ceph mon remove m2, then/);
  });

  it('removes several members one after another, each checked against what the earlier ones left', () => {
    const plan = planRemoval({ hosts: ['m5', 'm4'], force: true, order }, state());
    assert.ok(plan.ok);
    const second = removalSteps(plan.removals[1]!).map((s) => describeRemoval(s.action));
    // After m4's OSD goes 3 remain: replication 3 stays, no shrink.
    assert.deepEqual(second, [
      'remove m4 from LXD (--force)',
      'remove m4 from MicroCeph (--force)',
      'remove m4 from MicroOVN (--force)',
    ]);
    const shrink = planRemoval({ hosts: ['m4', 'm3'], force: true, order }, state());
    assert.ok(shrink.ok);
    assert.deepEqual(
      removalSteps(shrink.removals[1]!).map((s) => describeRemoval(s.action)),
      [
        'remove m3 from LXD (--force)',
        'set Ceph replication to 2 (lxd_remote, default)',
        'remove m3 from MicroCeph (--force)',
        'remove m3 from MicroOVN (--force)',
      ],
    );
  });

  it('hands a member MicroCloud knows to microcloud remove, after the volume cleanup its docs ask for', () => {
    const cloud = { ...state(), members: { ...state().members, microcloud: five } };
    const plan = planRemoval(
      { hosts: ['m4'], force: false, order },
      { ...cloud, members: { lxd: five, microovn: five, microcloud: five }, ceph: null },
    );
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.removals[0]?.phases.map((p) => [
        p.title,
        p.lanes.flat().map((st) => `${st.host} ${describeRemoval(st.action)}`),
      ]),
      [
        [
          "Clean up m4's LXD volumes",
          ['m1 unset storage.images_volume on m4', 'm1 delete volume local/images on m4'],
        ],
        [
          'Remove m4 with MicroCloud',
          ['m1 microcloud remove m4 (LXD, then MicroCeph and MicroOVN, then MicroCloud)'],
        ],
      ],
    );
    // With --force, MicroCloud lowers the pools to the OSDs that stay (no cap at 3) and cleans up nothing.
    const forced = planRemoval(
      { hosts: ['m4', 'm3'], force: true, order },
      { ...cloud, members: { ...cloud.members } },
    );
    assert.ok(forced.ok);
    const m3 = forced.removals[1]!;
    assert.deepEqual(
      removalSteps(m3).map((st) => describeRemoval(st.action)),
      ['microcloud remove m3 --force (LXD, then MicroCeph and MicroOVN, then MicroCloud)'],
    );
    assert.ok(m3.losses.includes('Ceph replication lowered from 3 to 2 copies'), m3.losses.join('\n'));
  });

  it("reads custom volumes from LXD's used_by", () => {
    assert.deepEqual(
      customVolumes([
        {
          name: 'local',
          driver: 'zfs',
          usedBy: ['/1.0/storage-pools/local/volumes/custom/images?target=m4', '/1.0/profiles/default'],
        },
        { name: 'remote', driver: 'ceph', usedBy: ['/1.0/storage-pools/remote/volumes/custom/x'] },
      ]),
      [
        { pool: 'local', volume: 'images', member: 'm4' },
        { pool: 'remote', volume: 'x', member: null },
      ],
    );
  });
});
