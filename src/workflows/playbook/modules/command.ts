// command, shell and raw: Ansible's result keys (rc, stdout, stderr, *_lines, cmd), creates/removes, chdir,
// check mode skipped unless creates/removes decide it, output streamed live.
import { splitShellWords } from '../../../domain/inventory/shell-words.js';
import { quoteArg, shellJoin } from '../../../transport/quote.js';
import { ModuleError, bool, lines, text } from './types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';

function argvOf(args: Record<string, unknown>): string[] {
  if (Array.isArray(args.argv)) return args.argv.map(text);
  const raw = text(args.cmd ?? args._raw_params);
  const split = splitShellWords(raw);
  if (!split.ok) throw new ModuleError(`cannot split the command: ${split.error}`);
  return split.words.map((w) => w.text);
}

async function exists(ctx: ModuleContext, path: string, chdir: string | undefined): Promise<boolean> {
  const where = chdir === undefined ? '' : `cd ${quoteArg(chdir)} && `;
  return (await ctx.run(`${where}test -e ${quoteArg(path)}`)).code === 0;
}

async function runCommand(
  ctx: ModuleContext,
  args: Record<string, unknown>,
  shown: string | string[],
  wire: string,
): Promise<ModuleResult> {
  const chdir = args.chdir === undefined ? undefined : text(args.chdir);
  if (args.creates !== undefined && (await exists(ctx, text(args.creates), chdir))) {
    return {
      changed: false,
      cmd: shown,
      rc: 0,
      stdout: `skipped, since ${text(args.creates)} exists`,
      stdout_lines: [`skipped, since ${text(args.creates)} exists`],
      stderr: '',
      stderr_lines: [],
      msg: "Did not run command since '" + text(args.creates) + "' exists",
    };
  }
  if (args.removes !== undefined && !(await exists(ctx, text(args.removes), chdir))) {
    return {
      changed: false,
      cmd: shown,
      rc: 0,
      stdout: `skipped, since ${text(args.removes)} does not exist`,
      stdout_lines: [`skipped, since ${text(args.removes)} does not exist`],
      stderr: '',
      stderr_lines: [],
      msg: "Did not run command since '" + text(args.removes) + "' does not exist",
    };
  }
  if (ctx.check) return { changed: false, skipped: true, msg: 'Command would have run if not in check mode' };
  const where = chdir === undefined ? '' : `cd ${quoteArg(chdir)} && `;
  const stdin =
    args.stdin === undefined
      ? undefined
      : `${text(args.stdin)}${bool(args.stdin_add_newline, true) ? '\n' : ''}`;
  const result = await ctx.run(`${where}${wire}`, {
    stream: true,
    ...(stdin === undefined ? {} : { stdin }),
  });
  const strip = bool(args.strip_empty_ends, true);
  const stdout = strip ? result.stdout.replace(/\n+$/, '') : result.stdout;
  const stderr = strip ? result.stderr.replace(/\n+$/, '') : result.stderr;
  const rc = result.code ?? -1;
  const out: ModuleResult = {
    changed: true,
    cmd: shown,
    rc,
    stdout,
    stderr,
    stdout_lines: lines(stdout),
    stderr_lines: lines(stderr),
  };
  if (rc !== 0) {
    out.failed = true;
    out.msg = result.code === null ? `killed by ${result.signal ?? 'a signal'}` : 'non-zero return code';
  }
  return out;
}

export const command: Module = (ctx, args) => {
  const argv = argvOf(args);
  if (argv.length === 0) throw new ModuleError('no command given');
  return runCommand(ctx, args, argv, shellJoin(argv));
};

export const shell: Module = (ctx, args) => {
  const script = text(args.cmd ?? args._raw_params);
  const executable = args.executable === undefined ? '/bin/sh' : text(args.executable);
  return runCommand(ctx, args, script, `${quoteArg(executable)} -c ${quoteArg(script)}`);
};

/** raw: the text as the login shell reads it, no creates/removes; check mode skips it. */
export const raw: Module = async (ctx, args) => {
  if (ctx.check) return { changed: false, skipped: true, msg: 'raw does not support check mode' };
  const script = text(args._raw_params);
  const wire =
    args.executable === undefined ? script : `${quoteArg(text(args.executable))} -c ${quoteArg(script)}`;
  const result = await ctx.run(wire, { stream: true });
  const rc = result.code ?? -1;
  const out: ModuleResult = {
    changed: true,
    rc,
    stdout: result.stdout,
    stderr: result.stderr,
    stdout_lines: lines(result.stdout),
    stderr_lines: lines(result.stderr),
  };
  if (rc !== 0) {
    out.failed = true;
    out.msg = 'non-zero return code';
  }
  return out;
};
