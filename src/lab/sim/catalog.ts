// The simulated snap store: which snaps exist, their tracks, revisions and versions per channel (§7, §10.1),
// the apps (commands and services) each snap provides, and channel resolution as snapd does it.
// Kept as plain JSON inside the world so a test can release a new revision mid-deploy.

import type { Architecture } from './machine.js';

export type Risk = 'stable' | 'candidate' | 'beta' | 'edge';
export const RISKS: readonly Risk[] = ['stable', 'candidate', 'beta', 'edge'];

export interface StoreRevision {
  revision: number;
  version: string;
  /** ISO date of the release into this channel. */
  releasedAt: string;
  sizeBytes: number;
  /**
   * What the running daemon reports as its version through its API (microcluster status, LXD
   * ServerVersion): MicroCloud validates and compares these, not the snap version (§1.2, §7).
   */
  daemonVersion: string | null;
}

export interface StoreChannel {
  snap: string;
  track: string;
  risk: Risk;
  architecture: Architecture;
  /** Oldest first; the last entry is what the channel currently serves. */
  history: StoreRevision[];
}

export interface StoreApp {
  name: string;
  /** Service daemons; absent for plain commands. */
  daemon?: 'simple' | 'oneshot' | 'notify' | 'forking';
  /** `install-mode: disable` services start disabled and inactive. */
  startsDisabled?: boolean;
}

export interface StoreSnap {
  name: string;
  summary: string;
  description: string;
  license: string;
  publisher: { username: string; displayName: string; validation: 'verified' | 'starred' | 'unproven' };
  type: 'app' | 'base' | 'snapd';
  base: string | null;
  confinement: 'strict' | 'classic';
  /** Track used when a channel names only a risk or nothing at all. */
  defaultTrack: string;
  tracks: string[];
  apps: StoreApp[];
  plugs: string[];
  /** Automatic aliases into /snap/bin, e.g. lxd's `lxc` for the `lxd.lxc` app. */
  aliases: string[];
  snapId: string;
}

export interface SnapStore {
  snaps: Record<string, StoreSnap>;
  channels: StoreChannel[];
  /**
   * Cohort `+` pins every installer to what the channel served at this instant (§7: `--cohort="+"`
   * keeps members on the same revision while the store moves on).
   */
  cohortEpoch: number;
}

const canonical = { username: 'canonical', displayName: 'Canonical', validation: 'verified' } as const;

function releases(
  snap: string,
  track: string,
  risk: Risk,
  history: [
    revisionAmd64: number,
    revisionArm64: number,
    version: string,
    releasedAt: string,
    daemon: string | null,
  ][],
  sizeBytes: number,
): StoreChannel[] {
  return (['amd64', 'arm64'] as const).map((architecture) => ({
    snap,
    track,
    risk,
    architecture,
    history: history.map(([amd, arm, version, releasedAt, daemonVersion]) => ({
      revision: architecture === 'amd64' ? amd : arm,
      version,
      releasedAt,
      sizeBytes,
      daemonVersion,
    })),
  }));
}

/** The same releases under another track: `latest` serves what a snap's newest track serves. */
function sameReleasesAs(track: string, channels: StoreChannel[]): StoreChannel[] {
  return channels.map((channel) => ({
    ...channel,
    track,
    history: channel.history.map((revision) => ({ ...revision })),
  }));
}

/** An Ubuntu base snap (core22, core24): a runtime with no apps of its own. */
function baseSnap(ubuntu: '22.04' | '24.04', snapId: string): StoreSnap {
  return {
    name: `core${ubuntu.slice(0, 2)}`,
    summary: `Runtime environment based on Ubuntu ${ubuntu}`,
    description: `The base snap based on the Ubuntu ${ubuntu} release.`,
    license: 'unset',
    publisher: canonical,
    type: 'base',
    base: null,
    confinement: 'strict',
    defaultTrack: 'latest',
    tracks: ['latest'],
    apps: [],
    plugs: [],
    aliases: [],
    snapId,
  };
}

/** Services snapcraft.yaml marks `install-mode: disable`: they start disabled and inactive. */
function disabledServices(...names: string[]): StoreApp[] {
  return names.map((name) => ({ name, daemon: 'simple', startsDisabled: true }));
}

/** Plain (non-daemon) apps. */
function commands(...names: string[]): StoreApp[] {
  return names.map((name) => ({ name }));
}

/** Versions and revisions from §10.1 real `snap list` captures; other rows are plausible neighbours. */
export function defaultSnapStore(cohortEpoch: number): SnapStore {
  const snaps: StoreSnap[] = [
    {
      name: 'snapd',
      summary: 'Daemon and tooling that enable snap packages',
      description: 'Install, configure, refresh and remove snap packages.',
      license: 'GPL-3.0',
      publisher: canonical,
      type: 'snapd',
      base: null,
      confinement: 'strict',
      defaultTrack: 'latest',
      tracks: ['latest'],
      apps: [],
      plugs: [],
      aliases: [],
      snapId: 'PMrrV4ml8uWuEUDBT8dSGnKUYbevVhc4',
    },
    baseSnap('22.04', 'amcUKQILKXHHTlmSa7NMdnXSx02dNeeT'),
    baseSnap('24.04', 'dwTAh7MZZ01zyriOZErqd1JynQLiOGvM'),
    {
      name: 'lxd',
      summary: 'LXD - container and VM manager',
      description: 'LXD is a system container and virtual machine manager.',
      license: 'AGPL-3.0',
      publisher: canonical,
      type: 'app',
      base: 'core22',
      confinement: 'strict',
      // The LXD snap's default track is the current LTS.
      defaultTrack: '5.21',
      tracks: ['latest', '6', '5.21', '5.0'],
      apps: [
        { name: 'activate', daemon: 'oneshot' },
        { name: 'daemon', daemon: 'simple' },
        { name: 'user-daemon', daemon: 'simple' },
        { name: 'lxc' },
        { name: 'lxd' },
      ],
      plugs: ['lxd-support', 'network', 'network-bind', 'system-observe'],
      aliases: ['lxc'],
      snapId: 'J60k4JY0HppjwOjW8dZdYc8obXKxujRu',
    },
    {
      name: 'microceph',
      summary: 'Simple clustered Ceph deployment',
      description: 'MicroCeph is the easiest way to get up and running with Ceph.',
      license: 'AGPL-3.0',
      publisher: canonical,
      type: 'app',
      base: 'core24',
      confinement: 'strict',
      defaultTrack: 'latest',
      tracks: ['latest', 'squid', 'reef', 'quincy'],
      // Apps and install modes from microceph snap/snapcraft.yaml (squid).
      apps: [
        { name: 'daemon', daemon: 'simple' },
        ...disabledServices('mds', 'mon', 'mgr', 'nfs', 'osd', 'rgw', 'rbd-mirror', 'cephfs-mirror'),
        { name: 'log-rotate', daemon: 'oneshot' },
        ...commands('ceph', 'microceph', 'rbd', 'rados', 'ceph-bluestore-tool', 'ceph-authtool'),
      ],
      plugs: [
        'block-devices',
        'dm-crypt',
        'hardware-observe',
        'mount-observe',
        'network',
        'network-bind',
        'load-rbd',
      ],
      aliases: [],
      snapId: 'ct1DgtIGBaljdOwomQGMLr8EJcL5pOP1',
    },
    {
      name: 'microovn',
      summary: 'Simple clustered OVN deployment',
      description: 'MicroOVN is the easiest way to get up and running with OVN.',
      license: 'Apache-2.0',
      publisher: canonical,
      type: 'app',
      base: 'core22',
      confinement: 'strict',
      defaultTrack: 'latest',
      tracks: ['latest', '24.03', '22.03'],
      // Apps and install modes from microovn snap/snapcraft.yaml (branch-24.03).
      apps: [
        { name: 'daemon', daemon: 'simple' },
        ...disabledServices('ovn-ovsdb-server-nb', 'ovn-ovsdb-server-sb', 'ovn-northd', 'chassis', 'switch'),
        { name: 'refresh-expiring-certs', daemon: 'oneshot' },
        ...commands(
          'microovn',
          'ovn-appctl',
          'ovn-nbctl',
          'ovn-sbctl',
          'ovn-trace',
          'ovs-appctl',
          'ovs-dpctl',
          'ovs-ofctl',
          'ovs-vsctl',
          'ovsdb-tool',
          'ovsdb-client',
        ),
      ],
      plugs: [
        'hardware-observe',
        'network',
        'network-bind',
        'network-control',
        'openvswitch-support',
        'process-control',
      ],
      aliases: [],
      snapId: 'dwHs0tEbWHvqgJA6HrjsRrkT9jwQiKtJ',
    },
    {
      name: 'microcloud',
      summary: 'Deploy your own cloud in minutes',
      description: 'MicroCloud drives LXD, MicroCeph and MicroOVN into one cluster.',
      license: 'AGPL-3.0',
      publisher: canonical,
      type: 'app',
      base: 'core24',
      confinement: 'strict',
      defaultTrack: 'latest',
      tracks: ['latest', '3', '2', '1'],
      apps: [{ name: 'daemon', daemon: 'simple' }, { name: 'microcloud' }],
      plugs: ['lxd', 'microceph', 'microovn', 'network', 'network-bind'],
      aliases: [],
      snapId: 'kzkPl1xUemEKfnqBd4yl5Rp3fFAmyBBo',
    },
  ];

  // MicroCeph reports ceph and git versions; MicroCloud takes the first x.y.z from it (§7).
  const cephDaemon = (ceph: string, git: string): string => `ceph-version: ${ceph}; microceph-git: ${git}`;
  // Each snap's `latest` track serves what its newest track serves.
  const lxd6 = releases(
    'lxd',
    '6',
    'stable',
    // LXD 6.9 (canonical/lxd tag lxd-6.9, 2026-06-22; 6.8 is the first whose API extensions change what
    // MicroCloud sets). Release dates in this store stay before the virtual clock's start (2026-01-05) so
    // every test world is served them.
    [[37431, 37432, '6.9-0dc5080', '2025-12-01', '6.9']],
    120_000_000,
  );
  const microcephSquid = releases(
    'microceph',
    'squid',
    'stable',
    [
      [
        1393,
        1394,
        '19.2.0+snapab139d4a1f',
        '2025-02-10',
        cephDaemon('19.2.0-0ubuntu0.24.04.2', 'ab139d4a1f'),
      ],
    ],
    96_000_000,
  );
  const microovn2403 = releases(
    'microovn',
    '24.03',
    'stable',
    [[667, 668, '24.03.2+snapa2c59c105b', '2025-01-28', '24.03']],
    40_000_000,
  );
  const microcloud3 = releases(
    'microcloud',
    '3',
    'stable',
    [
      [2102, 2103, '3.1-e245f4a', '2025-09-10', '3.1'],
      // canonical/microcloud tag 3.2: RawVersion "3.2", not LTS (dated before the virtual clock's start).
      [2290, 2291, '3.2-2b6b3d1', '2025-12-02', '3.2'],
    ],
    32_000_000,
  );
  const channels: StoreChannel[] = [
    ...releases('snapd', 'latest', 'stable', [[25202, 25203, '2.71', '2025-08-20', null]], 50_000_000),
    ...releases('core22', 'latest', 'stable', [[2045, 2046, '20250730', '2025-07-30', null]], 77_000_000),
    ...releases('core24', 'latest', 'stable', [[1006, 1007, '20250526', '2025-05-26', null]], 69_000_000),
    ...releases(
      'lxd',
      '5.0',
      'stable',
      [[29351, 29352, '5.0.4-4e9c44b', '2024-12-05', '5.0.4']],
      100_000_000,
    ),
    ...releases(
      'lxd',
      '5.21',
      'stable',
      [
        [32455, 32456, '5.21.2-34459c8', '2025-03-11', '5.21.2'],
        [33110, 33111, '5.21.3-c5ae129', '2025-06-17', '5.21.3'],
      ],
      110_000_000,
    ),
    ...releases(
      'lxd',
      '5.21',
      'edge',
      [[35102, 35103, '5.21.4-1b2c3d4', '2025-10-01', '5.21.4']],
      110_000_000,
    ),
    ...lxd6,
    ...sameReleasesAs('latest', lxd6),
    ...microcephSquid,
    ...releases(
      'microceph',
      'squid',
      'candidate',
      [
        [
          1518,
          1519,
          '19.2.1+snap30863f37a3',
          '2025-07-22',
          cephDaemon('19.2.1-0ubuntu0.24.04.1', '30863f37a3'),
        ],
      ],
      96_000_000,
    ),
    ...releases(
      'microceph',
      'reef',
      'stable',
      [
        [
          1169,
          1170,
          '18.2.4+snap7b5ff9d3b6',
          '2024-10-14',
          cephDaemon('18.2.4-0ubuntu0.22.04.1', '7b5ff9d3b6'),
        ],
      ],
      90_000_000,
    ),
    ...sameReleasesAs('latest', microcephSquid),
    ...microovn2403,
    ...releases(
      'microovn',
      '22.03',
      'stable',
      [[395, 396, '22.03.3+snap8d2f1b7a63', '2024-04-02', '22.03']],
      38_000_000,
    ),
    // A plausible next 24.03 point release, for member-by-member refreshes after the LTS set.
    ...releases(
      'microovn',
      '24.03',
      'candidate',
      [[702, 703, '24.03.3+snap5e2a91c7d4', '2025-11-18', '24.03']],
      40_000_000,
    ),
    ...sameReleasesAs('latest', microovn2403),
    ...releases(
      'microcloud',
      '2',
      'stable',
      [[1144, 1145, '2.1.0-3e8b183', '2025-01-15', '2.1.0']],
      30_000_000,
    ),
    ...releases(
      'microcloud',
      '2',
      'candidate',
      [[1781, 1782, '2.1.1-202e275', '2025-07-01', '2.1.1']],
      30_000_000,
    ),
    ...releases(
      'microcloud',
      '1',
      'stable',
      [[734, 735, '1.1.2-f7a2d4e', '2025-01-08', '1.1.2']],
      28_000_000,
    ),
    ...microcloud3,
    ...sameReleasesAs('latest', microcloud3),
  ];
  return { snaps: Object.fromEntries(snaps.map((s) => [s.name, s])), channels, cohortEpoch };
}

/** A channel request as snapd's channel.Parse understands it. */
export interface ChannelRequest {
  track: string;
  risk: Risk;
  branch: string | null;
}

/** `5.21`, `5.21/stable`, `stable`, `latest/edge`, `squid/stable/hotfix`; null when malformed. */
export function parseChannel(text: string, defaultTrack: string): ChannelRequest | null {
  const parts = text.split('/');
  if (parts.some((p) => p === '') || parts.length > 3) return null;
  const isRisk = (value: string | undefined): value is Risk => RISKS.includes(value as Risk);
  if (parts.length === 1) {
    const only = parts[0] as string;
    return isRisk(only)
      ? { track: defaultTrack, risk: only, branch: null }
      : { track: only, risk: 'stable', branch: null };
  }
  if (parts.length === 2) {
    const [first, second] = parts as [string, string];
    if (isRisk(first)) return { track: defaultTrack, risk: first, branch: second };
    return isRisk(second) ? { track: first, risk: second, branch: null } : null;
  }
  const [track, risk, branch] = parts as [string, string, string];
  return isRisk(risk) ? { track, risk, branch } : null;
}

/** snapd prints a channel without the `latest/` track (channel.String()). */
export function shortChannelName(request: { track: string; risk: Risk }): string {
  return request.track === 'latest' ? request.risk : `${request.track}/${request.risk}`;
}

function storeChannel(
  store: SnapStore,
  snap: string,
  track: string,
  risk: Risk,
  architecture: Architecture,
): StoreChannel | undefined {
  return store.channels.find(
    (c) => c.snap === snap && c.track === track && c.risk === risk && c.architecture === architecture,
  );
}

/**
 * What a channel serves: a closed risk follows the next more stable open risk of the same track, as the
 * store does (shown as ↑ in `snap info`). With a cohort the revision current at the cohort epoch is served.
 */
export function resolveRevision(
  store: SnapStore,
  snap: string,
  request: ChannelRequest,
  architecture: Architecture,
  options: { at: number; cohort: string | null },
): { channel: StoreChannel; revision: StoreRevision } | null {
  const riskIndex = RISKS.indexOf(request.risk);
  for (let i = riskIndex; i >= 0; i--) {
    const channel = storeChannel(store, snap, request.track, RISKS[i] as Risk, architecture);
    if (!channel) continue;
    const instant = options.cohort === null ? options.at : Math.min(options.at, store.cohortEpoch);
    const served = [...channel.history].reverse().find((rev) => Date.parse(rev.releasedAt) <= instant);
    // A cohort pinned before anything was released still gets the oldest revision rather than nothing.
    const revision = served ?? (options.cohort === null ? undefined : channel.history[0]);
    if (revision) return { channel, revision };
  }
  return null;
}

/** Store releases of a snap for one architecture, in track order then risk order (as snap info lists them). */
export function releasesFor(store: SnapStore, snap: string, architecture: Architecture): StoreChannel[] {
  const info = store.snaps[snap];
  if (!info) return [];
  const all = store.channels.filter((c) => c.snap === snap && c.architecture === architecture);
  return info.tracks.flatMap((track) =>
    RISKS.flatMap((risk) => all.filter((c) => c.track === track && c.risk === risk)),
  );
}

export function serviceApps(snap: StoreSnap): StoreApp[] {
  return snap.apps.filter((app) => app.daemon !== undefined);
}

/** Commands a snap puts into /snap/bin: the snap name for an app named like the snap, else snap.app, plus aliases. */
export function snapCommands(snap: StoreSnap): string[] {
  const apps = snap.apps
    .filter((app) => app.daemon === undefined)
    .map((app) => (app.name === snap.name ? snap.name : `${snap.name}.${app.name}`));
  return [...apps, ...snap.aliases];
}
