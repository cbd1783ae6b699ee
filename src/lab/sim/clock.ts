// Modelled time for the simulator. Every wait a simulated program does (snap install, bootstrap, join,
// session polling) goes through a Clock so tests can run minutes of modelled time in milliseconds.

/** The only notion of time simulated programs see. Times are epoch milliseconds of modelled time. */
export interface Clock {
  now(): number;
  /** Resolves after `ms` of modelled time; rejects with the signal's reason if aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export class SimAbortError extends Error {
  constructor(message = 'The operation was aborted') {
    super(message);
    this.name = 'AbortError';
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new SimAbortError();
}

/**
 * Wall-clock time, optionally scaled: with `scale: 0.001` one modelled second takes one real millisecond,
 * which keeps the embedded-SSH lab realistic in ordering but fast.
 */
export function realClock(options: { scale?: number } = {}): Clock {
  const scale = options.scale ?? 1;
  if (!(scale > 0)) throw new RangeError(`clock scale must be > 0, got ${scale}`);
  const realStart = Date.now();
  return {
    now: () => realStart + (Date.now() - realStart) / scale,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(abortReason(signal));
        const timer = setTimeout(
          () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          Math.max(0, ms * scale),
        );
        const onAbort = (): void => {
          clearTimeout(timer);
          reject(abortReason(signal as AbortSignal));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
  };
}

interface PendingTimer {
  due: number;
  order: number;
  resolve: () => void;
}

/**
 * Deterministic virtual time. With `autoAdvance` (the default) the clock jumps to the next due timer as soon
 * as every simulated activity is parked on a sleep (checked with setImmediate, which runs after all pending
 * promise callbacks), so concurrent programs interleave exactly as their modelled latencies say.
 * With `autoAdvance: false` a test moves time itself with `advanceBy`.
 */
export class VirtualClock implements Clock {
  private current: number;
  private readonly timers: PendingTimer[] = [];
  private sequence = 0;
  private advanceScheduled = false;
  private readonly autoAdvance: boolean;

  constructor(options: { startMs?: number; autoAdvance?: boolean } = {}) {
    // A fixed, recognisable start keeps token expiries and heartbeats stable across runs.
    this.current = options.startMs ?? Date.UTC(2026, 0, 5, 9, 0, 0);
    this.autoAdvance = options.autoAdvance ?? true;
  }

  now(): number {
    return this.current;
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer: PendingTimer = { due: this.current + ms, order: this.sequence++, resolve };
      const onAbort = (): void => {
        const index = this.timers.indexOf(timer);
        if (index >= 0) this.timers.splice(index, 1);
        reject(abortReason(signal as AbortSignal));
      };
      timer.resolve = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
      this.scheduleAdvance();
    });
  }

  /** Moves time forward, firing every timer that falls due on the way, in due order. */
  async advanceBy(ms: number): Promise<void> {
    const target = this.current + ms;
    const settle = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
    for (;;) {
      // Let running activity reach its next sleep before looking for the next timer.
      await settle();
      const next = this.earliest();
      if (next === undefined || next.due > target) break;
      this.fire(next);
    }
    this.current = Math.max(this.current, target);
    await settle();
  }

  private earliest(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const timer of this.timers) {
      if (!best || timer.due < best.due || (timer.due === best.due && timer.order < best.order)) best = timer;
    }
    return best;
  }

  private fire(timer: PendingTimer): void {
    this.timers.splice(this.timers.indexOf(timer), 1);
    this.current = Math.max(this.current, timer.due);
    timer.resolve();
  }

  private scheduleAdvance(): void {
    if (!this.autoAdvance || this.advanceScheduled) return;
    this.advanceScheduled = true;
    setImmediate(() => {
      this.advanceScheduled = false;
      const next = this.earliest();
      if (!next) return;
      this.fire(next);
      if (this.timers.length > 0) this.scheduleAdvance();
    });
  }
}
