// The modelled work of a deploy, from the simulator's record of every command it ran: the critical
// path (the longest chain of commands that ran one after another, so no schedule keeping their order
// could overlap them) and the busy time (when at least one simulated command was running). Pure.

/** One simulated command: when it started and finished, in modelled ms. */
export interface TimedRecord {
  startedAt: number;
  finishedAt: number | null;
}

/**
 * The greatest total duration of records that ran strictly one after another (each starts when or
 * after the one before it finished): weighted interval scheduling, O(n log n). mc runs MicroCloud's
 * steps in upstream order (a host's snaps in turn, hosts joining one at a time), so this chain is the
 * modelled time that order cannot avoid; what the deploy took beyond it is the time mc added.
 */
export function criticalPathMs(records: readonly TimedRecord[]): number {
  const intervals = finished(records).sort((a, b) => a.end - b.end);
  // best[i]: the longest chain among the first i intervals (by end time).
  const best = new Array<number>(intervals.length + 1).fill(0);
  for (let i = 0; i < intervals.length; i += 1) {
    const current = intervals[i]!;
    const before = lastEndingBy(intervals, i, current.start);
    best[i + 1] = Math.max(best[i]!, best[before + 1]! + (current.end - current.start));
  }
  return best[intervals.length]!;
}

/** Time covered by at least one record: the union of their intervals. */
export function busyMs(records: readonly TimedRecord[]): number {
  const intervals = finished(records).sort((a, b) => a.start - b.start);
  let total = 0;
  let open: { start: number; end: number } | undefined;
  for (const interval of intervals) {
    if (open !== undefined && interval.start <= open.end) {
      open.end = Math.max(open.end, interval.end);
      continue;
    }
    if (open !== undefined) total += open.end - open.start;
    open = { ...interval };
  }
  return open === undefined ? total : total + open.end - open.start;
}

function finished(records: readonly TimedRecord[]): { start: number; end: number }[] {
  return records.flatMap((r) => (r.finishedAt === null ? [] : [{ start: r.startedAt, end: r.finishedAt }]));
}

/** Index of the last interval among the first `count` whose end is at or before `time`; -1 if none. */
function lastEndingBy(sorted: readonly { end: number }[], count: number, time: number): number {
  let low = 0;
  let high = count - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (sorted[middle]!.end <= time) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}
