// Bytes of an input file to text, within limits: size, UTF-8, no NUL. Pure, so the same checks apply
// to files (workflows/read-input.ts) and to a process's output (`vagrant ssh-config`).
import { DEFAULT_INPUT_LIMITS, formatSize, type InputLimits } from './limits.js';
import type { InputIssue } from './types.js';

export type DecodeResult = { ok: true; text: string } | { ok: false; issue: InputIssue };

/** 1-based line and column (in characters) of a character offset in text. */
export function lineColAt(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let index = text.indexOf('\n'); index !== -1 && index < end; index = text.indexOf('\n', index + 1)) {
    line += 1;
    lineStart = index + 1;
  }
  return { line, col: end - lineStart + 1 };
}

/** Length of the longest valid UTF-8 prefix of bytes (bytes.length when all of it is valid). */
function validUtf8Prefix(bytes: Uint8Array): number {
  let index = 0;
  while (index < bytes.length) {
    const byte = bytes[index] ?? 0;
    if (byte < 0x80) {
      index += 1;
      continue;
    }
    const length =
      byte >= 0xc2 && byte <= 0xdf
        ? 2
        : byte >= 0xe0 && byte <= 0xef
          ? 3
          : byte >= 0xf0 && byte <= 0xf4
            ? 4
            : 0;
    if (length === 0 || index + length > bytes.length) return index;
    const second = bytes[index + 1] ?? 0;
    // Overlong forms, surrogates and code points above U+10FFFF are invalid (RFC 3629).
    const secondLow = byte === 0xe0 ? 0xa0 : byte === 0xf0 ? 0x90 : 0x80;
    const secondHigh = byte === 0xed ? 0x9f : byte === 0xf4 ? 0x8f : 0xbf;
    if (second < secondLow || second > secondHigh) return index;
    for (let k = 2; k < length; k++) {
      const next = bytes[index + k] ?? 0;
      if (next < 0x80 || next > 0xbf) return index;
    }
    index += length;
  }
  return index;
}

function decodePrefix(bytes: Uint8Array, end: number): string {
  return new TextDecoder('utf-8').decode(bytes.subarray(0, end));
}

/**
 * Checks and decodes an input file's bytes. `bytes` may hold one byte more than the limit (that is
 * how a reader learns a file is too big without reading all of it). A leading BOM is dropped, CRLF is
 * kept (parsers handle it). One issue, located where the file went wrong:
 * - more than limits.maxBytes: at the character where the limit was crossed;
 * - invalid UTF-8: at the first bad byte;
 * - a NUL character (a binary file): at the NUL.
 */
export function decodeInput(
  file: string,
  bytes: Uint8Array,
  limits: Pick<InputLimits, 'maxBytes'> = DEFAULT_INPUT_LIMITS,
  what = 'file',
): DecodeResult {
  const tooBig = bytes.length > limits.maxBytes;
  const checked = tooBig ? bytes.subarray(0, limits.maxBytes) : bytes;
  const valid = validUtf8Prefix(checked);
  // A multi-byte character cut by the size limit is not an encoding error.
  const cutAtLimit = tooBig && checked.length - valid < 4 && valid >= checked.length - 3;
  if (valid < checked.length && !cutAtLimit) {
    const before = decodePrefix(checked, valid);
    return {
      ok: false,
      issue: {
        file,
        ...lineColAt(before, before.length),
        message: `the ${what} is not UTF-8 text (byte 0x${(checked[valid] ?? 0).toString(16).padStart(2, '0')} here; save it as UTF-8)`,
      },
    };
  }
  const text = decodePrefix(checked, valid);
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    return {
      ok: false,
      issue: {
        file,
        ...lineColAt(text, nul),
        message: `the ${what} holds a NUL character: it is a binary file, not text (check the path)`,
      },
    };
  }
  if (tooBig) {
    return {
      ok: false,
      issue: {
        file,
        ...lineColAt(text, text.length),
        message: `the ${what} is larger than ${formatSize(limits.maxBytes)}, the limit for files mc reads (it went over here; check the path, or split the file)`,
      },
    };
  }
  return { ok: true, text: text.startsWith('\ufeff') ? text.slice(1) : text };
}
