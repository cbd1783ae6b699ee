// Simulated programs appear on a lab host as small sh wrappers around shim.mjs in a directory on PATH.
import { chmodSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quoteArg } from '../transport/quote.js';

export const SHIM_PATH = fileURLToPath(new URL('./embedded/shim.mjs', import.meta.url));

/** A program that runs the shim under this very node binary (an nvm install is not on a host's PATH). */
export function writeShim(path: string, program: string): void {
  writeFileSync(
    path,
    `#!/bin/sh\nexec ${quoteArg(process.execPath)} ${quoteArg(SHIM_PATH)} ${quoteArg(program)} "$@"\n`,
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
