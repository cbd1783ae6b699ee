// Several read-only commands in one round trip: a sh script runs them side by side (a host's answer takes as
// long as its slowest command, not the sum: snap, lxc and the microcluster CLIs each take tens to hundreds of
// ms), then prints each command's stdout and stderr, in order, between markers that carry a one-time nonce
// and the command's exit status, so one command's output can never be taken for another's. Pure: builds the
// script and splits what it printed.

export interface FramedCommand {
  name: string;
  command: string;
  /** false: stderr goes to the script's own stderr instead of the frame. Default true. */
  keepStderr?: boolean;
  /** Runs only when the shell variable is 1; otherwise its frame says exit 127 and `otherwise` on stderr. */
  guard?: { variable: string; otherwise: string };
}

/**
 * Each command's own limit: these are read-only questions that answer in well under a second, so a command
 * still running after this many seconds is hung (a stopped daemon whose socket accepts but never answers),
 * and the host's other answers must not wait for it.
 */
export const FACT_TIMEOUT_SECONDS = 10;
/** The exit status of a command that ran out of its time (coreutils timeout's). */
export const TIMED_OUT_EXIT = 124;

/** What a command that ran out of its time says. */
export function timedOutMessage(seconds: number = FACT_TIMEOUT_SECONDS): string {
  return `timed out after ${seconds} s`;
}

export interface FramedOptions {
  /**
   * Shell lines run before the commands, to set their guards. They may use `$mc_d`, a scratch directory
   * that the script removes when it ends.
   */
  prelude?: string[];
  /** Each command's limit; default FACT_TIMEOUT_SECONDS. */
  timeoutSeconds?: number;
}

const NAME = /^\w+$/;

/** How the script ends when the host gives it no scratch directory (a full or read-only /tmp). */
export const NO_SCRATCH_EXIT = 125;
const NO_SCRATCH_MESSAGE =
  'cannot create a scratch directory in ${TMPDIR:-/tmp} (mktemp -d failed): check that it is writable and has free space';

/** A shell literal: single quotes, each embedded one closed, escaped and reopened. */
const literal = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

export function framedScript(
  commands: readonly FramedCommand[],
  nonce: string,
  options: FramedOptions = {},
): string {
  const marker = `@@MC-${nonce}`;
  const lines = [
    // Nothing may read the channel's stdin.
    'exec </dev/null',
    `mc_d=$(mktemp -d "\${TMPDIR:-/tmp}/mc-read.XXXXXX" 2>/dev/null) || { echo "${NO_SCRATCH_MESSAGE}" >&2; exit ${NO_SCRATCH_EXIT}; }`,
    `trap 'rm -rf "$mc_d"' EXIT`,
    `trap 'exit 143' HUP INT TERM`,
    ...(options.prelude ?? []),
  ];
  const width = String(commands.length).length;
  const seconds = options.timeoutSeconds ?? FACT_TIMEOUT_SECONDS;
  for (const [index, { name, command: text, keepStderr = true, guard }] of commands.entries()) {
    if (!NAME.test(name)) throw new Error(`framed command name ${JSON.stringify(name)} must be a word`);
    // Its own limit: TERM when it is up, KILL 2 s later (timeout signals the command's whole process group).
    // Exit status 124 then, and the frame's stderr says so in words.
    const command = `timeout -k 2 ${seconds} sh -c ${literal(text)}`;
    const timedOut = `if [ "$mc_rc" = ${TIMED_OUT_EXIT} ]; then mc_err=${literal(timedOutMessage(seconds))}; fi`;
    // Each command writes its whole frame to a file of its own; the files are printed in order at the end,
    // by one `cat`. Inside, fd 3 is the frame, so that stdout goes there while stderr is captured. A leading
    // newline keeps the END marker on a line of its own when output lacks a final newline; a command killed
    // before its end leaves no END marker, so it did not run to its end.
    const run = keepStderr
      ? `mc_err=$( { ${command}
} 2>&1 1>&3 3>&-); mc_rc=$?; ${timedOut}`
      : `{ ${command}
} 3>&-; mc_rc=$?`;
    const guarded =
      guard === undefined
        ? run
        : `if [ "$${guard.variable}" = 1 ]; then ${run}; else mc_err=${literal(guard.otherwise)}; mc_rc=127; fi`;
    const frame = [
      `printf '%s BEGIN ${name}\\n' '${marker}'`,
      guarded,
      `printf '\\n%s END ${name} %s\\n' '${marker}' "$mc_rc"`,
      ...(keepStderr || guard !== undefined
        ? [`printf '%s STDERR ${name}\\n%s\\n%s END-STDERR ${name}\\n' '${marker}' "$mc_err" '${marker}'`]
        : []),
    ];
    lines.push(`( exec 3>&1; ${frame.join('; ')} ) >"$mc_d/${String(index).padStart(width, '0')}" &`);
  }
  lines.push('wait');
  if (commands.length > 0) lines.push('cat "$mc_d"/*');
  return lines.join('\n');
}

/** Each command's outputs by name; a command missing from the map did not run to its end. */
export function splitFramed(stdout: string, nonce: string): Map<string, FramedOutput> {
  const marker = `@@MC-${nonce}`;
  const sections = new Map<string, FramedOutput>();
  const body = new RegExp(`^${marker} BEGIN (\\w+)\\n([\\s\\S]*?)\\n${marker} END \\1 (\\d+)$`, 'gm');
  for (const match of stdout.matchAll(body)) {
    sections.set(match[1] ?? '', { stdout: match[2] ?? '', exitCode: Number(match[3]), stderr: '' });
  }
  const errors = new RegExp(`^${marker} STDERR (\\w+)\\n([\\s\\S]*?)\\n${marker} END-STDERR \\1$`, 'gm');
  for (const match of stdout.matchAll(errors)) {
    const section = sections.get(match[1] ?? '');
    if (section !== undefined) section.stderr = match[2] ?? '';
  }
  return sections;
}

export interface FramedOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}
