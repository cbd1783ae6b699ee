// Simulated programs appear on a lab host as small sh wrappers around shim.pl in a directory on PATH.
import { chmodSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quoteArg } from '../transport/quote.js';

export const SHIM_PATH = fileURLToPath(new URL('./embedded/shim.pl', import.meta.url));

/** The system's Perl (Debian's perl-base), by absolute path: a host's PATH is minimal (sudo's secure_path). */
export const SHIM_PERL = '/usr/bin/perl';

/** A program that runs the shim, without the caller's PERL* variables (they could load modules or change I/O). */
export function writeShim(path: string, program: string): void {
  if (!existsSync(SHIM_PERL)) {
    throw new Error(`the lab's program shims need ${SHIM_PERL} (Debian: apt-get install perl-base)`);
  }
  writeFileSync(
    path,
    '#!/bin/sh\nunset PERL5OPT PERL5LIB PERLLIB PERL_UNICODE\n' +
      `exec ${SHIM_PERL} ${quoteArg(SHIM_PATH)} ${quoteArg(program)} "$@"\n`,
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
