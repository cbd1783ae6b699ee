// Start-up: `mc --version` and `mc --help` as an installed mc runs them (bin/mc.js over dist/), many
// times; Node's own start-up (`node -e 0`) is the floor under them. The checkout's bin/mc.js, which
// compiles the sources through tsx, is shown for comparison.
import type { BenchPart } from './core.js';

const TARGET_MS = 200;

export const startupPart: BenchPart = {
  name: 'startup',
  title: 'Start-up: mc --version and mc --help',
  labHosts: 0,
  run: async (ctx) => {
    const node = process.execPath;
    const names = {
      floor: 'node -e 0 (the floor)',
      version: 'mc --version (installed: bin/mc.js + dist/)',
      help: 'mc --help (installed)',
      checkout: 'mc --version (checkout: bin/mc.js + tsx)',
    };
    const runs = Math.max(20, ctx.runs * 4);
    const results = await ctx.measure(
      `${runs} runs each`,
      [
        { name: names.floor, fn: () => ctx.tools.run(node, ['-e', '0']) },
        { name: names.version, fn: () => ctx.tools.run(node, [ctx.tools.mcBin, '--version']) },
        { name: names.help, fn: () => ctx.tools.run(node, [ctx.tools.mcBin, '--help']) },
        { name: names.checkout, fn: () => ctx.tools.run(node, [ctx.tools.mcCheckoutBin, '--version']) },
      ],
      { runs, warmup: 2 },
    );
    const median = (name: string): number => results.get(name)?.median ?? NaN;
    for (const [label, name] of [
      ['--version', names.version],
      ['--help', names.help],
    ] as const) {
      ctx.compare({
        name: `start-up: mc ${label}`,
        value: median(name),
        unit: 'ms',
        target: { op: '<=', value: TARGET_MS },
      });
      ctx.compare({
        name: `start-up: mc ${label} above node -e 0`,
        value: median(name) - median(names.floor),
        unit: 'ms',
      });
    }
  },
};
