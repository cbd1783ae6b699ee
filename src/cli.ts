#!/usr/bin/env node
// mc: deploy a MicroCloud over SSH from a host inventory.
import { EXIT_INTERRUPTED } from './commands/errors.js';
import { main } from './program.js';
import type { Io } from './workflows/runtime.js';

const interruptHandlers: (() => Promise<void>)[] = [];
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
  io.stderr.write('\nmc: interrupted; stopping the commands still running on the hosts\n');
  // A second Ctrl-C, or hosts that do not answer within 5 s, end mc at once.
  process.once('SIGINT', () => process.exit(EXIT_INTERRUPTED));
  setTimeout(() => process.exit(EXIT_INTERRUPTED), 5000).unref();
  void Promise.allSettled(interruptHandlers.map((handler) => handler())).then(() =>
    process.exit(EXIT_INTERRUPTED),
  );
});
// No top-level await: the installed package runs this as a CommonJS bundle (scripts/bundle.mjs).
void main(process.argv.slice(2), io).then((code) => {
  process.exitCode = interrupted ? EXIT_INTERRUPTED : code;
});
