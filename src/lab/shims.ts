// Simulated programs appear on a lab host as small sh wrappers around shim.py in a directory on PATH.
import { chmodSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quoteArg } from '../transport/quote.js';

export const SHIM_PATH = fileURLToPath(new URL('./embedded/shim.py', import.meta.url));

/** The system's Python, by absolute path: a host's PATH is minimal (sudo's secure_path, sshd's default). */
export const SHIM_PYTHON = '/usr/bin/python3';

/** A program that runs the shim: -I ignores the caller's PYTHON* variables, -S skips site (start-up time). */
export function writeShim(path: string, program: string): void {
  if (!existsSync(SHIM_PYTHON)) {
    throw new Error(`the lab's program shims need ${SHIM_PYTHON} (Debian: apt-get install python3)`);
  }
  writeFileSync(
    path,
    `#!/bin/sh\nexec ${SHIM_PYTHON} -I -S ${quoteArg(SHIM_PATH)} ${quoteArg(program)} "$@"\n`,
  );
  chmodSync(path, 0o755);
}

/** Makes binDir hold exactly `programs` as shims, leaving the names in `keep` alone. */
export function syncShims(binDir: string, programs: readonly string[], keep: readonly string[] = []): void {
  const wanted = new Set(programs);
  for (const entry of readdirSync(binDir)) {
    if (!keep.includes(entry) && !wanted.has(entry)) rmSync(join(binDir, entry), { force: true });
  }
  for (const program of wanted) {
    const path = join(binDir, program);
    if (!existsSync(path)) writeShim(path, program);
  }
}
