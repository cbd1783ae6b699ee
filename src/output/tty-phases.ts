// The terminal renderer of multi-phase runs (deploy): each phase is a listr2 task with a subtask per host
// that runs in it, titled with the step running there and showing the tail of its output. Phases are drawn
// one after another; it only consumes events.
import { Listr } from 'listr2';
import type { ListrTaskWrapper } from 'listr2';
import type { EventBus, TimedEvent } from './events.js';
import { flushPendingLines, type TtyRenderer } from './tty.js';

const OUTPUT_INTERVAL_MS = 250;
const OUTPUT_BAR = 3;

type Wrapper = ListrTaskWrapper<unknown, never, never>;

interface HostTask {
  wrapper?: Wrapper;
  pending: string[];
  steps: number;
  failure?: string;
  settle?: () => void;
  done: boolean;
}

export function attachPhaseTtyRenderer(bus: EventBus, stdout: NodeJS.WriteStream): TtyRenderer {
  let chain: Promise<void> = Promise.resolve();
  let hosts = new Map<string, HostTask>();
  const ticker = setInterval(flushOutput, OUTPUT_INTERVAL_MS);

  function flushOutput(): void {
    flushPendingLines(hosts.values());
  }

  function settleAll(): void {
    for (const state of hosts.values()) {
      state.done = true;
      state.settle?.();
    }
  }

  const detach = bus.on((event: TimedEvent) => {
    switch (event.type) {
      case 'phase-start': {
        const phaseHosts = new Map<string, HostTask>(
          event.hosts.map((h) => [h, { pending: [], steps: 0, done: false }]),
        );
        hosts = phaseHosts;
        const list = new Listr(
          [
            {
              title: event.title,
              task: () =>
                new Listr(
                  event.hosts.map((host) => ({
                    title: host,
                    task: (_c: unknown, wrapper: Wrapper) => hostTask(phaseHosts, host, wrapper),
                    rendererOptions: { outputBar: OUTPUT_BAR, persistentOutput: false },
                    // listr2 types nested task options through the parent's renderer; they are the default's.
                  })) as never[],
                  { concurrent: true, exitOnError: false },
                ),
            },
          ],
          {
            exitOnError: false,
            registerSignalListeners: false,
            rendererOptions: { collapseSubtasks: false, formatOutput: 'truncate', showErrorMessage: true },
            renderer: stdout.isTTY === true ? 'default' : 'simple',
          },
        );
        chain = chain.then(() =>
          list.run().then(
            () => undefined,
            () => undefined,
          ),
        );
        break;
      }
      case 'step-start': {
        const state = event.host === undefined ? undefined : hosts.get(event.host);
        if (state?.wrapper !== undefined) state.wrapper.title = `${event.host ?? ''} › ${event.title}`;
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
      case 'step-done': {
        const state = event.host === undefined ? undefined : hosts.get(event.host);
        // Only what changed counts: a read (facts, probe, ping) is not a change.
        if (state !== undefined && event.changed === true) state.steps += 1;
        break;
      }
      case 'step-failed': {
        const state = event.host === undefined ? undefined : hosts.get(event.host);
        if (state !== undefined) {
          state.failure = `${event.step}: ${event.error}${event.hint === undefined ? '' : ` — ${event.hint}`}`;
        }
        break;
      }
      case 'host-unreachable': {
        const state = hosts.get(event.host);
        if (state !== undefined) state.failure = `unreachable: ${event.reason}`;
        break;
      }
      case 'phase-done':
      case 'run-end':
        settleAll();
        break;
      default:
        break;
    }
  });

  function hostTask(phaseHosts: Map<string, HostTask>, host: string, wrapper: Wrapper): Promise<void> {
    const state = phaseHosts.get(host) as HostTask;
    state.wrapper = wrapper;
    return new Promise<void>((resolve, reject) => {
      const finish = (): void => {
        if (!state.done) return;
        flushOutput();
        if (state.failure !== undefined) reject(new Error(`${host} › ${state.failure}`));
        else {
          wrapper.title = `${host}${state.steps > 0 ? ` (${state.steps} change${state.steps === 1 ? '' : 's'})` : ''}`;
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
        settleAll();
        await chain;
      } finally {
        clearInterval(ticker);
        detach();
      }
    },
  };
}
