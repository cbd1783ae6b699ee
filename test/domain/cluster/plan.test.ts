// planDeploy on simulated hosts: the design from the hosts' facts, the cluster state read from them as gather.ts
// reads it (clusterStateAsks, clusterSnapshot), and the plan checked step by step: ids, order, hosts, actions,
// which are done. Clusters MicroCloud deployed itself in the simulator give the reference end state (§3).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { describeAction } from '../../../src/domain/cluster/actions.js';
import {
  allSteps,
  pendingSteps,
  planDeploy,
  stepsDoneMeanwhile,
  type ConfigureContext,
  type Plan,
  type PhaseId,
  type PlanStep,
} from '../../../src/domain/cluster/plan.js';
import { clusterStateAsks, type ClusterSnapshot } from '../../../src/domain/cluster/snapshot.js';
import { EMPTY_CLUSTER_STATE, type ClusterState } from '../../../src/domain/cluster/state.js';
import type { ClusterDesign } from '../../../src/domain/cluster/types.js';
import type { HostFacts } from '../../../src/domain/facts/index.js';
import type { Inventory } from '../../../src/domain/inventory/types.js';
import { runShell, type World } from '../../../src/lab/sim/index.js';
import { lxdDatabase } from '../../../src/lab/sim/lxd.js';
import { LXD_521_EXTENSIONS } from '../../../src/workflows/deploy/index.js';
import { fixture } from '../facts/helpers.js';
import {
  deployWithPreseed,
  designOf,
  freshWorld,
  installStack,
  inventoryOf,
  inventoryText,
  lines,
  machine,
  simClusterSnapshot,
  simFacts,
} from './support.js';

const BY_ID = '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk';
const disk = (n: 1 | 2 | 3): string => `${BY_ID}${n}`;
const CEPH_RBD_FEATURES = 'layering,striping,exclusive-lock,object-map,fast-diff,deep-flatten';
/** What LXD 6 has and 5.21 lacks among the extensions lxd-config.ts asks about (§3.1). */
const LXD_6_ONLY = [
  'ovn_dynamic_northbound_connection',
  'storage_remote_drop_source',
  'storage_ceph_use_rbd_defaults',
];

interface Planned {
  plan: Plan;
  design: ClusterDesign;
  facts: Map<string, HostFacts>;
  snapshot: ClusterSnapshot;
}

/**
 * Facts, design, state and plan as `mc deploy` makes them (workflows/deploy/index.ts makePlan). These are the
 * direct engine's plans: mc forms each service itself; with MicroCloud on, that is what the plan does for a
 * cluster MicroCloud cannot adopt (formed earlier by the direct engine), so the design's engine is set to
 * direct here. The MicroCloud engine's plans are tested under 'plan: the MicroCloud engine'.
 */
async function planOn(
  world: World,
  inventory: Inventory,
  configure: Partial<ConfigureContext> = {},
  engine: 'direct' | 'microcloud' = 'direct',
): Promise<Planned> {
  const facts = await simFacts(world);
  const designed = designOf(inventory, facts);
  const design: ClusterDesign =
    engine === 'direct'
      ? { ...designed, engine: { kind: 'direct', reason: 'the direct engine under test' } }
      : designed;
  const snapshot = await simClusterSnapshot(world, design, facts);
  const plan = planDeploy(
    { design, facts, state: snapshot.state },
    {
      apiExtensions: snapshot.apiExtensions ?? LXD_521_EXTENSIONS,
      microcloudVersion: snapshot.microcloudVersion,
      ...configure,
    },
  );
  return { plan, design, facts, snapshot };
}

/** Re-plans the same design and facts on another state or context. */
function replan(planned: Planned, state: ClusterState, configure: ConfigureContext): Plan {
  return planDeploy({ design: planned.design, facts: planned.facts, state }, configure);
}

/** Each phase as stages of lanes of step ids; a done step's id ends in ` ✓`. */
function shape(plan: Plan): Record<PhaseId, string[][][]> {
  return Object.fromEntries(
    plan.phases.map((phase) => [
      phase.id,
      phase.stages.map((stage) => stage.lanes.map((lane) => lane.map((s) => (s.done ? `${s.id} ✓` : s.id)))),
    ]),
  ) as Record<PhaseId, string[][][]>;
}

const pendingIds = (plan: Plan): string[] => pendingSteps(plan).map((s) => s.id);

function stepOf(plan: Plan, id: string): PlanStep {
  return allSteps(plan).find((s) => s.id === id) ?? assert.fail(`no step ${id} in the plan`);
}

function configureSteps(plan: Plan): PlanStep[] {
  return plan.phases.find((p) => p.id === 'configure')?.stages.flatMap((s) => s.lanes.flat()) ?? [];
}

const done = (ids: string[]): string[] => ids.map((id) => `${id} ✓`);

function installLane(
  host: string,
  snaps: readonly string[] = ['microceph', 'microovn', 'lxd', 'microcloud'],
) {
  return [...snaps.map((snap) => `install:${host}:${snap}`), `install:${host}:hold`];
}

/** §3.1-§3.5 for members with a local disk, Ceph with CephFS and an OVN uplink, in MicroCloud's order. */
function configureIds(hosts: string[], options: { userMicrocloud: boolean }): string[] {
  return [
    'migration-stateful',
    ...(options.userMicrocloud ? ['user-microcloud'] : []),
    'ovn-northbound',
    ...hosts.flatMap((h) => [
      `pending:local:${h}`,
      `pending:remote:${h}`,
      `pending:remote-fs:${h}`,
      `pending:UPLINK:${h}`,
    ]),
    'pool:local',
    'pool:remote',
    'pool:remote-fs',
    'network:UPLINK',
    'network:UPLINK:description',
    'network:default',
    'network:default:description',
    'profile:eth0',
    'profile:root',
    ...hosts.flatMap((h) => [
      `volume:images:${h}`,
      `volume:backups:${h}`,
      `storage.backups_volume:${h}`,
      `storage.images_volume:${h}`,
    ]),
  ].map((id) => `configure:${id}`);
}

const HOSTS = ['micro1', 'micro2', 'micro3'];
/** test/fixtures/cluster/full.yaml: every key of the section, explicit disks and filters, underlay IPs. */
const FULL = readFileSync(new URL('../../fixtures/cluster/full.yaml', import.meta.url), 'utf8');
const OVN_KEYS =
  '  ovn: {ipv4_gateway: 10.1.124.1/24, ipv4_range: 10.1.124.100-10.1.124.254, ipv6_gateway: "fd42:1:1234:1234::1/64", dns_servers: "10.1.124.1,8.8.8.8"}';

/** The inventory matching test/fixtures/sim/preseed-unicast.yaml: every host local disk1, Ceph disk2, enp6s0. */
function preseedInventory(hosts = 3, ...extra: string[]): Inventory {
  const systems = Array.from(
    { length: hosts },
    (_, i) =>
      `    micro${i + 1}: {ovn_uplink_interface: enp6s0, storage: {local: ${disk(1)}, ceph: [${disk(2)}]}}`,
  );
  return inventoryOf(
    inventoryText(hosts, 'cluster:', ...extra, '  systems:', ...systems, OVN_KEYS, '  ceph: {cephfs: true}'),
  );
}

/** A preseed system as the fixture writes it. */
function preseedSystem(n: number, options: { uplink?: boolean; ceph?: boolean } = {}): string[] {
  return [
    `- name: micro${n}`,
    `  address: 10.1.123.${10 + n}`,
    ...(options.uplink === false ? [] : ['  ovn_uplink_interface: enp6s0']),
    '  storage:',
    `    local: {path: ${disk(1)}}`,
    ...(options.ceph === false ? [] : [`    ceph: [{path: ${disk(2)}}]`]),
  ];
}
const PRESEED_OVN = [
  'ovn:',
  '  ipv4_gateway: 10.1.124.1/24',
  '  ipv4_range: 10.1.124.100-10.1.124.254',
  '  ipv6_gateway: fd42:1:1234:1234::1/64',
  '  dns_servers: 10.1.124.1,8.8.8.8',
];

/** `microcloud preseed` on the initiator, then on the others, as deployWithPreseed runs it. */
async function microcloudPreseed(world: World, initiator: string, others: string[], preseed: string) {
  const must = async (host: string): Promise<void> => {
    const result = await runShell(world, host, 'microcloud preseed', preseed);
    assert.equal(result.exitCode, 0, `${host}: ${result.stderr}`);
  };
  const first = must(initiator);
  await world.clock.sleep(5_000);
  await Promise.all([first, ...others.map(must)]);
  await world.clock.sleep(60_000);
}

async function sim(world: World, host: string, line: string): Promise<string> {
  const result = await runShell(world, host, line);
  assert.equal(result.exitCode, 0, `${host}$ ${line}: ${result.stderr}`);
  return result.stdout;
}

describe('plan: a fresh cluster', () => {
  it('3 hosts, every service, Ceph and local disks, an OVN uplink: MicroCloud’s order (§1.3, §3)', async () => {
    const inventory = inventoryOf(FULL);
    const planned = await planOn(freshWorld(3), inventory);
    const { plan, design, snapshot } = planned;
    // Nothing runs yet: no host is asked anything, and LXD 5.21's extensions are assumed.
    assert.deepEqual(clusterStateAsks(design, planned.facts), []);
    assert.deepEqual(snapshot, { state: EMPTY_CLUSTER_STATE, apiExtensions: null, microcloudVersion: null });
    assert.deepEqual(plan.anchors, {
      lxd: 'micro1',
      microceph: 'micro1',
      microovn: 'micro1',
      microcloud: 'micro1',
    });

    const joins = (host: string, osd: string) => [
      [[`join:${host}:microceph`, `join:${host}:osd:${osd}`], [`join:${host}:microovn`]],
      [[`join:${host}:lxd`]],
    ];
    assert.deepEqual(shape(plan), {
      install: [[installLane('micro1'), installLane('micro2'), installLane('micro3')]],
      bootstrap: [
        [['bootstrap:micro1:microcloud']],
        [['bootstrap:micro1:microceph'], ['bootstrap:micro1:microovn']],
        [['bootstrap:micro1:lxd']],
      ],
      // micro1 bootstraps: its join steps are done and their stages left out.
      join: [...joins('micro2', disk(2)), ...joins('micro3', disk(3))],
      storage: [[[`storage:micro1:osd:${disk(2)}`]], [['storage:micro1:replication']]],
      configure: [[configureIds(HOSTS, { userMicrocloud: false })]],
    });
    assert.deepEqual(
      plan.phases.map((p) => p.id),
      ['install', 'bootstrap', 'join', 'storage', 'configure'],
    );
    assert.equal(pendingSteps(plan).length, allSteps(plan).length, 'nothing is done on fresh hosts');

    // Install: the channels of the section, then one hold of every snap.
    assert.deepEqual(
      plan.phases[0]?.stages[0]?.lanes[1]?.map((s) => [s.host, s.action]),
      [
        ['micro2', { kind: 'snap-install', snap: 'microceph', channel: 'squid/stable' }],
        ['micro2', { kind: 'snap-install', snap: 'microovn', channel: '24.03/stable' }],
        ['micro2', { kind: 'snap-install', snap: 'lxd', channel: '5.21/stable', minVersion: '5.21' }],
        ['micro2', { kind: 'snap-install', snap: 'microcloud', channel: '2/stable' }],
        ['micro2', { kind: 'snap-hold', snaps: ['microceph', 'microovn', 'lxd', 'microcloud'] }],
      ],
    );

    // Bootstrap, all on the initiator (§1.3 step 1, §1.4).
    const bootstrap = plan.phases[1]?.stages.flatMap((s) => s.lanes.flat()) ?? [];
    assert.deepEqual(
      bootstrap.map((s) => [s.host, s.action]),
      [
        [
          'micro1',
          { kind: 'microcluster-bootstrap', service: 'microcloud', address: '10.1.123.11:9443', config: {} },
        ],
        [
          'micro1',
          {
            kind: 'microceph-bootstrap',
            address: '10.1.123.11',
            publicNetwork: '10.1.123.0/24',
            clusterNetwork: '10.1.123.0/24',
          },
        ],
        [
          'micro1',
          {
            kind: 'microcluster-bootstrap',
            service: 'microovn',
            address: '10.1.123.11:6443',
            config: { 'ovn-encap-ip': '10.1.123.11' },
          },
        ],
        [
          'micro1',
          {
            kind: 'lxd-bootstrap',
            address: '10.1.123.11:8443',
            config: { 'core.https_address': '[::]:8443', 'cluster.https_address': '10.1.123.11:8443' },
          },
        ],
      ],
    );

    // Joins: each on the joiner, tokens from micro1; the joiner's OSDs right after its MicroCeph join (§1.3 2c).
    const micro3Ceph = design.members[2]?.cephDisks[0]?.value;
    assert.equal(micro3Ceph?.wipe, true, 'micro3’s filter asks for a wipe');
    assert.deepEqual(
      (plan.phases[2]?.stages.slice(2).flatMap((s) => s.lanes.flat()) ?? []).map((s) => [s.host, s.action]),
      [
        [
          'micro3',
          {
            kind: 'microcluster-join',
            service: 'microceph',
            anchor: 'micro1',
            address: '10.1.123.13:7443',
            config: {},
          },
        ],
        ['micro3', { kind: 'ceph-disk-add', disk: micro3Ceph }],
        [
          'micro3',
          {
            kind: 'microcluster-join',
            service: 'microovn',
            anchor: 'micro1',
            address: '10.1.123.13:6443',
            config: { 'ovn-encap-ip': '10.1.123.13' },
          },
        ],
        // Nothing of MicroCloud's exists yet: no member_config (§1.4 "bootstrap case: empty").
        ['micro3', { kind: 'lxd-join', anchor: 'micro1', address: '10.1.123.13:8443', memberConfig: [] }],
      ],
    );

    // Storage: the initiator's own OSDs after every join, then replication min(3 OSDs, 3) (§1.3 steps 3-4, §3.6).
    const initiatorOsd = stepOf(plan, `storage:micro1:osd:${disk(2)}`);
    assert.deepEqual(
      [initiatorOsd.host, initiatorOsd.action],
      ['micro1', { kind: 'ceph-disk-add', disk: design.members[0]?.cephDisks[0]?.value }],
    );
    const replication = stepOf(plan, 'storage:micro1:replication');
    assert.deepEqual(
      [replication.host, replication.action],
      ['micro1', { kind: 'ceph-replication', osds: 3 }],
    );
    assert.equal(describeAction(replication.action), 'set Ceph replication to 3 (3 OSDs)');

    // Configure: everything through the initiator's LXD, as §3.1-§3.5 create it.
    const configure = configureSteps(plan);
    assert.ok(configure.every((s) => s.host === 'micro1'));
    const action = (id: string) => stepOf(plan, `configure:${id}`).action;
    assert.deepEqual(action('migration-stateful'), {
      kind: 'lxd-config',
      key: 'instances.migration.stateful',
      value: 'true',
    });
    assert.deepEqual(action('ovn-northbound'), {
      kind: 'lxd-config',
      key: 'network.ovn.northbound_connection',
      value: 'ssl:10.1.123.11:6641,ssl:10.1.123.12:6641,ssl:10.1.123.13:6641',
    });
    assert.deepEqual(action('pending:local:micro1'), {
      kind: 'lxd-storage-create',
      pool: 'local',
      driver: 'zfs',
      description: 'Local storage on ZFS',
      config: { source: disk(1) },
      target: 'micro1',
    });
    assert.deepEqual(action('pending:remote:micro2'), {
      kind: 'lxd-storage-create',
      pool: 'remote',
      driver: 'ceph',
      description: 'Distributed storage on Ceph',
      config: { source: 'lxd_remote' },
      target: 'micro2',
    });
    assert.deepEqual(action('pending:remote-fs:micro3'), {
      kind: 'lxd-storage-create',
      pool: 'remote-fs',
      driver: 'cephfs',
      description: 'Distributed file-system storage using CephFS',
      config: { source: 'lxd_cephfs' },
      target: 'micro3',
    });
    assert.deepEqual(action('pending:UPLINK:micro3'), {
      kind: 'lxd-network-create',
      network: 'UPLINK',
      type: 'physical',
      config: { parent: 'enp6s0' },
      target: 'micro3',
    });
    assert.deepEqual(action('pool:local'), {
      kind: 'lxd-storage-create',
      pool: 'local',
      driver: 'zfs',
      description: 'Local storage on ZFS',
      config: {},
    });
    assert.deepEqual(action('pool:remote'), {
      kind: 'lxd-storage-create',
      pool: 'remote',
      driver: 'ceph',
      description: 'Distributed storage on Ceph',
      config: {
        'ceph.osd.pool_name': 'lxd_remote',
        'ceph.rbd.du': 'false',
        'ceph.rbd.features': CEPH_RBD_FEATURES,
      },
    });
    assert.deepEqual(action('pool:remote-fs'), {
      kind: 'lxd-storage-create',
      pool: 'remote-fs',
      driver: 'cephfs',
      description: 'Distributed file-system storage using CephFS',
      config: {
        'cephfs.create_missing': 'true',
        'cephfs.meta_pool': 'lxd_cephfs_meta',
        'cephfs.data_pool': 'lxd_cephfs_data',
        'cephfs.path': 'lxd_cephfs',
      },
    });
    assert.deepEqual(action('network:UPLINK'), {
      kind: 'lxd-network-create',
      network: 'UPLINK',
      type: 'physical',
      config: {
        'ipv4.gateway': '10.1.124.1/24',
        'ipv4.ovn.ranges': '10.1.124.100-10.1.124.254',
        'ipv6.gateway': 'fd42:1:1234:1234::1/64',
        'dns.nameservers': '10.1.124.1,8.8.8.8',
      },
    });
    assert.deepEqual(action('network:default'), {
      kind: 'lxd-network-create',
      network: 'default',
      type: 'ovn',
      config: { network: 'UPLINK' },
    });
    assert.deepEqual(action('profile:eth0'), {
      kind: 'lxd-profile-device',
      device: 'eth0',
      config: { name: 'eth0', network: 'default', type: 'nic' },
    });
    assert.deepEqual(action('profile:root'), {
      kind: 'lxd-profile-device',
      device: 'root',
      config: { path: '/', pool: 'remote', type: 'disk' },
    });
    assert.deepEqual(action('volume:backups:micro2'), {
      kind: 'lxd-volume-create',
      pool: 'local',
      volume: 'backups',
      target: 'micro2',
    });
    assert.deepEqual(action('storage.images_volume:micro2'), {
      kind: 'lxd-config',
      key: 'storage.images_volume',
      value: 'local/images',
      target: 'micro2',
    });

    // Pure: the same inputs give the same plan and are left as they were.
    const before = structuredClone(design);
    const again = planDeploy(
      { design, facts: planned.facts, state: EMPTY_CLUSTER_STATE },
      { apiExtensions: LXD_521_EXTENSIONS, microcloudVersion: null },
    );
    assert.deepEqual(again, plan);
    assert.deepEqual(design, before);
  });

  it('1 host, 1 OSD, no uplink: replication 1, the FAN network, OVN still pointed at MicroOVN', async () => {
    const inventory = inventoryOf(
      inventoryText(
        1,
        'cluster:',
        '  systems:',
        `    micro1: {storage: {local: /dev/sda, ceph: [/dev/sdb]}}`,
      ),
    );
    const { plan } = await planOn(freshWorld(1), inventory, { microcloudVersion: '2.1.0' });
    assert.deepEqual(shape(plan).join, []);
    assert.deepEqual(stepOf(plan, 'storage:micro1:replication').action, {
      kind: 'ceph-replication',
      osds: 1,
    });
    assert.deepEqual(
      configureSteps(plan).map((s) => s.id),
      [
        'migration-stateful',
        'user-microcloud',
        'ovn-northbound',
        'pending:local:micro1',
        'pending:remote:micro1',
        'pending:lxdfan0:micro1',
        'pool:local',
        'pool:remote',
        'network:lxdfan0',
        'network:lxdfan0:description',
        'profile:eth0',
        'profile:root',
        'volume:images:micro1',
        'volume:backups:micro1',
        'storage.backups_volume:micro1',
        'storage.images_volume:micro1',
      ].map((id) => `configure:${id}`),
    );
    assert.deepEqual(stepOf(plan, 'configure:user-microcloud').action, {
      kind: 'lxd-config',
      key: 'user.microcloud',
      value: '2.1.0',
    });
    assert.deepEqual(stepOf(plan, 'configure:ovn-northbound').action, {
      kind: 'lxd-config',
      key: 'network.ovn.northbound_connection',
      value: 'ssl:10.1.123.11:6641',
    });
  });
});

describe('plan: API extensions decide what is planned (§3.1 table)', () => {
  it('5.21, none, and LXD 6’s: stateful migration, northbound connection, pool sources, rbd features', async () => {
    const planned = await planOn(freshWorld(3), inventoryOf(FULL));
    const plan = (apiExtensions: readonly string[]) =>
      replan(planned, EMPTY_CLUSTER_STATE, { apiExtensions, microcloudVersion: null });
    const ids = (p: Plan) => configureSteps(p).map((s) => s.id);
    const lts = configureIds(HOSTS, { userMicrocloud: false });
    assert.deepEqual(ids(plan(LXD_521_EXTENSIONS)), lts);

    // Without instances_migration_stateful the key is not set at all.
    const none = plan([]);
    assert.deepEqual(
      ids(none),
      lts.filter((id) => id !== 'configure:migration-stateful'),
    );
    assert.deepEqual(
      stepOf(none, 'configure:pending:remote:micro1').action,
      stepOf(plan(LXD_521_EXTENSIONS), 'configure:pending:remote:micro1').action,
    );

    // LXD 6: the northbound connection is dynamic, remote pools need no source, rbd features are LXD's defaults.
    const six = plan([...LXD_521_EXTENSIONS, ...LXD_6_ONLY]);
    assert.deepEqual(
      ids(six),
      lts.filter((id) => id !== 'configure:ovn-northbound'),
    );
    for (const host of HOSTS) {
      for (const pool of ['remote', 'remote-fs']) {
        const action = stepOf(six, `configure:pending:${pool}:${host}`).action;
        assert.ok(action.kind === 'lxd-storage-create');
        assert.deepEqual(action.config, {}, `${pool} on ${host}`);
      }
    }
    assert.deepEqual(stepOf(six, 'configure:pool:remote').action, {
      kind: 'lxd-storage-create',
      pool: 'remote',
      driver: 'ceph',
      description: 'Distributed storage on Ceph',
      config: { 'ceph.osd.pool_name': 'lxd_remote', 'ceph.rbd.du': 'false' },
    });
    // Each extension gates its own key only.
    const noRbdDefaults = plan([...LXD_521_EXTENSIONS, 'storage_remote_drop_source']);
    assert.deepEqual(ids(noRbdDefaults), lts);
    const remote = stepOf(noRbdDefaults, 'configure:pool:remote').action;
    assert.ok(remote.kind === 'lxd-storage-create');
    assert.equal(remote.config['ceph.rbd.features'], CEPH_RBD_FEATURES);
    const pending = stepOf(noRbdDefaults, 'configure:pending:remote-fs:micro2').action;
    assert.ok(pending.kind === 'lxd-storage-create');
    assert.deepEqual(pending.config, {});
  });
});

describe('plan: clusters MicroCloud deployed itself (the reference end state)', () => {
  it('the preseed fixture’s 3 hosts: every step is done, every §3 object found', async () => {
    const world = freshWorld(3);
    await deployWithPreseed(world, fixture('../sim/preseed-unicast.yaml'));
    const planned = await planOn(world, preseedInventory());
    const { plan, design, snapshot } = planned;
    // One host is asked about all three services; MicroCloud's release is read on it.
    assert.deepEqual(
      clusterStateAsks(design, planned.facts).map((a) => [a.host, a.query]),
      [['micro1', { lxdMembers: HOSTS, microceph: true, microovn: true }]],
    );
    assert.equal(snapshot.microcloudVersion, '2.1.0');
    assert.ok(snapshot.apiExtensions?.includes('instances_migration_stateful'));

    assert.deepEqual(pendingIds(plan), []);
    assert.deepEqual(shape(plan), {
      install: [HOSTS.map((host) => done(installLane(host)))],
      bootstrap: [
        [done(['bootstrap:micro1:microcloud'])],
        [done(['bootstrap:micro1:microceph']), done(['bootstrap:micro1:microovn'])],
        [done(['bootstrap:micro1:lxd'])],
      ],
      join: [],
      storage: [[done([`storage:micro1:osd:${disk(2)}`])], [done(['storage:micro1:replication'])]],
      configure: [[done(configureIds(HOSTS, { userMicrocloud: true }))]],
    });
    // The values mc would set are those MicroCloud set.
    assert.deepEqual(stepOf(plan, 'configure:user-microcloud').action, {
      kind: 'lxd-config',
      key: 'user.microcloud',
      value: '2.1.0',
    });
    assert.equal(
      snapshot.state.lxd?.serverConfig['network.ovn.northbound_connection'],
      'ssl:10.1.123.11:6641,ssl:10.1.123.12:6641,ssl:10.1.123.13:6641',
    );

    // The OSDs are found in MicroCeph's list too, not only through the design's `existing`.
    const unmarked = structuredClone(design);
    for (const member of unmarked.members) for (const d of member.cephDisks) delete d.value.existing;
    const again = planDeploy(
      { design: unmarked, facts: planned.facts, state: snapshot.state },
      { apiExtensions: snapshot.apiExtensions ?? [], microcloudVersion: snapshot.microcloudVersion },
    );
    assert.deepEqual(pendingIds(again), []);
  });

  it('remote-fs deleted by hand: created again on the CephFS filesystem that is still there', async () => {
    const world = freshWorld(3);
    await deployWithPreseed(world, fixture('../sim/preseed-unicast.yaml'));
    await sim(world, 'micro1', 'lxc storage delete remote-fs');
    const { plan, snapshot } = await planOn(world, preseedInventory());
    // The filesystem's OSD pools outlive the LXD pool; cephfs.create_missing would be refused now.
    assert.ok(snapshot.state.ceph?.pools.some((p) => p.name === 'lxd_cephfs_meta'));
    assert.deepEqual(pendingIds(plan), [
      ...HOSTS.map((h) => `configure:pending:remote-fs:${h}`),
      'configure:pool:remote-fs',
    ]);
    const create = stepOf(plan, 'configure:pool:remote-fs').action;
    assert.deepEqual(create, {
      kind: 'lxd-storage-create',
      pool: 'remote-fs',
      driver: 'cephfs',
      description: 'Distributed file-system storage using CephFS',
      config: { 'cephfs.path': 'lxd_cephfs' },
    });
    for (const step of pendingSteps(plan)) {
      const action = step.action;
      assert.ok(action.kind === 'lxd-storage-create');
      const config = Object.entries(action.config).map(([k, v]) => `${k}=${v}`);
      const target = action.target === undefined ? [] : [`--target ${action.target}`];
      await sim(world, step.host, ['lxc storage create remote-fs cephfs', ...config, ...target].join(' '));
    }
    assert.deepEqual(pendingIds((await planOn(world, preseedInventory())).plan), []);
  });

  it('4 hosts with micro4 the initiator: the northbound connection lists MicroOVN’s central members', async () => {
    const world = freshWorld(4);
    const hosts = [...HOSTS, 'micro4'];
    await installStack(world, hosts);
    await microcloudPreseed(
      world,
      'micro4',
      HOSTS,
      lines(
        'initiator_address: 10.1.123.14',
        'session_passphrase: foo',
        'systems:',
        ...[1, 2, 3, 4].flatMap((n) => preseedSystem(n)),
        ...PRESEED_OVN,
        'ceph: {cephfs: true}',
      ),
    );
    const planned = await planOn(world, preseedInventory(4, '  initiator: micro4'));
    const { plan, snapshot } = planned;
    // MicroOVN runs `central` on its first three members: micro4 bootstrapped it, micro1 and micro2 joined next.
    assert.deepEqual(snapshot.state.ovnCentral, ['micro4', 'micro1', 'micro2']);
    assert.equal(
      snapshot.state.lxd?.serverConfig['network.ovn.northbound_connection'],
      'ssl:10.1.123.14:6641,ssl:10.1.123.11:6641,ssl:10.1.123.12:6641',
    );
    assert.deepEqual(plan.anchors, {
      lxd: 'micro4',
      microceph: 'micro4',
      microovn: 'micro4',
      microcloud: 'micro4',
    });
    assert.deepEqual(pendingIds(plan), []);
    // mc sets the same value, and predicts it before anything runs: MicroOVN's join order is mc's.
    const northbound = {
      kind: 'lxd-config',
      key: 'network.ovn.northbound_connection',
      value: 'ssl:10.1.123.14:6641,ssl:10.1.123.11:6641,ssl:10.1.123.12:6641',
    };
    assert.deepEqual(stepOf(plan, 'configure:ovn-northbound').action, northbound);
    const fresh = replan(planned, EMPTY_CLUSTER_STATE, {
      apiExtensions: LXD_521_EXTENSIONS,
      microcloudVersion: null,
    });
    assert.deepEqual(stepOf(fresh, 'configure:ovn-northbound').action, northbound);
  });

  it('no uplink, no Ceph disks: the FAN network, and LXD still pointed at MicroOVN (§2.2, §3.1)', async () => {
    const world = freshWorld(3);
    await installStack(world, HOSTS);
    await microcloudPreseed(
      world,
      'micro1',
      ['micro2', 'micro3'],
      lines(
        'initiator_address: 10.1.123.11',
        'session_passphrase: foo',
        'systems:',
        ...[1, 2, 3].flatMap((n) => preseedSystem(n, { uplink: false, ceph: false })),
      ),
    );
    const inventory = inventoryOf(
      inventoryText(
        3,
        'cluster:',
        '  systems:',
        ...HOSTS.map((host) => `    ${host}: {storage: {local: ${disk(1)}, ceph: []}}`),
      ),
    );
    const { plan, design, snapshot } = await planOn(world, inventory);
    assert.equal(design.uplink, null);
    assert.deepEqual(design.fan, { underlaySubnet: '10.1.123.0/24' });
    // MicroCloud set it though no OVN network exists: LXD 5.21 reaches MicroOVN only through it.
    assert.equal(
      snapshot.state.lxd?.serverConfig['network.ovn.northbound_connection'],
      'ssl:10.1.123.11:6641,ssl:10.1.123.12:6641,ssl:10.1.123.13:6641',
    );
    assert.deepEqual(shape(plan).storage, []);
    assert.deepEqual(shape(plan).configure, [
      [
        done(
          [
            'migration-stateful',
            'user-microcloud',
            'ovn-northbound',
            ...HOSTS.flatMap((h) => [`pending:local:${h}`, `pending:lxdfan0:${h}`]),
            'pool:local',
            'network:lxdfan0',
            'network:lxdfan0:description',
            'profile:eth0',
            'profile:root',
            ...HOSTS.flatMap((h) => [
              `volume:images:${h}`,
              `volume:backups:${h}`,
              `storage.backups_volume:${h}`,
              `storage.images_volume:${h}`,
            ]),
          ].map((id) => `configure:${id}`),
        ),
      ],
    ]);
    assert.deepEqual(pendingIds(plan), []);
  });
});

describe('plan: a network or pool a create left Errored midway (issue 14, point 4)', () => {
  it('resumes the create without global config, which LXD takes, where the same create again is refused', async () => {
    const world = freshWorld(3);
    await installStack(world, HOSTS);
    await microcloudPreseed(
      world,
      'micro1',
      ['micro2', 'micro3'],
      lines(
        'initiator_address: 10.1.123.11',
        'session_passphrase: foo',
        'systems:',
        ...[1, 2, 3].flatMap((n) => preseedSystem(n, { uplink: false, ceph: false })),
      ),
    );
    const inventory = inventoryOf(
      inventoryText(
        3,
        'cluster:',
        '  systems:',
        ...HOSTS.map((host) => `    ${host}: {storage: {local: ${disk(1)}, ceph: []}}`),
      ),
    );
    // The cluster-wide create of lxdfan0 stored its global config, created it on micro1 and micro2, and failed
    // on micro3: LXD leaves it Errored (networksPostCluster).
    const fan = lxdDatabase(world, machine(world, 'micro1')).networks.find((n) => n.name === 'lxdfan0');
    assert.ok(fan !== undefined);
    fan.status = 'Errored';
    fan.createdOn = ['micro1', 'micro2'];
    // The same for the local pool (storagePoolsPostCluster).
    const local = lxdDatabase(world, machine(world, 'micro1')).storagePools.find((p) => p.name === 'local');
    assert.ok(local !== undefined);
    local.status = 'Errored';
    const { plan } = await planOn(world, inventory);
    assert.deepEqual(pendingIds(plan), [
      'configure:pool:local',
      'configure:network:lxdfan0',
      'configure:network:lxdfan0:description',
    ]);
    assert.deepEqual(stepOf(plan, 'configure:pool:local').action, {
      kind: 'lxd-storage-create',
      pool: 'local',
      driver: 'zfs',
      description: 'Local storage on ZFS',
      config: {},
      resume: true,
    });
    const resume = stepOf(plan, 'configure:network:lxdfan0').action;
    assert.deepEqual(resume, {
      kind: 'lxd-network-create',
      network: 'lxdfan0',
      type: 'bridge',
      config: {},
      resume: true,
    });
    assert.equal(
      describeAction(resume),
      'resume creating network lxdfan0 (bridge): an earlier create failed midway (Errored)',
    );
    // What LXD says to the create as first planned, and to the resumed one (configure-lxd.ts's command).
    const again = await runShell(
      world,
      'micro1',
      'lxc network create lxdfan0 --type=bridge bridge.mode=fan fan.underlay_subnet=10.1.123.0/24',
    );
    assert.equal(again.exitCode, 1);
    assert.match(again.stderr, /Network already partially created\. Please do not specify any global config/);
    const resumed = await runShell(world, 'micro1', 'lxc network create lxdfan0 --type=bridge');
    assert.equal(resumed.exitCode, 0, resumed.stderr);
    const pool = await runShell(world, 'micro1', 'lxc storage create local zfs');
    assert.equal(pool.exitCode, 0, pool.stderr);
    assert.equal(local.status, 'Created');
    assert.equal(fan.status, 'Created');
    assert.deepEqual([...fan.createdOn].sort(), HOSTS);
    const after = (await planOn(world, inventory)).plan;
    assert.deepEqual(pendingIds(after), []);
    // Deploy reads the plan again before it configures: what the first read planned and LXD has done since
    // (the cut run's own create finishing) is reported as done meanwhile, not dropped without a word.
    const configure = (p: Plan) => p.phases.find((phase) => phase.id === 'configure');
    assert.deepEqual(
      stepsDoneMeanwhile(configure(plan)!, configure(after)).map((step) => step.id),
      ['configure:pool:local', 'configure:network:lxdfan0', 'configure:network:lxdfan0:description'],
    );
    assert.deepEqual(stepsDoneMeanwhile(configure(plan)!, configure(plan)), []);
  });
});

describe('plan: the inventory’s own pools and networks (cluster.lxd)', () => {
  const OWN = [
    '  lxd:',
    '    storage_pools: [{name: data, driver: dir, description: Data}]',
    '    networks:',
    '      - {name: br1, type: bridge, config: {ipv4.address: 10.99.1.1/24, ipv6.address: none}}',
  ];
  it('defines each on every member, creates it cluster-wide with its config, then finds nothing to do; a changed or Errored one converges to the inventory', async () => {
    const world = freshWorld(3);
    await installStack(world, HOSTS);
    await microcloudPreseed(
      world,
      'micro1',
      ['micro2', 'micro3'],
      lines(
        'initiator_address: 10.1.123.11',
        'session_passphrase: foo',
        'systems:',
        ...[1, 2, 3].flatMap((n) => preseedSystem(n, { uplink: false, ceph: false })),
      ),
    );
    const inventory = inventoryOf(
      inventoryText(
        3,
        'cluster:',
        '  systems:',
        ...HOSTS.map((host) => `    ${host}: {storage: {local: ${disk(1)}, ceph: []}}`),
        ...OWN,
      ),
    );
    const { plan } = await planOn(world, inventory);
    assert.deepEqual(pendingIds(plan), [
      ...HOSTS.flatMap((h) => [`configure:pending:data:${h}`, `configure:pending:br1:${h}`]),
      'configure:pool:data',
      'configure:network:br1',
    ]);
    assert.deepEqual(stepOf(plan, 'configure:network:br1').action, {
      kind: 'lxd-network-create',
      network: 'br1',
      type: 'bridge',
      config: { 'ipv4.address': '10.99.1.1/24', 'ipv6.address': 'none' },
    });
    // The commands configure-lxd.ts runs, on the simulated LXD: each member's definition, then the create.
    for (const host of HOSTS) {
      for (const line of [
        `lxc storage create data dir --target ${host}`,
        `lxc network create br1 --type=bridge --target ${host}`,
      ]) {
        const r = await runShell(world, 'micro1', line, 'description: Data\n');
        assert.equal(r.exitCode, 0, `${line}: ${r.stderr}`);
      }
    }
    // Defined on every member, never created (a deploy cut before the create): the create carries the config,
    // nothing is set besides.
    assert.deepEqual(pendingIds((await planOn(world, inventory)).plan), [
      'configure:pool:data',
      'configure:network:br1',
    ]);
    for (const line of [
      'lxc storage create data dir',
      'lxc network create br1 --type=bridge ipv4.address=10.99.1.1/24 ipv6.address=none',
    ]) {
      const r = await runShell(world, 'micro1', line, 'description: Data\n');
      assert.equal(r.exitCode, 0, `${line}: ${r.stderr}`);
    }
    assert.deepEqual(pendingIds((await planOn(world, inventory)).plan), []);

    // The inventory changes the subnet: LXD holds the first create's; the plan sets it and says what LXD holds.
    const changed = inventoryOf(
      inventoryText(
        3,
        'cluster:',
        '  systems:',
        ...HOSTS.map((host) => `    ${host}: {storage: {local: ${disk(1)}, ceph: []}}`),
        ...OWN.map((l) => l.replace('10.99.1.1/24', '10.99.2.1/24')),
      ),
    );
    const again = (await planOn(world, changed)).plan;
    assert.deepEqual(pendingIds(again), ['configure:network:br1:config']);
    assert.equal(
      describeAction(stepOf(again, 'configure:network:br1:config').action),
      'set network br1 ipv4.address=10.99.2.1/24 (LXD holds ipv4.address=10.99.1.1/24)',
    );

    // Errored midway with the old subnet stored: resumed without config (as LXD requires), then set.
    const br1 = lxdDatabase(world, machine(world, 'micro1')).networks.find((n) => n.name === 'br1');
    assert.ok(br1 !== undefined);
    br1.status = 'Errored';
    br1.createdOn = ['micro1'];
    const resumed = (await planOn(world, changed)).plan;
    assert.deepEqual(pendingIds(resumed), ['configure:network:br1', 'configure:network:br1:config']);
    assert.equal(
      describeAction(stepOf(resumed, 'configure:network:br1').action),
      'resume creating network br1 (bridge): an earlier create failed midway (Errored)',
    );
  });

  it('a pool and a network of its own serve the default profile where MicroCloud gives none', async () => {
    const world = freshWorld(2);
    const inventory = inventoryOf(
      inventoryText(
        2,
        'cluster:',
        '  services: {microceph: false, microovn: false, microcloud: false}',
        ...OWN,
      ),
    );
    const { plan } = await planOn(world, inventory);
    assert.deepEqual(stepOf(plan, 'configure:profile:root').action, {
      kind: 'lxd-profile-device',
      device: 'root',
      config: { path: '/', pool: 'data', type: 'disk' },
    });
    assert.deepEqual(stepOf(plan, 'configure:profile:eth0').action, {
      kind: 'lxd-profile-device',
      device: 'eth0',
      config: { name: 'eth0', network: 'br1', type: 'nic' },
    });
    // The network takes the place of MicroCloud's FAN fallback.
    assert.ok(!allSteps(plan).some((step) => step.id.includes('lxdfan0')));
  });
});

describe('plan: growing a cluster (§2.2, §3.7)', () => {
  it('1 deployed host, 2 new: no bootstrap, joins with member_config, replication raised', async () => {
    const world = freshWorld(3);
    await installStack(world, ['micro1']);
    await microcloudPreseed(
      world,
      'micro1',
      [],
      lines(
        'initiator_address: 10.1.123.11',
        'systems:',
        ...preseedSystem(1),
        ...PRESEED_OVN,
        'ceph: {cephfs: true}',
      ),
    );
    const planned = await planOn(world, preseedInventory());
    const { plan, snapshot } = planned;
    assert.deepEqual(plan.anchors, {
      lxd: 'micro1',
      microceph: 'micro1',
      microovn: 'micro1',
      microcloud: 'micro1',
    });
    // With one OSD MicroCloud left every pool at size 1 (.mgr keeps Ceph's 3).
    assert.deepEqual(snapshot.state.ceph?.pools, [
      { name: '.mgr', size: 3 },
      { name: 'lxd_cephfs_data', size: 1 },
      { name: 'lxd_cephfs_meta', size: 1 },
      { name: 'lxd_remote', size: 1 },
    ]);

    const joins = (host: string) => [
      [[`join:${host}:microceph`, `join:${host}:osd:${disk(2)}`], [`join:${host}:microovn`]],
      [[`join:${host}:lxd`]],
    ];
    const newMember = (host: string) =>
      [
        `volume:images:${host}`,
        `volume:backups:${host}`,
        `storage.backups_volume:${host}`,
        `storage.images_volume:${host}`,
      ].map((id) => `configure:${id}`);
    assert.deepEqual(shape(plan), {
      install: [[done(installLane('micro1')), installLane('micro2'), installLane('micro3')]],
      bootstrap: [
        [done(['bootstrap:micro1:microcloud'])],
        [done(['bootstrap:micro1:microceph']), done(['bootstrap:micro1:microovn'])],
        [done(['bootstrap:micro1:lxd'])],
      ],
      join: [...joins('micro2'), ...joins('micro3')],
      storage: [[done([`storage:micro1:osd:${disk(2)}`])], [['storage:micro1:replication']]],
      configure: [
        [
          configureIds(HOSTS, { userMicrocloud: true }).map((id) =>
            newMember('micro2').includes(id) ||
            newMember('micro3').includes(id) ||
            id === 'configure:ovn-northbound'
              ? id
              : `${id} ✓`,
          ),
        ],
      ],
    });
    assert.deepEqual(stepOf(plan, 'storage:micro1:replication').action, {
      kind: 'ceph-replication',
      osds: 3,
    });
    // MicroOVN will run `central` on the joiners too: the connection grows to the three of them.
    assert.deepEqual(stepOf(plan, 'configure:ovn-northbound').action, {
      kind: 'lxd-config',
      key: 'network.ovn.northbound_connection',
      value: 'ssl:10.1.123.11:6641,ssl:10.1.123.12:6641,ssl:10.1.123.13:6641',
    });

    // The joiner brings what the existing pools and networks need of it (§3.7), LXD 5.21: remote-fs's source.
    const memberConfig = [
      { entity: 'storage-pool', name: 'local', key: 'source', value: disk(1) },
      { entity: 'network', name: 'UPLINK', key: 'parent', value: 'enp6s0' },
      { entity: 'storage-pool', name: 'remote-fs', key: 'source', value: 'lxd_cephfs' },
    ];
    for (const host of ['micro2', 'micro3']) {
      const join = stepOf(plan, `join:${host}:lxd`);
      assert.deepEqual(
        [join.host, join.action],
        [
          host,
          {
            kind: 'lxd-join',
            anchor: 'micro1',
            address: `10.1.123.${host === 'micro2' ? 12 : 13}:8443`,
            memberConfig,
          },
        ],
      );
      assert.deepEqual(stepOf(plan, `join:${host}:microovn`).action, {
        kind: 'microcluster-join',
        service: 'microovn',
        anchor: 'micro1',
        address: `10.1.123.${host === 'micro2' ? 12 : 13}:6443`,
        config: {},
      });
    }
    // LXD with storage_remote_drop_source needs no remote-fs source from a joiner.
    const lxd = snapshot.state.lxd;
    assert.ok(lxd !== null);
    const six = replan(
      planned,
      { ...snapshot.state, lxd: { ...lxd, apiExtensions: [...lxd.apiExtensions, ...LXD_6_ONLY] } },
      { apiExtensions: [...lxd.apiExtensions, ...LXD_6_ONLY], microcloudVersion: '2.1.0' },
    );
    const joined = stepOf(six, 'join:micro2:lxd').action;
    assert.ok(joined.kind === 'lxd-join');
    assert.deepEqual(joined.memberConfig, memberConfig.slice(0, 2));

    // Once MicroCloud grows the cluster itself, the same design has nothing left to do.
    await installStack(world, ['micro2', 'micro3']);
    await microcloudPreseed(
      world,
      'micro1',
      ['micro2', 'micro3'],
      lines(
        'initiator_address: 10.1.123.11',
        'session_passphrase: foo',
        'systems:',
        ...preseedSystem(2),
        ...preseedSystem(3),
        ...PRESEED_OVN,
        'ceph: {cephfs: true}',
      ),
    );
    const grown = await planOn(world, preseedInventory());
    assert.deepEqual(pendingIds(grown.plan), []);
  });
});

describe('plan: disks already in use by this cluster (`existing`)', () => {
  it('are never added again, under whatever name MicroCeph lists them', async () => {
    const world = freshWorld(3);
    await deployWithPreseed(world, fixture('../sim/preseed-unicast.yaml'));
    const planned = await planOn(world, preseedInventory());
    const { design, snapshot } = planned;
    assert.deepEqual(
      design.members.map((m) => m.cephDisks.map((d) => [d.value.path, d.value.existing])),
      HOSTS.map(() => [[disk(2), true]]),
    );
    // MicroCeph lists an OSD by the path it was added with: here, another name of the same disk.
    const state = structuredClone(snapshot.state);
    for (const osd of state.ceph?.osds ?? []) osd.path = '/dev/sdb';
    const context = {
      apiExtensions: snapshot.apiExtensions ?? [],
      microcloudVersion: snapshot.microcloudVersion,
    };
    assert.deepEqual(pendingIds(replan(planned, state, context)), []);
    // Without the design's mark, the renamed OSDs would be added again: the mark is what prevents it.
    const unmarked = structuredClone(design);
    for (const member of unmarked.members) for (const d of member.cephDisks) delete d.value.existing;
    const again = planDeploy({ design: unmarked, facts: planned.facts, state }, context);
    assert.deepEqual(pendingIds(again), [
      `join:micro2:osd:${disk(2)}`,
      `join:micro3:osd:${disk(2)}`,
      `storage:micro1:osd:${disk(2)}`,
    ]);
  });
});

describe('plan: LXD only (§2.2 network fallback)', () => {
  it('no MicroCeph, no MicroOVN: no Ceph or OVN step, the FAN bridge on every member', async () => {
    const inventory = inventoryOf(
      inventoryText(
        2,
        'cluster:',
        '  services: {microceph: false, microovn: false}',
        '  storage:',
        '    local: [{find: "device_id == *lxd_disk1"}]',
      ),
    );
    const { plan, design } = await planOn(freshWorld(2), inventory);
    assert.deepEqual(design.fan, { underlaySubnet: '10.1.123.0/24' });
    const lane = (host: string) => installLane(host, ['lxd', 'microcloud']);
    assert.deepEqual(shape(plan), {
      install: [[lane('micro1'), lane('micro2')]],
      bootstrap: [[['bootstrap:micro1:microcloud']], [['bootstrap:micro1:lxd']]],
      join: [[['join:micro2:lxd']]],
      storage: [],
      configure: [
        [
          [
            'migration-stateful',
            'pending:local:micro1',
            'pending:lxdfan0:micro1',
            'pending:local:micro2',
            'pending:lxdfan0:micro2',
            'pool:local',
            'network:lxdfan0',
            'network:lxdfan0:description',
            'profile:eth0',
            'profile:root',
            ...['micro1', 'micro2'].flatMap((h) => [
              `volume:images:${h}`,
              `volume:backups:${h}`,
              `storage.backups_volume:${h}`,
              `storage.images_volume:${h}`,
            ]),
          ].map((id) => `configure:${id}`),
        ],
      ],
    });
    assert.ok(
      allSteps(plan).every(
        (s) =>
          !s.action.kind.startsWith('ceph-') &&
          s.action.kind !== 'microceph-bootstrap' &&
          !('service' in s.action && (s.action.service === 'microceph' || s.action.service === 'microovn')),
      ),
    );
    assert.deepEqual(stepOf(plan, 'install:micro2:hold').action, {
      kind: 'snap-hold',
      snaps: ['lxd', 'microcloud'],
    });
    assert.deepEqual(stepOf(plan, 'configure:pending:lxdfan0:micro2').action, {
      kind: 'lxd-network-create',
      network: 'lxdfan0',
      type: 'bridge',
      config: {},
      target: 'micro2',
    });
    assert.deepEqual(stepOf(plan, 'configure:network:lxdfan0').action, {
      kind: 'lxd-network-create',
      network: 'lxdfan0',
      type: 'bridge',
      config: { 'bridge.mode': 'fan', 'fan.underlay_subnet': '10.1.123.0/24' },
    });
    assert.deepEqual(stepOf(plan, 'configure:profile:eth0').action, {
      kind: 'lxd-profile-device',
      device: 'eth0',
      config: { name: 'eth0', network: 'lxdfan0', type: 'nic' },
    });
    assert.deepEqual(stepOf(plan, 'configure:profile:root').action, {
      kind: 'lxd-profile-device',
      device: 'root',
      config: { path: '/', pool: 'local', type: 'disk' },
    });
  });

  it('LXD alone, the initiator without an IPv4 default route: no network at all', async () => {
    const world = freshWorld(2);
    const micro1 = machine(world, 'micro1');
    micro1.routes = micro1.routes.filter((route) => route.destination !== 'default');
    const inventory = inventoryOf(
      inventoryText(
        2,
        'cluster:',
        '  services: {microceph: false, microovn: false, microcloud: false}',
        '  storage:',
        '    local: [{find: "device_id == *lxd_disk1"}]',
      ),
    );
    const { plan, design } = await planOn(world, inventory);
    assert.equal(design.fan, null);
    assert.deepEqual(shape(plan), {
      install: [[installLane('micro1', ['lxd']), installLane('micro2', ['lxd'])]],
      bootstrap: [[['bootstrap:micro1:lxd']]],
      join: [[['join:micro2:lxd']]],
      storage: [],
      configure: [
        [
          [
            'migration-stateful',
            'pending:local:micro1',
            'pending:local:micro2',
            'pool:local',
            'profile:root',
            ...['micro1', 'micro2'].flatMap((h) => [
              `volume:images:${h}`,
              `volume:backups:${h}`,
              `storage.backups_volume:${h}`,
              `storage.images_volume:${h}`,
            ]),
          ].map((id) => `configure:${id}`),
        ],
      ],
    });
  });
});

describe('plan: half-done deployments converge', () => {
  it('snaps on some hosts only: the missing installs, refreshes to the channel and cohort, the holds left', async () => {
    const world = freshWorld(3);
    await installStack(world, ['micro1']);
    await sim(world, 'micro2', 'snap install lxd --channel=5.21/stable --cohort="+"');
    await sim(world, 'micro3', 'snap install microceph --channel=squid/stable');
    await sim(world, 'micro3', 'snap install lxd --channel=5.21/stable');
    await sim(world, 'micro3', 'snap refresh --hold lxd');
    const { plan, snapshot } = await planOn(world, inventoryOf(FULL));
    assert.deepEqual(shape(plan).install, [
      [
        done(installLane('micro1')),
        [
          'install:micro2:microceph',
          'install:micro2:microovn',
          'install:micro2:lxd ✓',
          'install:micro2:microcloud',
          'install:micro2:hold',
        ],
        installLane('micro3'),
      ],
    ]);
    assert.deepEqual(
      pendingSteps(plan)
        .filter((s) => s.host === 'micro3' && s.id.startsWith('install:'))
        .map((s) => s.action),
      [
        // The right channel, outside the cohort (another channel is refused by the design).
        { kind: 'snap-refresh', snap: 'microceph', channel: 'squid/stable' },
        { kind: 'snap-install', snap: 'microovn', channel: '24.03/stable' },
        { kind: 'snap-refresh', snap: 'lxd', channel: '5.21/stable', minVersion: '5.21' },
        { kind: 'snap-install', snap: 'microcloud', channel: '2/stable' },
        // lxd is held already.
        { kind: 'snap-hold', snaps: ['microceph', 'microovn', 'microcloud'] },
      ],
    );
    assert.deepEqual(stepOf(plan, 'install:micro2:hold').action, {
      kind: 'snap-hold',
      snaps: ['microceph', 'microovn', 'lxd', 'microcloud'],
    });
    // Nothing is clustered, but micro1's LXD tells its extensions and micro1's MicroCloud its release.
    assert.deepEqual(snapshot.state, EMPTY_CLUSTER_STATE);
    const extensions = snapshot.apiExtensions ?? [];
    assert.ok(extensions.includes('instances_migration_stateful'));
    assert.ok(!extensions.includes('storage_remote_drop_source'));
    assert.equal(snapshot.microcloudVersion, '2.1.0');
    assert.deepEqual(shape(plan).configure[0]?.[0], configureIds(HOSTS, { userMicrocloud: true }));
    assert.ok(
      allSteps(plan)
        .filter((s) => !s.id.startsWith('install:'))
        .every((s) => !s.done),
    );
  });

  it('MicroCeph bootstrapped, LXD not; then micro2 in MicroCeph with its OSD: what is left of each', async () => {
    const world = freshWorld(3);
    await installStack(world, HOSTS);
    await sim(world, 'micro1', 'microceph cluster bootstrap');
    const first = await planOn(world, inventoryOf(FULL));
    assert.deepEqual(
      clusterStateAsks(first.design, first.facts).map((a) => [a.host, a.query]),
      [['micro1', { lxdMembers: [], microceph: true, microovn: false }]],
    );
    assert.deepEqual(first.snapshot.state.ceph?.osds, []);
    const joins = (host: string, osd: string) => [
      [[`join:${host}:microceph`, `join:${host}:osd:${osd}`], [`join:${host}:microovn`]],
      [[`join:${host}:lxd`]],
    ];
    const { install: _install, ...rest } = shape(first.plan);
    assert.deepEqual(rest, {
      bootstrap: [
        [['bootstrap:micro1:microcloud']],
        [['bootstrap:micro1:microceph ✓'], ['bootstrap:micro1:microovn']],
        [['bootstrap:micro1:lxd']],
      ],
      join: [...joins('micro2', disk(2)), ...joins('micro3', disk(3))],
      storage: [[[`storage:micro1:osd:${disk(2)}`]], [['storage:micro1:replication']]],
      configure: [[configureIds(HOSTS, { userMicrocloud: true })]],
    });

    const token = (await sim(world, 'micro1', 'microceph cluster add micro2')).trim();
    await sim(world, 'micro2', `microceph cluster join ${token}`);
    await sim(world, 'micro2', `microceph disk add ${disk(2)}`);
    const second = await planOn(world, inventoryOf(FULL));
    assert.deepEqual(second.snapshot.state.ceph?.osds, [{ osd: 1, path: disk(2), location: 'micro2' }]);
    assert.equal(second.design.members[1]?.cephDisks[0]?.value.existing, true);
    assert.deepEqual(shape(second.plan).join, [
      [[`join:micro2:microceph ✓`, `join:micro2:osd:${disk(2)} ✓`], [`join:micro2:microovn`]],
      [[`join:micro2:lxd`]],
      ...joins('micro3', disk(3)),
    ]);
    assert.deepEqual(
      pendingIds(second.plan).filter((id) => !id.startsWith('configure:')),
      [
        'bootstrap:micro1:microcloud',
        'bootstrap:micro1:microovn',
        'bootstrap:micro1:lxd',
        'join:micro2:microovn',
        'join:micro2:lxd',
        'join:micro3:microceph',
        `join:micro3:osd:${disk(3)}`,
        'join:micro3:microovn',
        'join:micro3:lxd',
        `storage:micro1:osd:${disk(2)}`,
        'storage:micro1:replication',
      ],
    );
  });

  it('LXD configured but for a listen address and two volume keys: only those', async () => {
    const world = freshWorld(3);
    await deployWithPreseed(world, fixture('../sim/preseed-unicast.yaml'));
    await sim(world, 'micro1', 'lxc config set core.https_address 10.1.123.13:8443 --target micro3');
    await sim(world, 'micro1', 'lxc config unset storage.images_volume --target micro2');
    await sim(world, 'micro1', 'lxc config unset storage.backups_volume --target micro3');
    const { plan } = await planOn(world, preseedInventory());
    assert.deepEqual(pendingIds(plan), [
      'configure:https:micro3',
      'configure:storage.images_volume:micro2',
      'configure:storage.backups_volume:micro3',
    ]);
    assert.deepEqual(stepOf(plan, 'configure:https:micro3').action, {
      kind: 'lxd-config',
      key: 'core.https_address',
      value: '[::]:8443',
      target: 'micro3',
    });
  });

  it('a network created whose description was not set: only the description', async () => {
    const world = freshWorld(3);
    await deployWithPreseed(world, fixture('../sim/preseed-unicast.yaml'));
    // As after a deploy that created UPLINK and then lost the connection before describing it.
    await sim(world, 'micro1', "lxc network set UPLINK --property description=''");
    const { plan } = await planOn(world, preseedInventory());
    assert.deepEqual(pendingIds(plan), ['configure:network:UPLINK:description']);
    assert.deepEqual(stepOf(plan, 'configure:network:UPLINK:description').action, {
      kind: 'lxd-network-describe',
      network: 'UPLINK',
      description: 'Uplink for OVN networks',
    });
  });
});

describe('plan: the MicroCloud engine (§2)', () => {
  const formSteps = (plan: Plan): [string, string, string][] =>
    (plan.phases.find((p) => p.id === 'form')?.stages ?? []).flatMap((s) =>
      s.lanes.flat().map((step): [string, string, string] => {
        const action = step.action as Extract<PlanStep['action'], { kind: 'microcloud-preseed' }>;
        return [step.id, action.role, `${action.preseed.mode}${step.done ? ' ✓' : ''}`];
      }),
    );

  it('a fresh cluster: the snaps, then one preseed run on every host; MicroCloud does the rest', async () => {
    const { plan } = await planOn(freshWorld(3), preseedInventory(), {}, 'microcloud');
    assert.equal(plan.engine, 'microcloud');
    assert.deepEqual(
      plan.phases.map((p) => p.id),
      ['install', 'form'],
    );
    assert.deepEqual(formSteps(plan), [
      ['form:micro1', 'initiator', 'bootstrap'],
      ['form:micro2', 'joiner', 'bootstrap'],
      ['form:micro3', 'joiner', 'bootstrap'],
    ]);
    const form = stepOf(plan, 'form:micro2').action;
    assert.equal(form.kind, 'microcloud-preseed');
    if (form.kind !== 'microcloud-preseed') return;
    assert.equal(form.preseed.initiatorAddress, '10.1.123.11');
    assert.deepEqual(
      form.preseed.systems.map((s) => [s.name, s.address]),
      HOSTS.map((h, i) => [h, `10.1.123.${11 + i}`]),
    );
    assert.equal(describeAction(form), 'microcloud preseed: join through micro1 (10.1.123.11)');
  });

  it('a cluster MicroCloud formed: every step done, the direct checks included', async () => {
    const world = freshWorld(3);
    await deployWithPreseed(world, fixture('../sim/preseed-unicast.yaml'));
    const { plan } = await planOn(world, preseedInventory(), {}, 'microcloud');
    assert.equal(plan.engine, 'microcloud');
    assert.deepEqual(pendingIds(plan), []);
    assert.deepEqual(
      plan.phases.map((p) => p.id),
      ['install', 'form', 'bootstrap', 'join', 'storage', 'configure'],
    );
    assert.deepEqual(formSteps(plan), [
      ['form:micro1', 'initiator', 'bootstrap ✓'],
      ['form:micro2', 'joiner', 'bootstrap ✓'],
      ['form:micro3', 'joiner', 'bootstrap ✓'],
    ]);
    assert.deepEqual(plan.notes, []);
  });

  it('a member still settling (PENDING by its own account) is in: no preseed would take it in again', async () => {
    const world = freshWorld(3);
    await deployWithPreseed(world, fixture('../sim/preseed-unicast.yaml'));
    const planned = await planOn(world, preseedInventory(), {}, 'microcloud');
    const cloud = planned.facts.get('micro3')?.services.microcloud;
    assert.ok(cloud?.state === 'bootstrapped');
    const settling = {
      ...cloud,
      members: cloud.members.map((m) => (m.name === 'micro3' ? { ...m, role: 'PENDING' } : m)),
    };
    const facts = new Map(planned.facts);
    const micro3 = facts.get('micro3');
    assert.ok(micro3 !== undefined);
    facts.set('micro3', { ...micro3, services: { ...micro3.services, microcloud: settling } });
    const plan = planDeploy(
      { design: planned.design, facts, state: planned.snapshot.state },
      { apiExtensions: LXD_521_EXTENSIONS, microcloudVersion: planned.snapshot.microcloudVersion },
    );
    assert.deepEqual(formSteps(plan), [
      ['form:micro1', 'initiator', 'bootstrap ✓'],
      ['form:micro2', 'joiner', 'bootstrap ✓'],
      ['form:micro3', 'joiner', 'bootstrap ✓'],
    ]);
  });

  it('grown: the new hosts only, in add mode through the member MicroCloud runs on (§2.2, §3.7)', async () => {
    const world = freshWorld(3);
    await installStack(world, ['micro1']);
    await microcloudPreseed(
      world,
      'micro1',
      [],
      lines(
        'initiator_address: 10.1.123.11',
        'systems:',
        ...preseedSystem(1),
        ...PRESEED_OVN,
        'ceph: {cephfs: true}',
      ),
    );
    const { plan } = await planOn(world, preseedInventory(), {}, 'microcloud');
    assert.deepEqual(formSteps(plan), [
      ['form:micro1', 'initiator', 'add'],
      ['form:micro2', 'joiner', 'add'],
      ['form:micro3', 'joiner', 'add'],
    ]);
    const form = stepOf(plan, 'form:micro1').action;
    if (form.kind !== 'microcloud-preseed') return assert.fail(form.kind);
    assert.deepEqual(
      form.preseed.systems.map((s) => s.name),
      ['micro2', 'micro3'],
    );
    assert.equal(form.preseed.ovn, null);
    assert.equal(
      describeAction(form),
      'microcloud preseed: take in micro2, micro3 (add mode, initiator_address 10.1.123.11)',
    );
  });

  it('formed earlier by the direct engine (MicroCloud on micro1 only): explained, nothing destructive', async () => {
    const world = freshWorld(3);
    await deployWithPreseed(world, fixture('../sim/preseed-unicast.yaml'));
    // What today's direct engine leaves: every service clustered, MicroCloud's daemon on the initiator only.
    const direct = await planOn(world, preseedInventory());
    const facts = new Map(direct.facts);
    for (const host of ['micro2', 'micro3']) {
      const own = facts.get(host);
      if (own === undefined) return assert.fail(host);
      facts.set(host, { ...own, services: { ...own.services, microcloud: { state: 'not bootstrapped' } } });
    }
    const micro1 = facts.get('micro1');
    if (micro1?.services.microcloud.state !== 'bootstrapped') return assert.fail('micro1 is in MicroCloud');
    const only = micro1.services.microcloud.members.filter((m) => m.name === 'micro1');
    facts.set('micro1', {
      ...micro1,
      services: { ...micro1.services, microcloud: { state: 'bootstrapped', members: only } },
    });
    const design = designOf(preseedInventory(), facts);
    assert.equal(design.engine.kind, 'microcloud');
    const plan = planDeploy(
      { design, facts, state: direct.snapshot.state },
      {
        apiExtensions: direct.snapshot.apiExtensions ?? [],
        microcloudVersion: direct.snapshot.microcloudVersion,
      },
    );
    assert.equal(plan.engine, 'direct');
    assert.equal(
      plan.notes.join('\n'),
      "micro2, micro3: in the LXD, MicroCeph and MicroOVN clusters but not in MicroCloud (MicroCloud runs on micro1): this cluster was formed by mc's direct engine, and MicroCloud cannot take in members that are already clustered. mc changes nothing about that and keeps the cluster converged with the direct engine; nothing is removed or wiped.",
    );
    assert.equal(
      plan.phases.find((p) => p.id === 'form'),
      undefined,
    );
    assert.deepEqual(pendingIds(plan), []);
  });
});
