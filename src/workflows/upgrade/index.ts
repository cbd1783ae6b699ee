// mc upgrade: facts → the store's revision of each target channel (`snap info`) → the plan and its refusals →
// the cluster's health before (every member ONLINE, Ceph's health, OVN's databases) → confirmation → lock →
// per step: `snap refresh` in the cohort, the hold again, the daemon ready, the revision checked, then the
// health gate. The first failed gate stops the run with what to do; the next run skips what is done.
import {
  UPGRADE_ORDER,
  describeUpgrade,
  parseSnapInfoChannels,
  planUpgrade,
} from '../../domain/day2/upgrade.js';
import type { StoreRevisions, UpgradePlan, UpgradeRefusal, UpgradeStep } from '../../domain/day2/upgrade.js';
import type { SnapName } from '../../domain/cluster/types.js';
import { parseSnapList, SNAP_LIST_COMMAND } from '../../domain/facts/index.js';
import { quoteArg, shellJoin } from '../../transport/quote.js';
import { StepError, waitFor, type Remote } from '../deploy/remote.js';
import { hostNamedBy, reportFailure, runSteps, takeDeployLock } from '../deploy/run-plan.js';
import { readFramed } from '../read-framed.js';
import { factsPhase } from '../facts-phase.js';
import type { Session } from '../session.js';

export const NEXT_STEP = 'then run mc upgrade again: it skips what is already upgraded';

/**
 * A refreshed daemon restarts and its members rejoin; LXD waits for every member to run the same version. At
 * most the run's --timeout.
 */
const GATE_WAIT_MS = 120_000;

export interface UpgradeOptions {
  targets: Partial<Record<SnapName, string>>;
  /** `lxc cluster evacuate` each member around its MicroCeph/MicroOVN refresh, `restore` after. */
  evacuate: boolean;
  dryRun: boolean;
  forceUnlock: boolean;
  allowVeth: boolean;
  confirm: (plan: Extract<UpgradePlan, { ok: true }>) => Promise<boolean>;
}

type Planned = Extract<UpgradePlan, { ok: true }>;

export type UpgradeOutcome =
  | { kind: 'unreachable'; hint: string }
  | { kind: 'refused'; refusals: UpgradeRefusal[] }
  | { kind: 'unhealthy'; problems: string[] }
  | { kind: 'no-changes'; plan: Planned }
  | { kind: 'planned'; plan: Planned }
  | { kind: 'declined'; plan: Planned }
  | { kind: 'failed'; plan: Planned }
  | { kind: 'upgraded'; plan: Planned; changed: number; restored: string[] };

/** What the gate compares: members not ONLINE per service, Ceph's health line, OVN's database lines. */
export interface ClusterHealth {
  offline: string[];
  ceph: string | null;
  ovn: string[];
  /** LXD members in maintenance (`lxc cluster evacuate`): not a failure, but never left behind by mc. */
  evacuated: string[];
}

const LIST_COMMANDS: Record<SnapName, string> = {
  lxd: 'lxc cluster list -f json',
  microceph: 'microceph cluster list -f json',
  microovn: 'microovn cluster list -f json',
  microcloud: 'microcloud cluster list -f json',
};

/** The cluster's health as `host` sees it, for the services installed there. */
export async function readHealth(
  session: Session,
  host: string,
  snaps: readonly string[],
): Promise<ClusterHealth> {
  const services = UPGRADE_ORDER.filter((s) => snaps.includes(s));
  if (services.length === 0) return { offline: [], ceph: null, ovn: [], evacuated: [] };
  const outputs = await readFramed(session, host, [
    ...services.map((s) => ({ name: s, command: LIST_COMMANDS[s] })),
    ...(services.includes('microceph') ? [{ name: 'ceph', command: 'microceph.ceph health' }] : []),
    ...(services.includes('microovn') ? [{ name: 'ovn', command: 'microovn status' }] : []),
  ]);
  const health: ClusterHealth = { offline: [], ceph: null, ovn: [], evacuated: [] };
  for (const service of services) {
    const out = outputs.get(service);
    if (out === undefined || out.exitCode !== 0) {
      health.offline.push(
        `${service} on ${host} does not answer (${out?.stderr.trim().slice(0, 120) ?? 'did not run'})`,
      );
      continue;
    }
    let members: { name?: string; server_name?: string; status?: string }[];
    try {
      members = JSON.parse(out.stdout) as typeof members;
    } catch {
      health.offline.push(`${service}: unreadable member list`);
      continue;
    }
    for (const m of members) {
      const status = (m.status ?? '').toUpperCase();
      if (service === 'lxd' && status === 'EVACUATED') {
        health.evacuated.push(m.server_name ?? m.name ?? '?');
        continue;
      }
      if (status !== 'ONLINE') {
        health.offline.push(`${service}: ${m.server_name ?? m.name ?? '?'} is ${m.status ?? 'unknown'}`);
      }
    }
  }
  const ceph = outputs.get('ceph');
  if (ceph !== undefined)
    health.ceph =
      ceph.exitCode === 0 ? ceph.stdout.trim() : `ceph health failed: ${ceph.stderr.trim().slice(0, 120)}`;
  const ovn = outputs.get('ovn');
  if (ovn !== undefined) {
    for (const db of ['Northbound', 'Southbound']) {
      if (ovn.exitCode !== 0 || !new RegExp(`^OVN ${db}: OK`, 'm').test(ovn.stdout))
        health.ovn.push(`OVN ${db} database is not OK`);
    }
  }
  return health;
}

/** What is wrong now that was not before: members not ONLINE, a new Ceph warning, an OVN database down. */
export function healthProblems(now: ClusterHealth, before: ClusterHealth | null): string[] {
  const problems = [...now.offline, ...now.ovn];
  const cephBefore = before?.ceph ?? 'HEALTH_OK';
  if (now.ceph !== null && now.ceph !== 'HEALTH_OK' && now.ceph !== cephBefore) {
    problems.push(`Ceph: ${now.ceph} (before the upgrade: ${cephBefore})`);
  }
  return problems;
}

// mc's record on a host that it evacuated the host's LXD member, so that the next run restores it (and never
// one someone else evacuated). Written before the evacuation, removed after the restore.
const EVACUATED_FILE = '"${MC_STATE_DIR:-/var/lib/mc}/evacuated"';
const shLines = (lines: string[]): string => `sh -c ${quoteArg(lines.join('; '))}`;
const RECORD_EVACUATION = shLines([`f=${EVACUATED_FILE}`, 'mkdir -p "$(dirname "$f")"', 'echo lxd > "$f"']);
const FORGET_EVACUATION = shLines([
  `f=${EVACUATED_FILE}`,
  'rm -f "$f"',
  'rmdir "$(dirname "$f")" 2>/dev/null || true',
]);
const READ_EVACUATION = shLines([`f=${EVACUATED_FILE}`, 'if [ -f "$f" ]; then echo mc; else echo none; fi']);

/** The LXD members now evacuated, split by who did it: mc (its record on the host) or someone else. */
async function evacuationState(
  session: Session,
  evacuated: readonly string[],
): Promise<{ byMc: string[]; byOthers: string[] }> {
  const byMc: string[] = [];
  const byOthers: string[] = [];
  for (const host of evacuated) {
    if (!session.hosts.includes(host)) continue;
    const out = (await readFramed(session, host, [{ name: 'record', command: READ_EVACUATION }])).get(
      'record',
    );
    if (out === undefined || out.exitCode !== 0)
      throw new StepError(
        `${host}: cannot read mc's evacuation record: ${out?.stderr.trim().slice(0, 120) ?? 'did not run'}`,
      );
    (out.stdout.trim() === 'mc' ? byMc : byOthers).push(host);
  }
  return { byMc, byOthers };
}

async function waitReady(remote: Remote, snap: SnapName): Promise<void> {
  await remote.run(snap === 'lxd' ? 'lxd waitready --timeout=60' : shellJoin([snap, 'waitready']));
}

async function storeRevisions(
  session: Session,
  host: string,
  snaps: readonly SnapName[],
): Promise<StoreRevisions> {
  if (snaps.length === 0) return {};
  const outputs = await readFramed(
    session,
    host,
    snaps.map((snap) => ({ name: snap, command: `LC_ALL=C snap info --unicode=never ${snap}` })),
  );
  const revisions: StoreRevisions = {};
  for (const snap of snaps) {
    const out = outputs.get(snap);
    if (out === undefined || out.exitCode !== 0) {
      throw new StepError(
        `${host}: snap info ${snap} failed: ${out?.stderr.trim().slice(0, 200) ?? 'did not run'}`,
      );
    }
    revisions[snap] = parseSnapInfoChannels(out.stdout);
  }
  return revisions;
}

export async function upgradeCluster(session: Session, options: UpgradeOptions): Promise<UpgradeOutcome> {
  const { facts, lost } = await factsPhase(session, options.allowVeth);
  if (lost.length > 0) {
    return {
      kind: 'unreachable',
      hint: `${lost.join(', ')} did not answer: every member takes part in the upgrade`,
    };
  }
  const snaps = new Map(session.hosts.map((h) => [h, facts.get(h)?.snaps ?? []]));
  const anchor = session.hosts[0] ?? '';
  const anchorSnaps = (snaps.get(anchor) ?? []).map((s) => s.name);
  let plan: UpgradePlan;
  let before: ClusterHealth;
  try {
    const wanted = UPGRADE_ORDER.filter((s) => options.targets[s] !== undefined && anchorSnaps.includes(s));
    const revisions = await storeRevisions(session, anchor, wanted);
    before = await readHealth(session, anchor, anchorSnaps);
    const evacuation = await evacuationState(session, before.evacuated);
    plan = planUpgrade({
      hosts: session.hosts,
      snaps,
      targets: options.targets,
      revisions,
      evacuate: options.evacuate,
      evacuatedByMc: evacuation.byMc,
      evacuatedByOthers: evacuation.byOthers,
      lxdRunning: new Map(
        session.hosts.flatMap((h) => {
          const lxd = facts.get(h)?.services.lxd;
          return lxd !== undefined && 'server' in lxd ? [[h, lxd.server.version] as const] : [];
        }),
      ),
    });
  } catch (err) {
    reportFailure(session, hostNamedBy(session, err) ?? anchor, 'read the cluster', err, 0, NEXT_STEP);
    return { kind: 'unreachable', hint: 'the store revisions or the cluster health could not be read' };
  }
  if (!plan.ok) return { kind: 'refused', refusals: plan.refusals };
  if (plan.phases.length === 0) return { kind: 'no-changes', plan };
  // The gate compares with this: an upgrade starts only from a cluster whose members are all ONLINE.
  const unhealthy = [...before.offline, ...before.ovn];
  if (unhealthy.length > 0) return { kind: 'unhealthy', problems: unhealthy };
  if (options.dryRun) return { kind: 'planned', plan };
  if (!(await options.confirm(plan))) return { kind: 'declined', plan };

  const lock = await takeDeployLock(session, session.hosts, options.forceUnlock, NEXT_STEP);
  if (lock === undefined) return { kind: 'failed', plan };
  // What the summary counts: refreshes (an evacuation and its restore are steps, not upgrades).
  let refreshed = 0;
  // Members a stopped run left evacuated and this run restored before anything else.
  const restored: string[] = [];
  try {
    for (const phase of plan.phases) {
      const result = await runSteps<UpgradeStep>(session, phase, {
        describe: describeUpgrade,
        async carryOut(step, remote) {
          if (step.kind === 'evacuate') {
            // Recorded first: a cut right after the evacuation still leaves the next run to restore it.
            await remote.run(RECORD_EVACUATION);
            await remote.run(shellJoin(['lxc', 'cluster', 'evacuate', step.host, '--force']));
            return;
          }
          if (step.kind === 'restore') {
            await remote.run(shellJoin(['lxc', 'cluster', 'restore', step.host, '--force']));
            await remote.run(FORGET_EVACUATION);
            if (phase.id === 'restore-evacuated') restored.push(step.host);
            return;
          }
          await remote.run(
            shellJoin(['snap', 'refresh', step.snap, `--channel=${step.channel}`, '--cohort=+']),
          );
          // An explicit refresh keeps a general hold; set again, so a hold lost some other way comes back.
          await remote.run(shellJoin(['snap', 'refresh', '--hold', step.snap]));
          await waitReady(remote, step.snap);
          const listed = parseSnapList((await remote.run(SNAP_LIST_COMMAND, { quiet: true })).stdout).find(
            (s) => s.name === step.snap,
          );
          if (listed?.revision !== step.revision || listed.tracking !== step.channel || !listed.held) {
            throw new StepError(
              `${step.snap} is at ${listed?.tracking ?? '-'} rev ${listed?.revision ?? '-'}${listed?.held === true ? '' : ', not held'} after the refresh, not ${step.channel} rev ${step.revision}`,
            );
          }
          let problems: string[] = [];
          try {
            await waitFor(
              'the cluster to be healthy',
              Math.min(GATE_WAIT_MS, session.options.commandTimeoutMs),
              async () => {
                problems = healthProblems(await readHealth(session, step.host, anchorSnaps), before);
                return problems.length === 0;
              },
            );
          } catch {
            throw new StepError(
              `health gate after ${step.snap} on ${step.host}: ${problems.join('; ')}`,
              `the upgrade stopped here; ${step.host} runs ${step.snap} ${step.channel} rev ${step.revision}: bring the cluster back (${problems.some((p) => p.startsWith('Ceph')) ? 'sudo microceph.ceph health detail' : 'lxc cluster list, microceph cluster list, microovn status'} on ${step.host}), ${NEXT_STEP}`,
            );
          }
          refreshed += 1;
        },
        next: NEXT_STEP,
      });
      if (!result.ok) return { kind: 'failed', plan };
    }
  } finally {
    await lock.release();
  }
  return { kind: 'upgraded', plan, changed: refreshed, restored };
}
