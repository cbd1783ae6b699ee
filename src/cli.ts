#!/usr/bin/env node
// mc: deploy a MicroCloud over SSH from a host inventory.
import { EXIT_INTERRUPTED } from './commands/errors.js';
import { main } from './program.js';
import type { Io } from './workflows/runtime.js';

const io: Io = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
};
process.once('SIGINT', () => {
  io.stderr.write('\nmc: interrupted\n');
  process.exit(EXIT_INTERRUPTED);
});
process.exitCode = await main(process.argv.slice(2), io);
