// Values quoted back to the user, and text from remote hosts, pass through here before any output:
// cut to a readable length and with control characters escaped, so a 20 MiB value stays one line and
// a host's output cannot move the cursor, clear the screen or retitle the terminal.
import { formatSize } from './limits.js';

/** Characters of a value shown before it is cut. */
export const SHOWN_VALUE_LENGTH = 60;

// C0 controls but tab, DEL, C1 controls (0x9b is a one-byte CSI), the line and paragraph separators,
// bidirectional overrides and isolates (they reorder what the eye sees), and lone surrogates.
const UNSAFE =
  // eslint-disable-next-line no-control-regex
  /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeChar(char: string): string {
  const code = char.charCodeAt(0);
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Text made safe for a terminal, whole: control characters and escape sequences become visible
 * `\x1b`, `\n`, `\u202e` escapes; tabs and printable text stay. For lines of remote output, host
 * names, task names: anything mc did not write itself. `keepNewlines` leaves '\n' alone, for a
 * multi-line message that is printed as several lines.
 */
export function escapeControl(text: string, options: { keepNewlines?: boolean } = {}): string {
  return text.replace(UNSAFE, (char) =>
    char === '\n' && options.keepNewlines === true ? char : escapeChar(char),
  );
}

/**
 * A value as messages quote it: its first SHOWN_VALUE_LENGTH characters, escaped, then
 * `… (20 MiB)` with the whole value's UTF-8 size when it was longer. No quotes added.
 */
export function showValue(value: string, shown: number = SHOWN_VALUE_LENGTH): string {
  if (value.length <= shown) return escapeControl(value);
  // Do not split a surrogate pair: that would print half a character.
  let end = shown;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${escapeControl(value.slice(0, end))}… (${formatSize(Buffer.byteLength(value, 'utf8'))})`;
}

/** showValue in double quotes, as "got ..." messages print a string. */
export function quoteValue(value: string, shown: number = SHOWN_VALUE_LENGTH): string {
  return `"${showValue(value, shown).replaceAll('"', '\\"')}"`;
}
