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
  return criticalChain(records).reduce((sum, link) => sum + (link.end - link.start), 0);
}

/** The records of one longest chain, in order: the critical path itself, for finding the gaps in it. */
export function criticalChain(records: readonly TimedRecord[]): { start: number; end: number }[] {
  const intervals = finished(records).sort((a, b) => a.end - b.end);
  // best[i]: the longest chain among the first i intervals (by end time); before[i]: where it goes on.
  const best = new Array<number>(intervals.length + 1).fill(0);
  const before: number[] = [];
  for (let i = 0; i < intervals.length; i += 1) {
    const current = intervals[i]!;
    before.push(lastEndingBy(intervals, i, current.start));
    best[i + 1] = Math.max(best[i]!, best[before[i]! + 1]! + (current.end - current.start));
  }
  const chain: { start: number; end: number }[] = [];
  for (let i = intervals.length; i > 0;) {
    if (best[i] === best[i - 1]) {
      i -= 1;
      continue;
    }
    chain.push(intervals[i - 1]!);
    i = before[i - 1]! + 1;
  }
  return chain.reverse();
}

/**
 * A member's settling after its join, as a record that follows the command that joined it: the member
 * joins a moment before that command (a process behind a shim) has finished, and a settle overlapping
 * its own command could never be on the same chain as it, though it can only come after it. It ends
 * `settleMs` after the join, as in the simulator.
 */
export function settlesAfterJoins(
  joins: readonly { host: string; at: number }[],
  settleMs: number,
  records: readonly (TimedRecord & { host: string })[],
): TimedRecord[] {
  return joins.map(({ host, at }) => {
    const joining = records.find(
      (r) => r.host === host && r.startedAt <= at && r.finishedAt !== null && r.finishedAt >= at,
    );
    const finishedAt = at + settleMs;
    return { startedAt: Math.min(finishedAt, Math.max(at, joining?.finishedAt ?? at)), finishedAt };
  });
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

/** A simulated command with its host and words, as the simulator records it. */
export interface HostRecord extends TimedRecord {
  host: string;
  argv: readonly string[];
}

/** What the simulator keeps of a MicroCloud trust session (§1.2): who opened it, when, who reached out. */
export interface SessionRecord {
  host: string;
  role: 'initiating' | 'joining';
  startedAt: number;
  intents: readonly { host: string; receivedAt: number }[];
}

/**
 * The work of a `microcloud preseed` run, in place of its commands' records. The initiator's command
 * runs from before the session opens until the cluster is set up, and so spans the wait for joiners:
 * as one record it would count that wait (how soon mc started them) as work. So, as MicroCloud runs it:
 * the initiator's command up to its session opening; the joiners side by side, as long as the slowest
 * of them took from its start to its join intent reaching the initiator (what a joiner's command still
 * does after that is the initiator's work on it); then the initiator's command from the last intent to
 * its end (setting up every service on every member). The joiners' work is one record that ends at the
 * last intent: joiners that mc happened to start one after another still count once, as in parallel.
 * A preseed without such a session (it failed before one opened) stays as it was recorded.
 */
export function preseedWork<R extends HostRecord>(
  records: readonly R[],
  sessions: readonly SessionRecord[],
): TimedRecord[] {
  const work: TimedRecord[] = [];
  const joiners = new Map<SessionRecord, number>();
  for (const record of records) {
    const { startedAt, finishedAt } = record;
    if (!isPreseed(record.argv) || finishedAt === null) {
      work.push({ startedAt, finishedAt });
      continue;
    }
    const inside = (at: number): boolean => at >= startedAt && at <= finishedAt;
    const initiated = sessions.find(
      (s) => s.role === 'initiating' && s.host === record.host && inside(s.startedAt),
    );
    if (initiated !== undefined) {
      const lastIntent = Math.max(initiated.startedAt, ...initiated.intents.map((i) => i.receivedAt));
      work.push(
        { startedAt, finishedAt: initiated.startedAt },
        { startedAt: Math.min(lastIntent, finishedAt), finishedAt },
      );
      continue;
    }
    const joined = sessions.find(
      (s) => s.role === 'initiating' && s.intents.some((i) => i.host === record.host && inside(i.receivedAt)),
    );
    const intent = joined?.intents.find((i) => i.host === record.host);
    if (joined === undefined || intent === undefined) {
      work.push({ startedAt, finishedAt });
      continue;
    }
    joiners.set(joined, Math.max(joiners.get(joined) ?? 0, intent.receivedAt - startedAt));
  }
  for (const [session, slowest] of joiners) {
    const lastIntent = Math.max(...session.intents.map((i) => i.receivedAt));
    work.push({ startedAt: lastIntent - slowest, finishedAt: lastIntent });
  }
  return work;
}

function isPreseed(argv: readonly string[]): boolean {
  const program = argv[0]?.slice(argv[0].lastIndexOf('/') + 1);
  return program === 'microcloud' && argv[1] === 'preseed';
}
