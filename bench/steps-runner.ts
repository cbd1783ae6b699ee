// One mc process running N steps one after another on every host of an inventory, through mc's own
// library: the run workflow of `mc run` (inventory, known_hosts, renderers, log file, one SSH
// connection per host for the whole run) with `runAdHoc` called once per step. Each step finishes on
// every host before the next starts, as Ansible's linear strategy does and as mc's deploy phases will.
//
// mc has no playbook runner yet, and 20 `mc run` processes would pay start-up and connects 20 times.
// `mc run -- 'true; true; ...'` would be one step with one exit status, not 20 steps.
//
// index.ts runs this file as plain JavaScript (type-stripped into the scratch directory, importing
// the built dist/), so the timing has no tsx in it, as the mc CLI has none.
// Usage: node steps-runner.mjs DIST_DIR INVENTORY STEPS FORKS LOG_FILE [COMMAND]
import type * as RunWorkflow from '../src/workflows/run.js';
import type * as Runtime from '../src/workflows/runtime.js';

const [dist, inventory, steps, forks, logFile, command = 'true'] = process.argv.slice(2);
if (dist === undefined || inventory === undefined || logFile === undefined) {
  process.stderr.write('usage: steps-runner DIST_DIR INVENTORY STEPS FORKS LOG_FILE [COMMAND]\n');
  process.exit(2);
}
const { startRun } = (await import(`${dist}/workflows/runtime.js`)) as typeof Runtime;
const { runAdHoc } = (await import(`${dist}/workflows/run.js`)) as typeof RunWorkflow;

const run = await startRun(
  `steps ${steps} x ${command}`,
  {
    inventory,
    forks: Number(forks),
    output: 'plain',
    timeout: 600,
    connectTimeout: 10,
    connectRetries: 3,
    acceptNew: false,
    askPass: false,
    askBecomePass: false,
    logFile,
  },
  {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    onInterrupt: () => undefined,
  },
);
for (let step = 0; step < Number(steps); step += 1) {
  await runAdHoc(run.session, { command, become: () => false, timeoutMs: 600_000 });
}
process.exitCode = (await run.finish()) ? 0 : 1;
