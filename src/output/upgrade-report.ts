// `mc upgrade`: the preview (per phase, the member each refresh runs on, from and to which revision; what is
// there already) and its JSON form. Pure text.
import { describeUpgrade, type UpgradePlan } from '../domain/day2/upgrade.js';

type Planned = Extract<UpgradePlan, { ok: true }>;

export function formatUpgrade(plan: Planned): string {
  const total = plan.phases.reduce((n, p) => n + p.stages.reduce((m, s) => m + s.lanes.flat().length, 0), 0);
  const lines = total > 0 ? [`Upgrade: ${total} step(s)`] : [];
  for (const phase of plan.phases) {
    lines.push(`  ${phase.title}:`);
    for (const step of phase.stages.flatMap((s) => s.lanes.flat()))
      lines.push(`    ${step.host}  ${describeUpgrade(step)}`);
  }
  for (const note of plan.notes) lines.push(`  Note: ${note}`);
  if (plan.done.length > 0) {
    lines.push('  Already there:');
    for (const d of plan.done) lines.push(`    ${d.host}  ${d.snap} ${d.channel} rev ${d.revision}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

export function upgradeAsData(plan: Planned): unknown {
  return {
    type: 'upgrade-plan',
    done: plan.done,
    notes: plan.notes,
    phases: plan.phases.map((p) => ({
      id: p.id,
      title: p.title,
      steps: p.stages
        .flatMap((s) => s.lanes.flat())
        .map((s) => ({ id: s.id, kind: s.kind, host: s.host, change: describeUpgrade(s) })),
    })),
  };
}
