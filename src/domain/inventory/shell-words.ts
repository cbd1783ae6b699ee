// POSIX word splitting as Python's shlex.split(comments=True) does it: Ansible uses it for INI host
// lines and for ansible_ssh_common_args, so quoting must behave exactly the same here.

export interface ShellWord {
  text: string;
  /** 0-based index in the input of the word's first character (a quote, if it starts with one). */
  start: number;
  /** For each character of `text`, its 0-based index in the input (quotes and escapes removed). */
  sourceIndex: number[];
}

export type ShellSplit = { ok: true; words: ShellWord[] } | { ok: false; error: string; index: number };

const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

/**
 * Splits on unquoted whitespace. Single quotes keep everything literal; inside double quotes a
 * backslash escapes only `"` and `\`; outside quotes it escapes any character. An unquoted `#`
 * starts a comment, even in the middle of a word (shlex does that too: `pass=ab#c` is `pass=ab`).
 */
export function splitShellWords(input: string): ShellSplit {
  const words: ShellWord[] = [];
  let current: ShellWord | undefined;
  let index = 0;
  const append = (char: string, at: number): void => {
    current ??= { text: '', start: at, sourceIndex: [] };
    current.text += char;
    current.sourceIndex.push(at);
  };
  const finish = (): void => {
    if (current !== undefined) words.push(current);
    current = undefined;
  };
  while (index < input.length) {
    const char = input[index] ?? '';
    if (WHITESPACE.has(char)) {
      finish();
      index += 1;
    } else if (char === '#') {
      break;
    } else if (char === '\\') {
      if (index + 1 >= input.length)
        return { ok: false, error: 'a trailing backslash escapes nothing', index };
      append(input[index + 1] ?? '', index + 1);
      index += 2;
    } else if (char === "'" || char === '"') {
      current ??= { text: '', start: index, sourceIndex: [] };
      const close = scanQuoted(input, index, char, append);
      if (close < 0) return { ok: false, error: `unclosed ${char} quote`, index };
      index = close + 1;
    } else {
      append(char, index);
      index += 1;
    }
  }
  finish();
  return { ok: true, words };
}

/** Appends the quoted characters; returns the index of the closing quote, or -1. */
function scanQuoted(
  input: string,
  open: number,
  quote: string,
  append: (char: string, at: number) => void,
): number {
  let index = open + 1;
  while (index < input.length) {
    const char = input[index] ?? '';
    if (char === quote) return index;
    const next = input[index + 1];
    if (quote === '"' && char === '\\' && (next === '"' || next === '\\')) {
      append(next, index + 1);
      index += 2;
      continue;
    }
    append(char, index);
    index += 1;
  }
  return -1;
}
