// mc reset: facts → mc's records on the hosts to reset → (with --limit, while other members stay) the removal
// of those hosts as mc remove plans it, with its refusals → the reset plan → confirmation → lock → removal
// phases, then the snaps, the disks and the records → the hosts checked again. Nothing changes on any host
// before the plan is shown and confirmed; a re-run plans again from what the hosts hold.
import type { ClusterSpec } from '../../domain/cluster/types.js';
import type { HostFacts } from '../../domain/facts/index.js';
import {
  describeReset,
  parseInstallRecord,
  planReset,
  type InstallRecord,
  type ResetPlan,
  type ResetStep,
} from '../../domain/day2/reset.js';
import { membersFromFacts, planRemoval, type MemberRemoval, type Refusal } from '../../domain/day2/remove.js';
import { shellJoin } from '../../transport/quote.js';
import { FORGET_RECORD_COMMAND, READ_RECORD_COMMAND } from '../deploy/install-record.js';
import { StepError } from '../deploy/remote.js';
import { hostNamedBy, reportFailure, runSteps, takeDeployLock } from '../deploy/run-plan.js';
import { readFramed } from '../read-framed.js';
import { factsPhase, gatherFacts } from '../facts-phase.js';
import { readRemovalState } from '../remove/index.js';
import { runRemovalPhase } from '../remove/execute.js';
import type { Session } from '../session.js';

export const NEXT_STEP = 'then run mc reset again: it continues from where the hosts stand';

/** `snap remove` of a snap with services stops them first; LXD's shutdown waits for its instances. */
const SNAP_REMOVE_TIMEOUT_MS = 10 * 60_000;

export interface ResetOptions {
  /** The inventory hosts to reset (all of them without --limit), in inventory order. */
  hosts: string[];
  spec: ClusterSpec;
  dryRun: boolean;
  forceUnlock: boolean;
  allowVeth: boolean;
  /** Asked once the plan is known; false stops before anything changes. */
  confirm: (plan: ResetPlan, removals: MemberRemoval[]) => Promise<boolean>;
}

export type ResetOutcome =
  | { kind: 'unreachable'; hint: string }
  | { kind: 'refused'; refusals: Refusal[] }
  | { kind: 'no-changes'; plan: ResetPlan }
  | { kind: 'planned'; plan: ResetPlan; removals: MemberRemoval[] }
  | { kind: 'declined'; plan: ResetPlan }
  | { kind: 'failed'; plan: ResetPlan }
  | {
      kind: 'reset';
      plan: ResetPlan;
      removals: MemberRemoval[];
      changed: number;
      /** Hosts where a snap mc installed, or a marked disk with the cluster's data, is still there. */
      leftovers: string[];
    };

/** The command that carries out one reset step, as root. */
export function resetCommand(action: ResetStep['action']): string {
  switch (action.kind) {
    case 'snap-remove':
      return shellJoin(['snap', 'remove', '--purge', action.snap]);
    case 'disk-wipe':
      // No --force: wipefs then refuses a device something still holds (a pool, an OSD, a mount).
      return shellJoin(['wipefs', '--all', action.path]);
    case 'forget-record':
      return FORGET_RECORD_COMMAND;
  }
}

async function readRecords(session: Session, hosts: readonly string[]): Promise<Map<string, InstallRecord>> {
  const records = new Map<string, InstallRecord>();
  await Promise.all(
    hosts.map(async (host) => {
      const outputs = await readFramed(session, host, [{ name: 'record', command: READ_RECORD_COMMAND }]);
      const out = outputs.get('record');
      if (out === undefined || out.exitCode !== 0) {
        throw new StepError(`${host}: reading mc's record failed: ${out?.stderr.trim() ?? 'did not run'}`);
      }
      try {
        records.set(host, parseInstallRecord(out.stdout));
      } catch (err) {
        throw new StepError(`${host}: mc's record: ${(err as Error).message}`);
      }
    }),
  );
  return records;
}

function planFor(
  options: ResetOptions,
  facts: ReadonlyMap<string, HostFacts>,
  records: ReadonlyMap<string, InstallRecord>,
): ResetPlan {
  return planReset(
    options.hosts.map((host) => ({
      host,
      facts: facts.get(host) as HostFacts,
      record: records.get(host) ?? null,
      system: options.spec.systems.find((s) => s.host === host),
    })),
  );
}

export async function resetHosts(session: Session, options: ResetOptions): Promise<ResetOutcome> {
  const { bus } = session;
  const { facts, lost } = await factsPhase(session, options.allowVeth);
  if (lost.length > 0) {
    return {
      kind: 'unreachable',
      hint: `${lost.join(', ')} did not answer: mc reset reads every host of the inventory first; bring ${lost.length > 1 ? 'them' : 'it'} back`,
    };
  }

  const resetting = new Set(options.hosts);
  // The members that stay come first: they anchor each service and carry out the removal.
  const order = [...session.hosts.filter((h) => !resetting.has(h)), ...options.hosts];
  const members = membersFromFacts(facts, order);
  const staying = session.hosts.filter(
    (h) => !resetting.has(h) && Object.values(members).some((list) => list.includes(h)),
  );
  let removals: MemberRemoval[] = [];
  let records: Map<string, InstallRecord>;
  try {
    records = await readRecords(session, options.hosts);
    if (staying.length > 0) {
      // Some members stay: the hosts leave the cluster first, as mc remove takes them out.
      const leaving = options.hosts.filter((h) => Object.values(members).some((list) => list.includes(h)));
      const state = await readRemovalState(session, facts, order, resetting);
      const removal = planRemoval({ hosts: leaving, force: false, order }, state);
      if (!removal.ok) return { kind: 'refused', refusals: removal.refusals };
      removals = removal.removals;
    }
  } catch (err) {
    const host = hostNamedBy(session, err) ?? options.hosts[0] ?? '';
    reportFailure(session, host, 'read the hosts', err, 0, NEXT_STEP);
    return { kind: 'unreachable', hint: "the cluster's state or mc's records could not be read" };
  }
  const plan = planFor(options, facts, records);
  if (plan.steps === 0 && removals.length === 0) return { kind: 'no-changes', plan };
  if (options.dryRun) return { kind: 'planned', plan, removals };
  if (!(await options.confirm(plan, removals))) return { kind: 'declined', plan };

  const lock = await takeDeployLock(session, session.hosts, options.forceUnlock, NEXT_STEP);
  if (lock === undefined) return { kind: 'failed', plan };
  let changed = 0;
  try {
    for (const removal of removals) {
      for (const phase of removal.phases) {
        const result = await runRemovalPhase(session, phase);
        changed += result.changed;
        if (!result.ok) return { kind: 'failed', plan };
      }
    }
    for (const phase of plan.phases) {
      const result = await runSteps<ResetStep>(session, phase, {
        describe: (step) => describeReset(step.action),
        async carryOut(step, remote) {
          const timeoutMs = step.action.kind === 'snap-remove' ? SNAP_REMOVE_TIMEOUT_MS : undefined;
          await remote.run(resetCommand(step.action), timeoutMs === undefined ? {} : { timeoutMs });
        },
        next: NEXT_STEP,
      });
      changed += result.changed;
      if (!result.ok) return { kind: 'failed', plan };
    }
  } finally {
    await lock.release();
  }

  // What the hosts hold now: nothing of the plan may be left.
  bus.emit({ type: 'phase-start', phase: 'verify', title: 'Check the hosts', hosts: [...options.hosts] });
  const after = await gatherFacts(session, options.allowVeth);
  let leftovers: string[] = options.hosts.filter((h) => !after.has(h));
  try {
    if (leftovers.length > 0) throw new StepError(`${leftovers.join(', ')} did not answer`);
    const again = planFor(options, after, await readRecords(session, options.hosts));
    leftovers = again.hosts
      .filter((h) => h.snaps.length > 0 || h.wipes.length > 0 || h.record)
      .map((h) => h.host);
  } catch (err) {
    reportFailure(
      session,
      hostNamedBy(session, err) ?? options.hosts[0] ?? '',
      'check the hosts',
      err,
      0,
      NEXT_STEP,
    );
    if (leftovers.length === 0) leftovers = [...options.hosts];
  }
  bus.emit({ type: 'phase-done', phase: 'verify', ok: leftovers.length === 0, changed: 0, ms: 0 });
  return { kind: 'reset', plan, removals, changed, leftovers };
}
