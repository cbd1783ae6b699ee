// `mc reset`: the hosts back to the state before mc deployed them. Per host: the snaps mc recorded installing
// (never one that was there before mc), in the order the cluster is left (MicroCloud, then LXD, which stops
// before MicroCeph and MicroOVN as on a member shutdown, §6; bases last); then the disks the inventory marks
// for wiping, only where they carry what the cluster put there (an OSD, LXD's ZFS pool); then mc's record.
// Everything else stays. Planned from what the hosts hold now, so a re-run after a fault continues. Pure.

import type { SystemSpec } from '../cluster/types.js';
import type { BlockDevice } from '../facts/block-devices.js';
import type { HostFacts } from '../facts/index.js';

/** The snaps a deploy installs, in the order a reset removes them. */
export const CLUSTER_SNAPS_IN_REMOVAL_ORDER = ['microcloud', 'lxd', 'microovn', 'microceph'] as const;

/** Signatures the cluster leaves on a whole disk: a MicroCeph OSD, plain or encrypted. */
const OSD_SIGNATURES = ['ceph_bluestore', 'crypto_LUKS'];
/** LXD's local pool: ZFS partitions on the disk (its zpool `local`). */
const ZFS_MEMBER = 'zfs_member';

/** What mc recorded on a host (see workflows/reset/record.ts): null when it holds no record. */
export type InstallRecord = string[] | null;

/** `present` then the snap names one per line, or `absent`. */
export function parseInstallRecord(text: string): InstallRecord {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines[0] === 'absent') return null;
  if (lines[0] !== 'present') throw new Error(`unexpected answer ${JSON.stringify(text.slice(0, 80))}`);
  return [...new Set(lines.slice(1).filter((l) => /^[a-z0-9][a-z0-9-]*$/.test(l)))];
}

export type ResetAction =
  | { kind: 'snap-remove'; snap: string }
  | { kind: 'disk-wipe'; path: string; device: string; holds: string }
  | { kind: 'forget-record' };

export interface ResetStep {
  id: string;
  host: string;
  action: ResetAction;
}

export interface ResetPhase {
  id: 'reset-snaps' | 'reset-disks' | 'reset-record';
  title: string;
  /** Stages in order; the lanes of a stage (one per host) side by side. */
  stages: { lanes: ResetStep[][] }[];
}

export interface HostReset {
  host: string;
  /** Snaps mc installed that are still there, in removal order. */
  snaps: string[];
  /** Snaps reset leaves, and why. */
  kept: { snap: string; why: string }[];
  wipes: { path: string; device: string; holds: string }[];
  /**
   * Disks of the inventory left alone, and an LXD that is not the snap's, and why (shown so that nothing is
   * silent).
   */
  untouched: { path: string; why: string }[];
  /** mc's record on the host is removed last. */
  record: boolean;
}

export interface ResetPlan {
  hosts: HostReset[];
  /** The hosts with something to do, in inventory order. */
  changing: string[];
  phases: ResetPhase[];
  steps: number;
}

export interface ResetInput {
  host: string;
  facts: HostFacts;
  record: InstallRecord;
  /** The host's entry in the inventory (its disks and their wipe marks). */
  system: SystemSpec | undefined;
}

export function describeReset(action: ResetAction): string {
  switch (action.kind) {
    case 'snap-remove':
      return `remove snap ${action.snap} (--purge)`;
    case 'disk-wipe':
      return `wipe ${action.path} (${action.device}: ${action.holds})`;
    case 'forget-record':
      return "remove mc's record of the snaps it installed";
  }
}

/** What each snap takes with it, for the confirmation. */
const SNAP_DATA: Record<string, string> = {
  microcloud: "MicroCloud's cluster membership and database",
  lxd: "LXD's instances, images, storage volumes and cluster database",
  microovn: "MicroOVN's OVN databases and certificates",
  microceph: "MicroCeph's monitors, keys and configuration",
};

/** The kernel name an inventory path names: /dev/NAME, or a /dev/disk/by-id|by-path link. */
function kernelNameOf(path: string, facts: HostFacts): string | undefined {
  const link = /^\/dev\/disk\/(by-id|by-path)\/(.+)$/.exec(path);
  if (link !== null) {
    return facts.diskLinks.find((l) => l.directory === link[1] && l.name === link[2])?.target;
  }
  const plain = /^\/dev\/([^/]+)$/.exec(path);
  return plain?.[1];
}

/** What the cluster put on the disk, or why it is not the cluster's to wipe. */
function diskHolds(
  device: BlockDevice,
  devices: readonly BlockDevice[],
  role: 'local' | 'ceph',
): { ours: string } | { blank: true } | { other: string } {
  const children = devices.filter((d) => device.children.includes(d.kernelName));
  if (device.mountpoints.length > 0 || children.some((c) => c.mountpoints.length > 0)) {
    return { other: 'it is mounted' };
  }
  if (role === 'ceph' && device.fsType !== null && OSD_SIGNATURES.includes(device.fsType)) {
    return { ours: device.fsType === 'ceph_bluestore' ? 'a Ceph OSD' : 'an encrypted Ceph OSD' };
  }
  const zfs = children.filter((c) => c.fsType === ZFS_MEMBER);
  if (role === 'local' && zfs.length > 0) {
    return { ours: `the ZFS pool ${zfs[0]?.fsLabel ?? 'local'} of LXD` };
  }
  if (device.fsType === null && device.partitionTableType === null && children.length === 0) {
    return { blank: true };
  }
  const what = device.fsType ?? children.find((c) => c.fsType !== null)?.fsType ?? device.partitionTableType;
  return { other: `it carries ${what ?? 'partitions'}, which the cluster did not put there` };
}

/**
 * The LXD answering on the host when it is not the lxd snap's (a distribution package, e.g. Debian's 5.0.2):
 * removing the snap leaves that daemon and its cluster state, and mc does not remove a package it did not
 * install. The snap's version starts with the release its daemon reports (`5.21.3-c5ae129` runs `5.21.3`).
 */
function foreignLxd(facts: HostFacts): { path: string; why: string } | null {
  const lxd = facts.services.lxd;
  if (!('server' in lxd)) return null;
  const running = lxd.server.version;
  const snapVersion = facts.snaps.find((s) => s.name === 'lxd')?.version.split('-')[0];
  if (snapVersion === running) return null;
  return {
    path: `LXD ${running}`,
    why: `the LXD answering here is not the lxd snap's${snapVersion === undefined ? '' : ` (${snapVersion})`}: mc neither stops nor removes it, and it keeps its cluster state; remove it with its package manager`,
  };
}

function resetOfHost(input: ResetInput): HostReset {
  const { host, facts, record, system } = input;
  const installed = new Set(facts.snaps.map((s) => s.name));
  const reset: HostReset = { host, snaps: [], kept: [], wipes: [], untouched: [], record: record !== null };
  const recorded = new Set(record ?? []);
  const ordered = [
    ...CLUSTER_SNAPS_IN_REMOVAL_ORDER.filter((s) => recorded.has(s)),
    // Bases (core22, core24) the installs pulled in go after the snaps that use them.
    ...[...recorded].filter((s) => !(CLUSTER_SNAPS_IN_REMOVAL_ORDER as readonly string[]).includes(s)).sort(),
  ];
  reset.snaps = ordered.filter((s) => installed.has(s) && s !== 'snapd');
  for (const snap of CLUSTER_SNAPS_IN_REMOVAL_ORDER) {
    if (!installed.has(snap) || recorded.has(snap)) continue;
    reset.kept.push({
      snap,
      why:
        record === null
          ? 'mc holds no record of installing it on this host (deployed by an older mc, or by hand)'
          : 'it was installed before mc deployed this host',
    });
  }
  const foreign = foreignLxd(facts);
  if (foreign !== null) reset.untouched.push(foreign);
  const disks = [
    ...(system?.localDisk ? [{ spec: system.localDisk, role: 'local' as const }] : []),
    ...(system?.cephDisks ?? []).map((spec) => ({ spec, role: 'ceph' as const })),
  ];
  const devices = facts.blockDevices.devices;
  const seen = new Set<string>();
  for (const { spec, role } of disks) {
    const name = kernelNameOf(spec.path, facts);
    const device = devices.find((d) => d.kernelName === name && d.type === 'disk');
    if (name === undefined || device === undefined) {
      reset.untouched.push({ path: spec.path, why: 'no such disk on the host' });
      continue;
    }
    if (seen.has(device.kernelName)) continue;
    seen.add(device.kernelName);
    const holds = diskHolds(device, devices, role);
    if (!spec.wipe) {
      if ('ours' in holds) {
        reset.untouched.push({
          path: spec.path,
          why: `keeps ${holds.ours}: the inventory does not mark it for wiping (wipe: true)`,
        });
      }
      continue;
    }
    const user = role === 'local' ? 'lxd' : 'microceph';
    if ('ours' in holds && reset.kept.some((k) => k.snap === user)) {
      reset.untouched.push({ path: spec.path, why: `marked for wiping, but ${user}, which stays, uses it` });
    } else if ('ours' in holds) {
      reset.wipes.push({ path: spec.path, device: device.path, holds: holds.ours });
    } else if ('other' in holds) {
      reset.untouched.push({ path: spec.path, why: `marked for wiping, but ${holds.other}` });
    }
  }
  return reset;
}

/**
 * The reset of `inputs`' hosts (inventory order). Snaps leave host by host side by side, one snap at a time
 * across the hosts; then the disks; then each host's record.
 */
export function planReset(inputs: readonly ResetInput[]): ResetPlan {
  const hosts = inputs.map(resetOfHost);
  const snapOrder = [
    ...CLUSTER_SNAPS_IN_REMOVAL_ORDER,
    ...[...new Set(hosts.flatMap((h) => h.snaps))]
      .filter((s) => !(CLUSTER_SNAPS_IN_REMOVAL_ORDER as readonly string[]).includes(s))
      .sort(),
  ];
  const phases: ResetPhase[] = [];
  const snapStages = snapOrder
    .map((snap) => ({
      lanes: hosts
        .filter((h) => h.snaps.includes(snap))
        .map((h): ResetStep[] => [
          {
            id: `reset:${h.host}:snap:${snap}`,
            host: h.host,
            action: { kind: 'snap-remove', snap },
          },
        ]),
    }))
    .filter((stage) => stage.lanes.length > 0);
  if (snapStages.length > 0) {
    phases.push({
      id: 'reset-snaps',
      title: 'Leave the clusters: remove the snaps mc installed',
      stages: snapStages,
    });
  }
  const wipeLanes = hosts
    .filter((h) => h.wipes.length > 0)
    .map((h) =>
      h.wipes.map((w): ResetStep => ({
        id: `reset:${h.host}:wipe:${w.path}`,
        host: h.host,
        action: { kind: 'disk-wipe', path: w.path, device: w.device, holds: w.holds },
      })),
    );
  if (wipeLanes.length > 0) {
    phases.push({
      id: 'reset-disks',
      title: 'Wipe the disks marked for wiping',
      stages: [{ lanes: wipeLanes }],
    });
  }
  const recordLanes = hosts
    .filter((h) => h.record)
    .map((h): ResetStep[] => [
      { id: `reset:${h.host}:record`, host: h.host, action: { kind: 'forget-record' } },
    ]);
  if (recordLanes.length > 0) {
    phases.push({ id: 'reset-record', title: "Remove mc's records", stages: [{ lanes: recordLanes }] });
  }
  const steps = phases.reduce((n, p) => n + p.stages.reduce((m, s) => m + s.lanes.flat().length, 0), 0);
  const changing = hosts
    .filter((h) => h.snaps.length > 0 || h.wipes.length > 0 || h.record)
    .map((h) => h.host);
  return { hosts, changing, phases, steps };
}

/** What goes, per host, for the confirmation: the snaps with their data, the disks with theirs. */
export function resetLosses(reset: HostReset): string[] {
  return [
    ...reset.snaps
      .filter((s) => SNAP_DATA[s] !== undefined)
      .map((s) => `snap ${s} with ${SNAP_DATA[s] ?? ''}`),
    ...reset.wipes.map((w) => `everything on ${w.path} (${w.device}: ${w.holds})`),
  ];
}
