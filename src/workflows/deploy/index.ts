// mc deploy / mc plan: facts → validate → plan → (lock, install, bootstrap, join, storage, configure) → verify.
// The plan (domain/cluster/plan.ts) says what to do; run-plan.ts runs it; phases/ holds one file per thing a
// deploy does to a host (install-snaps.ts, join-microceph.ts, add-osds.ts, ...). Every phase emits events;
// nothing here formats output. Nothing changes on any host before validate passes, and a dry run never
// reaches the phases that change anything.
import {
  pendingInPhase,
  pendingSteps,
  planDeploy,
  stepsDoneMeanwhile,
  type Plan,
  type PlanPhase,
} from '../../domain/cluster/plan.js';
import { describeAction } from '../../domain/cluster/actions.js';
import type { ClusterDesign, ClusterSpec, DeployIssue } from '../../domain/cluster/types.js';
import type { HostFacts } from '../../domain/facts/index.js';
import type { Inventory } from '../../domain/inventory/types.js';
import { probe, type HostProbe } from '../probe.js';
import type { Session } from '../session.js';
import { awaitEarlierCreates } from './earlier-lxc-create.js';
import { Formation } from './formation.js';
import { gatherClusterState, type ClusterSnapshot } from './gather.js';
import { hostNamedBy, reportFailure, runPhase, takeDeployLock } from './run-plan.js';
import { withUnfinishedLxdJoins } from './unfinished-join.js';
import { verifyCluster, type VerifyResult } from './verify.js';

/** LXD 5.21's answers to the extension checks of §3.1, assumed until LXD is installed and can be asked. */
export const LXD_521_EXTENSIONS = [
  'instances_migration_stateful',
  'storage_pool_source_wipe',
  'storage_cephfs_create_missing',
];

export interface DeployOptions {
  inventory: Inventory;
  spec: ClusterSpec;
  /** Stop after the plan. */
  dryRun: boolean;
  forceUnlock: boolean;
  /** Accept veth NICs as uplinks (labs). */
  allowVeth: boolean;
  /** Asked before disks are wiped; false stops the deploy. */
  confirmWipe: (disks: { host: string; path: string }[]) => Promise<boolean>;
  /** `roundTrips`: this machine's clock around each host's fact gathering, for the clock-skew check. */
  design: (
    facts: ReadonlyMap<string, HostFacts>,
    roundTrips: ReadonlyMap<string, HostProbe['roundTrip']>,
  ) => { ok: true; design: ClusterDesign } | { ok: false; issues: DeployIssue[] };
}

export type DeployOutcome =
  | { kind: 'unreachable' }
  | { kind: 'invalid'; issues: DeployIssue[] }
  | { kind: 'planned'; plan: Plan }
  | { kind: 'no-changes'; plan: Plan; design: ClusterDesign; verify: VerifyResult }
  | { kind: 'declined'; plan: Plan }
  | { kind: 'failed'; plan: Plan }
  | { kind: 'deployed'; plan: Plan; design: ClusterDesign; verify: VerifyResult; changed: number };

async function gatherFacts(
  session: Session,
  allowVeth: boolean,
  roundTrips?: Map<string, HostProbe['roundTrip']>,
): Promise<Map<string, HostFacts> | null> {
  const probes = await probe(session, { allowVeth });
  if (!session.ok) return null;
  for (const [host, p] of probes) roundTrips?.set(host, p.roundTrip);
  return new Map([...probes].map(([host, p]) => [host, p.facts]));
}

interface ReadPlan {
  plan: Plan;
  /** The state the plan was made from: verify's too, when nothing changed after it was read. */
  snapshot: ClusterSnapshot;
}

async function makePlan(
  session: Session,
  design: ClusterDesign,
  facts: ReadonlyMap<string, HostFacts>,
): Promise<ReadPlan> {
  const snapshot = await gatherClusterState(session, design, facts);
  const plan = planDeploy(
    { design, facts, state: snapshot.state },
    {
      apiExtensions: snapshot.apiExtensions ?? LXD_521_EXTENSIONS,
      microcloudVersion: snapshot.microcloudVersion,
    },
  );
  return { plan, snapshot };
}

/** makePlan, with a host lost while its state is read reported as the failed step it is (undefined then). */
async function readPlan(
  session: Session,
  design: ClusterDesign,
  facts: ReadonlyMap<string, HostFacts>,
): Promise<ReadPlan | undefined> {
  try {
    return await makePlan(session, design, facts);
  } catch (err) {
    const host = hostNamedBy(session, err);
    if (host === undefined) throw err;
    reportFailure(session, host, 'read the cluster state', err);
    return undefined;
  }
}

export async function deploy(session: Session, options: DeployOptions): Promise<DeployOutcome> {
  const { bus } = session;
  const all = session.hosts.slice();
  bus.emit({ type: 'phase-start', phase: 'facts', title: 'Connect and gather facts', hosts: all });
  const firstRoundTrips = new Map<string, HostProbe['roundTrip']>();
  let facts = await gatherFacts(session, options.allowVeth, firstRoundTrips);
  bus.emit({ type: 'phase-done', phase: 'facts', ok: facts !== null, changed: 0, ms: 0 });
  if (facts === null) return { kind: 'unreachable' };
  // An LXD that cannot be asked may be a join that never finished: the plan then clears it.
  facts = await withUnfinishedLxdJoins(session, facts);

  const designed = options.design(facts, firstRoundTrips);
  if (!designed.ok) return { kind: 'invalid', issues: designed.issues };
  const design = designed.design;
  for (const warning of design.warnings) bus.emit({ type: 'warning', message: warning });

  const first = await readPlan(session, design, facts);
  if (first === undefined) return { kind: 'unreachable' };
  let plan = first.plan;
  for (const note of plan.notes) bus.emit({ type: 'warning', message: note });
  if (options.dryRun) return { kind: 'planned', plan };
  if (pendingSteps(plan).length === 0) {
    return {
      kind: 'no-changes',
      plan,
      design,
      verify: await verifyCluster(session, design, facts, first.snapshot),
    };
  }

  const wipes = pendingSteps(plan).flatMap((step) => {
    const a = step.action;
    if (a.kind === 'ceph-disk-add' && a.disk.wipe) return [{ host: step.host, path: a.disk.path }];
    if (a.kind === 'lxd-storage-create' && a.config['source.wipe'] === 'true' && a.target !== undefined) {
      return [{ host: a.target, path: a.config['source'] ?? '' }];
    }
    return [];
  });
  if (wipes.length > 0 && !(await options.confirmWipe(wipes))) return { kind: 'declined', plan };

  const lock = await takeDeployLock(session, all, options.forceUnlock);
  if (lock === undefined) return { kind: 'failed', plan };
  let changed = 0;
  const run = { dmCryptReady: new Set<string>(), formation: new Formation(bus), members: design.members };
  /** The plan was read again after the last phase that changed anything; from this state. */
  let replanned = false;
  let lastState: ClusterSnapshot | undefined;
  try {
    // Phases by id: after MicroCloud formed the cluster, and before LXD is configured, the plan is read again
    // from fresh facts and state: what follows depends on what the earlier phases built.
    for (let index = 0; index < plan.phases.length; index += 1) {
      let phase = plan.phases[index] as PlanPhase;
      if (phase.id === 'configure' && !replanned) {
        const stuck = await awaitEarlierCreates(session, [
          ...new Set(pendingInPhase(phase).map((s) => s.host)),
        ]);
        for (const { host, error } of stuck)
          reportFailure(session, host, "wait for an earlier run's lxc create", error);
        if (stuck.length > 0) return { kind: 'failed', plan };
        facts = (await gatherFacts(session, options.allowVeth)) ?? facts;
        if (!session.ok) return { kind: 'failed', plan };
        const again = await readPlan(session, design, facts);
        if (again === undefined) return { kind: 'failed', plan };
        plan = again.plan;
        const configure = plan.phases.find((p) => p.id === 'configure');
        // What the plan showed and LXD has since done itself is said, not silently dropped.
        for (const step of stepsDoneMeanwhile(phase, configure)) {
          bus.emit({
            type: 'step-done',
            host: step.host,
            step: step.id,
            summary: `${describeAction(step.action)}: already done (LXD got there after the plan was read: an earlier run's command finished meanwhile)`,
            ms: 0,
          });
        }
        if (configure === undefined) break;
        phase = configure;
      }
      if (phase.id === 'configure') {
        // What the plan shows as skipped, the deploy says it skips.
        for (const s of plan.skipped) {
          bus.emit({ type: 'step-skipped', host: plan.anchors.lxd, step: s.setting, reason: s.reason });
        }
      }
      const result = await runPhase(session, phase, run);
      changed += result.changed;
      if (!result.ok) return { kind: 'failed', plan };
      if (result.changed > 0) replanned = false;
      if (phase.id === 'form' && result.changed > 0) {
        // What MicroCloud left undone (a cluster half-formed by an earlier run) is planned from what it built.
        facts = (await gatherFacts(session, options.allowVeth)) ?? facts;
        if (!session.ok) return { kind: 'failed', plan };
        const again = await readPlan(session, design, facts);
        if (again === undefined) return { kind: 'failed', plan };
        plan = again.plan;
        lastState = again.snapshot;
        replanned = true;
        index = plan.phases.findIndex((p) => p.id === 'form');
      }
    }
  } finally {
    await lock.release();
  }
  // Nothing changed since the plan was last read: its facts and state are the end state verify checks.
  const fresh = replanned ? facts : ((await gatherFacts(session, options.allowVeth)) ?? facts);
  const verify = await verifyCluster(session, design, fresh, replanned ? lastState : undefined);
  return { kind: 'deployed', plan, design, verify, changed };
}
