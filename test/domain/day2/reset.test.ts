// The reset planner on fixtures: only the snaps mc recorded, in the cluster's leave order, bases last; only
// disks marked wipe: true that carry the cluster's OSD or ZFS pool; what stays is named with the reason.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DiskSpec, SystemSpec } from '../../../src/domain/cluster/types.js';
import type { BlockDevice } from '../../../src/domain/facts/block-devices.js';
import type { HostFacts } from '../../../src/domain/facts/index.js';
import {
  describeReset,
  parseInstallRecord,
  planReset,
  resetLosses,
  type ResetInput,
} from '../../../src/domain/day2/reset.js';

const origin = { file: 'hosts.yaml', line: 1, col: 1 };
const id = (n: number): string => `scsi-0QEMU_QEMU_HARDDISK_lxd_disk${n}`;
const path = (n: number): string => `/dev/disk/by-id/${id(n)}`;

function device(name: string, over: Partial<BlockDevice> = {}): BlockDevice {
  return {
    name,
    kernelName: name,
    path: `/dev/${name}`,
    majorMinor: null,
    type: 'disk',
    sizeBytes: 10 * 2 ** 30,
    readOnly: false,
    removable: false,
    rotational: false,
    model: null,
    serial: null,
    wwn: null,
    vendor: null,
    hctl: null,
    transport: null,
    subsystems: null,
    fsType: null,
    fsLabel: null,
    partitionTableType: null,
    mountpoints: [],
    parents: [],
    children: [],
    ...over,
  };
}

/** sda: LXD's ZFS pool (two partitions), sdb: an OSD, sdc: blank, sdd: ext4 of the user's. */
const DEVICES: BlockDevice[] = [
  device('sda', { partitionTableType: 'gpt', children: ['sda1', 'sda9'] }),
  device('sda1', { type: 'part', fsType: 'zfs_member', fsLabel: 'local', parents: ['sda'] }),
  device('sda9', { type: 'part', parents: ['sda'] }),
  device('sdb', { fsType: 'ceph_bluestore' }),
  device('sdc'),
  device('sdd', { fsType: 'ext4' }),
];

/** `lxdServer`: the version the answering LXD reports; the lxd snap's version is `5.21.3-c5ae129`. */
function facts(snaps: string[], devices = DEVICES, lxdServer?: string): HostFacts {
  return {
    services: {
      lxd:
        lxdServer === undefined
          ? { state: 'not installed' }
          : { state: 'not initialised', server: { version: lxdServer } },
    },
    snaps: snaps.map((name) => ({
      name,
      version: name === 'lxd' ? '5.21.3-c5ae129' : '1',
      revision: '1',
      tracking: 'latest/stable',
      publisher: 'canonical',
      publisherMark: 'verified',
      notes: [],
      held: false,
      inCohort: false,
    })),
    blockDevices: { devices, hasPartitionTableColumn: true, hasSubsystemsColumn: true },
    diskLinks: ['sda', 'sdb', 'sdc', 'sdd'].map((target, i) => ({
      directory: 'by-id' as const,
      name: id(i + 1),
      target,
    })),
  } as unknown as HostFacts;
}

const disk = (n: number, wipe: boolean): DiskSpec => ({ path: path(n), wipe, encrypt: false, origin });
const system = (host: string, local: DiskSpec | undefined, ceph: DiskSpec[]): SystemSpec => ({
  host,
  ...(local === undefined ? {} : { localDisk: local }),
  cephDisks: ceph,
  origin,
});

const ALL = ['snapd', 'core22', 'core24', 'lxd', 'microceph', 'microovn', 'microcloud'];
const RECORDED = ['microceph', 'core24', 'microovn', 'core22', 'lxd', 'microcloud'];

describe('planReset', () => {
  it('removes what mc recorded, MicroCloud then LXD then MicroOVN then MicroCeph then bases, one snap at a time across hosts', () => {
    const input = (host: string): ResetInput => ({
      host,
      facts: facts(ALL),
      record: RECORDED,
      system: system(host, disk(1, true), [disk(2, true)]),
    });
    const plan = planReset([input('m1'), input('m2')]);
    assert.deepEqual(
      plan.phases.map((p) => p.id),
      ['reset-snaps', 'reset-disks', 'reset-record'],
    );
    const snaps = plan.phases[0]?.stages.map((s) =>
      s.lanes.map((lane) => lane.map((step) => `${step.host} ${describeReset(step.action)}`)),
    );
    assert.deepEqual(
      snaps,
      ['microcloud', 'lxd', 'microovn', 'microceph', 'core22', 'core24'].map((snap) => [
        [`m1 remove snap ${snap} (--purge)`],
        [`m2 remove snap ${snap} (--purge)`],
      ]),
    );
    assert.deepEqual(
      plan.phases[1]?.stages[0]?.lanes.map((lane) => lane.map((s) => `${s.host} ${describeReset(s.action)}`)),
      [
        [
          `m1 wipe ${path(1)} (/dev/sda: the ZFS pool local of LXD)`,
          `m1 wipe ${path(2)} (/dev/sdb: a Ceph OSD)`,
        ],
        [
          `m2 wipe ${path(1)} (/dev/sda: the ZFS pool local of LXD)`,
          `m2 wipe ${path(2)} (/dev/sdb: a Ceph OSD)`,
        ],
      ],
    );
    assert.equal(plan.steps, 12 + 4 + 2);
    assert.deepEqual(resetLosses(plan.hosts[0] as never), [
      "snap microcloud with MicroCloud's cluster membership and database",
      "snap lxd with LXD's instances, images, storage volumes and cluster database",
      "snap microovn with MicroOVN's OVN databases and certificates",
      "snap microceph with MicroCeph's monitors, keys and configuration",
      `everything on ${path(1)} (/dev/sda: the ZFS pool local of LXD)`,
      `everything on ${path(2)} (/dev/sdb: a Ceph OSD)`,
    ]);
  });

  it('keeps a snap that was there before mc, and the disk it still uses', () => {
    const plan = planReset([
      {
        host: 'm1',
        facts: facts(ALL),
        // lxd (the 22.04 image's) was there: mc refreshed it, it did not install it.
        record: ['microceph', 'microovn', 'microcloud', 'core24'],
        system: system('m1', disk(1, true), [disk(2, true)]),
      },
    ]);
    const host = plan.hosts[0];
    assert.deepEqual(host?.snaps, ['microcloud', 'microovn', 'microceph', 'core24']);
    assert.deepEqual(host?.kept, [{ snap: 'lxd', why: 'it was installed before mc deployed this host' }]);
    assert.deepEqual(
      host?.wipes.map((w) => w.path),
      [path(2)],
    );
    assert.deepEqual(host?.untouched, [
      { path: path(1), why: 'marked for wiping, but lxd, which stays, uses it' },
    ]);
  });

  it('never wipes an unmarked disk, nor a marked one the cluster did not use', () => {
    const plan = planReset([
      {
        host: 'm1',
        facts: facts(ALL),
        record: RECORDED,
        system: system('m1', disk(1, false), [disk(2, false), disk(3, true), disk(4, true)]),
      },
    ]);
    const host = plan.hosts[0];
    assert.deepEqual(host?.wipes, []);
    assert.deepEqual(host?.untouched, [
      {
        path: path(1),
        why: 'keeps the ZFS pool local of LXD: the inventory does not mark it for wiping (wipe: true)',
      },
      { path: path(2), why: 'keeps a Ceph OSD: the inventory does not mark it for wiping (wipe: true)' },
      // sdc is blank: nothing to do, nothing to say.
      {
        path: path(4),
        why: 'marked for wiping, but it carries ext4, which the cluster did not put there',
      },
    ]);
    assert.equal(
      plan.phases.some((p) => p.id === 'reset-disks'),
      false,
    );
  });

  it('without a record removes no snap, and says why', () => {
    const plan = planReset([{ host: 'm1', facts: facts(ALL), record: null, system: undefined }]);
    assert.equal(plan.steps, 0);
    assert.deepEqual(
      plan.hosts[0]?.kept.map((k) => k.snap),
      ['microcloud', 'lxd', 'microovn', 'microceph'],
    );
    assert.match(plan.hosts[0]?.kept[0]?.why ?? '', /no record/);
  });

  it('converges: a host where only the record is left gets only its removal, then nothing', () => {
    const blank = DEVICES.filter((d) => d.type === 'disk').map((d) => ({
      ...d,
      fsType: null,
      partitionTableType: null,
      children: [],
    }));
    const half = planReset([
      {
        host: 'm1',
        facts: facts(['snapd'], blank),
        record: RECORDED,
        system: system('m1', disk(1, true), [disk(2, true)]),
      },
    ]);
    assert.deepEqual(
      half.phases.map((p) => p.id),
      ['reset-record'],
    );
    const done = planReset([
      {
        host: 'm1',
        facts: facts(['snapd'], blank),
        record: null,
        system: system('m1', disk(1, true), [disk(2, true)]),
      },
    ]);
    assert.equal(done.steps, 0);
  });

  it("removes the lxd snap mc installed but says it leaves an LXD that is not the snap's (Debian's 5.0.2)", () => {
    const plan = planReset([
      { host: 'm1', facts: facts(['snapd', 'lxd'], DEVICES, '5.0.2'), record: ['lxd'], system: undefined },
      { host: 'm2', facts: facts(['snapd', 'lxd'], DEVICES, '5.21.3'), record: ['lxd'], system: undefined },
    ]);
    assert.deepEqual(
      plan.hosts.map((h) => [h.host, h.snaps, h.untouched]),
      [
        [
          'm1',
          ['lxd'],
          [
            {
              path: 'LXD 5.0.2',
              why: "the LXD answering here is not the lxd snap's (5.21.3): mc neither stops nor removes it, and it keeps its cluster state; remove it with its package manager",
            },
          ],
        ],
        ['m2', ['lxd'], []],
      ],
    );
  });

  it('reads the record strictly', () => {
    assert.equal(parseInstallRecord('absent\n'), null);
    assert.deepEqual(parseInstallRecord('present\nlxd\nlxd\ncore22\n'), ['lxd', 'core22']);
    assert.deepEqual(parseInstallRecord('present\n'), []);
    assert.throws(() => parseInstallRecord('cat: permission denied\n'), /unexpected answer/);
  });
});
