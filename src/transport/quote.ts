// The one place where values become shell words. Every command that carries a value from the
// inventory or from facts is built here, so quoting rules cannot drift between call sites.
import shellQuote from 'shell-quote';

/** Quotes each argument for a POSIX shell and joins them. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}

export function quoteArg(arg: string): string {
  // No shell word can hold a NUL: the remote side would cut the command there, silently.
  if (arg.includes('\0')) throw new Error('a shell word cannot hold a NUL character');
  if (arg === '') return "''";
  return shellQuote.quote([arg]);
}

/** `sh -c '<script>'`, so the remote login shell (which may be fish or csh) never parses our syntax. */
export function posixShell(script: string): string {
  return `sh -c ${quoteArg(script)}`;
}
