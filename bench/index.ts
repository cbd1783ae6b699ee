// mc's benchmarks against Ansible and plain OpenSSH on real sshd hosts (the namespace lab), plus
// mc's memory and start-up. Root only (network namespaces). Not part of `npm test`.
//
//   npm run bench                              every part, 5 runs each (builds dist/ first)
//   npm run bench -- fanout steps --runs 7     only these parts
//   npm run bench -- --json results.json       also write every sample as JSON
//   npm run bench -- --no-nice                 no priority over other work (see inOwnSession)
//
// Parts: fanout, steps, playbook100, memory, startup, deploy (a hook, filled in once `mc deploy` exists). Each
// reports the median of its runs with min and max; the summary at the end holds every table and the
// ratios against issue 6's targets. Everything it creates (namespaces, links, sshd and ssh processes,
// files) has names unique to the run and is removed at the end, on failure and on Ctrl-C too.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatValue, met, stats, table, timed } from './core.js';
import type { BenchContext, BenchPart, Comparison, Measurement } from './core.js';
import { deployPart } from './deploy.js';
import { fanoutPart } from './fanout.js';
import { startBenchLab } from './lab.js';
import type { BenchLab } from './lab.js';
import { loadAverage, machineInfo } from './machine.js';
import type { MachineInfo } from './machine.js';
import { memoryPart } from './memory.js';
import { playbook100Part } from './playbook100.js';
import { startupPart } from './startup.js';
import { stepsPart } from './steps.js';
import { createTools } from './tools.js';

const PARTS: BenchPart[] = [fanoutPart, stepsPart, playbook100Part, memoryPart, startupPart, deployPart];

interface Args {
  parts: BenchPart[];
  runs: number;
  json?: string;
  /** Autogroup nice value of the benchmark's session; undefined: leave the scheduler alone. */
  nice?: number;
}

/** See inOwnSession(). */
const DEFAULT_NICE = -10;
const SESSION_ENV = 'MC_BENCH_OWN_SESSION';

function parseArgs(argv: string[]): Args {
  const parts: BenchPart[] = [];
  let runs = 5;
  let json: string | undefined;
  let nice: number | undefined = process.getuid?.() === 0 ? DEFAULT_NICE : undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--runs') {
      runs = Number(argv[(i += 1)]);
      if (!Number.isInteger(runs) || runs < 1) usage('--runs takes a whole number of at least 1');
    } else if (arg === '--json') {
      json = argv[(i += 1)];
      if (json === undefined) usage('--json takes a file name');
    } else if (arg === '--nice') {
      nice = Number(argv[(i += 1)]);
      if (!Number.isInteger(nice) || nice < -20 || nice > 19)
        usage('--nice takes a whole number from -20 to 19');
    } else if (arg === '--no-nice') {
      nice = undefined;
    } else if (arg === '-h' || arg === '--help') {
      usage();
    } else {
      const part = PARTS.find((p) => p.name === arg);
      if (part === undefined) usage(`unknown part ${arg}`);
      parts.push(part);
    }
  }
  return {
    parts: parts.length === 0 ? PARTS : parts,
    runs,
    ...(json === undefined ? {} : { json }),
    ...(nice === undefined ? {} : { nice }),
  };
}

function usage(error?: string): never {
  const text = [
    ...(error === undefined ? [] : [`bench: ${error}`]),
    'usage: npm run bench -- [PART...] [--runs N] [--json FILE] [--nice N | --no-nice]',
    `parts: ${PARTS.map((p) => p.name).join(', ')} (default: all)`,
  ].join('\n');
  (error === undefined ? process.stdout : process.stderr).write(`${text}\n`);
  process.exit(error === undefined ? 0 : 2);
}

const progress = (text: string): void => void process.stderr.write(`  ${text}\n`);

/**
 * On a machine shared with other work (tests, builds), CPU contention swamps the differences measured
 * here. Linux schedules sessions (autogroups) fairly against each other whatever a process's own nice
 * value, so the benchmark runs in a session of its own, this process re-started with setsid, and gives
 * that session a higher priority (/proc/self/autogroup, root only). Everything measured, the lab's
 * sshd included, runs in it, so mc, Ansible and ssh are favoured alike; other work only slows down
 * while the benchmark runs, and the caller's own session is left as it was.
 * Returns the exit status when this process only relayed a child, undefined in the child.
 */
async function inOwnSession(args: Args): Promise<number | undefined> {
  if (args.nice === undefined) return undefined;
  if (process.env[SESSION_ENV] === undefined) {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      detached: true,
      stdio: 'inherit',
      env: { ...process.env, [SESSION_ENV]: '1' },
    });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
    return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 130)));
  }
  writeFileSync('/proc/self/autogroup', String(args.nice));
  return undefined;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const relayed = await inOwnSession(args);
  if (relayed !== undefined) return relayed;
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-'));
  const tools = createTools(dir);
  let lab: BenchLab | undefined;
  let cleaned: Promise<void> | undefined;
  const deferred = new Set<() => Promise<void>>();
  const cleanup = (): Promise<void> =>
    (cleaned ??= (async () => {
      await Promise.allSettled([...deferred].map((fn) => fn()));
      await tools.closeAllMasters();
      await lab?.stop();
      rmSync(dir, { recursive: true, force: true });
    })());
  // `on`, not `once`: execa's exit handler re-raises a signal that nobody else listens to, which would
  // kill this process before the cleanup is done. Children (execa's) are killed by that same handler.
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      tools.abort();
      process.stderr.write(`\nbench: ${signal}: removing the lab and the scratch files\n`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  const measurements: Measurement[] = [];
  const comparisons: Comparison[] = [];
  const notes = new Map<string, string[]>();
  const failed: string[] = [];
  const setup: string[] = [];
  let info: MachineInfo | undefined;
  try {
    info = await machineInfo();
    process.stderr.write(`${describeMachine(info)}\n`);
    if (args.nice !== undefined) {
      setup.push(
        `scheduling: ${readFileSync('/proc/self/autogroup', 'utf8').trim()} (the benchmark's own session)`,
      );
      process.stderr.write(`${setup.at(-1)}\n`);
    }
    const skips = new Map<BenchPart, string>();
    for (const part of args.parts) {
      let reason = await part.skipReason?.(tools);
      if (reason === undefined && part.labHosts > 0 && process.getuid?.() !== 0)
        reason = 'needs root (network namespaces)';
      if (reason !== undefined) skips.set(part, reason);
    }
    const labHosts = Math.max(0, ...args.parts.filter((p) => !skips.has(p)).map((p) => p.labHosts));
    if (labHosts > 0) {
      process.stderr.write(`starting a namespace lab of ${labHosts} hosts...\n`);
      const ms = await timed(async () => {
        lab = await startBenchLab(labHosts, dir);
      });
      setup.push(
        `hosts: namespace lab ${lab!.lab.id}, ${labHosts} hosts (real sshd each) on ${lab!.lab.cidr}, up in ${(ms / 1000).toFixed(1)} s`,
      );
      process.stderr.write(`${setup.at(-1)}\n`);
    }

    for (const part of args.parts) {
      const partNotes: string[] = [];
      notes.set(part.name, partNotes);
      const skip = skips.get(part);
      if (skip !== undefined) {
        partNotes.push(`skipped: ${skip}`);
        process.stderr.write(`${part.name}: skipped: ${skip}\n`);
        continue;
      }
      process.stderr.write(`${part.name}: ${part.title}\n`);
      const ctx = context(part, args.runs, dir, tools, lab, measurements, comparisons, partNotes, deferred);
      const loadBefore = loadAverage();
      try {
        await part.run(ctx);
        partNotes.push(`load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAverage()}`);
      } catch (err) {
        failed.push(part.name);
        partNotes.push(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
        process.stderr.write(
          `${part.name} FAILED: ${err instanceof Error ? (err.stack ?? '') : String(err)}\n`,
        );
        // A failure can leave masters open on the lab's hosts: close them before the next part.
        await tools.closeAllMasters();
      }
    }
  } finally {
    await cleanup();
  }

  process.stdout.write(`\n${summary(args, info, setup, measurements, comparisons, notes)}\n`);
  if (args.json !== undefined) {
    writeFileSync(
      args.json,
      `${JSON.stringify({ machine: info, runs: args.runs, measurements, comparisons }, null, 2)}\n`,
    );
    process.stderr.write(`samples written to ${args.json}\n`);
  }
  return failed.length > 0 ? 1 : 0;
}

function context(
  part: BenchPart,
  runs: number,
  dir: string,
  tools: ReturnType<typeof createTools>,
  lab: BenchLab | undefined,
  measurements: Measurement[],
  comparisons: Comparison[],
  notes: string[],
  deferred: Set<() => Promise<void>>,
): BenchContext {
  const record: BenchContext['record'] = (group, name, unit, samples) => {
    measurements.push({ part: part.name, group, name, unit, samples });
    return stats(samples);
  };
  return {
    runs,
    dir,
    tools,
    lab,
    record,
    measure: async (group, cases, options = {}) => {
      const rounds = options.runs ?? runs;
      const warmup = options.warmup ?? 1;
      const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
      for (let round = -warmup; round < rounds; round += 1) {
        for (const c of cases) {
          const ms = await timed(c.fn);
          await c.after?.();
          const label = round < 0 ? 'warm-up' : `${round + 1}/${rounds}`;
          if (round >= 0) samples.get(c.name)!.push(ms);
          if (rounds <= 10 || round < 0 || round === rounds - 1)
            progress(`${group}: ${c.name}: ${label}: ${formatValue(ms, 'ms')}`);
        }
      }
      return new Map(cases.map((c) => [c.name, record(group, c.name, 'ms', samples.get(c.name)!)]));
    },
    compare: (c) => {
      comparisons.push({ part: part.name, ...c });
    },
    note: (text) => notes.push(text),
    defer: (fn) => {
      deferred.add(fn);
      return async () => {
        if (deferred.delete(fn)) await fn();
      };
    },
    progress,
  };
}

function describeMachine(info: MachineInfo): string {
  return [
    `machine: ${info.cpu}, ${info.cores} cores, ${info.memory}, ${info.kernel}, load at start ${info.loadAtStart}`,
    `versions: node ${info.node}, mc ${info.mc}, ${info.openssh}, ${info.ansible}, ${info.python}`,
  ].join('\n');
}

function summary(
  args: Args,
  info: MachineInfo | undefined,
  setup: string[],
  measurements: Measurement[],
  comparisons: Comparison[],
  notes: Map<string, string[]>,
): string {
  const out: string[] = ['# mc benchmark summary', ''];
  if (info !== undefined) out.push(describeMachine(info));
  out.push(...setup, '');
  out.push(`load average at the end: ${loadAverage()}`, '');
  out.push(`${args.runs} runs per measurement unless noted.`, '');
  for (const part of args.parts) {
    out.push(`## ${part.title}`, '');
    const rows = measurements
      .filter((m) => m.part === part.name)
      .map((m) => {
        const s = stats(m.samples);
        return [
          m.group,
          m.name,
          formatValue(s.median, m.unit),
          formatValue(s.min, m.unit),
          formatValue(s.max, m.unit),
          String(s.n),
        ];
      });
    if (rows.length > 0)
      out.push(table(['setting', 'measurement', 'median', 'min', 'max', 'runs'], rows), '');
    for (const note of notes.get(part.name) ?? []) out.push(`- ${note}`);
    if ((notes.get(part.name) ?? []).length > 0) out.push('');
  }
  if (comparisons.length > 0) {
    out.push('## Ratios and targets', '');
    out.push(
      table(
        ['comparison', 'value', 'target', 'met'],
        comparisons.map((c) => {
          const unit = c.unit ?? 'x';
          const value = unit === 'x' ? `${c.value.toFixed(2)}x` : formatValue(c.value, unit);
          const target =
            c.target === undefined
              ? ''
              : `${c.target.op} ${unit === 'x' ? `${c.target.value}x` : formatValue(c.target.value, unit)}`;
          const ok = met(c);
          return [c.name, value, target, ok === undefined ? '' : ok ? 'yes' : 'NO'];
        }),
      ),
    );
  }
  return out.join('\n');
}

process.exitCode = await main();
