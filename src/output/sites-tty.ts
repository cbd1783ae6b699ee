// The terminal view of several sites: a listr2 tree with one task per site, showing the live tail of that
// site's own (plain) output, ✔ or ✖ when its mc ends. Fed by the sites workflow, line by line.
import { Listr } from 'listr2';
import type { ListrTaskWrapper } from 'listr2';

/** listr2 redraws the whole tree on every output change: assign at most this often (as tty.ts does). */
const OUTPUT_INTERVAL_MS = 250;
/** Lines of live output shown under a running site. */
const OUTPUT_BAR = 3;

type Wrapper = ListrTaskWrapper<unknown, never, never>;

interface SiteTask {
  wrapper?: Wrapper;
  pending: string[];
  exitCode?: number;
  settle?: () => void;
}

export interface SitesTree {
  line(site: string, text: string): void;
  done(site: string, exitCode: number): void;
  /** Resolves when the tree has drawn its final state. */
  finished(): Promise<void>;
}

export function sitesTree(sites: readonly string[], stdout: NodeJS.WriteStream): SitesTree {
  const state = new Map<string, SiteTask>(sites.map((site) => [site, { pending: [] }]));
  const flush = (): void => {
    for (const task of state.values()) {
      if (task.wrapper === undefined || task.pending.length === 0) continue;
      task.wrapper.output = task.pending.join('\n');
      task.pending = [];
    }
  };
  const list = new Listr(
    sites.map((site) => ({
      title: site,
      task: (_ctx: unknown, wrapper: Wrapper) =>
        new Promise<void>((resolve, reject) => {
          const task = state.get(site) as SiteTask;
          task.wrapper = wrapper;
          const end = (): void => {
            if (task.exitCode === 0) resolve();
            else reject(new Error(`${site}: failed (exit ${task.exitCode ?? 1})`));
          };
          task.settle = end;
          if (task.exitCode !== undefined) end();
        }),
      rendererOptions: { outputBar: OUTPUT_BAR, persistentOutput: false },
    })),
    {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false,
      rendererOptions: { collapseSubtasks: false, formatOutput: 'truncate', showErrorMessage: true },
      renderer: stdout.isTTY === true ? 'default' : 'simple',
    },
  );
  const running = list.run().then(() => undefined);
  const ticker = setInterval(flush, OUTPUT_INTERVAL_MS);
  return {
    line(site, text) {
      const task = state.get(site);
      if (task === undefined) return;
      task.pending.push(text);
      if (task.pending.length > OUTPUT_BAR) task.pending.shift();
    },
    done(site, exitCode) {
      const task = state.get(site);
      if (task === undefined) return;
      task.exitCode = exitCode;
      task.settle?.();
    },
    async finished() {
      await running;
      clearInterval(ticker);
    },
  };
}
