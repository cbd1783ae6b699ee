// The cobra command tree shared by `lxc` and `lxd` (LXD 5.21): nested commands with aliases, persistent
// and local flags parsed like pflag, cobra's Find (flags may precede sub-commands), `unknown command`
// errors with cobra's suggestions on the root (legacyArgs, SuggestionsMinimumDistance 2), NoArgs on
// groups (lxc's cobra#706 workaround), and lxc's CheckArgs (help on stdout; `Invalid number of arguments`
// unless no argument was given). Help text is abbreviated: usage line, sub-commands and flags.

import {
  NotModelledError,
  cobraFlagError,
  parseFlags,
  type FlagSpec,
  type Output,
  type ParsedArgs,
} from '../program.js';

export interface CliCall {
  /** Positional arguments after the command path. */
  args: string[];
  parsed: ParsedArgs;
  out: Output;
  command: CliCommand;
  /** Words of the command path below the root, e.g. ['cluster', 'add']. */
  path: string[];
}

export interface CliCommand {
  name: string;
  aliases?: readonly string[];
  /** Cobra Use without the name, e.g. `[<remote>:]<pool> <driver> [key=value...]`. */
  use?: string;
  short: string;
  flags?: readonly FlagSpec[];
  children?: readonly CliCommand[];
  /** Throws CliError (or the app's API errors) for `Error: …`; NotModelledError for unmodelled paths. */
  run?: (call: CliCall) => Promise<void> | void;
  /** A real command the simulator does not model. */
  notModelled?: boolean;
  hidden?: boolean;
}

/** An error the CLI itself returns (printed `Error: <message>`, exit 1). */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** CheckArgs asked for help: printed already, exit status decided by the argument count. */
export class HelpShown extends Error {
  constructor(readonly failed: boolean) {
    super(failed ? 'Invalid number of arguments' : 'help');
    this.name = 'HelpShown';
  }
}

export interface CliApp {
  name: string;
  version: string;
  root: CliCommand;
  persistentFlags: readonly FlagSpec[];
  /** Root flags that are not inherited (lxc's --all). */
  rootFlags?: readonly FlagSpec[];
  /** lxd's root takes arbitrary arguments and runs the daemon; lxc's root rejects unknown words. */
  rootArgs: 'legacy' | 'arbitrary';
  /** Converts an error a command threw into the message to print, or null to rethrow. */
  errorMessage: (error: unknown) => string | null;
  /** Runs before every command except help (lxc's PersistentPreRunE). */
  preRun?: (call: CliCall) => void;
}

function commandFlags(app: CliApp, command: CliCommand): FlagSpec[] {
  return [
    ...(command.flags ?? []),
    ...(command === app.root ? (app.rootFlags ?? []) : []),
    ...app.persistentFlags,
  ];
}

function findChild(command: CliCommand, word: string): CliCommand | undefined {
  return command.children?.find((c) => c.name === word || (c.aliases ?? []).includes(word));
}

/** cobra's Find: walks sub-command words, skipping flags (and the values of non-bool flags). */
function find(app: CliApp, argv: readonly string[]): { command: CliCommand; path: string[]; rest: string[] } {
  let command = app.root;
  const path: string[] = [];
  const rest = [...argv];
  let i = 0;
  while (i < rest.length) {
    const token = rest[i] as string;
    if (token === '--') break;
    if (token.startsWith('-') && token.length > 1) {
      const flags = commandFlags(app, command);
      if (!token.includes('=')) {
        const spec = token.startsWith('--')
          ? flags.find((f) => f.name === token.slice(2))
          : token.length === 2
            ? flags.find((f) => f.short === token.slice(1))
            : undefined;
        if (spec && spec.type !== 'bool') i++;
      }
      i++;
      continue;
    }
    const child = findChild(command, token);
    if (!child) break;
    command = child;
    path.push(child.name);
    rest.splice(i, 1);
  }
  return { command, path, rest };
}

/** cobra's stripFlags: the first word that is neither a flag nor a known flag's value. */
function firstWord(app: CliApp, rest: readonly string[]): string | undefined {
  const flags = commandFlags(app, app.root);
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i] as string;
    if (token === '--') return rest[i + 1];
    if (!token.startsWith('-') || token.length === 1) return token;
    if (token.includes('=')) continue;
    const spec = token.startsWith('--')
      ? flags.find((f) => f.name === token.slice(2))
      : token.length === 2
        ? flags.find((f) => f.short === token.slice(1))
        : undefined;
    if (spec && spec.type !== 'bool') i++;
  }
  return undefined;
}

/** Levenshtein distance, case-insensitive as cobra compares suggestions. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d = Array.from({ length: x.length + 1 }, (_, i) => [i, ...new Array<number>(y.length).fill(0)]);
  for (let j = 1; j <= y.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
  }
  return (d[x.length] as number[])[y.length] as number;
}

/** cobra SuggestionsFor: distance ≤ 2 or a prefix of a command name. */
function suggestions(command: CliCommand, typed: string): string {
  const names = (command.children ?? [])
    .filter((c) => !c.hidden)
    .filter((c) => distance(typed, c.name) <= 2 || c.name.toLowerCase().startsWith(typed.toLowerCase()))
    .map((c) => c.name);
  if (names.length === 0) return '';
  return `\n\nDid you mean this?\n${names.map((n) => `\t${n}\n`).join('')}`;
}

/** Abbreviated cobra help: usage, sub-commands and flag names. */
export function helpText(app: CliApp, command: CliCommand, path: readonly string[]): string {
  const full = [app.name, ...path].join(' ');
  const lines: string[] = [];
  if (command.short) lines.push('Description:', `  ${command.short}`, '');
  lines.push('Usage:');
  if (command.run) lines.push(`  ${full}${command.use ? ` ${command.use}` : ''} [flags]`);
  if (command.children && command.children.length > 0) lines.push(`  ${full} [command]`);
  const children = (command.children ?? []).filter((c) => !c.hidden);
  if (children.length > 0) {
    lines.push('', 'Available Commands:');
    const width = Math.max(...children.map((c) => c.name.length));
    for (const child of [...children].sort((a, b) => a.name.localeCompare(b.name)))
      lines.push(`  ${child.name.padEnd(width)}  ${child.short}`);
  }
  const flagLine = (f: FlagSpec): string => `  ${f.short ? `-${f.short}, ` : '    '}--${f.name}`;
  const local = [...(command.flags ?? []), ...(command === app.root ? (app.rootFlags ?? []) : [])];
  if (local.length > 0) lines.push('', 'Flags:', ...local.map(flagLine));
  lines.push('', 'Global Flags:', ...app.persistentFlags.map(flagLine));
  if (children.length > 0)
    lines.push('', `Use "${full} [command] --help" for more information about a command.`);
  return `${lines.join('\n')}\n`;
}

/** lxc's CheckArgs: help on stdout, then an error unless no argument was given. */
export function checkArgs(call: CliCall, app: CliApp, min: number, max: number): void {
  const count = call.args.length;
  if (count < min || (max !== -1 && count > max)) {
    call.out.print(helpText(app, call.command, call.path));
    throw new HelpShown(count !== 0);
  }
}

/** Runs argv (without the program name) and returns the exit code. */
export async function runCli(app: CliApp, argv: readonly string[], out: Output): Promise<number> {
  const { command, path, rest } = find(app, argv);
  if (command.notModelled) throw new NotModelledError([app.name, ...path].join(' '));
  // cobra's Find runs legacyArgs on the root before any flag is parsed: an unknown word wins over a bad flag.
  if (command === app.root && app.rootArgs === 'legacy') {
    const word = firstWord(app, rest);
    if (word !== undefined) {
      out.eprintln(
        `Error: unknown command ${JSON.stringify(word)} for ${JSON.stringify(app.name)}${suggestions(command, word)}`,
      );
      return 1;
    }
  }
  const parsed = parseFlags(rest, commandFlags(app, command));
  if (!parsed.ok) {
    out.eprintln(`Error: ${cobraFlagError(parsed.error)}`);
    return 1;
  }
  const { flags, positionals } = parsed.parsed;
  if (flags['help'] === true) {
    out.print(helpText(app, command, path));
    return 0;
  }
  if (command === app.root && flags['version'] === true) {
    out.println(app.version);
    return 0;
  }
  const call: CliCall = { args: positionals, parsed: parsed.parsed, out, command, path };
  const hasChildren = (command.children ?? []).length > 0;
  if (hasChildren && (!command.run || command === app.root) && positionals.length > 0) {
    const where = [app.name, ...path].join(' ');
    if (command === app.root && app.rootArgs === 'arbitrary' && command.run) {
      // lxd: the daemon command itself refuses unknown words.
    } else {
      const hint = command === app.root ? suggestions(command, positionals[0] as string) : '';
      out.eprintln(
        `Error: unknown command ${JSON.stringify(positionals[0])} for ${JSON.stringify(where)}${hint}`,
      );
      return 1;
    }
  }
  if (!command.run) {
    app.preRun?.(call);
    out.print(helpText(app, command, path));
    return 0;
  }
  try {
    if (command.name !== 'help') app.preRun?.(call);
    await command.run(call);
    return 0;
  } catch (error) {
    if (error instanceof HelpShown) {
      if (!error.failed) return 0;
      out.eprintln('Error: Invalid number of arguments');
      return 1;
    }
    const message = error instanceof CliError ? error.message : app.errorMessage(error);
    if (message === null) throw error;
    out.eprintln(`Error: ${message}`);
    return 1;
  }
}

/** A real command that is outside the model: registering it keeps `unknown command` errors exact. */
export function unmodelled(name: string, short: string, aliases: readonly string[] = []): CliCommand {
  return { name, short, aliases, notModelled: true };
}

/** Reads a string flag. */
export function flagString(call: CliCall, name: string): string {
  const value = call.parsed.flags[name];
  return typeof value === 'string' ? value : '';
}

export function flagBool(call: CliCall, name: string): boolean {
  return call.parsed.flags[name] === true;
}
