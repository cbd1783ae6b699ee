// What a simulated program is, and the argument parsing the real CLIs use (cobra for the micro* tools,
// go-flags for snap) so wrong invocations fail the way they would on a real host.

import type { Machine } from './machine.js';
import type { World } from './world.js';

export interface ProgramContext {
  world: World;
  machine: Machine;
  argv: string[];
  stdin: string;
  env: Record<string, string>;
  /** Effective uid; 0 unless the caller runs without sudo. */
  uid: number;
  /** Whether stdout is a terminal; over `ssh host cmd` it is not, which changes snap's output (§10.1). */
  tty: boolean;
  signal?: AbortSignal;
}

export interface ProgramResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export type Program = (ctx: ProgramContext) => Promise<ProgramResult>;

/** Thrown by a program for a real sub-command the simulator deliberately does not model. */
export class NotModelledError extends Error {
  constructor(readonly what: string) {
    super(`${what} is not modelled by the simulator`);
    this.name = 'NotModelledError';
  }
}

/** Collects stdout/stderr the way Go's fmt.Print* to os.Stdout/os.Stderr would. */
export class Output {
  stdout = '';
  stderr = '';

  println(text = ''): void {
    this.stdout += `${text}\n`;
  }

  print(text: string): void {
    this.stdout += text;
  }

  eprintln(text = ''): void {
    this.stderr += `${text}\n`;
  }

  done(exitCode: number): ProgramResult {
    return { stdout: this.stdout, stderr: this.stderr, exitCode };
  }
}

export function result(stdout: string, stderr = '', exitCode = 0): ProgramResult {
  return { stdout, stderr, exitCode };
}

// ---------------------------------------------------------------------------------------------------------
// Flag parsing.

export interface FlagSpec {
  name: string;
  short?: string;
  type: 'bool' | 'string' | 'int' | 'float';
}

export type FlagValue = string | boolean | number;

export interface ParsedArgs {
  flags: Record<string, FlagValue>;
  /** Flag names in the order they were given (some CLIs care, e.g. --hold with other flags). */
  given: string[];
  positionals: string[];
}

export type FlagError =
  | { kind: 'unknown-flag'; flag: string }
  | { kind: 'unknown-shorthand'; short: string; token: string }
  | { kind: 'missing-value'; flag: string; short: string | null }
  | { kind: 'bad-value'; flag: string; value: string; type: 'int' | 'float' | 'bool' };

/** pflag/cobra parsing: flags may come anywhere, `--` ends them, `--x=v`, `--x v`, `-x v`, `-xv`. */
export function parseFlags(
  args: readonly string[],
  specs: readonly FlagSpec[],
): { ok: true; parsed: ParsedArgs } | { ok: false; error: FlagError } {
  const flags: Record<string, FlagValue> = {};
  const given: string[] = [];
  const positionals: string[] = [];
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const assign = (spec: FlagSpec, raw: string | true): FlagError | null => {
    given.push(spec.name);
    if (spec.type === 'bool') {
      if (raw === true) flags[spec.name] = true;
      else if (['true', '1', 't', 'T', 'TRUE', 'True'].includes(raw)) flags[spec.name] = true;
      else if (['false', '0', 'f', 'F', 'FALSE', 'False'].includes(raw)) flags[spec.name] = false;
      else return { kind: 'bad-value', flag: spec.name, value: raw, type: 'bool' };
      return null;
    }
    const text = raw === true ? '' : raw;
    if (spec.type === 'int') {
      if (!/^[-+]?\d+$/.test(text)) return { kind: 'bad-value', flag: spec.name, value: text, type: 'int' };
      flags[spec.name] = Number(text);
    } else if (spec.type === 'float') {
      if (text.trim() === '' || Number.isNaN(Number(text))) {
        return { kind: 'bad-value', flag: spec.name, value: text, type: 'float' };
      }
      flags[spec.name] = Number(text);
    } else {
      flags[spec.name] = text;
    }
    return null;
  };
  for (let i = 0; i < args.length; i++) {
    const token = args[i] as string;
    if (token === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (token.startsWith('--') && token.length > 2) {
      const eq = token.indexOf('=');
      const name = token.slice(2, eq < 0 ? undefined : eq);
      const spec = byName.get(name);
      if (!spec) return { ok: false, error: { kind: 'unknown-flag', flag: `--${name}` } };
      let raw: string | true;
      if (eq >= 0) raw = token.slice(eq + 1);
      else if (spec.type === 'bool') raw = true;
      else {
        const next = args[i + 1];
        if (next === undefined)
          return { ok: false, error: { kind: 'missing-value', flag: name, short: null } };
        raw = next;
        i++;
      }
      const error = assign(spec, raw);
      if (error) return { ok: false, error };
      continue;
    }
    if (token.startsWith('-') && token.length > 1) {
      // Shorthand cluster: -xyz or -fVALUE.
      for (let j = 1; j < token.length; j++) {
        const short = token[j] as string;
        const spec = byShort.get(short);
        if (!spec) return { ok: false, error: { kind: 'unknown-shorthand', short, token } };
        if (spec.type === 'bool') {
          const error = assign(spec, true);
          if (error) return { ok: false, error };
          continue;
        }
        let raw = token.slice(j + 1);
        if (raw.startsWith('=')) raw = raw.slice(1);
        if (raw === '') {
          const next = args[i + 1];
          if (next === undefined)
            return { ok: false, error: { kind: 'missing-value', flag: spec.name, short } };
          raw = next;
          i++;
        }
        const error = assign(spec, raw);
        if (error) return { ok: false, error };
        break;
      }
      continue;
    }
    positionals.push(token);
  }
  return { ok: true, parsed: { flags, given, positionals } };
}

/** pflag's error texts, which cobra prints after `Error: `. */
export function cobraFlagError(error: FlagError): string {
  switch (error.kind) {
    case 'unknown-flag':
      return `unknown flag: ${error.flag}`;
    case 'unknown-shorthand':
      return `unknown shorthand flag: '${error.short}' in ${error.token}`;
    case 'missing-value':
      return error.short === null
        ? `flag needs an argument: --${error.flag}`
        : `flag needs an argument: '${error.short}' in -${error.short}`;
    case 'bad-value': {
      const parser =
        error.type === 'int'
          ? 'strconv.ParseInt'
          : error.type === 'float'
            ? 'strconv.ParseFloat'
            : 'strconv.ParseBool';
      return `invalid argument "${error.value}" for "--${error.flag}" flag: ${parser}: parsing "${error.value}": invalid syntax`;
    }
  }
}

export function stringFlag(parsed: ParsedArgs, name: string, fallback = ''): string {
  const value = parsed.flags[name];
  return typeof value === 'string' ? value : fallback;
}

export function boolFlag(parsed: ParsedArgs, name: string): boolean {
  return parsed.flags[name] === true;
}

export function numberFlag(parsed: ParsedArgs, name: string, fallback: number): number {
  const value = parsed.flags[name];
  return typeof value === 'number' ? value : fallback;
}

// ---------------------------------------------------------------------------------------------------------
// Cobra command trees.

export interface CobraCommand {
  /** Path below the root, e.g. `cluster join`. */
  path: string;
  use: string;
  short: string;
  flags: FlagSpec[];
  run: (parsed: ParsedArgs, out: Output) => Promise<number>;
}

export interface CobraApp {
  name: string;
  /** What `--version` prints. */
  version: string;
  /** Flags every command accepts (cobra persistent flags). */
  globalFlags: FlagSpec[];
  commands: CobraCommand[];
  /** microcloud prints errors as `⨯ Error: …` through its own writer (§6, tui.ColorErr). */
  errorPrefix: string;
}

function helpText(app: CobraApp, command: CobraCommand | null, path: string): string {
  const children = app.commands
    .filter((c) => c.path.startsWith(path === '' ? '' : `${path} `) && c.path !== path)
    .map((c) => c.path.slice(path === '' ? 0 : path.length + 1))
    .filter((rest) => !rest.includes(' '));
  const lines: string[] = [];
  if (command)
    lines.push(
      command.short,
      '',
      'Usage:',
      `  ${app.name} ${path.split(' ').slice(0, -1).concat(command.use).join(' ').trim()} [flags]`,
    );
  else {
    lines.push('Usage:', `  ${[app.name, path].filter(Boolean).join(' ')} [command]`);
  }
  if (children.length > 0) {
    lines.push('', 'Available Commands:');
    for (const child of [...new Set(children)].sort()) lines.push(`  ${child}`);
  }
  const flags = [...(command?.flags ?? []), ...app.globalFlags];
  if (flags.length > 0) {
    lines.push('', 'Flags:');
    for (const flag of flags) lines.push(`  ${flag.short ? `-${flag.short}, ` : '    '}--${flag.name}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Runs argv against a cobra app: command lookup, flag parsing, `Error: …` reporting, exit codes. */
export async function runCobra(app: CobraApp, args: readonly string[]): Promise<ProgramResult> {
  const out = new Output();
  const words: string[] = [];
  for (const token of args) {
    if (token.startsWith('-')) break;
    words.push(token);
  }
  // Longest command path that prefixes the leading words.
  let command: CobraCommand | null = null;
  for (const candidate of app.commands) {
    const parts = candidate.path.split(' ');
    if (
      parts.every((part, i) => words[i] === part) &&
      (!command || parts.length > command.path.split(' ').length)
    ) {
      command = candidate;
    }
  }
  const consumed = command ? command.path.split(' ').length : 0;
  const groupPath = words.slice(0, consumed).join(' ');
  if (!command) {
    // A group (e.g. `cluster`) or an unknown word: find the deepest known group prefix.
    let depth = 0;
    while (
      depth < words.length &&
      app.commands.some(
        (c) =>
          c.path
            .split(' ')
            .slice(0, depth + 1)
            .join(' ') === words.slice(0, depth + 1).join(' '),
      )
    ) {
      depth++;
    }
    const parent = words.slice(0, depth).join(' ');
    if (args.includes('--version') && depth === 0) {
      out.println(app.version);
      return out.done(0);
    }
    if (depth < words.length) {
      const where = [app.name, parent].filter(Boolean).join(' ');
      out.eprintln(`${app.errorPrefix}unknown command "${words[depth] as string}" for "${where}"`);
      out.eprintln(`Run '${where} --help' for usage.`);
      return out.done(1);
    }
    out.print(helpText(app, null, parent));
    return out.done(0);
  }
  const parsed = parseFlags(args.slice(consumed), [...command.flags, ...app.globalFlags]);
  if (!parsed.ok) {
    out.eprintln(`${app.errorPrefix}${cobraFlagError(parsed.error)}`);
    return out.done(1);
  }
  if (parsed.parsed.flags['help'] === true) {
    out.print(helpText(app, command, groupPath));
    return out.done(0);
  }
  const code = await command.run(parsed.parsed, out);
  return out.done(code);
}

/** cobra's `return cmd.Help()` for wrong argument counts: prints help, exits 0. */
export function cobraHelp(app: CobraApp, command: CobraCommand, out: Output): number {
  out.print(helpText(app, command, command.path));
  return 0;
}

/** Prints a command error the way the app's main does and returns exit code 1. */
export function cobraFail(app: CobraApp, out: Output, message: string): number {
  out.eprintln(`${app.errorPrefix}${message}`);
  return 1;
}

/** Go's time.ParseDuration (`3h`, `90m`, `1h30m`, `10s`), returning ms or Go's error text. */
export function parseGoDuration(text: string): { ok: true; ms: number } | { ok: false; error: string } {
  const quoted = JSON.stringify(text);
  if (text === '0') return { ok: true, ms: 0 };
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const body = text.replace(/^[-+]/, '');
  if (body === '') return { ok: false, error: `time: invalid duration ${quoted}` };
  let total = 0;
  let rest = body;
  while (rest !== '') {
    const match = /^(\d+(?:\.\d*)?|\.\d+)([a-zµ]*)/.exec(rest);
    if (!match?.[1]) return { ok: false, error: `time: invalid duration ${quoted}` };
    const unit = match[2] ?? '';
    if (unit === '') return { ok: false, error: `time: missing unit in duration ${quoted}` };
    const factor = units[unit];
    if (factor === undefined)
      return { ok: false, error: `time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}` };
    total += Number(match[1]) * factor;
    rest = rest.slice(match[0].length);
  }
  return { ok: true, ms: text.startsWith('-') ? -total : total };
}
