// `mc reset`: the preview (the removal from the members that stay, then per phase the host each step runs on
// and what it changes, what stays and why, what is lost), the question, and the JSON form. Pure text.
import { describeReset, resetLosses, type ResetPlan } from '../domain/day2/reset.js';
import type { MemberRemoval } from '../domain/day2/remove.js';
import { formatRemoval, removalAsData } from './remove-report.js';

export function formatReset(plan: ResetPlan, removals: readonly MemberRemoval[]): string {
  const lines: string[] = [];
  if (removals.length > 0) lines.push(formatRemoval(removals, []).trimEnd());
  if (plan.steps > 0) lines.push(`Reset ${plan.changing.join(', ')}: ${plan.steps} step(s)`);
  for (const phase of plan.phases) {
    lines.push(`  ${phase.title}:`);
    const steps = phase.stages.flatMap((s) => s.lanes.flat());
    const width = Math.max(...steps.map((s) => s.host.length));
    for (const step of steps) lines.push(`    ${step.host.padEnd(width)}  ${describeReset(step.action)}`);
  }
  const kept = plan.hosts.flatMap((h) => [
    ...h.kept.map((k) => `${h.host}: snap ${k.snap}: ${k.why}`),
    ...h.untouched.map((u) => `${h.host}: ${u.path}: ${u.why}`),
  ]);
  if (kept.length > 0) {
    lines.push('  Left as it is:');
    for (const line of kept) lines.push(`    ${line}`);
  }
  const lost = plan.hosts.flatMap((h) => resetLosses(h).map((l) => `${h.host}: ${l}`));
  if (lost.length > 0) {
    lines.push('  Lost:');
    for (const line of lost) lines.push(`    ${line}`);
  }
  return `${lines.join('\n')}\n`;
}

export function resetAsData(plan: ResetPlan, removals: readonly MemberRemoval[]): unknown {
  return {
    type: 'reset-plan',
    removal: (removalAsData(removals, []) as { removals: unknown }).removals,
    hosts: plan.hosts.map((h) => ({ ...h, losses: resetLosses(h) })),
    phases: plan.phases.map((p) => ({
      id: p.id,
      title: p.title,
      steps: p.stages
        .flatMap((s) => s.lanes.flat())
        .map((s) => ({ id: s.id, host: s.host, change: describeReset(s.action), action: s.action })),
    })),
  };
}

/** The confirmation question: the hosts and what goes on each. */
export function resetQuestion(plan: ResetPlan, removals: readonly MemberRemoval[]): string {
  const parts = plan.hosts
    .filter((h) => plan.changing.includes(h.host))
    .map((h) => {
      const lost = resetLosses(h);
      return `${h.host}${lost.length > 0 ? ` (lost: ${lost.join('; ')})` : ''}`;
    });
  const leaving =
    removals.length > 0 ? ` after removing ${removals.map((r) => r.member).join(', ')} from the cluster` : '';
  return `Reset ${parts.join(', ')}${leaving}? [y/N] `;
}
