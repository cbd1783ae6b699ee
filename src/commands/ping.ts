import { Command } from 'commander';
import { ping } from '../workflows/ping.js';
import { startRun } from '../workflows/runtime.js';
import type { Io } from '../workflows/runtime.js';
import { EXIT_FAILED, EXIT_OK } from './errors.js';
import { connectionOptions } from './options.js';
import type { ConnectionFlags } from './options.js';

export function pingCommand(io: Io, setExit: (code: number) => void): Command {
  return connectionOptions(new Command('ping'))
    .description('connect to every selected host and report OS, architecture, login user and sudo')
    .action(async (flags: ConnectionFlags) => {
      const run = await startRun('ping', flags, io);
      await ping(run.session);
      setExit((await run.finish()) ? EXIT_OK : EXIT_FAILED);
    });
}
