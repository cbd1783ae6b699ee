// Fixture access for the facts tests (test/fixtures/facts/README.md says where each file comes from).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FactsParseError } from '../../../src/domain/facts/index.js';

const root = new URL('../../fixtures/facts/', import.meta.url);

/** The message of the FactsParseError `parse` throws; fails the test if it throws nothing or something else. */
export function failure(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    assert.ok(error instanceof FactsParseError);
    return error.message;
  }
  assert.fail('expected a FactsParseError');
}

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
