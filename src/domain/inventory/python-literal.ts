// A subset of Python's ast.literal_eval, because Ansible types INI values with it: `22` is an int,
// `True` a bool, `'22'` a string, `[1, 2]` a list, and anything it cannot read stays the raw text.

export type PythonLiteral =
  string | number | boolean | null | PythonLiteral[] | { [key: string]: PythonLiteral };

export type LiteralResult = { ok: true; value: PythonLiteral } | { ok: false };

class NotALiteral extends Error {}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/**
 * Reads `text` as a Python literal: ints (also 0x/0o/0b and 1_000), floats, strings with prefixes
 * and escapes (adjacent ones concatenated), True/False/None, lists, tuples and sets (as lists),
 * dicts, unary +/- and `# comments`. Not read, so kept as text: complex numbers and integers beyond
 * 2^53 (JavaScript cannot hold them exactly).
 */
export function parsePythonLiteral(text: string): LiteralResult {
  const reader = new LiteralReader(text);
  try {
    const value = reader.expression();
    reader.expectEnd();
    return { ok: true, value };
  } catch (error) {
    if (error instanceof NotALiteral) return { ok: false };
    throw error;
  }
}

class LiteralReader {
  readonly #text: string;
  #index = 0;

  constructor(text: string) {
    this.#text = text;
  }

  expectEnd(): void {
    this.#skipSpace();
    if (this.#index < this.#text.length) throw new NotALiteral();
  }

  expression(): PythonLiteral {
    this.#skipSpace();
    const char = this.#peek();
    if (char === '[') return this.#sequence('[', ']');
    if (char === '(') return this.#parenthesized();
    if (char === '{') return this.#braces();
    if (char === '+' || char === '-') {
      this.#index += 1;
      this.#skipSpace();
      const operand = this.#number();
      return char === '-' ? -operand : operand;
    }
    if (/[0-9.]/.test(char) && !this.#text.startsWith('...', this.#index)) return this.#number();
    if (this.#stringStartsHere()) return this.#strings();
    return this.#name();
  }

  #peek(offset = 0): string {
    return this.#text[this.#index + offset] ?? '';
  }

  #skipSpace(): void {
    while (this.#index < this.#text.length) {
      const char = this.#peek();
      if (char === ' ' || char === '\t' || char === '\f') this.#index += 1;
      else if (char === '#') this.#index = this.#text.length;
      else break;
    }
  }

  #consume(char: string): boolean {
    this.#skipSpace();
    if (this.#peek() !== char) return false;
    this.#index += 1;
    return true;
  }

  #sequence(open: string, close: string): PythonLiteral[] {
    this.#index += open.length;
    const items: PythonLiteral[] = [];
    while (!this.#consume(close)) {
      items.push(this.expression());
      if (!this.#consume(',')) {
        if (!this.#consume(close)) throw new NotALiteral();
        break;
      }
    }
    return items;
  }

  /** `()` and `(a, b)` are tuples (lists here); `(a)` is just a. */
  #parenthesized(): PythonLiteral {
    this.#index += 1;
    if (this.#consume(')')) return [];
    const first = this.expression();
    if (this.#consume(')')) return first;
    if (!this.#consume(',')) throw new NotALiteral();
    const items = [first];
    while (!this.#consume(')')) {
      items.push(this.expression());
      if (!this.#consume(',')) {
        if (!this.#consume(')')) throw new NotALiteral();
        break;
      }
    }
    return items;
  }

  /** `{}` and `{k: v}` are dicts, `{a, b}` a set (a list here, as Ansible converts sets). */
  #braces(): PythonLiteral {
    this.#index += 1;
    if (this.#consume('}')) return {};
    const first = this.expression();
    if (!this.#consume(':')) {
      const items = [first];
      for (;;) {
        if (this.#consume('}')) return items;
        if (!this.#consume(',')) throw new NotALiteral();
        if (this.#consume('}')) return items;
        items.push(this.expression());
      }
    }
    // Entries, not assignments: a '__proto__' key must stay a plain key.
    const entries: [string, PythonLiteral][] = [];
    let key = first;
    for (;;) {
      entries.push([this.#dictKey(key), this.expression()]);
      if (this.#consume('}')) return Object.fromEntries(entries);
      if (!this.#consume(',')) throw new NotALiteral();
      if (this.#consume('}')) return Object.fromEntries(entries);
      key = this.expression();
      if (!this.#consume(':')) throw new NotALiteral();
    }
  }

  #dictKey(key: PythonLiteral): string {
    if (typeof key === 'string') return key;
    if (typeof key === 'number') return String(key);
    if (typeof key === 'boolean') return key ? 'True' : 'False';
    if (key === null) return 'None';
    // Lists and dicts are unhashable: Python refuses them as keys.
    throw new NotALiteral();
  }

  #number(): number {
    const rest = this.#text.slice(this.#index);
    const match =
      /^0[xX](?:_?[0-9a-fA-F])+|^0[oO](?:_?[0-7])+|^0[bB](?:_?[01])+|^(?:(?:[0-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*\.?)(?:[eE][+-]?[0-9](?:_?[0-9])*)?/.exec(
        rest,
      );
    const literal = match?.[0];
    if (literal === undefined || literal === '') throw new NotALiteral();
    // A letter or digit right after the number (1j, 12abc) means it was not a plain number.
    if (/^[A-Za-z0-9_]/.test(rest.slice(literal.length))) throw new NotALiteral();
    this.#index += literal.length;
    const digits = literal.replaceAll('_', '');
    if (/^0[xXoObB]/.test(digits)) return this.#safeInteger(Number(digits));
    if (/[.eE]/.test(digits)) return Number(digits);
    // Python 3 rejects decimal integers with leading zeros (0755), so they stay strings.
    if (/^0+[1-9]/.test(digits)) throw new NotALiteral();
    return this.#safeInteger(Number(digits));
  }

  #safeInteger(value: number): number {
    if (!Number.isSafeInteger(value)) throw new NotALiteral();
    return value;
  }

  #stringStartsHere(): boolean {
    return /^(?:[rRuUbB]|[bB][rR]|[rR][bB])?['"]/.test(this.#text.slice(this.#index, this.#index + 3));
  }

  /** One or more adjacent string literals, concatenated as Python does ('a' "b" is 'ab'). */
  #strings(): string {
    let value = '';
    let bytes: boolean | undefined;
    do {
      const prefix = /^[rRuUbB]*/.exec(this.#text.slice(this.#index))?.[0] ?? '';
      const isBytes = /[bB]/.test(prefix);
      if (bytes !== undefined && bytes !== isBytes) throw new NotALiteral();
      bytes = isBytes;
      this.#index += prefix.length;
      value += this.#string(/[rR]/.test(prefix), isBytes);
      this.#skipSpace();
    } while (this.#stringStartsHere());
    return value;
  }

  #string(raw: boolean, bytes: boolean): string {
    const quote = this.#peek();
    const triple = this.#text.startsWith(quote.repeat(3), this.#index);
    const delimiter = triple ? quote.repeat(3) : quote;
    this.#index += delimiter.length;
    let value = '';
    while (this.#index < this.#text.length) {
      if (this.#text.startsWith(delimiter, this.#index)) {
        this.#index += delimiter.length;
        return value;
      }
      const char = this.#peek();
      if (char !== '\\') {
        value += char;
        this.#index += 1;
      } else if (raw) {
        // In raw strings a backslash stays, but still keeps the next character from ending the string.
        value += char + this.#peek(1);
        this.#index += 2;
      } else {
        value += this.#escape(bytes);
      }
    }
    throw new NotALiteral();
  }

  #escape(bytes: boolean): string {
    const next = this.#peek(1);
    this.#index += 2;
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) return simple;
    if (/[0-7]/.test(next)) {
      const octal = next + (/^[0-7]{0,2}/.exec(this.#text.slice(this.#index))?.[0] ?? '');
      this.#index += octal.length - 1;
      return String.fromCodePoint(Number.parseInt(octal, 8));
    }
    const hexLength = next === 'x' ? 2 : !bytes && next === 'u' ? 4 : !bytes && next === 'U' ? 8 : 0;
    if (hexLength > 0) {
      const hex = this.#text.slice(this.#index, this.#index + hexLength);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex)) throw new NotALiteral();
      this.#index += hexLength;
      const codePoint = Number.parseInt(hex, 16);
      if (codePoint > 0x10ffff) throw new NotALiteral();
      return String.fromCodePoint(codePoint);
    }
    // \N{NAME} needs Python's Unicode name table; unknown escapes keep their backslash, as in Python.
    if (!bytes && next === 'N') throw new NotALiteral();
    return `\\${next}`;
  }

  #name(): PythonLiteral {
    const name = /^(?:\.\.\.|[A-Za-z_][A-Za-z0-9_]*)/.exec(this.#text.slice(this.#index))?.[0];
    if (name === undefined) throw new NotALiteral();
    this.#index += name.length;
    if (name === 'True') return true;
    if (name === 'False') return false;
    if (name === 'None') return null;
    // Ansible turns an Ellipsis back into the text '...'.
    if (name === '...') return '...';
    throw new NotALiteral();
  }
}
