// Long remote commands that outlive mc when its link is cut (a joiner's `lxd init --preseed` goes on after
// mc gave up on the host): mc records the pid of each one it starts, and the next run ends the one it left
// behind before it starts another, as form-microcloud.ts does for `microcloud preseed`. Only a pid mc
// recorded, only while that process still runs the recorded command, then its process group (the one mc's
// command wrapper made), TERM first, KILL after a grace.
import { quoteArg, shellJoin } from '../../transport/quote.js';
import { StepError, type Remote } from './remote.js';

export interface RecordedCommand {
  /** The pid file's name under `${MC_LOCK_DIR:-/run/lock}`. */
  pidFile: string;
  /** The command as it is exec'd: its /proc/PID/cmdline must read the same for mc to end it. */
  argv: readonly string[];
}

/** Grace after TERM before KILL, in seconds; the whole check stays well inside its command timeout. */
const GRACE_S = 5;
const END_TIMEOUT_MS = 30_000;

const pidPath = (command: Pick<RecordedCommand, 'pidFile'>): string =>
  `"\${MC_LOCK_DIR:-/run/lock}/${command.pidFile}"`;

/**
 * The command line that runs `command` with its pid recorded: its shell writes its own pid and then execs the
 * command, so the pid is the command's. Nothing secret in it: secrets go on stdin.
 */
export function recordedCommandLine(command: RecordedCommand): string {
  return `sh -c ${quoteArg(`echo $$ > ${pidPath(command)} && exec ${shellJoin([...command.argv])}`)}`;
}

/**
 * Script lines that read the recorded pid into `$pid` and go on only while that process still runs `argv`
 * (`exactly`, or `as a prefix` of a longer command line); otherwise they drop the stale record and exit 0.
 */
function recordedPidStillRuns(
  pidFile: string,
  argv: readonly string[],
  match: 'exactly' | 'as a prefix',
): string[] {
  // /proc/PID/cmdline with NULs as spaces ends with one; a path before the program name is allowed, and an
  // interpreter before it (a program that is a script run as `python3 PATH ARGS`, as in the embedded lab).
  const args = quoteArg(`${argv.join(' ')} `);
  const rest = match === 'exactly' ? '' : '*';
  return [
    `f=${pidPath({ pidFile })}`,
    '[ -f "$f" ] || exit 0',
    // The shell's own read: no program between the file and the check.
    'pid=',
    'read -r pid < "$f"',
    'case "$pid" in ""|*[!0-9]*) rm -f "$f"; exit 0 ;; esac',
    `args=$(tr '\\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || args=`,
    'case "$args" in',
    `  ${args}${rest}|*/${args}${rest}|*' '${args}${rest}) ;;`,
    '  *) rm -f "$f"; exit 0 ;;',
    'esac',
  ];
}

/** The script that ends a leftover; prints `ended PID`, `alive PID` (it survived KILL), or nothing. */
export function endLeftoverScript(command: RecordedCommand): string {
  return [
    ...recordedPidStillRuns(command.pidFile, command.argv, 'exactly'),
    `pgid=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f3)`,
    'case "$pgid" in ""|*[!0-9]*|0|1) target=$pid ;; *) target=-$pgid ;; esac',
    // dash's kill takes no `--`: a negative number is the group.
    'kill -TERM "$target" 2>/dev/null',
    'i=0',
    `while kill -0 "$pid" 2>/dev/null && [ $i -lt ${GRACE_S} ]; do sleep 1; i=$((i + 1)); done`,
    'kill -0 "$pid" 2>/dev/null && kill -KILL "$target" 2>/dev/null && sleep 1',
    'if kill -0 "$pid" 2>/dev/null; then echo "alive $pid"; exit 0; fi',
    'rm -f "$f"',
    'echo "ended $pid"',
  ].join('\n');
}

/**
 * Ends the `command` an earlier mc run started on the step's host and left running, with a warning naming
 * the host and the pid; fails the step when it survives TERM and KILL.
 */
export async function endLeftover(remote: Remote, command: RecordedCommand): Promise<void> {
  const result = await remote.run(`sh -c ${quoteArg(endLeftoverScript(command))}`, {
    quiet: true,
    timeoutMs: END_TIMEOUT_MS,
  });
  const name = command.argv.join(' ');
  const alive = /^alive (\d+)$/m.exec(result.stdout);
  if (alive !== null) {
    throw new StepError(
      `\`${name}\` an earlier mc run started (pid ${alive[1] ?? '?'}) did not end on TERM and KILL`,
      `check that process on ${remote.host}, then run mc deploy again`,
    );
  }
  const ended = /^ended (\d+)$/m.exec(result.stdout);
  if (ended !== null) {
    remote.session.bus.emit({
      type: 'warning',
      host: remote.host,
      message: `ended \`${name}\` (pid ${ended[1] ?? '?'}) left running by an earlier mc run`,
    });
  }
}

/**
 * The script that waits, up to `seconds`, for a leftover whose command line starts with `prefix` to end by
 * itself; prints `waited PID` when it ended meanwhile, `alive PID` when it still runs, or nothing.
 */
export function awaitLeftoverScript(pidFile: string, prefix: readonly string[], seconds: number): string {
  return [
    ...recordedPidStillRuns(pidFile, prefix, 'as a prefix'),
    'i=0',
    `while kill -0 "$pid" 2>/dev/null && [ $i -lt ${seconds * 2} ]; do sleep 0.5; i=$((i + 1)); done`,
    'if kill -0 "$pid" 2>/dev/null; then echo "alive $pid"; exit 0; fi',
    'rm -f "$f"',
    'echo "waited $pid"',
  ].join('\n');
}
