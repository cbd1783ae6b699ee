// What every benchmark part shares: samples and their statistics, ratios against targets, the
// context a part runs in, and the one shape a part has (index.ts runs the parts it is asked for).
import type { BenchLab } from './lab.js';
import type { Tools } from './tools.js';

export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const middle = Math.floor(n / 2);
  const median = n % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[n - 1]!, n };
}

export type Unit = 'ms' | 'MB';

export interface Measurement {
  part: string;
  /** Groups rows in a table, e.g. `10 hosts`. */
  group: string;
  name: string;
  unit: Unit;
  samples: number[];
}

/** A ratio of two medians, with the target it is held to (if any). */
export interface Comparison {
  part: string;
  name: string;
  value: number;
  /** 'x' (a ratio, the default), or a quantity. */
  unit?: 'x' | Unit;
  target?: { op: '<=' | '>='; value: number };
  note?: string;
}

export function met(c: Comparison): boolean | undefined {
  if (c.target === undefined) return undefined;
  return c.target.op === '<=' ? c.value <= c.target.value : c.value >= c.target.value;
}

export interface Case {
  name: string;
  fn: () => Promise<unknown>;
  /** Untimed work after each run (closing ssh masters, removing files). */
  after?: () => Promise<unknown>;
}

export interface BenchContext {
  runs: number;
  /** This run's scratch directory (removed at the end). */
  dir: string;
  tools: Tools;
  /** The shared namespace lab, started with as many hosts as the selected parts need (undefined: none). */
  lab: BenchLab | undefined;
  /**
   * Times each case `runs` times, interleaved (a round runs every case once, so drift on a busy machine
   * hits all of them alike), after `warmup` untimed rounds (default 1); records the samples.
   */
  measure(
    group: string,
    cases: Case[],
    options?: { runs?: number; warmup?: number },
  ): Promise<Map<string, Stats>>;
  /** Records samples measured some other way (peak RSS, say). */
  record(group: string, name: string, unit: Unit, samples: number[]): Stats;
  compare(comparison: Omit<Comparison, 'part'>): void;
  /** A finding the part wants printed under its table (a skip, a caveat). */
  note(text: string): void;
  /**
   * Cleanup of something the part started itself (a lab of its own), also run when the benchmark is
   * interrupted. Returns a function that runs it now and forgets it.
   */
  defer(cleanup: () => Promise<void>): () => Promise<void>;
  progress(text: string): void;
}

export interface BenchPart {
  name: string;
  title: string;
  /** How many namespace-lab hosts the part needs (0: none). */
  labHosts: number;
  /** Undefined when the part can run; otherwise why it is skipped (checked before the lab starts). */
  skipReason?(tools: Tools): Promise<string | undefined>;
  run(ctx: BenchContext): Promise<void>;
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return '-';
  if (unit === 'MB') return `${value.toFixed(1)} MB`;
  return value >= 10_000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`;
}

/** A plain-text table with aligned columns (GitHub-flavoured Markdown too). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
