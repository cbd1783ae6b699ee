// The mc program: commands wired to IO, and the mapping from outcomes to exit statuses.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { InputError } from './domain/input-error.js';
import { showValue } from './domain/input/echo.js';

/** Characters of one error line: a few KiB, whatever a message quotes. */
const MAX_ERROR_LINE = 4096;
import { collectCommand } from './commands/collect.js';
import { EXIT_FAILED, EXIT_INPUT } from './commands/errors.js';
import { deployCommand, planCommand } from './commands/deploy.js';
import { inventoryCommand } from './commands/inventory.js';
import { labCommand } from './commands/lab.js';
import { pingCommand } from './commands/ping.js';
import { preseedCommand } from './commands/preseed.js';
import { probeCommand } from './commands/probe.js';
import { playbookCommand } from './commands/playbook.js';
import { removeCommand } from './commands/remove.js';
import { resetCommand } from './commands/reset.js';
import { upgradeCommand } from './commands/upgrade.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import type { Io } from './workflows/runtime.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('mc')
    .description('Deploy a MicroCloud (LXD, MicroCeph, MicroOVN) over SSH from a host inventory')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run mc help <command> for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  program.addCommand(inventoryCommand(io, setExit));
  program.addCommand(pingCommand(io, setExit));
  program.addCommand(runCommand(io, setExit));
  program.addCommand(playbookCommand(io, setExit));
  program.addCommand(probeCommand(io, setExit));
  program.addCommand(planCommand(io, setExit));
  program.addCommand(deployCommand(io, setExit));
  program.addCommand(preseedCommand(io, setExit));
  program.addCommand(statusCommand(io, setExit));
  program.addCommand(removeCommand(io, setExit));
  program.addCommand(resetCommand(io, setExit));
  program.addCommand(upgradeCommand(io, setExit));
  program.addCommand(collectCommand(io, setExit));
  program.addCommand(labCommand(io, setExit, main));
  // Every (sub)command reports usage errors through us, never by calling process.exit itself.
  const wire = (command: Command): void => {
    for (const sub of command.commands) {
      sub.exitOverride().configureOutput(program.configureOutput());
      wire(sub);
    }
  };
  wire(program);
  return program;
}

export async function main(argv: string[], io: Io): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version end here with code 0; usage errors were already printed by commander.
      return err.exitCode === 0 ? 0 : EXIT_INPUT;
    }
    if (err instanceof InputError) {
      // Lines quote the user's input: escaped, and bounded even when a message forgot to cut a value.
      for (const line of err.lines) io.stderr.write(`mc: ${showValue(line, MAX_ERROR_LINE)}\n`);
      return EXIT_INPUT;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`mc: ${showValue(message, MAX_ERROR_LINE)}\n`);
    if (io.env.MC_DEBUG !== undefined && err instanceof Error && err.stack !== undefined) {
      io.stderr.write(`${err.stack}\n`);
    }
    return EXIT_FAILED;
  }
}
