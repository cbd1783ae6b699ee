// Fixture access for the facts tests (test/fixtures/facts/README.md says where each file comes from).
import { readFileSync } from 'node:fs';

const root = new URL('../../fixtures/facts/', import.meta.url);

export function fixture(path: string): string {
  return readFileSync(new URL(path, root), 'utf8');
}

export interface RecordedOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * What micro1 printed for each fact in one of the simulator's states (`sim/fresh`, `sim/installed`,
 * `sim/deployed`, written by builders/capture_sim.ts). Facts whose snap was missing are absent.
 */
export function simOutcomes(state: 'fresh' | 'installed' | 'deployed'): Record<string, RecordedOutcome> {
  const manifest = JSON.parse(fixture(`sim/${state}/outcomes.json`)) as Record<
    string,
    { exitCode: number; stdout: string | null; stderr: string | null }
  >;
  const read = (file: string | null): string => (file === null ? '' : fixture(`sim/${state}/${file}`));
  return Object.fromEntries(
    Object.entries(manifest).map(([fact, entry]) => [
      fact,
      { exitCode: entry.exitCode, stdout: read(entry.stdout), stderr: read(entry.stderr) },
    ]),
  );
}
