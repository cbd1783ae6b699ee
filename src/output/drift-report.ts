// `mc status --check`: one line per difference (kind, host, what differs) and what repairs it. Pure text.
import type { Drift } from '../domain/day2/drift.js';

export function formatDrift(drifts: readonly Drift[]): string {
  if (drifts.length === 0) return 'No drift: the cluster matches the inventory.\n';
  const lines = [`Drift: ${drifts.length} difference(s) from the inventory`];
  const width = Math.max(...drifts.map((d) => d.host.length));
  for (const drift of drifts) {
    lines.push(`  ${drift.host.padEnd(width)}  ${drift.kind}: ${drift.detail}`);
    lines.push(`  ${''.padEnd(width)}    -> ${drift.repair}`);
  }
  lines.push('Run mc plan to see the repair, mc deploy to apply it.');
  return `${lines.join('\n')}\n`;
}
