// Memory: peak RSS of the mc process (the kernel's ru_maxrss, read by /usr/bin/time) for `mc run --
// true` and `mc probe` at 10, 50 and 100 namespace-lab hosts, every host handled at once (-f N: the
// worst case), and `mc run` with its default --forks at 100.
import { existsSync, readFileSync } from 'node:fs';
import { timed } from './core.js';
import type { BenchPart, Stats } from './core.js';
import type { Tools } from './tools.js';

export const MEMORY_SIZES = [10, 50, 100];
const TARGET_MB = 150;

export const memoryPart: BenchPart = {
  name: 'memory',
  title: 'Memory: peak RSS of mc',
  labHosts: Math.max(...MEMORY_SIZES),
  skipReason: () =>
    Promise.resolve(
      existsSync('/usr/bin/time') ? undefined : '/usr/bin/time is missing (apt-get install time)',
    ),
  run: async (ctx) => {
    const lab = ctx.lab!;
    // Peak RSS varies little from run to run, and a probe of 100 lab hosts takes ~25 s (the lab's
    // simulated programs are node processes): at most 3 runs.
    const runs = Math.min(ctx.runs, 3);
    const floor: number[] = [];
    for (let round = 0; round < runs; round += 1) floor.push((await peakRss(ctx.tools, ['--version'])).mb);
    ctx.record('no host', 'mc --version: peak RSS (modules loaded, nothing else)', 'MB', floor);
    for (const count of MEMORY_SIZES) {
      const inventory = lab.inventory(count);
      const commands: [string, string[]][] = [
        [
          `mc run -f ${count} -- true`,
          ['run', '-i', inventory, '-f', String(count), '-o', 'plain', '--', 'true'],
        ],
        ...(count > 20
          ? ([
              [`mc run -- true (default --forks 20)`, ['run', '-i', inventory, '-o', 'plain', '--', 'true']],
            ] as [string, string[]][])
          : []),
        [`mc probe -f ${count}`, ['probe', '-i', inventory, '-f', String(count), '-o', 'plain']],
      ];
      const group = `${count} hosts`;
      const rss = new Map<string, number[]>(commands.map(([name]) => [name, []]));
      const wall = new Map<string, number[]>(commands.map(([name]) => [name, []]));
      for (let round = 0; round < runs; round += 1) {
        for (const [name, args] of commands) {
          const peak = await peakRss(ctx.tools, args);
          rss.get(name)!.push(peak.mb);
          wall.get(name)!.push(peak.ms);
          ctx.progress(`${group}: ${name}: ${peak.mb.toFixed(1)} MB, ${peak.ms.toFixed(0)} ms`);
        }
      }
      let worst: Stats | undefined;
      for (const [name] of commands) {
        const s = ctx.record(group, `${name}: peak RSS`, 'MB', rss.get(name)!);
        if (worst === undefined || s.median > worst.median) worst = s;
        ctx.record(group, `${name}: wall time`, 'ms', wall.get(name)!);
      }
      if (count === Math.max(...MEMORY_SIZES)) {
        ctx.compare({
          name: `memory ${count} hosts: largest median peak RSS`,
          value: worst?.median ?? NaN,
          unit: 'MB',
          target: { op: '<=', value: TARGET_MB },
        });
      }
    }
  },
};

/** Peak RSS in MB (ru_maxrss of the node process) and the wall time of one mc invocation. */
async function peakRss(tools: Tools, args: string[]): Promise<{ mb: number; ms: number }> {
  const out = tools.file('time', '.txt');
  const ms = await timed(() =>
    tools.run('/usr/bin/time', ['-f', '%M', '-o', out, process.execPath, tools.mcBin, ...tools.mcArgs(args)]),
  );
  const kb = Number(readFileSync(out, 'utf8').trim().split('\n').at(-1));
  return { mb: kb / 1024, ms };
}
