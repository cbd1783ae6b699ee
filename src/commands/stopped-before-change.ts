// The two ways a command that plans from facts stops before it changes anything, said the same way by each
// (deploy, plan, status --check, preseed export/import): a host gave no facts, or the inventory asks for
// what these hosts cannot do.
import type { Io } from '../workflows/runtime.js';
import { EXIT_FAILED, EXIT_INPUT } from './errors.js';

/** Some host could not be reached or probed: the hosts' own errors are above. `what`: "plan", "compare"... */
export function reportMissingFacts(io: Io, setExit: (code: number) => void, what: string): void {
  io.stderr.write(`mc: cannot ${what} without facts from every host; fix the hosts above and run again\n`);
  setExit(EXIT_FAILED);
}

/** The inventory does not fit the hosts: each problem on its own line (file:line:col first), exit 2. */
export function reportInvalid(io: Io, setExit: (code: number) => void, problems: readonly string[]): void {
  for (const problem of problems) io.stderr.write(`mc: ${problem}\n`);
  io.stderr.write(`mc: ${problems.length} problem(s) found; nothing was changed on any host\n`);
  setExit(EXIT_INPUT);
}
