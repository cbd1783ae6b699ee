// The end state, checked as MicroCloud's own tests check it (§3.8): every member online in every service,
// and nothing left to do: a fresh plan from fresh facts and state has no pending step.
import { describeAction } from '../../domain/cluster/actions.js';
import { allSteps, pendingSteps, planDeploy } from '../../domain/cluster/plan.js';
import { snapsOf, type ClusterDesign } from '../../domain/cluster/types.js';
import type { HostFacts } from '../../domain/facts/index.js';
import type { Session } from '../session.js';
import { gatherClusterState } from './gather.js';

export interface VerifyResult {
  ok: boolean;
  checks: number;
  problems: string[];
}

export function membershipProblems(
  design: ClusterDesign,
  facts: ReadonlyMap<string, HostFacts>,
): { checks: number; problems: string[] } {
  const problems: string[] = [];
  let checks = 0;
  // The MicroCloud daemon is installed but not clustered by mc (plan.ts): it has no membership to check.
  const services = snapsOf(design.services).filter((s) => s !== 'microcloud');
  for (const member of design.members) {
    const own = facts.get(member.host);
    for (const service of services) {
      checks += 1;
      if (own === undefined) {
        problems.push(`${member.host}: no facts`);
        continue;
      }
      if (service === 'lxd') {
        const lxd = own.services.lxd;
        const found = lxd.state === 'clustered' ? lxd.members.find((m) => m.name === member.host) : undefined;
        if (found === undefined) problems.push(`${member.host}: not a member of the LXD cluster`);
        else if (found.status !== 'Online') problems.push(`${member.host}: LXD member is ${found.status}`);
        continue;
      }
      const state = own.services[service];
      const found =
        state.state === 'bootstrapped' ? state.members.find((m) => m.name === member.host) : undefined;
      if (found === undefined) problems.push(`${member.host}: not a member of the ${service} cluster`);
      else if (found.status !== 'ONLINE' || found.role === 'PENDING') {
        problems.push(`${member.host}: ${service} member is ${found.status} (${found.role})`);
      }
    }
  }
  return { checks, problems };
}

export async function verifyCluster(
  session: Session,
  design: ClusterDesign,
  facts: ReadonlyMap<string, HostFacts>,
): Promise<VerifyResult> {
  const membership = membershipProblems(design, facts);
  const snapshot = await gatherClusterState(session, design, facts);
  const plan = planDeploy(
    { design, facts, state: snapshot.state },
    { apiExtensions: snapshot.apiExtensions ?? [], microcloudVersion: snapshot.microcloudVersion },
  );
  const left = pendingSteps(plan);
  const problems = [
    ...membership.problems,
    ...left.map((s) => `${s.host}: still to do: ${describeAction(s.action)}`),
  ];
  return {
    ok: problems.length === 0,
    checks: membership.checks + allSteps(plan).length,
    problems,
  };
}
