// mc collect: a MicroCloud bug report from every selected host, masked, in one .tar.gz; changes nothing.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { InputError } from '../domain/input-error.js';
import type { Io } from '../workflows/runtime.js';
import { EXIT_FAILED, EXIT_OK } from './errors.js';
import { connectionOptions, positiveInt, type ConnectionFlags } from './options.js';

interface CollectFlags extends ConnectionFlags {
  outputDir: string;
  sinceHours: number;
}

export function collectCommand(io: Io, setExit: (code: number) => void): Command {
  return connectionOptions(new Command('collect'))
    .description(
      'gather what a MicroCloud bug report needs from every host (snap revisions, cluster views, journals, ' +
        'kernel log, addresses) into one .tar.gz, secrets masked; changes nothing',
    )
    .option('-d, --output-dir <dir>', 'where to write the archive', '.')
    .option(
      '--since-hours <n>',
      "hours of the snap daemons' journal to include",
      positiveInt('--since-hours'),
      24,
    )
    .action(async (flags: CollectFlags) => {
      const [{ startRun }, { collectBugReport }, { collectItems }] = await Promise.all([
        import('../workflows/runtime.js'),
        import('../workflows/collect.js'),
        import('../domain/day2/collect.js'),
      ]);
      const outputDir = resolve(io.cwd, flags.outputDir);
      // Checked before any host is contacted: a report that cannot be written is not collected.
      try {
        mkdirSync(outputDir, { recursive: true });
        accessSync(outputDir, constants.W_OK);
      } catch (err) {
        throw new InputError([
          `--output-dir ${outputDir}: cannot write there (${(err as NodeJS.ErrnoException).code ?? 'error'}); choose a directory you can write to`,
        ]);
      }
      const run = await startRun('collect', flags, io);
      // --timeout caps every command's own limit.
      const items = collectItems({ journalHours: flags.sinceHours }).map((item) => ({
        ...item,
        timeoutMs: Math.min(item.timeoutMs, flags.timeout * 1000),
      }));
      const outcome = await run.settle(
        collectBugReport(run.session, {
          items,
          outputDir,
          become: () => true,
        }),
      );
      const ok = await run.finish();
      if (flags.output === 'json') {
        io.stdout.write(
          `${JSON.stringify({ type: 'collect', archive: outcome.archive, hosts: outcome.hosts })}\n`,
        );
      } else {
        const missing = outcome.hosts.filter((h) => !h.reached).map((h) => h.host);
        io.stdout.write(
          `Archive: ${outcome.archive}` +
            (missing.length > 0 ? ` (without ${missing.join(', ')}: see their not-collected.txt)` : '') +
            '\n',
        );
      }
      setExit(ok ? EXIT_OK : EXIT_FAILED);
    });
}
