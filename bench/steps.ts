// Sequential steps: 20 commands one after another on each of 10 hosts, every step finishing on all
// hosts before the next (Ansible's linear strategy). mc: one process running 20 steps through its
// run workflow (steps-runner.ts); Ansible: a 20-task playbook (playbooks/bench-20-tasks.yml,
// pipelining, forks = hosts); the lower bound: ssh with a ControlMaster per host (mc's key
// exchange), 20 rounds.
import { readFileSync, writeFileSync } from 'node:fs';
import ts from 'typescript';
import type { BenchPart } from './core.js';
import {
  DIST,
  MC_KEX,
  controlMasterOptions,
  parallelRounds,
  shellQuote,
  sshOptions,
  writeScript,
} from './tools.js';
import type { Tools } from './tools.js';

const HOSTS = 10;
const STEPS = 20;
const PLAYBOOK = new URL('../playbooks/bench-20-tasks.yml', import.meta.url).pathname;

export const stepsPart: BenchPart = {
  name: 'steps',
  title: `Sequential steps: ${STEPS} commands one after another on each of ${HOSTS} hosts, cold`,
  labHosts: HOSTS,
  run: async (ctx) => {
    const lab = ctx.lab!;
    const inventory = lab.inventory(HOSTS);
    const runner = compileRunner(ctx.tools);
    const ssh = sshOptions(lab.lab.clientKeyPath, lab.lab.knownHostsPath, MC_KEX).map(shellQuote).join(' ');
    const controlDir = ctx.tools.controlDir('steps-cm');
    const masterScript = writeScript(ctx.tools, 'steps-ssh-cm', [
      `mkdir -p ${controlDir}`,
      ...parallelRounds(
        lab.hosts
          .slice(0, HOSTS)
          .map((h, i) => `ssh ${ssh} ${controlMasterOptions(controlDir, i).join(' ')} ${h.address} true`),
        STEPS,
      ),
    ]);
    let ansible = ctx.tools.ansibleEnv();
    const names = {
      mc: `mc: ${STEPS} steps in one process (run workflow, library API)`,
      mcProcesses: `mc: ${STEPS} x \`mc run -- true\` processes`,
      mcPlaybook: `mc playbook -f ${HOSTS}, the same ${STEPS}-task playbook`,
      ansible: `ansible-playbook -f ${HOSTS}, ${STEPS} tasks of command: true`,
      cm: `ssh + ControlMaster (${MC_KEX}), ${STEPS} rounds`,
    };
    // No warm-up round: one round is ~30 s, and the fan-out part has warmed every program up.
    const results = await ctx.measure(
      `${HOSTS} hosts x ${STEPS} steps`,
      [
        {
          name: names.mc,
          fn: () =>
            ctx.tools.run(process.execPath, [
              runner,
              DIST,
              inventory,
              String(STEPS),
              String(HOSTS),
              ctx.tools.file('logs/steps', '.log'),
            ]),
        },
        {
          name: names.mcProcesses,
          fn: async () => {
            for (let step = 0; step < STEPS; step += 1) {
              await ctx.tools.mc(['run', '-i', inventory, '-f', String(HOSTS), '-o', 'plain', '--', 'true']);
            }
          },
        },
        {
          name: names.mcPlaybook,
          fn: () => ctx.tools.mc(['playbook', '-i', inventory, '-f', String(HOSTS), '-o', 'plain', PLAYBOOK]),
        },
        {
          name: names.ansible,
          fn: () =>
            ctx.tools.run('ansible-playbook', ['-i', inventory, '-f', String(HOSTS), PLAYBOOK], {
              env: ansible.env,
            }),
          after: async () => {
            await ctx.tools.closeMasters(ansible.controlDir);
            ansible = ctx.tools.ansibleEnv();
          },
        },
        {
          name: names.cm,
          fn: () => ctx.tools.run('bash', [masterScript]),
          after: () => ctx.tools.closeMasters(controlDir),
        },
      ],
      { warmup: 0 },
    );
    await ctx.tools.closeMasters(ansible.controlDir);
    const median = (name: string): number => results.get(name)?.median ?? NaN;
    ctx.compare({
      name: `steps: Ansible / mc (times faster)`,
      value: median(names.ansible) / median(names.mc),
      target: { op: '>=', value: 10 },
    });
    ctx.compare({
      name: `steps: ansible-playbook / mc playbook (times faster, same playbook)`,
      value: median(names.ansible) / median(names.mcPlaybook),
      target: { op: '>=', value: 15 },
    });
    ctx.compare({
      name: `steps: mc / ssh ControlMaster`,
      value: median(names.mc) / median(names.cm),
    });
    ctx.compare({
      name: `steps: ${STEPS} mc processes / mc in one process`,
      value: median(names.mcProcesses) / median(names.mc),
    });
  },
};

/** steps-runner.ts as plain JavaScript in the scratch directory: type-only imports vanish, nothing else changes. */
function compileRunner(tools: Tools): string {
  const source = readFileSync(new URL('./steps-runner.ts', import.meta.url), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const path = tools.file('steps-runner', '.mjs');
  writeFileSync(path, outputText);
  return path;
}
