// Small host facts: /etc/os-release, MemTotal, CPU count, kernel and architecture, the host's clock and its
// name.

import { FactsParseError } from './parse-error.js';

export const OS_RELEASE_COMMAND = 'cat /etc/os-release';
export const MEMINFO_COMMAND = 'cat /proc/meminfo';
export const NPROC_COMMAND = 'nproc';
export const UNAME_COMMAND = 'uname -r -m';
export const CLOCK_COMMAND = 'date +%s.%N';
export const HOSTNAME_COMMAND = 'hostname';

export interface OsRelease {
  /** ID, lower case (`ubuntu`, `debian`); `linux` when absent, as os-release(5) says. */
  id: string;
  idLike: string[];
  name: string | null;
  /** VERSION_ID, e.g. `24.04`. */
  versionId: string | null;
  /** VERSION_CODENAME, e.g. `noble`. */
  versionCodename: string | null;
  prettyName: string | null;
  /** Every KEY=value pair, unquoted. */
  values: Record<string, string>;
}

function unquote(raw: string, lineNumber: number): string {
  const quote = raw[0];
  if (quote !== '"' && quote !== "'") return raw;
  if (raw.length < 2 || !raw.endsWith(quote)) {
    throw new FactsParseError('os-release', `line ${lineNumber}`, `a value closed by ${quote}`, raw);
  }
  const body = raw.slice(1, -1);
  // Inside double quotes the shell escapes \" \\ \$ \` apply; single quotes are literal.
  return quote === '"' ? body.replace(/\\(["\\$`])/g, '$1') : body;
}

/** Parses /etc/os-release (os-release(5): KEY=value lines, optional quotes, # comments). */
export function parseOsRelease(text: string): OsRelease {
  const values: Record<string, string> = {};
  text.split('\n').forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match === null) {
      throw new FactsParseError(
        'os-release',
        `line ${index + 1}`,
        'KEY=value',
        JSON.stringify(line.slice(0, 60)),
      );
    }
    values[match[1] ?? ''] = unquote(match[2] ?? '', index + 1);
  });
  if (Object.keys(values).length === 0) {
    throw new FactsParseError('os-release', 'line 1', 'KEY=value lines from /etc/os-release', 'empty output');
  }
  const optional = (key: string): string | null => {
    const value = values[key];
    return value === undefined || value === '' ? null : value;
  };
  return {
    id: (optional('ID') ?? 'linux').toLowerCase(),
    idLike: (optional('ID_LIKE') ?? '').split(/\s+/).filter((word) => word !== ''),
    name: optional('NAME'),
    versionId: optional('VERSION_ID'),
    versionCodename: optional('VERSION_CODENAME'),
    prettyName: optional('PRETTY_NAME'),
    values,
  };
}

/** MemTotal from /proc/meminfo, in bytes (the kernel prints KiB and calls them kB). */
export function parseMemTotal(text: string): number {
  const match = /^MemTotal:\s+(\d+) kB$/m.exec(text);
  if (match === null) {
    throw new FactsParseError('meminfo', 'MemTotal', 'a `MemTotal: <n> kB` line from /proc/meminfo', 'none');
  }
  return Number(match[1]) * 1024;
}

/** The output of `nproc`: the number of CPUs this process may use. */
export function parseNproc(text: string): number {
  const trimmed = text.trim();
  if (!/^[1-9]\d*$/.test(trimmed)) {
    throw new FactsParseError(
      'nproc',
      'line 1',
      'a positive whole number',
      JSON.stringify(trimmed.slice(0, 40)),
    );
  }
  return Number(trimmed);
}

export interface KernelFacts {
  /** `uname -r`, e.g. `6.8.0-45-generic`. */
  release: string;
  /** `uname -m`, e.g. `x86_64`, `aarch64`. */
  machine: string;
}

export function parseUname(text: string): KernelFacts {
  const words = text.trim().split(/\s+/);
  const [release, machine] = words;
  if (words.length !== 2 || release === undefined || machine === undefined || release === '') {
    throw new FactsParseError(
      'uname',
      'line 1',
      'the kernel release and machine from `uname -r -m`',
      JSON.stringify(text.trim().slice(0, 60)),
    );
  }
  return { release, machine };
}

export interface RemoteClock {
  /** The host's wall clock when `date` ran, in milliseconds since the epoch (microsecond precision). */
  epochMs: number;
}

/** Parses `date +%s.%N` (GNU date). busybox prints `%N` literally, which is refused. */
export function parseClock(text: string): RemoteClock {
  const match = /^(\d+)(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (match === null) {
    throw new FactsParseError(
      'date',
      'line 1',
      'seconds.nanoseconds from GNU `date +%s.%N`',
      JSON.stringify(text.trim().slice(0, 40)),
    );
  }
  const fraction = (match[2] ?? '').padEnd(9, '0');
  return { epochMs: Number(match[1]) * 1000 + Number(fraction) / 1e6 };
}

/**
 * How far a host's clock is ahead of ours, from one `date` run: the remote reading is compared with the middle
 * of the local send/receive interval, so the answer is good to within half the round trip.
 */
export function estimateClockOffset(
  clock: RemoteClock,
  sentAtMs: number,
  receivedAtMs: number,
): { offsetMs: number; uncertaintyMs: number } {
  const midpoint = (sentAtMs + receivedAtMs) / 2;
  return { offsetMs: clock.epochMs - midpoint, uncertaintyMs: Math.abs(receivedAtMs - sentAtMs) / 2 };
}

/**
 * The output of `hostname`: the kernel's host name, which MicroCeph, MicroOVN, MicroCloud and LXD take as the
 * member name by default (§11.2: it should equal the inventory name). Letters, digits, `-`, `_` and `.` (a
 * host may be set to its FQDN), at most 253 characters, on one line.
 */
export function parseHostname(text: string): string {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$/.test(trimmed)) {
    throw new FactsParseError(
      'hostname',
      'line 1',
      'one host name (letters, digits, "-", "_" and ".")',
      trimmed === '' ? 'empty output' : JSON.stringify(trimmed.slice(0, 60)),
    );
  }
  return trimmed;
}
