// Fan-out: one trivial command on every host, cold. mc (`mc run -- true`: CLI start-up, inventory,
// connects and the command), Ansible's ad-hoc `ansible all -m command -a true` (pipelining, forks =
// hosts, no ControlMaster open yet) and plain ssh with ControlMaster, the lower bound: one ssh per
// host, all at once, each opening its master and running the command through it. OpenSSH 9.2's
// default key exchange (sntrup761x25519) costs far more CPU than the curve25519 that mc's ssh2 uses,
// so ssh is timed both ways and the target holds mc against ssh with the same key exchange.
import type { BenchContext, BenchPart, Case } from './core.js';
import type { Tools } from './tools.js';
import {
  MC_KEX,
  controlMasterOptions,
  parallelRounds,
  shellQuote,
  sshOptions,
  writeScript,
} from './tools.js';

export const FANOUT_SIZES = [10, 50];
/** mc's default --forks. */
const MC_DEFAULT_FORKS = 20;

export const fanoutPart: BenchPart = {
  name: 'fanout',
  title: 'Fan-out: `true` on every host, cold',
  labHosts: Math.max(...FANOUT_SIZES),
  run: async (ctx) => {
    const lab = ctx.lab!;
    for (const count of FANOUT_SIZES) {
      const inventory = lab.inventory(count);
      const hosts = lab.hosts.slice(0, count);
      const ssh = (kex?: string): string =>
        sshOptions(lab.lab.clientKeyPath, lab.lab.knownHostsPath, kex).map(shellQuote).join(' ');
      const masterScript = (name: string, controlDir: string, kex?: string): string =>
        writeScript(ctx.tools, name, [
          `mkdir -p ${controlDir}`,
          ...parallelRounds(
            hosts.map(
              (h, i) => `ssh ${ssh(kex)} ${controlMasterOptions(controlDir, i).join(' ')} ${h.address} true`,
            ),
            1,
          ),
        ]);
      const cmDir = ctx.tools.controlDir(`fanout-cm-${count}`);
      const cmScript = masterScript(`fanout-ssh-cm-${count}`, cmDir, MC_KEX);
      const cmDefaultDir = ctx.tools.controlDir(`fanout-cm-default-${count}`);
      const cmDefaultScript = masterScript(`fanout-ssh-cm-default-${count}`, cmDefaultDir);
      const plainScript = writeScript(
        ctx.tools,
        `fanout-ssh-${count}`,
        parallelRounds(
          hosts.map((h) => `ssh ${ssh(MC_KEX)} ${h.address} true`),
          1,
        ),
      );
      let ansible = ctx.tools.ansibleEnv();
      const names = {
        mc: `mc run -f ${count} -- true`,
        mcDefault: `mc run -- true (default --forks ${MC_DEFAULT_FORKS})`,
        ansible: `ansible all -f ${count} -m command -a true`,
        cm: `ssh + ControlMaster, ${MC_KEX} (mc's key exchange)`,
        cmDefault: 'ssh + ControlMaster, OpenSSH default key exchange',
        plain: `ssh without ControlMaster, ${MC_KEX}`,
      };
      const cases: Case[] = [
        { name: names.mc, fn: () => mcRun(ctx.tools, inventory, count) },
        ...(count > MC_DEFAULT_FORKS
          ? [{ name: names.mcDefault, fn: () => mcRun(ctx.tools, inventory, undefined) }]
          : []),
        {
          name: names.ansible,
          fn: () =>
            ctx.tools.run(
              'ansible',
              ['all', '-i', inventory, '-f', String(count), '-m', 'command', '-a', 'true'],
              { env: ansible.env },
            ),
          after: async () => {
            await ctx.tools.closeMasters(ansible.controlDir);
            ansible = ctx.tools.ansibleEnv();
          },
        },
        {
          name: names.cm,
          fn: () => ctx.tools.run('bash', [cmScript]),
          after: () => ctx.tools.closeMasters(cmDir),
        },
        {
          name: names.cmDefault,
          fn: () => ctx.tools.run('bash', [cmDefaultScript]),
          after: () => ctx.tools.closeMasters(cmDefaultDir),
        },
        { name: names.plain, fn: () => ctx.tools.run('bash', [plainScript]) },
      ];
      const results = await ctx.measure(`${count} hosts`, cases);
      await ctx.tools.closeMasters(ansible.controlDir);
      const median = (name: string): number => results.get(name)?.median ?? NaN;
      ctx.compare({
        name: `fan-out ${count} hosts: mc run / ssh + ControlMaster (same key exchange)`,
        value: median(names.mc) / median(names.cm),
        target: { op: '<=', value: 1.3 },
      });
      ctx.compare({
        name: `fan-out ${count} hosts: mc run / ssh + ControlMaster (OpenSSH defaults)`,
        value: median(names.mc) / median(names.cmDefault),
      });
      ctx.compare({
        name: `fan-out ${count} hosts: mc run / ssh without ControlMaster`,
        value: median(names.mc) / median(names.plain),
      });
      ctx.compare({
        name: `fan-out ${count} hosts: Ansible / mc run (times faster)`,
        value: median(names.ansible) / median(names.mc),
      });
      await breakdown(ctx, inventory, count);
      if (count > MC_DEFAULT_FORKS) {
        ctx.compare({
          name: `fan-out ${count} hosts: mc default --forks / mc -f ${count}`,
          value: median(names.mcDefault) / median(names.mc),
        });
      }
    }
  },
};

function mcRun(tools: Tools, inventory: string, forks: number | undefined): Promise<unknown> {
  return tools.mc([
    'run',
    '-i',
    inventory,
    ...(forks === undefined ? [] : ['-f', String(forks)]),
    '-o',
    'plain',
    '--',
    'true',
  ]);
}

/**
 * Where mc's time goes, from its NDJSON events (each stamped with the time it was emitted), in runs
 * of their own: start-up (node, modules, inventory, keys: until run-start), connecting every host
 * (until the last host-connected), the last command (until the last step-done), then the recap,
 * closing the connections and exiting.
 */
async function breakdown(ctx: BenchContext, inventory: string, count: number): Promise<void> {
  const phases = ['start-up', 'connects', 'last command', 'recap and exit'] as const;
  const samples = new Map<string, number[]>(phases.map((p) => [p, []]));
  for (let round = 0; round < ctx.runs; round += 1) {
    const spawned = Date.now();
    const { stdout } = await ctx.tools.mc([
      'run',
      '-i',
      inventory,
      '-f',
      String(count),
      '-o',
      'json',
      '--',
      'true',
    ]);
    const exited = Date.now();
    const events = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { type: string; time: number });
    const last = (type: string): number =>
      Math.max(...events.filter((e) => e.type === type).map((e) => e.time));
    const start = last('run-start');
    const connected = last('host-connected');
    const done = last('step-done');
    const values = [start - spawned, connected - start, done - connected, exited - done];
    phases.forEach((phase, i) => samples.get(phase)!.push(values[i]!));
  }
  for (const phase of phases)
    ctx.record(
      `${count} hosts`,
      `mc run -f ${count}, where the time goes: ${phase}`,
      'ms',
      samples.get(phase)!,
    );
}
