// The disks of the local ZFS pool and of the Ceph OSDs (§4): explicit disks checked against the facts, then
// the preseed filters of §4.3 for the hosts without explicit disks of a kind, Ceph filters first.
//
// mc never hands out a disk that could hold the system or data in use: a disk refused by the facts layer's
// rules (root disk, partitions, mounted, read-only, removable, in use by LVM/md/dm, virtual, too small for
// Ceph) stays refused whatever the inventory says. `wipe: true` only overrides a leftover signature on an
// otherwise unused whole disk (a filesystem or an empty partition table): what MicroCeph's `--wipe` and
// LXD's `source.wipe` exist for.
//
// Filters are evaluated over LXD's own view (/1.0/resources) where LXD runs, as MicroCloud does; before LXD
// is installed, over the same fields built from lsblk and the udev links (disk-filter.ts), so that the
// design can be made before anything is installed. Either way a disk must also pass mc's rules to be
// matched. A filter applies per kind: Ceph filters to hosts without `storage.ceph`, local filters to hosts
// without `storage.local` (MicroCloud 2.1 skips a host with any explicit disk for both kinds).

import {
  evaluateDisks,
  formatBytesIec,
  type BlockDevice,
  type DiskRejectionCode,
  type DiskVerdict,
  type Reason,
} from '../facts/index.js';
import type { DesignContext, HostContext } from './context.js';
import {
  lsblkDiskView,
  lxdDiskView,
  matchesDiskFilter,
  parseDiskFilter,
  unavailableFields,
  type DiskFilterView,
  type FilterClause,
} from './disk-filter.js';
import { listWords } from './issues.js';
import type { Choice, DiskChoice, DiskFilterSpec, DiskSpec } from './types.js';

type Purpose = 'local' | 'ceph';

export interface MemberDisks {
  local: Choice<DiskChoice> | null;
  ceph: Choice<DiskChoice>[];
}

/** What `wipe: true` may erase: a signature on a whole disk nothing uses. */
const WIPEABLE: ReadonlySet<DiskRejectionCode> = new Set(['filesystem', 'partition-table']);

const PURPOSE_LABELS: Record<Purpose, string> = { local: 'the local storage pool', ceph: 'Ceph' };

interface HostDisk {
  verdict: DiskVerdict;
  /** The disk as a filter sees it; null when LXD runs and does not list it. */
  view: DiskFilterView | null;
  /** The disk already serves this cluster (resume): the `local` ZFS pool, or a Ceph OSD. */
  existing: Purpose | null;
  /** MicroCloud would offer it: no partitions, not a CD-ROM (§4.2). */
  listed: boolean;
}

function childrenOf(host: HostContext, device: BlockDevice): BlockDevice[] {
  return host.facts.blockDevices.devices.filter((other) => device.children.includes(other.kernelName));
}

function existingUse(host: HostContext, device: BlockDevice): Purpose | null {
  const { lxd, microceph } = host.facts.services;
  const pools = 'storagePools' in lxd ? lxd.storagePools : [];
  const zfsLocal = childrenOf(host, device).some(
    (child) => child.fsType === 'zfs_member' && child.fsLabel === 'local',
  );
  if (pools.includes('local') && zfsLocal) return 'local';
  if (microceph.state === 'bootstrapped' && device.fsType === 'ceph_bluestore') return 'ceph';
  return null;
}

function hostDisks(host: HostContext): HostDisk[] {
  const { blockDevices, diskLinks, lxdResources } = host.facts;
  return evaluateDisks(blockDevices, diskLinks).map((verdict) => {
    const device = verdict.device;
    let view: DiskFilterView | null;
    if (lxdResources === null) {
      view = lsblkDiskView(device, blockDevices, diskLinks);
    } else {
      const disk = lxdResources.disks.find((candidate) => candidate.id === device.kernelName);
      view = disk === undefined ? null : lxdDiskView(disk);
    }
    const partitioned = childrenOf(host, device).some((child) => child.type === 'part');
    return {
      verdict,
      view,
      existing: existingUse(host, device),
      listed: !partitioned && device.type !== 'rom',
    };
  });
}

function describeDisk(disk: HostDisk): string {
  return `${disk.verdict.stablePath.path} (${disk.verdict.device.kernelName}, ${formatBytesIec(disk.verdict.device.sizeBytes)})`;
}

/** Why the disk cannot serve `purpose`, after what `wipe` may erase. */
function blockers(disk: HostDisk, purpose: Purpose, wipe: boolean): Reason[] {
  if (disk.existing === purpose) return [];
  const reasons: Reason[] = [...disk.verdict[purpose].reasons];
  if (disk.existing !== null) {
    reasons.unshift({
      code: 'in-use',
      message:
        disk.existing === 'ceph'
          ? 'is a Ceph OSD of this cluster'
          : "holds this cluster's local storage pool",
    });
  }
  return reasons.filter((reason) => !(wipe && WIPEABLE.has(reason.code as DiskRejectionCode)));
}

function eligibleHint(disks: readonly HostDisk[], purpose: Purpose): string {
  const eligible = disks.filter((disk) => blockers(disk, purpose, false).length === 0);
  return eligible.length === 0
    ? `no disk on this host is eligible for ${PURPOSE_LABELS[purpose]} (mc probe shows why)`
    : `eligible for ${PURPOSE_LABELS[purpose]}: ${eligible.map(describeDisk).join(', ')}`;
}

/** The device a path names: /dev/disk/by-id/NAME, /dev/disk/by-path/NAME, /dev/NAME or /dev/mapper/NAME. */
function resolvePath(host: HostContext, path: string): BlockDevice | null {
  const { devices } = host.facts.blockDevices;
  const link = /^\/dev\/disk\/(by-id|by-path)\/(.+)$/.exec(path);
  if (link !== null) {
    const target = host.facts.diskLinks.find(
      (entry) => entry.directory === link[1] && entry.name === link[2],
    );
    return target === undefined
      ? null
      : (devices.find((device) => device.kernelName === target.target) ?? null);
  }
  return (
    devices.find((device) => device.path === path) ??
    devices.find((device) => `/dev/${device.kernelName}` === path) ??
    null
  );
}

function choiceOf(disk: HostDisk, wipe: boolean, encrypt: boolean, purpose: Purpose): DiskChoice {
  const existing = disk.existing === purpose;
  const choice: DiskChoice = {
    path: disk.verdict.stablePath.path,
    // A disk already in use for this purpose is kept as it is, never wiped.
    wipe: wipe && !existing,
    encrypt: purpose === 'ceph' && encrypt,
    device: disk.verdict.device.kernelName,
    sizeBytes: disk.verdict.device.sizeBytes,
  };
  if (existing) choice.existing = true;
  return choice;
}

/** Warnings worth showing for a chosen disk: what wipe erases, names that may move. */
function warnChosen(ctx: DesignContext, host: string, disk: HostDisk, purpose: Purpose, wipe: boolean): void {
  if (disk.existing === purpose) return;
  const erased = disk.verdict[purpose].reasons.filter((reason) => WIPEABLE.has(reason.code));
  if (wipe && erased.length > 0) {
    ctx.warn(
      `${disk.verdict.stablePath.path} ${erased.map((reason) => reason.message).join('; ')}: wipe: true erases it`,
      host,
    );
  }
  for (const warning of disk.verdict.warnings)
    ctx.warn(`disk ${disk.verdict.device.kernelName} ${warning}`, host);
}

interface HostState {
  host: HostContext;
  disks: HostDisk[];
  /** Kernel names taken, with the path and use that took them. */
  taken: Map<string, { path: string; purpose: Purpose }>;
  local: Choice<DiskChoice> | null;
  ceph: Choice<DiskChoice>[];
}

function explicitDisk(
  ctx: DesignContext,
  state: HostState,
  spec: DiskSpec,
  purpose: Purpose,
  label: string,
): void {
  const { host, disks } = state;
  const device = resolvePath(host, spec.path);
  if (device === null) {
    ctx.issues.add(`disk ${spec.path} not found`, {
      position: spec.origin,
      host: host.name,
      hint: eligibleHint(disks, purpose),
    });
    return;
  }
  const disk = disks.find((candidate) => candidate.verdict.device.kernelName === device.kernelName);
  if (disk === undefined) {
    const kind = device.type === 'part' ? 'a partition' : `a ${device.type} device`;
    ctx.issues.add(
      `disk ${spec.path} is ${device.name}, ${kind} on ${listWords(device.parents)}, not a whole disk`,
      {
        position: spec.origin,
        host: host.name,
        hint: eligibleHint(disks, purpose),
      },
    );
    return;
  }
  const previous = state.taken.get(device.kernelName);
  if (previous !== undefined) {
    ctx.issues.add(
      `disk ${spec.path} is ${device.kernelName}, already used for ${PURPOSE_LABELS[previous.purpose]} as ${previous.path}`,
      { position: spec.origin, host: host.name, hint: 'a disk can back only one pool or OSD' },
    );
    return;
  }
  state.taken.set(device.kernelName, { path: spec.path, purpose });
  const blocking = blockers(disk, purpose, spec.wipe);
  if (blocking.length > 0) {
    const messages = blocking.map((reason) => reason.message).join('; ');
    const onlyData = blocking.every((reason) => WIPEABLE.has(reason.code as DiskRejectionCode));
    ctx.issues.add(
      onlyData
        ? `disk ${spec.path} (${device.kernelName}) holds data: ${messages}`
        : `disk ${spec.path} (${device.kernelName}) cannot be used for ${PURPOSE_LABELS[purpose]}: ${messages}`,
      {
        position: spec.origin,
        host: host.name,
        hint: onlyData
          ? 'set wipe: true to erase it, losing everything on it, or choose another disk'
          : eligibleHint(disks, purpose),
      },
    );
    return;
  }
  warnChosen(ctx, host.name, disk, purpose, spec.wipe);
  const choice: Choice<DiskChoice> = {
    value: choiceOf(disk, spec.wipe, spec.encrypt, purpose),
    source: 'inventory',
    reason: disk.existing === purpose ? `${label}; already in use by this cluster` : label,
  };
  if (purpose === 'local') state.local = choice;
  else state.ceph.push(choice);
}

interface FilterRun {
  spec: DiskFilterSpec;
  label: string;
  clauses: FilterClause[];
  /** Matches per host, in host order. */
  matched: { host: string; path: string }[];
  /** Some host could not evaluate it: its counts are not judged. */
  incomplete: boolean;
}

function candidates(state: HostState, run: FilterRun, purpose: Purpose, ctx: DesignContext): HostDisk[] {
  const usable = state.disks
    .filter((disk) => !state.taken.has(disk.verdict.device.kernelName))
    .filter((disk) => disk.view !== null && (disk.listed || disk.existing === purpose))
    .filter((disk) => blockers(disk, purpose, run.spec.wipe).length === 0)
    // LXD lists disks in /sys/class/block order, which is by name; matched[0] is taken from that order.
    .sort((a, b) => (a.verdict.device.kernelName < b.verdict.device.kernelName ? -1 : 1));
  const missing = new Set(
    usable.flatMap((disk) => (disk.view === null ? [] : unavailableFields(run.clauses, disk.view))),
  );
  if (missing.size > 0) {
    run.incomplete = true;
    ctx.issues.add(
      `filter "${run.spec.find}" uses ${listWords([...missing])}, which only LXD reports, and LXD is not installed here yet`,
      {
        position: run.spec.origin,
        host: state.host.name,
        hint: 'filter on id, device, model, type, size, serial, wwn, device_id, device_path, rpm, read_only, mounted or removable',
      },
    );
    return [];
  }
  return usable.filter((disk) => disk.view !== null && matchesDiskFilter(run.clauses, disk.view));
}

function filterRuns(ctx: DesignContext, kind: Purpose): FilterRun[] {
  return ctx.spec.storage[kind].flatMap((spec, index) => {
    const parsed = parseDiskFilter(spec.find);
    // The spec is only built from filters that parse.
    if (!parsed.ok) return [];
    return [
      { spec, label: `storage.${kind}[${index}]`, clauses: parsed.clauses, matched: [], incomplete: false },
    ];
  });
}

function pick(
  ctx: DesignContext,
  state: HostState,
  disk: HostDisk,
  run: FilterRun,
  purpose: Purpose,
): Choice<DiskChoice> {
  state.taken.set(disk.verdict.device.kernelName, { path: disk.verdict.stablePath.path, purpose });
  run.matched.push({ host: state.host.name, path: disk.verdict.stablePath.path });
  warnChosen(ctx, state.host.name, disk, purpose, run.spec.wipe);
  return {
    value: choiceOf(disk, run.spec.wipe, run.spec.encrypt, purpose),
    source: 'filter',
    reason: `matched ${run.label} "${run.spec.find}"${disk.existing === purpose ? '; already in use by this cluster' : ''}`,
  };
}

function judgeCounts(ctx: DesignContext, run: FilterRun, unit: string): void {
  if (run.incomplete) return;
  const found = run.matched.length;
  const list = found === 0 ? 'none' : run.matched.map((match) => `${match.host}:${match.path}`).join(', ');
  if (found < run.spec.findMin) {
    ctx.issues.add(`Failed to find at least ${run.spec.findMin} disks for filter "${run.spec.find}"`, {
      position: run.spec.origin,
      hint: `found ${found} ${unit}: ${list}; compare the filter with the disks mc probe lists as eligible`,
    });
  }
  if (run.spec.findMax !== undefined && found > run.spec.findMax) {
    ctx.issues.add(`Found more than ${run.spec.findMax} disks for filter "${run.spec.find}"`, {
      position: run.spec.origin,
      hint: `found ${found} ${unit}: ${list}; narrow the filter or raise find_max`,
    });
  }
}

/** Every member's disks; every problem is an issue, the rest of the design goes on. */
export function designDisks(ctx: DesignContext): Map<string, MemberDisks> {
  const states: HostState[] = ctx.hosts.map((host) => ({
    host,
    disks: hostDisks(host),
    taken: new Map(),
    local: null,
    ceph: [],
  }));
  for (const state of states) {
    const { system } = state.host;
    const base = `cluster.systems.${state.host.name}.storage`;
    if (system.localDisk !== undefined) explicitDisk(ctx, state, system.localDisk, 'local', `${base}.local`);
    (system.cephDisks ?? []).forEach((disk, index) => {
      explicitDisk(ctx, state, disk, 'ceph', `${base}.ceph[${index}]`);
    });
  }
  // Ceph filters first, every match of every filter (§4.3), on hosts without explicit Ceph disks.
  const cephRuns = filterRuns(ctx, 'ceph');
  if (ctx.spec.services.microceph) {
    for (const run of cephRuns) {
      for (const state of states) {
        if (state.host.system.cephDisks !== undefined) continue;
        for (const disk of candidates(state, run, 'ceph', ctx))
          state.ceph.push(pick(ctx, state, disk, run, 'ceph'));
      }
      judgeCounts(ctx, run, 'disks');
    }
  }
  // Then local filters: the first disk of the first filter that matches, one per host.
  const localRuns = filterRuns(ctx, 'local');
  for (const state of states) {
    if (state.host.system.localDisk !== undefined) continue;
    for (const run of localRuns) {
      const [first] = candidates(state, run, 'local', ctx);
      if (first === undefined) continue;
      state.local = pick(ctx, state, first, run, 'local');
      break;
    }
  }
  for (const run of localRuns) judgeCounts(ctx, run, 'hosts with a disk');
  const withLocal = states.filter((state) => state.local !== null);
  if (localRuns.length > 0 && withLocal.length > 0 && withLocal.length < states.length) {
    const without = states.filter((state) => state.local === null).map((state) => state.host.name);
    ctx.issues.add('Failed to find at least 1 disk on each machine for local storage pool configuration', {
      position: ctx.at('storage.local'),
      hint: `no disk matched on ${listWords(without)}: widen storage.local, or give the disk in systems.<host>.storage.local`,
    });
  }
  warnOsdHosts(ctx, states);
  return new Map(states.map((state) => [state.host.name, { local: state.local, ceph: state.ceph }]));
}

function warnOsdHosts(ctx: DesignContext, states: readonly HostState[]): void {
  if (!ctx.spec.services.microceph) return;
  const osdHosts = states.filter((state) => state.ceph.length > 0).length;
  if (osdHosts === 0) {
    ctx.warn(
      `No MicroCeph OSDs configured: MicroCeph is clustered without disks and there is no remote storage pool${ctx.spec.ceph.cephfs ? ' (ceph.cephfs has no effect)' : ''}`,
    );
  } else if (osdHosts < 3) {
    ctx.warn(
      `Disk configuration does not meet recommendations for fault tolerance. At least 3 systems must supply disks (${osdHosts} currently supplying). Continuing with this configuration will inhibit MicroCloud's ability to retain data on system failure`,
    );
  }
}
