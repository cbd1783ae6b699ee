// mc status --check: facts → the deploy's design and plan against the running cluster → every difference.
// Changes nothing. The plan is the deploy's own (planDeploy on the cluster state gatherClusterState reads), so
// what --check reports is what mc plan proposes and mc deploy repairs.
import { driftFromPlan, extraMembers, type Drift } from '../../domain/day2/drift.js';
import { planDeploy } from '../../domain/cluster/plan.js';
import type { ClusterDesign, DeployIssue } from '../../domain/cluster/types.js';
import type { HostFacts } from '../../domain/facts/index.js';
import { gatherClusterState } from '../deploy/gather.js';
import { LXD_521_EXTENSIONS } from '../deploy/index.js';
import { hostNamedBy, reportFailure } from '../deploy/run-plan.js';
import { probe, type HostProbe } from '../probe.js';
import type { Session } from '../session.js';

export interface DriftOptions {
  allowVeth: boolean;
  design: (
    facts: ReadonlyMap<string, HostFacts>,
    roundTrips: ReadonlyMap<string, HostProbe['roundTrip']>,
  ) => { ok: true; design: ClusterDesign } | { ok: false; issues: DeployIssue[] };
  formatIssue: (issue: DeployIssue) => string;
}

export type DriftOutcome = { kind: 'unreachable' } | { kind: 'checked'; drifts: Drift[] };

export async function checkDrift(session: Session, options: DriftOptions): Promise<DriftOutcome> {
  const probes = await probe(session, { allowVeth: options.allowVeth });
  if (!session.ok) return { kind: 'unreachable' };
  const facts = new Map([...probes].map(([host, p]) => [host, p.facts]));
  const roundTrips = new Map([...probes].map(([host, p]) => [host, p.roundTrip]));
  const extra = extraMembers(facts, session.hosts);
  const designed = options.design(facts, roundTrips);
  if (!designed.ok) {
    // A state the deploy refuses to plan from is a difference too: with its reason and what to do.
    const refused = designed.issues.map((issue): Drift => ({
      kind: 'refused',
      host: issue.host ?? session.hosts[0] ?? '',
      detail: options.formatIssue(issue),
      repair: 'mc deploy refuses this state: do what the message says first',
    }));
    return { kind: 'checked', drifts: [...refused, ...extra] };
  }
  const design = designed.design;
  try {
    const snapshot = await gatherClusterState(session, design, facts);
    const plan = planDeploy(
      { design, facts, state: snapshot.state },
      {
        apiExtensions: snapshot.apiExtensions ?? LXD_521_EXTENSIONS,
        microcloudVersion: snapshot.microcloudVersion,
      },
    );
    return { kind: 'checked', drifts: [...driftFromPlan(plan), ...extra] };
  } catch (err) {
    const host = hostNamedBy(session, err);
    if (host === undefined) throw err;
    reportFailure(session, host, 'read the cluster state', err, 0, 'then run mc status --check again');
    return { kind: 'unreachable' };
  }
}
