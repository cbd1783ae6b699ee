// Golden outputs of whole mc runs (test/fixtures/output/day2): exit status, stdout and stderr, sanitised of
// what differs between runs (times, the scratch directory, log file names, loopback ports) and put in a
// canonical order where hosts run side by side (each host's own lines keep their order). Nothing else is
// masked, so any other change to the output fails the test. MC_UPDATE_GOLDEN=1 rewrites the files instead.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const DIR = new URL('../fixtures/output/day2/', import.meta.url);

export type Format = 'plain' | 'tty' | 'json';

export interface Ran {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Times, the scratch directory and the names it holds, loopback addresses with their ports. */
export function sanitise(text: string, scratch: string | string[]): string {
  const dirs = typeof scratch === 'string' ? [scratch] : scratch;
  return dirs
    .reduce((t, dir, i) => t.replaceAll(dir, dirs.length === 1 ? '<DIR>' : `<DIR${i + 1}>`), text)
    .replace(/mc-\d{4}-\d\d-\d\dT[\d-]+Z-\d+\.log/g, 'mc-<TIME>-<PID>.log')
    .replace(
      /127\.0\.\d+\.\d+(:\d+)?/g,
      (_, port?: string) => `127.0.<N>.<N>${port === undefined ? '' : ':<PORT>'}`,
    )
    .replace(/(?<![\w.])(\d+m\d\ds|\d+(\.\d+)?m?s)(?![\w.])/g, '<T>');
}

/**
 * Puts each run of consecutive items that `key` gives a sort key for in the order of those keys; items with
 * equal keys keep their order (each host's own lines, events). An item without a key ends the run.
 */
function sortRuns<T>(
  items: T[],
  key: (item: T, firstSeen: (text: string) => number) => string | undefined,
): T[] {
  const out: T[] = [];
  let run: T[] = [];
  const flush = (): void => {
    const seen = new Map<string, number>();
    const firstSeen = (text: string): number => {
      if (!seen.has(text)) seen.set(text, seen.size);
      return seen.get(text) ?? 0;
    };
    const keyed = run.map((item, i) => ({ item, i, k: key(item, firstSeen) ?? '' }));
    out.push(...keyed.sort((a, b) => a.k.localeCompare(b.k) || a.i - b.i).map((x) => x.item));
    run = [];
  };
  for (const item of items) {
    if (key(item, () => 0) === undefined) {
      flush();
      out.push(item);
    } else run.push(item);
  }
  flush();
  return out;
}

const HOST_PREFIX = /^\[([^\]]+)\] /;
const TREE_HOST = /^([❯✔✖↓]) (micro\d+)\b/;

/** TTY tree lines: hosts starting, then hosts ending, each by host. */
function treeKey(line: string): string | undefined {
  const task = TREE_HOST.exec(line);
  return task === null ? undefined : `${task[1] === '❯' ? 0 : 2} ${task[2]}`;
}

/** The clock fields of an event, at any depth: when it was sent, and how long something took. */
function withoutClocks(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutClocks);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !['time', 'ms', 'seconds'].includes(key))
      .map(([key, v]) => [key, withoutClocks(v)]),
  );
}

/**
 * Plain: `[host] ...` lines of hosts working side by side are grouped by host. TTY (listr2's line renderer
 * without a terminal): in a run of host tasks, the tasks that start (by host), then the tasks that end (by
 * host); the live tail under them is left out (see below).
 * JSON: each event parsed, its clock fields dropped, events of hosts side by side grouped by host.
 */
export function canonical(format: Format, stdout: string): string {
  const lines = stdout.split('\n');
  switch (format) {
    case 'plain':
      return sortRuns(lines, (l) => HOST_PREFIX.exec(l)?.[1]).join('\n');
    case 'tty':
      // The live tail under a task (› lines) shows what was drawn before the task ended, which depends on
      // timing (a run's last output line may or may not be drawn): the plain golden holds those lines.
      return sortRuns(
        lines.filter((l) => !l.startsWith('› ')),
        treeKey,
      ).join('\n');
    case 'json': {
      const events = lines
        .filter((l) => l !== '')
        .map((l) => withoutClocks(JSON.parse(l)) as Record<string, unknown>);
      return sortRuns(events, (e) => (typeof e.host === 'string' ? e.host : undefined))
        .map((e) => JSON.stringify(e))
        .join('\n');
    }
  }
}

/**
 * Several sites (`-i paris.yaml -i lyon.yaml`), which run side by side: each site's own output (its plain lines
 * carry `[site] `, its JSON events a `site` field) in canonical form, the sites in the order of their names,
 * then what the sites share (the recap per site, the `sites` document) as it is.
 */
export function canonicalSites(format: Exclude<Format, 'tty'>, stdout: string): string {
  const bySite = new Map<string, string[]>();
  const shared: string[] = [];
  for (const line of stdout.split('\n')) {
    const site =
      format === 'plain'
        ? /^\[([^\]]+)\] /.exec(line)?.[1]
        : line === ''
          ? undefined
          : (JSON.parse(line) as { site?: string }).site;
    if (site === undefined) shared.push(line);
    else
      bySite.set(site, [
        ...(bySite.get(site) ?? []),
        format === 'plain' ? line.slice(site.length + 3) : line,
      ]);
  }
  const sites = [...bySite.keys()].sort().flatMap((site) =>
    canonical(format, (bySite.get(site) ?? []).join('\n'))
      .split('\n')
      .map((line) => (format === 'plain' ? `[${site}] ${line}` : line)),
  );
  return [...sites, ...(format === 'json' ? canonical('json', shared.join('\n')).split('\n') : shared)].join(
    '\n',
  );
}

/** Compares a run with test/fixtures/output/day2/NAME (or writes it under MC_UPDATE_GOLDEN=1). */
export function assertGolden(
  name: string,
  format: Format,
  ran: Ran,
  scratch: string | string[],
  order: (format: Format, stdout: string) => string = canonical,
): void {
  const actual = [
    `exit ${ran.exitCode}`,
    '--- stdout',
    order(format, sanitise(ran.stdout, scratch)),
    '--- stderr',
    sanitise(ran.stderr, scratch),
    '',
  ].join('\n');
  const file = new URL(name, DIR);
  if (process.env.MC_UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.MC_UPDATE_GOLDEN !== '1')
      assert.fail(`no golden file ${file.pathname}: run with MC_UPDATE_GOLDEN=1 once and review it`);
    mkdirSync(dirname(file.pathname), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `${name} differs from its golden file`);
}
