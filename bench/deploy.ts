// Deploy: `mc deploy` of a full MicroCloud (LXD, MicroCeph with a disk per host, MicroOVN with an
// uplink, CephFS) on 3 and 10 namespace-lab hosts whose simulated programs take realistic times
// (REALISTIC_LATENCY: snap install 20 s, MicroCeph bootstrap 30 s, join 15 s, ...). The total against
// the critical path of those latencies, and the time mc adds.
//
// - A lab per run (a deploy changes the simulated world), stopped in a finally and on an interrupt.
// - Critical path: from the simulator's record of every command (and of every microcluster member's
//   settling after its join), the longest chain of them that ran one after another (critical-path.ts),
//   in modelled time, times the time scale. mc keeps
//   MicroCloud's order (a host's snaps in turn, hosts joining one at a time), so that chain is the time
//   the order cannot avoid. Busy: the time at least one simulated command ran.
// - Time mc adds = total - critical path: its start-up, connects, round trips, the lab's program
//   starts (each simulated command is a Node process behind a shim on the host), and the time between
//   steps. Per phase too, from the NDJSON events timed as they arrive.
//
// MC_BENCH_DEPLOY_HOSTS (default "3,10") picks the sizes; MC_BENCH_DEPLOY_SCALE (default 1) runs the
// modelled time faster (0.1: a 20 s install takes 2 s; mc's own time is not scaled, so the ratio is
// only the real one at 1). At most MC_BENCH_DEPLOY_RUNS (default 3) runs per size: a 10-host run at
// scale 1 takes several minutes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { REALISTIC_LATENCY } from '../src/lab/sim/index.js';
import type { World } from '../src/lab/sim/index.js';
import type { BenchContext, BenchPart } from './core.js';
import { busyMs, criticalChain, criticalPathMs, preseedWork, settlesAfterJoins } from './critical-path.js';
import type { TimedRecord } from './critical-path.js';
import { startBenchLab } from './lab.js';
import { labInventoryLines } from '../src/lab/sim-netns.js';
import type { BenchLab } from './lab.js';

const DISK = (n: number): string => `/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk${n}`;

function settings(ctx: BenchContext): { sizes: number[]; scale: number; runs: number } {
  const sizes = (process.env['MC_BENCH_DEPLOY_HOSTS'] ?? '3,10').split(',').map(Number);
  const scale = Number(process.env['MC_BENCH_DEPLOY_SCALE'] ?? '1');
  const runs = Math.min(ctx.runs, Number(process.env['MC_BENCH_DEPLOY_RUNS'] ?? '3'));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('MC_BENCH_DEPLOY_HOSTS: e.g. 3,10');
  if (!(scale > 0 && scale <= 1)) throw new Error('MC_BENCH_DEPLOY_SCALE: a number in (0, 1]');
  if (!(runs >= 1)) throw new Error('MC_BENCH_DEPLOY_RUNS: a whole number of at least 1');
  return { sizes, scale, runs };
}

/** mc's own inventory of the lab: every host a Ceph disk, a local disk and an OVN uplink, as in §2. */
function deployInventory(lab: BenchLab, dir: string): string {
  const path = join(dir, `deploy-${lab.lab.id}.yaml`);
  writeFileSync(
    path,
    [
      ...labInventoryLines(lab.lab),
      'cluster:',
      '  systems:',
      ...lab.hosts.flatMap((h) => [
        `    ${h.name}:`,
        '      ovn_uplink_interface: enp6s0',
        '      storage:',
        `        local: ${DISK(1)}`,
        `        ceph: [{path: ${DISK(2)}, wipe: true}]`,
      ]),
      '  ovn:',
      '    ipv4_gateway: 10.1.124.1/24',
      '    ipv4_range: 10.1.124.100-10.1.124.254',
      '    dns_servers: 10.1.124.1',
      '  ceph:',
      '    cephfs: true',
      '',
    ].join('\n'),
  );
  return path;
}

interface DeployRun {
  totalMs: number;
  criticalMs: number;
  busyMs: number;
  commands: number;
  /** Per phase: wall time from its start event to its done event, and the critical path inside it. */
  phases: { phase: string; wallMs: number; criticalMs: number }[];
}

interface TimedEvent {
  at: number;
  event: { type: string; phase?: string };
}

/** Runs one deploy on a fresh lab; the lab's records give the modelled work. */
async function deployOnce(ctx: BenchContext, count: number, scale: number): Promise<DeployRun> {
  const lab = await startBenchLab(count, ctx.dir, { latency: REALISTIC_LATENCY, timeScale: scale });
  const stop = ctx.defer(() => lab.stop());
  try {
    const inventory = deployInventory(lab, ctx.dir);
    const events: TimedEvent[] = [];
    const started = Date.now();
    const child = execa(
      process.execPath,
      [
        ctx.tools.mcBin,
        ...ctx.tools.mcArgs(['deploy', '-i', inventory, '-f', String(count), '--yes', '-o', 'json']),
      ],
      { env: ctx.tools.env, extendEnv: false, cwd: ctx.dir, stdin: 'ignore', reject: false, lines: false },
    );
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const at = Date.now();
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() !== '') events.push({ at, event: JSON.parse(line) as TimedEvent['event'] });
      }
    });
    const result = await child;
    const totalMs = Date.now() - started;
    if (result.exitCode !== 0) {
      throw new Error(
        `mc deploy on ${count} hosts failed (${result.exitCode ?? '?'}):\n${String(result.stderr).slice(-2000)}`,
      );
    }
    const run = summarise(lab.world, events, totalMs, scale, started);
    const trace = process.env['MC_BENCH_DEPLOY_TRACE'];
    if (trace !== undefined) writeTrace(trace, lab.world, events, scale, started);
    return run;
  } finally {
    await stop();
  }
}

/**
 * Every simulated command (a `microcloud preseed` as its work, not its wait for joiners: preseedWork), and each MicroCeph, MicroOVN and MicroCloud member's settling after its join
 * (`cluster.settle`: dqlite lists it PENDING until then, §11.3). MicroCloud waits for a member to be online
 * before the next step, so a settle is modelled work on the path like a command; LXD lists a joined member
 * with its role at once, and nobody waits for its settle.
 */
function modelledWork(world: World): TimedRecord[] {
  const joins = Object.values(world.state.clusters)
    .filter((cluster) => cluster.service !== 'lxd')
    .flatMap((cluster) => cluster.members)
    .flatMap((member) => (member.joinedAt === null ? [] : [{ host: member.host, at: member.joinedAt }]));
  return [
    ...preseedWork(world.records, Object.values(world.state.sessions)),
    ...settlesAfterJoins(joins, world.latency['cluster.settle'], world.records),
  ];
}

/**
 * MC_BENCH_DEPLOY_TRACE=FILE: the run's events and simulated commands on one clock (ms from mc's start),
 * and the gaps in the critical path, for finding where mc's time goes.
 */
function writeTrace(path: string, world: World, events: TimedEvent[], scale: number, started: number): void {
  const modelledNow = world.clock.now();
  const realNow = Date.now();
  const toReal = (modelled: number): number => realNow - (modelledNow - modelled) * scale - started;
  const commands = world.records.map((r) => ({
    host: r.host,
    argv: r.argv.join(' '),
    start: Math.round(toReal(r.startedAt)),
    end: r.finishedAt === null ? null : Math.round(toReal(r.finishedAt)),
  }));
  const chain = criticalChain(
    modelledWork(world).map((r) => ({
      startedAt: toReal(r.startedAt),
      finishedAt: r.finishedAt === null ? null : toReal(r.finishedAt),
    })),
  );
  const gaps = chain.slice(1).map((link, i) => ({
    from: Math.round(chain[i]!.end),
    gap: Math.round(link.start - chain[i]!.end),
  }));
  writeFileSync(
    path,
    JSON.stringify(
      { events: events.map((e) => ({ at: e.at - started, ...e.event })), commands, chain, gaps },
      null,
      1,
    ),
  );
}

function summarise(
  world: World,
  events: TimedEvent[],
  totalMs: number,
  scale: number,
  started: number,
): DeployRun {
  // Records are in modelled ms on the world's clock; real = start + (modelled - start) * scale.
  const modelledNow = world.clock.now();
  const realNow = Date.now();
  const toReal = (modelled: number): number => realNow - (modelledNow - modelled) * scale;
  const records = modelledWork(world).map((r) => ({
    startedAt: toReal(r.startedAt),
    finishedAt: r.finishedAt === null ? null : toReal(r.finishedAt),
  }));
  const phases: DeployRun['phases'] = [];
  const open = new Map<string, number>();
  for (const { at, event } of events) {
    if (event.type === 'phase-start' && event.phase !== undefined) open.set(event.phase, at);
    if (event.type === 'phase-done' && event.phase !== undefined) {
      const from = open.get(event.phase) ?? started;
      const inside = records.filter(
        (r) => r.finishedAt !== null && r.startedAt >= from && r.finishedAt <= at,
      );
      phases.push({ phase: event.phase, wallMs: at - from, criticalMs: criticalPathMs(inside) });
    }
  }
  return {
    totalMs,
    criticalMs: criticalPathMs(records),
    busyMs: busyMs(records),
    commands: world.records.length,
    phases,
  };
}

export const deployPart: BenchPart = {
  name: 'deploy',
  title: 'Deploy: 3 and 10 hosts with realistic simulated latencies',
  // Each run starts its own lab: the shared one has no latencies and a deploy changes its world.
  labHosts: 0,
  skipReason: () => Promise.resolve(process.getuid?.() === 0 ? undefined : 'needs root (network namespaces)'),
  run: async (ctx) => {
    const { sizes, scale, runs } = settings(ctx);
    ctx.note(
      `time scale ${scale} (${scale === 1 ? 'modelled times run in real time' : 'modelled times shortened; mc\u2019s own time is not'}), ${runs} runs per size`,
    );
    for (const count of sizes) {
      const group = `${count} hosts`;
      const samples: DeployRun[] = [];
      for (let run = 1; run <= runs; run += 1) {
        const sample = await deployOnce(ctx, count, scale);
        samples.push(sample);
        ctx.progress(
          `${group}: ${run}/${runs}: total ${(sample.totalMs / 1000).toFixed(1)} s, critical path ${(sample.criticalMs / 1000).toFixed(1)} s, ${sample.commands} commands`,
        );
      }
      const series = (name: string, value: (s: DeployRun) => number) =>
        ctx.record(group, name, 'ms', samples.map(value));
      const total = series('mc deploy (total)', (s) => s.totalMs);
      const critical = series('critical path (modelled)', (s) => s.criticalMs);
      series('busy (a simulated command ran)', (s) => s.busyMs);
      const added = series('time mc adds (total - critical path)', (s) => s.totalMs - s.criticalMs);
      for (const phase of samples[0]?.phases.map((p) => p.phase) ?? []) {
        series(`phase ${phase}: wall - critical path`, (s) => {
          const p = s.phases.find((x) => x.phase === phase);
          return p === undefined ? NaN : p.wallMs - p.criticalMs;
        });
      }
      ctx.compare({
        name: `deploy ${count} hosts: total / critical path`,
        value: total.median / critical.median,
        ...(count === 3 ? { target: { op: '<=' as const, value: 1.05 } } : {}),
      });
      ctx.compare({ name: `deploy ${count} hosts: time mc adds`, value: added.median, unit: 'ms' });
    }
  },
};
