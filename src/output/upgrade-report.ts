// `mc upgrade`: the preview (per phase, the member each refresh runs on, from and to which revision; what is
// there already) and its JSON form. Pure text.
import { describeUpgrade, type UpgradePlan } from '../domain/day2/upgrade.js';

type Planned = Extract<UpgradePlan, { ok: true }>;

export function formatUpgrade(plan: Planned): string {
  const lines = plan.steps > 0 ? [`Upgrade: ${plan.steps} step(s)`] : [];
  for (const phase of plan.phases) {
    lines.push(`  ${phase.title}:`);
    for (const step of phase.stages.flatMap((s) => s.lanes.flat()))
      lines.push(`    ${step.host}  ${describeUpgrade(step)}`);
  }
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
    phases: plan.phases.map((p) => ({
      id: p.id,
      title: p.title,
      steps: p.stages
        .flatMap((s) => s.lanes.flat())
        .map((s) => ({ id: s.id, host: s.host, change: describeUpgrade(s) })),
    })),
  };
}
