#!/usr/bin/env node
// mc: deploy a MicroCloud over SSH from a host inventory.
import { EXIT_INTERRUPTED } from './commands/errors.js';
import { main } from './program.js';
import type { Io } from './workflows/runtime.js';

const interruptHandlers: (() => void)[] = [];
let interrupted = false;
const io: Io = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  onInterrupt: (handler) => interruptHandlers.push(handler),
};
process.once('SIGINT', () => {
  interrupted = true;
  for (const handler of interruptHandlers) handler();
  io.stderr.write('\nmc: interrupted; running commands were sent SIGINT\n');
  // Give the INT signals and the log a moment to leave before the process goes.
  setTimeout(() => process.exit(EXIT_INTERRUPTED), 200).unref();
});
const code = await main(process.argv.slice(2), io);
process.exitCode = interrupted ? EXIT_INTERRUPTED : code;
