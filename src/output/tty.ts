// The terminal renderer: a listr2 tree with one task per host showing the live tail of its output.
// It only consumes events; the workflow does not know it exists.
import { Listr } from 'listr2';
import type { ListrTaskWrapper } from 'listr2';
import type { EventBus, TimedEvent } from './events.js';

/** listr2 9 redraws the whole tree on every output change (npm-stack.md §0.4): assign at most this often. */
const OUTPUT_INTERVAL_MS = 250;
/** Lines of live output shown under a running host. */
const OUTPUT_BAR = 3;

type Wrapper = ListrTaskWrapper<unknown, never, never>;

interface HostTask {
  wrapper?: Wrapper;
  /** Lines since the last redraw, at most OUTPUT_BAR of them. */
  pending: string[];
  outcome?: { ok: true; skipped?: string } | { ok: false; message: string };
  settle?: () => void;
}

export interface TtyRenderer {
  /** Resolves when the tree has drawn its final state. */
  finished(): Promise<void>;
}

export function attachTtyRenderer(bus: EventBus, stdout: NodeJS.WriteStream): TtyRenderer {
  const hosts = new Map<string, HostTask>();
  let running: Promise<void> | undefined;
  let ticker: NodeJS.Timeout | undefined;

  const settle = (host: string, outcome: NonNullable<HostTask['outcome']>): void => {
    const state = hosts.get(host);
    if (state === undefined || state.outcome !== undefined) return;
    state.outcome = outcome;
    state.settle?.();
  };

  const detach = bus.on((event: TimedEvent) => {
    switch (event.type) {
      case 'run-start': {
        for (const host of event.hosts) hosts.set(host, { pending: [] });
        const list = new Listr(
          event.hosts.map((host) => ({
            title: host,
            task: (_ctx: unknown, wrapper: Wrapper) => hostTask(host, wrapper),
            rendererOptions: { outputBar: OUTPUT_BAR, persistentOutput: true },
          })),
          {
            concurrent: true,
            exitOnError: false,
            registerSignalListeners: false,
            rendererOptions: { collapseSubtasks: false, formatOutput: 'truncate', showErrorMessage: true },
            // The listr2 logger writes to process.stdout; we only choose the renderer when that is our TTY.
            renderer: stdout.isTTY === true ? 'default' : 'simple',
          },
        );
        running = list.run().then(() => undefined);
        ticker = setInterval(flushOutput, OUTPUT_INTERVAL_MS);
        break;
      }
      case 'step-start':
        if (event.host !== undefined) {
          const state = hosts.get(event.host);
          if (state?.wrapper !== undefined) state.wrapper.title = `${event.host} › ${event.title}`;
        }
        break;
      case 'task-result': {
        const state = hosts.get(event.host);
        if (state?.wrapper !== undefined)
          state.wrapper.title = `${event.host} › ${event.task}: ${event.status}`;
        break;
      }
      case 'task-retry': {
        const state = hosts.get(event.host);
        if (state?.wrapper !== undefined)
          state.wrapper.title = `${event.host} › ${event.task}: retrying (${event.retriesLeft} left)`;
        break;
      }
      case 'line': {
        const state = hosts.get(event.host);
        if (state !== undefined) {
          state.pending.push(event.text);
          if (state.pending.length > OUTPUT_BAR) state.pending.shift();
        }
        break;
      }
      case 'step-failed':
        if (event.host !== undefined) {
          settle(event.host, {
            ok: false,
            message: `${event.error}${event.hint === undefined ? '' : ` — ${event.hint}`}`,
          });
        }
        break;
      case 'host-unreachable':
        settle(event.host, { ok: false, message: `unreachable: ${event.reason}` });
        break;
      case 'recap':
        for (const recap of event.hosts) {
          if (recap.status === 'failed' || recap.status === 'unreachable') {
            settle(recap.host, { ok: false, message: recap.message ?? recap.status });
          } else if (recap.status === 'skipped') {
            settle(recap.host, { ok: true, skipped: recap.message ?? 'skipped' });
          } else {
            settle(recap.host, { ok: true });
          }
        }
        break;
      default:
        break;
    }
  });

  function flushOutput(): void {
    flushPendingLines(hosts.values());
  }

  function hostTask(host: string, wrapper: Wrapper): Promise<void> {
    const state = hosts.get(host) ?? { pending: [] };
    hosts.set(host, state);
    state.wrapper = wrapper;
    return new Promise<void>((resolve, reject) => {
      const finish = (): void => {
        flushOutput();
        const outcome = state.outcome;
        if (outcome === undefined) return;
        // listr2 shows a failed task's error in place of its title: keep the host in it.
        if (!outcome.ok) reject(new Error(`${host} › ${outcome.message}`));
        else {
          if (outcome.skipped !== undefined) wrapper.skip(outcome.skipped);
          resolve();
        }
      };
      state.settle = finish;
      finish();
    });
  }

  return {
    finished: async () => {
      try {
        await running;
      } finally {
        if (ticker !== undefined) clearInterval(ticker);
        detach();
      }
    },
  };
}

/** Hands each task the lines gathered since the last redraw (listr2 keeps the last OUTPUT_BAR of them). */
export function flushPendingLines(
  states: Iterable<{ wrapper?: { output: string }; pending: string[] }>,
): void {
  for (const state of states) {
    if (state.wrapper === undefined) continue;
    for (const line of state.pending) state.wrapper.output = line;
    state.pending = [];
  }
}
