// `mc upgrade`: a rolling `snap refresh` in MicroCloud's documented order (mc2 doc/how-to/update_upgrade.md,
// §7): MicroCeph member by member, then MicroOVN member by member, then LXD on every member at once (a member
// whose LXD differs from the cluster's waits for the others, so one at a time would stall), then MicroCloud
// member by member; a health gate after each. Refused before anything changes: a channel that skips a
// supported step or goes back, and a set of versions MicroCloud does not accept together. A host already at
// the target channel and revision is skipped, so a run stopped at a gate resumes where it stopped. Pure.

import type { SnapName } from '../cluster/types.js';
import type { InstalledSnap } from '../facts/snaps.js';

export const UPGRADE_ORDER: readonly SnapName[] = ['microceph', 'microovn', 'lxd', 'microcloud'];

/** Each snap's tracks in release order: an upgrade moves at most one step along them (§7). */
const TRACKS: Record<SnapName, readonly string[]> = {
  microceph: ['quincy', 'reef', 'squid'],
  microovn: ['22.03', '24.03'],
  lxd: ['5.0', '5.21', '6'],
  microcloud: ['1', '2', '3'],
};

/** `squid/stable` → `squid`; `latest` follows the newest track. */
function trackOf(snap: SnapName, channel: string): string {
  const track = channel.split('/')[0] ?? '';
  return track === 'latest' ? (TRACKS[snap].at(-1) ?? track) : track;
}

/** A channel's revision as the store serves it (`snap info`): what a host at the target must run. */
export type StoreRevisions = Partial<Record<SnapName, Record<string, string>>>;

export interface UpgradeRefusal {
  snap: SnapName;
  reason: string;
  next: string;
}

/**
 * `refresh`: the snap on the host. `evacuate` / `restore`: `lxc cluster evacuate|restore` of the host around
 * its MicroCeph or MicroOVN refresh (--evacuate), with the refresh's snap and target for the preview.
 */
export type UpgradeStepKind = 'refresh' | 'evacuate' | 'restore';

export interface UpgradeStep {
  id: string;
  kind: UpgradeStepKind;
  host: string;
  snap: SnapName;
  from: { channel: string | null; revision: string; version: string };
  channel: string;
  revision: string;
}

export interface UpgradePhase {
  id: string;
  title: string;
  /** LXD: one stage, every member side by side; the others: one stage per member. */
  stages: { lanes: UpgradeStep[][] }[];
}

export type UpgradePlan =
  | {
      ok: true;
      phases: UpgradePhase[];
      /** Host and snap already at the target (a resumed run), for the preview. */
      done: { host: string; snap: SnapName; channel: string; revision: string }[];
      /** Refreshes only (evacuations and restores are counted apart). */
      steps: number;
      /** What the preview says besides the steps (what --evacuate covers, members left as they are). */
      notes: string[];
    }
  | { ok: false; refusals: UpgradeRefusal[] };

export interface UpgradeInput {
  /** Inventory order. */
  hosts: readonly string[];
  snaps: ReadonlyMap<string, readonly InstalledSnap[]>;
  /** The channel each snap goes to (the inventory's channels, overridden by --to). */
  targets: Partial<Record<SnapName, string>>;
  revisions: StoreRevisions;
  /** --evacuate: `lxc cluster evacuate` each LXD member before its MicroCeph/MicroOVN refresh, restore after. */
  evacuate?: boolean;
  /** LXD members mc evacuated and has not restored yet (its record on the host, and LXD says Evacuated). */
  evacuatedByMc?: readonly string[];
  /** LXD members evacuated by someone else: mc neither evacuates nor restores them. */
  evacuatedByOthers?: readonly string[];
  /** The version the LXD daemon answering on each host reports (`lxc query /1.0` server_version). */
  lxdRunning?: ReadonlyMap<string, string>;
}

/**
 * An LXD refresh on hosts whose answering LXD is not the snap's (a distribution package, e.g. Debian's 5.0.2):
 * `snap refresh lxd` would not touch the daemon that runs the cluster. The snap's version starts with the
 * release its daemon reports (`5.21.3-c5ae129` runs `5.21.3`, `6.9-0dc5080` runs `6.9`).
 */
function notTheSnapsLxd(
  steps: readonly UpgradeStep[],
  running: ReadonlyMap<string, string>,
): UpgradeRefusal[] {
  return steps
    .filter((step) => {
      const version = running.get(step.host);
      return version !== undefined && step.from.version.split('-')[0] !== version;
    })
    .map((step) => ({
      snap: 'lxd' as const,
      reason: `${step.host}: the LXD answering there is ${running.get(step.host) ?? '?'}, not the lxd snap's ${step.from.version.split('-')[0] ?? ''}: it is another LXD (a distribution package), which snap refresh does not upgrade`,
      next: `upgrade that LXD with its own package manager, or leave LXD as it is: --to lxd=${step.from.channel ?? '5.21/stable'}`,
    }));
}

/** The snaps whose refresh briefly affects instances on the member (mc2 doc/how-to/update_upgrade.md). */
export const EVACUATE_AROUND: readonly SnapName[] = ['microceph', 'microovn'];

/** `--to lxd=6/stable` values, checked: a known snap, a channel, each snap once. */
export function parseTargets(
  values: readonly string[],
): { targets: Partial<Record<SnapName, string>> } | { error: string } {
  const targets: Partial<Record<SnapName, string>> = {};
  for (const value of values) {
    const match = /^([a-z]+)=([a-z0-9.]+(?:\/[a-z]+)?(?:\/[a-z0-9-]+)?)$/.exec(value);
    const snap = match?.[1] as SnapName | undefined;
    if (match === null || snap === undefined || !UPGRADE_ORDER.includes(snap)) {
      return {
        error: `--to ${value.slice(0, 60)}: expected SNAP=CHANNEL with SNAP one of ${UPGRADE_ORDER.join(', ')} (e.g. --to lxd=6/stable)`,
      };
    }
    if (targets[snap] !== undefined) return { error: `--to: ${snap} is given twice` };
    targets[snap] = match[2] as string;
  }
  return { targets };
}

/** The MicroCloud version rules of §7 for the set the upgrade leaves (mc2 service/version.go, mc3 relaxes OVN). */
function setProblems(tracks: Partial<Record<SnapName, string>>): UpgradeRefusal[] {
  const problems: UpgradeRefusal[] = [];
  const cloud = tracks.microcloud;
  if (cloud === undefined || cloud === '1') return problems;
  const rank = (snap: SnapName, track: string | undefined): number =>
    track === undefined ? -1 : TRACKS[snap].indexOf(track);
  if (tracks.lxd !== undefined && rank('lxd', tracks.lxd) < rank('lxd', '5.21')) {
    problems.push({
      snap: 'lxd',
      reason: `MicroCloud ${cloud} needs LXD 5.21 or later; the upgrade would leave ${tracks.lxd}`,
      next: 'add --to lxd=5.21/stable',
    });
  }
  if (tracks.microceph !== undefined && tracks.microceph !== 'squid') {
    problems.push({
      snap: 'microceph',
      reason: `MicroCloud ${cloud} accepts MicroCeph squid (Ceph 19.2) only; the upgrade would leave ${tracks.microceph}`,
      next: 'add --to microceph=squid/stable',
    });
  }
  const ovnOk = cloud === '2' ? tracks.microovn === '24.03' : rank('microovn', tracks.microovn) >= 1;
  if (tracks.microovn !== undefined && !ovnOk) {
    problems.push({
      snap: 'microovn',
      reason: `MicroCloud ${cloud} accepts MicroOVN ${cloud === '2' ? '24.03 exactly' : '24.03 or later'}; the upgrade would leave ${tracks.microovn}`,
      next: 'add --to microovn=24.03/stable',
    });
  }
  return problems;
}

export function planUpgrade(input: UpgradeInput): UpgradePlan {
  const lxdMembers = new Set(
    input.hosts.filter((h) => input.snaps.get(h)?.some((s) => s.name === 'lxd') === true),
  );
  const restoring = (input.evacuatedByMc ?? []).filter((h) => lxdMembers.has(h));
  const refusals: UpgradeRefusal[] = [];
  const leaves: Partial<Record<SnapName, string>> = {};
  const phases: UpgradePhase[] = [];
  const done: { host: string; snap: SnapName; channel: string; revision: string }[] = [];
  for (const snap of UPGRADE_ORDER) {
    const installed = input.hosts
      .map((host) => ({ host, snap: input.snaps.get(host)?.find((s) => s.name === snap) }))
      .filter((x): x is { host: string; snap: InstalledSnap } => x.snap !== undefined);
    if (installed.length === 0) continue;
    const written = input.targets[snap];
    // `6` is `6/stable`, as snap reads it.
    const target = written === undefined || written.includes('/') ? written : `${written}/stable`;
    const currentTracks = [...new Set(installed.map((i) => trackOf(snap, i.snap.tracking ?? '')))];
    if (target === undefined) {
      const only = currentTracks.length === 1 ? currentTracks[0] : undefined;
      if (only !== undefined) leaves[snap] = only;
      continue;
    }
    const to = trackOf(snap, target);
    leaves[snap] = to;
    const toRank = TRACKS[snap].indexOf(to);
    if (toRank < 0) {
      refusals.push({
        snap,
        reason: `${target} is not a track mc knows for ${snap} (${TRACKS[snap].join(', ')})`,
        next: `name one of ${TRACKS[snap].map((t) => `${t}/stable`).join(', ')}`,
      });
      continue;
    }
    for (const from of currentTracks) {
      const fromRank = TRACKS[snap].indexOf(from);
      if (fromRank > toRank) {
        refusals.push({
          snap,
          reason: `${snap} ${from} cannot go back to ${to}: snaps refresh forward only (its data was upgraded)`,
          next: `keep ${from}: --to ${snap}=${from}/stable`,
        });
      } else if (fromRank >= 0 && toRank - fromRank > 1) {
        const via = TRACKS[snap][fromRank + 1] ?? '';
        refusals.push({
          snap,
          reason: `${snap} ${from} → ${to} skips ${via}, a step MicroCloud's upgrade path goes through`,
          next: `upgrade to ${via} first: mc upgrade --to ${snap}=${via}/stable, then to ${to}`,
        });
      }
    }
    const revision = input.revisions[snap]?.[target];
    if (revision === undefined) {
      refusals.push({
        snap,
        reason: `the store serves no revision of ${snap} on ${target}`,
        next: `see snap info ${snap} for its channels`,
      });
      continue;
    }
    // Within a track, a lower revision is an older build (19.2.1 → 19.2.0): the same way back, refused.
    const older = installed.filter(
      (i) => trackOf(snap, i.snap.tracking ?? '') === to && Number(i.snap.revision) > Number(revision),
    );
    const newest = older.map((i) => i.snap).sort((a, b) => Number(b.revision) - Number(a.revision))[0];
    if (newest !== undefined) {
      refusals.push({
        snap,
        reason: `${older.map((i) => i.host).join(', ')}: ${snap} ${newest.tracking ?? '-'} rev ${newest.revision} would go back to ${target} rev ${revision}, an older build: snaps refresh forward only (its data was upgraded)`,
        next: `keep the newer build: --to ${snap}=${newest.tracking ?? `${to}/stable`}`,
      });
      continue;
    }
    const steps: UpgradeStep[] = [];
    for (const { host, snap: current } of installed) {
      if (current.tracking === target && current.revision === revision) {
        done.push({ host, snap, channel: target, revision });
        continue;
      }
      steps.push({
        id: `upgrade:${host}:${snap}`,
        kind: 'refresh',
        host,
        snap,
        from: { channel: current.tracking, revision: current.revision, version: current.version },
        channel: target,
        revision,
      });
    }
    if (steps.length === 0) continue;
    if (snap === 'lxd' && input.lxdRunning !== undefined) {
      const foreign = notTheSnapsLxd(steps, input.lxdRunning);
      if (foreign.length > 0) {
        refusals.push(...foreign);
        continue;
      }
    }
    phases.push({
      id: `upgrade-${snap}`,
      title:
        snap === 'lxd'
          ? `Refresh LXD to ${target} on every member at once`
          : `Refresh ${snap} to ${target}, one member at a time`,
      stages:
        snap === 'lxd'
          ? [{ lanes: steps.map((s) => [s]) }]
          : steps.map((s) => ({ lanes: [withEvacuation(s, input, lxdMembers)] })),
    });
  }
  refusals.push(...setProblems(leaves));
  if (refusals.length > 0) return { ok: false, refusals };
  // Members a stopped run left evacuated come back before anything else (mc cleans up what it started,
  // with or without --evacuate this time), so that at most one member is ever evacuated.
  if (restoring.length > 0) {
    phases.unshift({
      id: 'restore-evacuated',
      title: 'Restore the members a stopped run left evacuated',
      stages: restoring.map((host) => ({ lanes: [[aroundStep('restore', host, null)]] })),
    });
  }
  const steps = phases.reduce(
    (n, p) => n + p.stages.reduce((m, s) => m + s.lanes.flat().filter((x) => x.kind === 'refresh').length, 0),
    0,
  );
  return { ok: true, phases, done, steps, notes: evacuationNotes(input, lxdMembers) };
}

/** An evacuate or restore step of `host`, around `refresh` (null: a restore left from a stopped run). */
function aroundStep(kind: 'evacuate' | 'restore', host: string, refresh: UpgradeStep | null): UpgradeStep {
  return {
    id: `${kind}:${host}${refresh === null ? '' : `:${refresh.snap}`}`,
    kind,
    host,
    snap: refresh?.snap ?? 'lxd',
    from: refresh?.from ?? { channel: null, revision: '', version: '' },
    channel: refresh?.channel ?? '',
    revision: refresh?.revision ?? '',
  };
}

/**
 * A member-by-member refresh, with --evacuate between `lxc cluster evacuate` and `lxc cluster restore`. A
 * member someone else evacuated is left so.
 */
function withEvacuation(
  refresh: UpgradeStep,
  input: UpgradeInput,
  lxdMembers: ReadonlySet<string>,
): UpgradeStep[] {
  const host = refresh.host;
  if (input.evacuate !== true || !EVACUATE_AROUND.includes(refresh.snap) || !lxdMembers.has(host))
    return [refresh];
  if (input.evacuatedByOthers?.includes(host) === true) return [refresh];
  return [aroundStep('evacuate', host, refresh), refresh, aroundStep('restore', host, refresh)];
}

function evacuationNotes(input: UpgradeInput, lxdMembers: ReadonlySet<string>): string[] {
  const notes: string[] = [];
  if (input.evacuate === true) {
    notes.push(
      lxdMembers.size === 0
        ? '--evacuate: no LXD member to evacuate'
        : "--evacuate: each member is evacuated around its MicroCeph and MicroOVN refreshes only; LXD is refreshed on every member at once and MicroCloud does not touch instances, so those need none (MicroCloud's upgrade guide)",
    );
  }
  for (const host of input.evacuatedByOthers ?? [])
    notes.push(
      `${host} was evacuated outside mc: mc neither evacuates nor restores it (lxc cluster restore ${host} when you are done)`,
    );
  return notes;
}

export function describeUpgrade(step: UpgradeStep): string {
  if (step.kind === 'evacuate')
    return `evacuate ${step.host} before its ${step.snap} refresh (lxc cluster evacuate: its instances move to other members)`;
  if (step.kind === 'restore') return `restore ${step.host} (lxc cluster restore: its instances come back)`;
  const from =
    step.from.channel === step.channel
      ? `rev ${step.from.revision}`
      : `${step.from.channel ?? '-'} rev ${step.from.revision}`;
  return `refresh ${step.snap} ${from} → ${step.channel} rev ${step.revision}, keep the hold, then check the cluster`;
}

/**
 * `snap info SNAP`'s channels: `  TRACK/RISK: VERSION DATE (REV) SIZE NOTES`; `^` follows the risk above it,
 * `--` is closed. Returns the revision per channel.
 */
export function parseSnapInfoChannels(text: string): Record<string, string> {
  const revisions: Record<string, string> = {};
  let inChannels = false;
  let previous: { track: string; revision: string | undefined } | undefined;
  for (const line of text.split('\n')) {
    if (/^channels:\s*$/.test(line)) {
      inChannels = true;
      continue;
    }
    if (!inChannels) continue;
    const match = /^\s+([^\s:]+\/[^\s:]+):\s+(\S+)(?:.*\((\S+)\))?/.exec(line);
    if (match === null) {
      if (!/^\s/.test(line)) inChannels = false;
      continue;
    }
    const channel = match[1] as string;
    const track = channel.split('/')[0] as string;
    let revision: string | undefined;
    if (match[2] === '^') revision = previous?.track === track ? previous.revision : undefined;
    else if (match[2] !== '--') revision = match[3];
    if (revision !== undefined) revisions[channel] = revision;
    previous = { track, revision };
  }
  return revisions;
}
