// Shared by the drift tests on the embedded lab: a manual change on a host, and mc status --check's report.
import assert from 'node:assert/strict';
import { runShell } from '../../src/lab/sim/index.js';
import type { Lab } from './deploy-lab.js';

/** Runs `command` as root on `host` of the simulated lab, as a user would by hand. */
export async function manual(lab: Lab, host: string, command: string): Promise<void> {
  const r = await runShell(lab.world, host, command, '', { uid: 0 });
  assert.equal(r.exitCode, 0, `${host}$ ${command}: ${r.stderr}`);
}

/** Plain `mc status --check`'s report: kind, host, what differs; the repair line under each. */
export function report(
  drifts: [string, string, string][],
  repair = (detail: string): string => `mc deploy will ${detail}`,
): string {
  const width = Math.max(...drifts.map(([, host]) => host.length));
  return [
    `Drift: ${drifts.length} difference(s) from the inventory`,
    ...drifts.flatMap(([kind, host, detail]) => [
      `  ${host.padEnd(width)}  ${kind}: ${detail}`,
      `  ${''.padEnd(width)}    -> ${repair(detail)}`,
    ]),
    'Run mc plan to see the repair, mc deploy to apply it.',
  ].join('\n');
}

/** Plain output without the live lines and with the recap's times masked. */
export const sanitise = (stdout: string): string =>
  stdout
    .split('\n')
    .filter((line) => !line.startsWith('['))
    .map((line) => line.replace(/\s+\d+(\.\d+)?m?s$/, ' T'))
    .join('\n');
