// mc ping: connect to every selected host and report OS, architecture, login user and sudo.
import { parsePingReport } from '../domain/ping.js';
import type { PingReport } from '../domain/ping.js';
import { posixShell } from '../transport/quote.js';
import type { Session } from './session.js';
import { runPerHost } from './per-host.js';

/** One round trip: what the OS says about itself, and whether passwordless sudo works. */
export const PING_SCRIPT = [
  'echo "kernel=$(uname -s)"',
  'echo "arch=$(uname -m)"',
  'echo "user=$(id -un)"',
  'echo "hostname=$(hostname)"',
  '( . /etc/os-release 2>/dev/null && echo "os=$PRETTY_NAME" )',
  'if [ "$(id -u)" = 0 ]; then echo sudo=root; elif sudo -n true 2>/dev/null; then echo sudo=yes; else echo sudo=no; fi',
].join('; ');

export async function ping(session: Session): Promise<Map<string, PingReport>> {
  const reports = new Map<string, PingReport>();
  await runPerHost(session, 'ping', 'ping', async (host, connection) => {
    const result = await connection.exec(posixShell(PING_SCRIPT), {
      timeoutMs: session.options.commandTimeoutMs,
    });
    if (result.code !== 0)
      throw new Error(`ping script failed with exit ${result.code}: ${result.stderr.trim()}`);
    let report = parsePingReport(result.stdout);
    if (report.sudo === 'no' && session.options.becomePassword !== undefined) {
      // sudo -n said a password is needed; check the one we were given works.
      const check = await connection.exec('true', {
        timeoutMs: session.options.commandTimeoutMs,
        become: true,
      });
      report = { ...report, sudo: check.code === 0 ? 'with-password' : 'no' };
    }
    reports.set(host, report);
    return { summary: describePing(report) };
  });
  return reports;
}

export function describePing(report: PingReport): string {
  const sudo = {
    root: 'no sudo needed',
    yes: 'sudo ok',
    'with-password': 'sudo ok with the become password',
    no: 'no sudo',
  }[report.sudo];
  return `${report.os} ${report.arch}, user ${report.user}, ${sudo}`;
}
