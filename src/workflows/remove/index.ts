// mc remove: facts → the cluster's state on the members that stay → MicroCloud's refusals → confirmation →
// lock → per member, LXD, then MicroCeph ∥ MicroOVN, then MicroCloud → verify. Nothing changes on any host
// before the refusals are checked and the removal is confirmed. A re-run plans from where the cluster stands.
import {
  customVolumes,
  membersFromFacts,
  planRemoval,
  type MemberRemoval,
  type Refusal,
  type RemovalState,
  type RemovableService,
} from '../../domain/day2/remove.js';
import {
  clusterStateCommands,
  parseClusterState,
  servicesByMember,
  type ClusterStateQuery,
} from '../../domain/cluster/state.js';
import type { FramedCommand } from '../../domain/framed.js';
import type { HostFacts } from '../../domain/facts/index.js';
import { readFramed } from '../read-framed.js';
import { factsPhase, gatherFacts } from '../facts-phase.js';
import type { Session } from '../session.js';
import { hostNamedBy, reportFailure, takeDeployLock } from '../deploy/run-plan.js';
import { StepError } from '../deploy/remote.js';
import { NEXT_STEP, runRemovalPhase } from './execute.js';

export interface RemoveOptions {
  /** Inventory hosts to take out of the cluster, in this order. */
  members: string[];
  force: boolean;
  /** Stop after the plan. */
  dryRun: boolean;
  forceUnlock: boolean;
  allowVeth: boolean;
  /** Asked once the plan is known; false stops before anything changes. */
  confirm: (removals: MemberRemoval[]) => Promise<boolean>;
}

export type RemoveOutcome =
  | { kind: 'unreachable'; hint: string }
  | { kind: 'refused'; refusals: Refusal[] }
  | { kind: 'no-changes'; notMembers: string[] }
  | { kind: 'planned'; removals: MemberRemoval[]; notMembers: string[] }
  | { kind: 'declined'; removals: MemberRemoval[] }
  | { kind: 'failed'; removals: MemberRemoval[] }
  | {
      kind: 'removed';
      removals: MemberRemoval[];
      notMembers: string[];
      changed: number;
      /** Each service's members after the removal, as a remaining member lists them. */
      remaining: Partial<Record<RemovableService, string[]>>;
      /** Removed hosts some service still lists (empty when the removal took). */
      stillListed: string[];
    };

/** One read per member that stays and anchors LXD or MicroCeph: pools, member config, OSDs, units. */
export async function readRemovalState(
  session: Session,
  facts: ReadonlyMap<string, HostFacts>,
  order: string[],
  removing: ReadonlySet<string>,
): Promise<RemovalState> {
  const members = membersFromFacts(facts, order);
  const staying = (service: RemovableService): string | undefined =>
    order.find((h) => !removing.has(h) && members[service]?.includes(h) === true);
  const lxdAt = staying('lxd');
  const cephAt = staying('microceph');
  const asks = new Map<string, { query: ClusterStateQuery; extra: FramedCommand[] }>();
  const ask = (host: string): { query: ClusterStateQuery; extra: FramedCommand[] } => {
    let entry = asks.get(host);
    if (entry === undefined) {
      entry = { query: { lxdMembers: [], microceph: false, microovn: false }, extra: [] };
      asks.set(host, entry);
    }
    return entry;
  };
  const lxdLeaving = (members.lxd ?? []).filter((m) => removing.has(m));
  if (lxdAt !== undefined && lxdLeaving.length > 0) ask(lxdAt).query.lxdMembers = lxdLeaving;
  if (cephAt !== undefined) {
    ask(cephAt).query.microceph = true;
    ask(cephAt).extra.push({ name: 'cephStatus', command: 'microceph status' });
  }
  const state: RemovalState = { members, lxd: null, ceph: null };
  await Promise.all(
    [...asks].map(async ([host, { query, extra }]) => {
      const outputs = await readFramed(session, host, [...clusterStateCommands(query), ...extra]);
      let parsed;
      try {
        parsed = parseClusterState(query, outputs);
      } catch (err) {
        throw new StepError(`${host}: reading the cluster's state: ${(err as Error).message}`);
      }
      if (parsed.lxd !== null) {
        state.lxd = { memberConfig: parsed.lxd.memberConfig, volumes: customVolumes(parsed.lxd.pools) };
      }
      if (parsed.ceph !== null) {
        const status = outputs.get('cephStatus');
        if (status === undefined || status.exitCode !== 0) {
          throw new StepError(`${host}: microceph status failed: ${status?.stderr.trim() ?? 'did not run'}`);
        }
        state.ceph = {
          osds: parsed.ceph.osds,
          pools: parsed.ceph.pools,
          services: Object.fromEntries(servicesByMember(status.stdout)),
        };
      }
    }),
  );
  return state;
}

export async function removeMembers(session: Session, options: RemoveOptions): Promise<RemoveOutcome> {
  const { bus } = session;
  const removing = new Set(options.members);
  // The members that stay come first: they anchor each service and answer for it.
  const order = [...session.hosts.filter((h) => !removing.has(h)), ...options.members];
  const { facts, lost } = await factsPhase(session, options.allowVeth);
  const lostStaying = lost.filter((h) => !removing.has(h));
  if (lostStaying.length > 0) {
    return {
      kind: 'unreachable',
      hint: `every member that stays must answer (${lostStaying.join(', ')} did not)`,
    };
  }
  if (lost.length > 0 && !options.force) {
    return {
      kind: 'unreachable',
      hint: `${lost.join(', ')} did not answer: bring it back, or remove it with --force (MicroCloud's way for a machine that is gone)`,
    };
  }

  let state: RemovalState;
  try {
    state = await readRemovalState(session, facts, order, removing);
  } catch (err) {
    const host = hostNamedBy(session, err) ?? order[0] ?? '';
    reportFailure(session, host, 'read the cluster state', err, 0, NEXT_STEP);
    return { kind: 'unreachable', hint: 'the cluster state could not be read' };
  }
  const plan = planRemoval({ hosts: options.members, force: options.force, order }, state);
  if (!plan.ok) return { kind: 'refused', refusals: plan.refusals };
  const { removals, notMembers } = plan;
  if (removals.length === 0) return { kind: 'no-changes', notMembers };
  if (options.dryRun) return { kind: 'planned', removals, notMembers };
  if (!(await options.confirm(removals))) return { kind: 'declined', removals };

  const lock = await takeDeployLock(
    session,
    session.hosts.filter((h) => facts.has(h)),
    options.forceUnlock,
    NEXT_STEP,
  );
  if (lock === undefined) return { kind: 'failed', removals };
  let changed = 0;
  try {
    for (const removal of removals) {
      for (const phase of removal.phases) {
        const result = await runRemovalPhase(session, phase);
        changed += result.changed;
        if (!result.ok) return { kind: 'failed', removals };
      }
    }
  } finally {
    await lock.release();
  }
  bus.emit({ type: 'phase-start', phase: 'verify', title: 'Check the members', hosts: [...session.hosts] });
  const after = await gatherFacts(session, options.allowVeth);
  const remaining = membersFromFacts(after, order);
  const stillListed = options.members.filter((m) =>
    Object.values(remaining).some((list) => list.includes(m)),
  );
  bus.emit({ type: 'phase-done', phase: 'verify', ok: stillListed.length === 0, changed: 0, ms: 0 });
  return { kind: 'removed', removals, notMembers, changed, remaining, stillListed };
}
