// The 20-task playbook (playbooks/bench-20-tasks.yml) on 100 hosts: mc playbook against ansible-playbook
// (pipelining on, a fresh ControlPersist directory per run), forks = hosts for both, cold, in the same run on
// the namespace lab's hosts (a real sshd each). At most 2 runs whatever --runs says: on two cores one
// ansible-playbook run at this size takes minutes.
import type { BenchPart } from './core.js';

const HOSTS = 100;
const STEPS = 20;
const PLAYBOOK = new URL('../playbooks/bench-20-tasks.yml', import.meta.url).pathname;

export const playbook100Part: BenchPart = {
  name: 'playbook100',
  title: `mc playbook against ansible-playbook: ${STEPS} tasks on ${HOSTS} hosts, cold`,
  labHosts: HOSTS,
  run: async (ctx) => {
    const lab = ctx.lab!;
    const inventory = lab.inventory(HOSTS);
    let ansible = ctx.tools.ansibleEnv();
    const names = {
      mc: `mc playbook -f ${HOSTS}, ${STEPS} tasks of command: true`,
      ansible: `ansible-playbook -f ${HOSTS}, the same playbook`,
    };
    const results = await ctx.measure(
      `${HOSTS} hosts x ${STEPS} tasks`,
      [
        {
          name: names.mc,
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
      ],
      { warmup: 0, runs: Math.min(ctx.runs, 2) },
    );
    await ctx.tools.closeMasters(ansible.controlDir);
    const median = (name: string): number => results.get(name)?.median ?? NaN;
    ctx.compare({
      name: `playbook 100 hosts: ansible-playbook / mc playbook (times faster)`,
      value: median(names.ansible) / median(names.mc),
      target: { op: '>=', value: 15 },
    });
  },
};
