// Stopping a remote command. sshd refuses channel signals for root sessions ("session signalling
// requires privilege separation") and, without a pty, nothing dies with a closed channel. So every
// command runs in its own process group under this POSIX sh wrapper, which reports the group on
// stderr behind a one-time marker; mc stops the command by running `kill -SIG -PGID` on a second
// channel. stdin, output and exit status pass through (a command killed by a signal makes the wrapper
// die of the same signal, or is the wrapper, exec'd).
import { randomBytes } from 'node:crypto';
import { quoteArg } from './quote.js';

const WRAPPER = [
  // sshd starts a session's command as the leader of a session and process group of its own, and a
  // login shell given one command execs it, so this sh usually leads its group already: then the
  // command takes its place (one exec: no fork, setsid or env to pay on the host), with the real stdin,
  // its own exit status or signal, and INT and QUIT as sshd left them. Field 5 of /proc/PID/stat is the
  // process group; where that does not hold (under sudo, or /proc unreadable), the general way follows.
  'read -r _ _ _ _ pgid _ 2>/dev/null </proc/$$/stat',
  'if [ "$pgid" = "$$" ]; then echo "$2 $$" >&2; exec "${SHELL:-/bin/sh}" -c "$1"; fi',
  'exec 3<&0', // an asynchronous command would get /dev/null as stdin: keep the real one on fd 3
  // sh starts background commands with INT and QUIT ignored, which no shell can undo: env can
  // (coreutils 8.31+: Ubuntu 22.04 and later, Debian 11 and later).
  'setsid env --default-signal=INT,QUIT "${SHELL:-/bin/sh}" -c "$1" <&3 3<&- &',
  'pid=$!',
  'exec 3<&-',
  'echo "$2 $pid" >&2',
  'wait $pid; rc=$?',
  'if [ $rc -gt 128 ]; then kill -$((rc - 128)) $$; fi',
  'exit $rc',
].join('\n');

export class ProcessGroupCommand {
  private readonly marker = `MC-PGID-${randomBytes(6).toString('hex')}`;
  /** Known once the wrapper has reported it. */
  pgid: number | undefined;

  constructor(readonly command: string) {}

  /** The command, run by the user's login shell ($SHELL) in a new process group. */
  get wire(): string {
    return `sh -c ${quoteArg(WRAPPER)} mc ${quoteArg(this.command)} ${this.marker}`;
  }

  /** Takes the marker line out of the stderr stream; true when the line was ours. */
  consumeStderrLine(line: string): boolean {
    if (this.pgid !== undefined || !line.startsWith(`${this.marker} `)) return false;
    this.pgid = Number(line.slice(this.marker.length + 1));
    return true;
  }

  cleanStderr(text: string): string {
    return text.replace(new RegExp(`^${this.marker} \\d+\\n`, 'm'), '');
  }

  /** The command that signals the whole group, or undefined before the group is known. */
  killCommand(signal: 'INT' | 'TERM' | 'KILL'): string | undefined {
    // No `--`: dash (sh on Debian and Ubuntu, which runs it under sudo) rejects it ("Illegal number: -"),
    // and after the signal name both dash and bash read -PGID as a process group.
    return this.pgid === undefined ? undefined : `kill -${signal} -${this.pgid} 2>/dev/null || true`;
  }
}
