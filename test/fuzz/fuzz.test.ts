// The fuzz suite as CI runs it: a fixed seed, a fixed number of cases per parser, the counts printed.
// `npm run fuzz` runs the same targets longer, with random seeds (test/fuzz/cli.ts).
import { describe, it } from 'node:test';
import { FUZZ_TARGETS, fuzzTarget } from './targets.js';

const SEED = 20261207;
/** Overrides every target's ciRuns when set. */
const RUNS = process.env.MC_FUZZ_RUNS === undefined ? undefined : Number(process.env.MC_FUZZ_RUNS);

describe('fuzzing every parser (fixed seed)', () => {
  for (const target of FUZZ_TARGETS) {
    const runs = RUNS ?? target.ciRuns;
    it(`${target.name}: ${runs} mutated documents, each accepted or refused at a place inside it`, (t) => {
      const report = fuzzTarget(target, runs, SEED);
      const line = `fuzz ${report.name}: ${report.cases} cases (${report.accepted} accepted, ${report.refused} refused) in ${report.ms} ms, seed ${SEED}`;
      t.diagnostic(line);
      console.log(`# ${line}`);
    });
  }
});
