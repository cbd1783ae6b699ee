import { Command } from 'commander';
import type { Io } from '../workflows/runtime.js';
import { EXIT_FAILED, EXIT_OK } from './errors.js';
import { connectionOptions } from './options.js';
import type { ConnectionFlags } from './options.js';

export function pingCommand(io: Io, setExit: (code: number) => void): Command {
  return connectionOptions(new Command('ping'))
    .description('connect to every selected host and report OS, architecture, login user and sudo')
    .action(async (flags: ConnectionFlags) => {
      const [{ startRun }, { ping }] = await Promise.all([
        import('../workflows/runtime.js'),
        import('../workflows/ping.js'),
      ]);
      const run = await startRun('ping', flags, io);
      await run.settle(ping(run.session));
      setExit((await run.finish()) ? EXIT_OK : EXIT_FAILED);
    });
}
