// `mc remove`: the preview (per member, per phase, the host each step runs on and what it changes, then
// what is lost), the refusals, and the JSON forms. Pure text.
import {
  describeRemoval,
  removalSteps,
  SERVICE_LABEL,
  type MemberRemoval,
  type Refusal,
  type RemovableService,
} from '../domain/day2/remove.js';

export function formatRemoval(removals: readonly MemberRemoval[], notMembers: readonly string[]): string {
  const lines: string[] = [];
  for (const host of notMembers) lines.push(`${host}: not a member of any service (nothing to remove)`);
  for (const removal of removals) {
    const steps = removalSteps(removal);
    lines.push(
      `Remove ${removal.member} (${removal.services.map((s) => SERVICE_LABEL[s]).join(', ')}): ${steps.length} step(s)`,
    );
    for (const phase of removal.phases) {
      lines.push(`  ${phase.title}:`);
      const phaseSteps = phase.lanes.flat();
      const width = Math.max(...phaseSteps.map((s) => s.host.length));
      for (const step of phaseSteps)
        lines.push(`    ${step.host.padEnd(width)}  ${describeRemoval(step.action)}`);
    }
    if (removal.losses.length > 0) {
      lines.push('  Lost:');
      for (const loss of removal.losses) lines.push(`    ${loss}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function removalAsData(removals: readonly MemberRemoval[], notMembers: readonly string[]): unknown {
  return {
    type: 'remove-plan',
    notMembers,
    removals: removals.map((r) => ({
      member: r.member,
      services: r.services,
      losses: r.losses,
      phases: r.phases.map((p) => ({
        id: p.id,
        title: p.title,
        steps: p.lanes.flat().map((s) => ({
          id: s.id,
          host: s.host,
          change: describeRemoval(s.action),
          action: s.action,
        })),
      })),
    })),
  };
}

/** One line per refusal: the member, MicroCloud's reason, and what to do. */
export function formatRefusal(refusal: Refusal): string {
  return `${refusal.member}: ${refusal.reason}; ${refusal.next}`;
}

export function formatRemaining(remaining: Partial<Record<RemovableService, string[]>>): string {
  return (Object.entries(remaining) as [RemovableService, string[]][])
    .map(([service, members]) => `${SERVICE_LABEL[service]} ${members.join(', ')}`)
    .join('; ');
}

/** The confirmation question: every member and what goes with it. */
export function removalQuestion(removals: readonly MemberRemoval[]): string {
  const parts = removals.map(
    (r) =>
      `${r.member} (${r.services.map((s) => SERVICE_LABEL[s]).join(', ')}${r.losses.length > 0 ? `; lost: ${r.losses.join('; ')}` : ''})`,
  );
  return `Remove ${parts.join(', ')} from the cluster? [y/N] `;
}
