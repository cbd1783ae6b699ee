// The end state, checked as MicroCloud's own tests check it (§3.8): every member online in every service,
// and nothing left to do: a fresh plan from fresh facts and state has no pending step. When MicroCloud
// formed the cluster, also: every host's `microcloud cluster list` shows every member ONLINE, and
// `microcloud status` on every host reports no error.
import { describeAction } from '../../domain/cluster/actions.js';
import { allSteps, pendingSteps, planDeploy, type Plan } from '../../domain/cluster/plan.js';
import { snapsOf, type ClusterDesign } from '../../domain/cluster/types.js';
import type { HostFacts } from '../../domain/facts/index.js';
import type { Session } from '../session.js';
import { gatherClusterState, type ClusterSnapshot } from './gather.js';
import { errorLines } from './remote.js';

export interface VerifyResult {
  ok: boolean;
  checks: number;
  problems: string[];
}

export function membershipProblems(
  design: ClusterDesign,
  facts: ReadonlyMap<string, HostFacts>,
  engine: Plan['engine'],
): { checks: number; problems: string[] } {
  const problems: string[] = [];
  let checks = 0;
  // Under the direct engine MicroCloud's daemon (if any) is not clustered by mc: no membership to check.
  const services = snapsOf(design.services).filter((s) => s !== 'microcloud');
  if (engine === 'microcloud') {
    for (const viewer of design.members) {
      const cloud = facts.get(viewer.host)?.services.microcloud;
      for (const member of design.members) {
        checks += 1;
        const found =
          cloud?.state === 'bootstrapped' ? cloud.members.find((m) => m.name === member.host) : undefined;
        if (found === undefined) {
          problems.push(`${viewer.host}: microcloud cluster list does not show ${member.host}`);
        } else if (found.status !== 'ONLINE' || found.role === 'PENDING') {
          problems.push(
            `${viewer.host}: microcloud cluster list shows ${member.host} ${found.status} (${found.role})`,
          );
        }
      }
    }
  }
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

/**
 * `known`: the cluster's state as read after the last change (the deploy's own last read), so that it is not
 * read twice. `microcloud status` is asked beside the state read when MicroCloud is to form the cluster; its
 * answer counts only if the plan says MicroCloud did (not under the direct engine, which keeps a cluster
 * MicroCloud cannot take in).
 */
export async function verifyCluster(
  session: Session,
  design: ClusterDesign,
  facts: ReadonlyMap<string, HostFacts>,
  known?: ClusterSnapshot,
): Promise<VerifyResult> {
  const asked = design.engine.kind === 'microcloud' ? statusProblems(session, design) : undefined;
  // Not left unhandled if the state read fails first: that failure is the one reported.
  asked?.catch(() => undefined);
  const snapshot = known ?? (await gatherClusterState(session, design, facts));
  const plan = planDeploy(
    { design, facts, state: snapshot.state },
    { apiExtensions: snapshot.apiExtensions ?? [], microcloudVersion: snapshot.microcloudVersion },
  );
  const membership = membershipProblems(design, facts, plan.engine);
  const status = plan.engine === 'microcloud' ? await (asked ?? statusProblems(session, design)) : [];
  const left = pendingSteps(plan);
  const problems = [
    ...membership.problems,
    ...status,
    ...left.map((s) => `${s.host}: still to do: ${describeAction(s.action)}`),
  ];
  return {
    ok: problems.length === 0,
    checks:
      membership.checks + (plan.engine === 'microcloud' ? design.members.length : 0) + allSteps(plan).length,
    problems,
  };
}

/** `microcloud status` on every member: its `Status:` line must not say ERROR (§6, §10.9). */
async function statusProblems(session: Session, design: ClusterDesign): Promise<string[]> {
  const problems = await Promise.all(
    design.members.map(async ({ host }): Promise<string | undefined> => {
      const connection = await session.pool.get(host);
      const result = await connection.exec('microcloud status', {
        timeoutMs: session.options.commandTimeoutMs,
        become: true,
      });
      const status = /^\s*Status:\s*(\S+)/m.exec(result.stdout)?.[1];
      if (result.code !== 0) {
        return `${host}: microcloud status failed: ${errorLines(result.stderr || result.stdout, 1)}`;
      }
      if (status === undefined) return `${host}: microcloud status printed no Status line`;
      if (status === 'ERROR') {
        const warnings = result.stdout
          .split('\n')
          .filter((line) => /^\s*┃?\s*[!⨯]\s/.test(line))
          .map((line) => line.replace(/^\s*┃?\s*[!⨯]\s*/, '').trim());
        return `${host}: microcloud status says ERROR${warnings.length > 0 ? `: ${warnings.join('; ')}` : ''}`;
      }
      return undefined;
    }),
  );
  return problems.filter((p): p is string => p !== undefined);
}
