import { Command } from 'commander';
import type { Io } from '../workflows/runtime.js';
import { EXIT_FAILED, EXIT_OK } from './errors.js';
import { connectionOptions } from './options.js';
import type { ConnectionFlags } from './options.js';

export function runCommand(io: Io, setExit: (code: number) => void): Command {
  return connectionOptions(new Command('run'))
    .description('run a shell command on every selected host, output streamed live')
    .argument('<command...>', 'the command, after --, run by the login shell as `ssh host command` would')
    .option('-b, --become', 'run it with sudo', false)
    .action(async (words: string[], flags: ConnectionFlags & { become: boolean }) => {
      const [{ startRun }, { runAdHoc }] = await Promise.all([
        import('../workflows/runtime.js'),
        import('../workflows/run.js'),
      ]);
      const command = words.join(' ');
      const run = await startRun(`run ${command}`, flags, io);
      const becomeHosts = new Set(run.hosts.filter((h) => flags.become || h.become).map((h) => h.name));
      await run.settle(
        runAdHoc(run.session, {
          command,
          become: (host) => becomeHosts.has(host),
          timeoutMs: flags.timeout * 1000,
        }),
      );
      setExit((await run.finish()) ? EXIT_OK : EXIT_FAILED);
    });
}
