// The file side of the bounded reader (src/domain/input): every file mc reads goes through
// readInputFile, which reads at most limits.maxBytes + 1 bytes and hands them to the pure checks.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import {
  DEFAULT_INPUT_LIMITS,
  decodeInput,
  type InputIssue,
  type InputLimits,
} from '../domain/input/index.js';

export type InputReadFailure = 'missing' | 'directory' | 'unreadable' | 'invalid';

export type InputRead =
  { ok: true; path: string; text: string } | { ok: false; reason: InputReadFailure; issue: InputIssue };

export interface ReadInputOptions {
  /** Only maxBytes applies to reading; the YAML limits apply in parseBoundedYaml. */
  limits?: Pick<InputLimits, 'maxBytes'>;
  /** What the file is, for messages: 'inventory', 'ssh_config', ... ('file' by default). */
  what?: string;
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/**
 * Reads a text file within limits. Failures other than 'invalid' are about the whole file (line 0,
 * message naming the path); 'invalid' (too big, not UTF-8, binary) is located where it went wrong.
 */
export function readInputFile(path: string, options: ReadInputOptions = {}): InputRead {
  const limits = options.limits ?? DEFAULT_INPUT_LIMITS;
  const what = options.what ?? 'file';
  const whole = (reason: InputReadFailure, message: string): InputRead => ({
    ok: false,
    reason,
    issue: { file: path, line: 0, col: 0, message },
  });
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return whole('missing', `${what} not found: ${path}`);
    if (code === 'EISDIR') return whole('directory', `${what} is a directory: ${path}`);
    return whole('unreadable', `cannot read ${what} ${path}: ${(error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return whole('directory', `${what} is a directory: ${path}`);
    // Room for the whole file plus one byte (to see it grow past the limit); a FIFO or device could
    // stream forever, so the buffer grows only up to the limit.
    const cap = limits.maxBytes + 1;
    let buffer = Buffer.allocUnsafe(stat.isFile() ? Math.min(stat.size + 1, cap) : Math.min(65_536, cap));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (buffer.length >= cap) break;
        const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, cap));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const count = readSync(fd, buffer, length, buffer.length - length, null);
      if (count === 0) break;
      length += count;
    }
    const decoded = decodeInput(path, buffer.subarray(0, length), limits, what);
    return decoded.ok
      ? { ok: true, path, text: decoded.text }
      : { ok: false, reason: 'invalid', issue: decoded.issue };
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EISDIR') return whole('directory', `${what} is a directory: ${path}`);
    return whole('unreadable', `cannot read ${what} ${path}: ${(error as Error).message}`);
  } finally {
    closeSync(fd);
  }
}
