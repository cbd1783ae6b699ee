// `npm run fuzz`: every parser's fuzz target, longer than CI and with a random seed (printed first, and
// again with the failing case, so any failure can be replayed: npm run fuzz -- --seed N --runs M).
// Options: --runs N (cases per parser, default 20000), --seed N, --only SUBSTRING.
import { parseArgs } from 'node:util';
import { FUZZ_TARGETS, fuzzTarget } from './targets.js';

const { values } = parseArgs({
  options: { runs: { type: 'string' }, seed: { type: 'string' }, only: { type: 'string' } },
});
const runs = Number(values.runs ?? 20_000);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const targets = FUZZ_TARGETS.filter(
  (target) => values.only === undefined || target.name.includes(values.only),
);
console.log(`fuzz: seed ${seed}, ${runs} cases per parser, ${targets.length} parsers`);
let failed = false;
for (const target of targets) {
  try {
    const report = fuzzTarget(target, runs, seed);
    console.log(
      `fuzz ${report.name}: ${report.cases} cases (${report.accepted} accepted, ${report.refused} refused) in ${report.ms} ms`,
    );
  } catch (error) {
    failed = true;
    const message = error instanceof Error ? error.message : String(error);
    // fast-check's report holds the whole counterexample: show its head, and how to replay it.
    console.log(`fuzz ${target.name}: FAILED with seed ${seed}\n${message.slice(0, 4000)}`);
    console.log(`replay: npm run fuzz -- --seed ${seed} --runs ${runs} --only '${target.name}'`);
  }
}
process.exit(failed ? 1 : 0);
