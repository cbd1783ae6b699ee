// Remote commands as deploy steps run them: as root, with the run's timeout, output streamed into the event
// stream under the step's name, and a failure that names the command and what it printed.
import { briefCommand, type Connection, type ExecResult } from '../../transport/connection.js';
import type { Session } from '../session.js';

export class StepError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export interface RemoteOptions {
  stdin?: string;
  /** Don't stream the output: it carries a secret (a join token) that is registered once read. */
  quiet?: boolean;
  /** Return the result even when the command fails. */
  allowFailure?: boolean;
  /** Without sudo: the deploy lock lives in a world-writable directory. */
  unprivileged?: boolean;
  /** Instead of the run's --timeout: a command that drives a whole cluster formation may take longer. */
  timeoutMs?: number;
  /** Stops the command (see Connection.exec). */
  signal?: AbortSignal;
  /** How a failure names the command, when its line is a wrapper around it (a recorded pid). */
  shownAs?: string;
}

export class Remote {
  constructor(
    readonly session: Session,
    readonly host: string,
    readonly step: string,
    private readonly connection: Connection,
  ) {}

  async run(command: string, options: RemoteOptions = {}): Promise<ExecResult> {
    const { bus } = this.session;
    // What mc ran goes to the log file when it fails, never to the screen.
    const logCommand = (): void => bus.emit({ type: 'command', host: this.host, step: this.step, command });
    const result = await this.connection
      .exec(command, {
        timeoutMs: options.timeoutMs ?? this.session.options.commandTimeoutMs,
        become: options.unprivileged !== true,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.shownAs === undefined ? {} : { shownAs: options.shownAs }),
        ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
        ...(options.quiet === true
          ? {}
          : {
              onLine: (stream: 'stdout' | 'stderr', text: string) =>
                bus.emit({ type: 'line', host: this.host, step: this.step, stream, text }),
            }),
      })
      .catch((err: unknown) => {
        logCommand();
        throw err;
      });
    if (result.code !== 0 && options.allowFailure !== true) {
      logCommand();
      const why = result.code === null ? `killed by ${result.signal ?? 'a signal'}` : `exit ${result.code}`;
      const said = errorLines(options.quiet === true ? result.stderr : `${result.stderr}\n${result.stdout}`);
      throw new StepError(
        `\`${options.shownAs ?? briefCommand(command)}\` failed (${why})${said === '' ? '' : `: ${said}`}`,
      );
    }
    return result;
  }
}

/** cobra's `Error: ` (lxc, snap, the microcluster CLIs) and MicroCloud's `⨯ Error: `. */
const ERROR_LINE = /^(?:⨯ )?Error: /;

/**
 * The lines of a failed command's output that say why: its `Error:` lines when it printed any (a usage text
 * around them says nothing), else its last lines; on one line.
 */
export function errorLines(text: string, count = 2): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const errors = lines.filter((l) => ERROR_LINE.test(l));
  return (errors.length > 0 ? errors : lines).slice(-count).join(' / ');
}

/** The longest wait between two polls. */
const POLL_INTERVAL_MAX_MS = 250;

/**
 * Polls `check` until it returns true, for at most `limitMs`: from 100 ms apart up to 250 ms apart. A poll
 * is one command on an open connection, cheap beside a member that is late by up to the interval: each
 * join waits for a member to settle, and those waits are on the deploy's critical path.
 */
export async function waitFor(
  what: string,
  limitMs: number,
  check: () => Promise<boolean>,
  hint?: string,
): Promise<void> {
  const started = Date.now();
  let delay = 100;
  for (;;) {
    if (await check()) return;
    if (Date.now() - started > limitMs) {
      throw new StepError(`timed out after ${Math.round(limitMs / 1000)} s waiting for ${what}`, hint);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 1.5, POLL_INTERVAL_MAX_MS);
  }
}
