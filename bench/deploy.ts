// Deploy: `mc deploy` on 3 and 10 hosts with realistic simulated latencies; the total against the
// critical path, and the time mc adds. A HOOK, filled in by the engineer who owns `mc deploy` once it
// is complete: until then the part is listed and skipped. index.ts needs no change: fill in run()
// below and remove skipReason.
//
// How to fill it (docs/benchmarks.md, "Deploy"):
// - Hosts: `startBenchLab(n, ctx.dir, { latency: REALISTIC_LATENCY, timeScale })` from ./lab.js for
//   n = 3 and n = 10, one lab per run (a deploy changes the simulated world), stopped in a finally.
//   It runs real sshd per namespace with the simulator behind snap/microceph/microovn/microcloud;
//   REALISTIC_LATENCY (src/lab/sim/world.ts) is snap install 20 s, microceph bootstrap 30 s, ...
//   A timeScale of 0.1 keeps a run near 15 s; mc's own time is not scaled, so report it in real ms.
//   Keep labHosts at 0: the shared lab has zero latencies, this part brings its own.
// - Measure: `ctx.tools.mc(['deploy', '-i', lab.inventory(n), '-f', String(n), '-o', 'plain'])`
//   timed with timed() from ./core.js, ctx.runs times; record with ctx.record(`${n} hosts`, ...).
// - Critical path: the modelled work that no schedule can overlap, from the simulator's own record
//   of every command (`lab.world.records`: host, argv, startedAt, finishedAt, in modelled ms): the
//   longest chain through the phases (per phase, the slowest host; phases in order), times timeScale.
//   Also the union of the records' intervals (time when at least one simulated command ran).
// - Time mc adds = total - critical path (connects, round trips, waiting between phases, output);
//   report it per phase too if mc's NDJSON (`-o json`) gives step start and end times.
// - ctx.compare({ name: `deploy ${n} hosts: total / critical path`, value }) and one for the
//   overhead in ms; no target was set in issue 6.
import type { BenchPart } from './core.js';

export const deployPart: BenchPart = {
  name: 'deploy',
  title: 'Deploy: 3 and 10 hosts with realistic simulated latencies',
  labHosts: 0,
  skipReason: () =>
    Promise.resolve('not measured yet: a hook for the mc deploy work to fill in (bench/deploy.ts)'),
  run: () => Promise.reject(new Error('bench/deploy.ts is a hook: fill in run() first')),
};
