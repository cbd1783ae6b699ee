import { Command, Option } from 'commander';
import type { Io } from '../workflows/runtime.js';
import { EXIT_OK } from './errors.js';
import { connectionOptions } from './options.js';
import type { ConnectionFlags } from './options.js';

/**
 * ansible-playbook's exit statuses for a run: 0 every host ok, 2 a task failed on a host, 4 a host was
 * unreachable (it wins over 2, as in Ansible). A playbook, inventory or option refused before any host is
 * touched exits with mc's 2 for bad input (ansible-playbook uses 4 and 5 there), with the reason on stderr.
 */
export const EXIT_PLAYBOOK_FAILED = 2;
export const EXIT_PLAYBOOK_UNREACHABLE = 4;

interface PlaybookFlags extends ConnectionFlags {
  extraVars: string[];
  tags?: string;
  skipTags?: string;
  check: boolean;
  diff: boolean;
  become: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const list = (value: string | undefined): string[] =>
  value === undefined
    ? []
    : value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');

export function playbookCommand(io: Io, setExit: (code: number) => void): Command {
  return connectionOptions(new Command('playbook'))
    .description('run Ansible playbooks as they are: plays, tasks, handlers, blocks, loops, Jinja2 templates')
    .argument('<playbook...>', 'playbook files, run one after the other')
    .addOption(
      new Option('-e, --extra-vars <vars>', 'KEY=VALUE, JSON, or @FILE (repeatable); highest precedence')
        .argParser(collect)
        .default([]),
    )
    .option('-t, --tags <tags>', 'only tasks with these tags (comma-separated)')
    .option('--skip-tags <tags>', 'not the tasks with these tags')
    .option('-C, --check', 'change nothing on any host: report what would change', false)
    .option('-D, --diff', "show files' differences", false)
    .option('-b, --become', 'run every task with sudo', false)
    .action(async (paths: string[], flags: PlaybookFlags) => {
      const [{ startRun, loadSelectedHosts }, load, { PlaybookRun }] = await Promise.all([
        import('../workflows/runtime.js'),
        import('../workflows/playbook/load.js'),
        import('../workflows/playbook/executor.js'),
      ]);
      // Everything is read and checked before any host is touched.
      const playbooks = load.loadPlaybooks(paths, io.cwd);
      const extraVars = load.parseExtraVars(flags.extraVars, io.cwd);
      const { inventory, hosts } = await loadSelectedHosts(flags, io);
      load.checkVariables(playbooks, inventory, extraVars);
      const run = await startRun(`playbook ${paths.join(' ')}`, flags, io);
      const executor = (pb: (typeof playbooks)[number]) =>
        new PlaybookRun(run.session, inventory, pb, {
          check: flags.check,
          diff: flags.diff,
          tags: list(flags.tags),
          skipTags: list(flags.skipTags),
          extraVars,
          limit: hosts.map((h) => h.name),
          timeoutMs: flags.timeout * 1000,
          become: flags.become,
        });
      await run.settle(
        (async () => {
          for (const pb of playbooks) await executor(pb).run();
        })(),
      );
      await run.finish();
      const recap = run.session.recap();
      if (recap.some((r) => (r.counts?.unreachable ?? 0) > 0 || r.status === 'unreachable'))
        setExit(EXIT_PLAYBOOK_UNREACHABLE);
      else if (recap.some((r) => (r.counts?.failed ?? 0) > 0 || r.status === 'failed'))
        setExit(EXIT_PLAYBOOK_FAILED);
      else setExit(EXIT_OK);
    });
}
