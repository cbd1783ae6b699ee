// Typed reads from parsed JSON with a path in every error, shared by the lsblk, ip and LXD parsers.

import { describeValue, FactsParseError, type FactSource } from './parse-error.js';

/** Parses command output as JSON; an error names the command the text was expected from. */
export function parseJsonOutput(source: FactSource, text: string, command: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const start = text.trim().slice(0, 40).trimEnd();
    throw new FactsParseError(
      source,
      '$',
      `JSON from \`${command}\``,
      start === '' ? 'empty output' : `${describeValue(start)} (${reason})`,
    );
  }
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface IntegerRange {
  min?: number;
  max?: number;
}

/**
 * One JSON object being read. Absent keys and `null` are the same to the optional readers (tools print
 * `null` for an empty column and leave keys out for absent attributes); a value of the wrong type is
 * always an error.
 */
export class JsonObjectReader {
  private constructor(
    readonly source: FactSource,
    readonly path: string,
    private readonly value: Record<string, unknown>,
  ) {}

  static of(source: FactSource, path: string, value: unknown, expected = 'an object'): JsonObjectReader {
    if (!isJsonObject(value)) throw new FactsParseError(source, path, expected, describeValue(value));
    return new JsonObjectReader(source, path, value);
  }

  keys(): string[] {
    return Object.keys(this.value);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.value, key);
  }

  raw(key: string): unknown {
    return this.value[key];
  }

  pathOf(key: string): string {
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
      ? `${this.path}.${key}`
      : `${this.path}[${JSON.stringify(key)}]`;
  }

  fail(key: string, expected: string): never {
    throw new FactsParseError(this.source, this.pathOf(key), expected, describeValue(this.value[key]));
  }

  string(key: string): string {
    const value = this.value[key];
    if (typeof value !== 'string' || value === '') this.fail(key, 'a non-empty string');
    return value;
  }

  /** A string, or null when absent, null or blank. Surrounding blanks are removed (lsblk pads MODEL and SERIAL). */
  optionalString(key: string): string | null {
    const value = this.value[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') this.fail(key, 'a string or null');
    const trimmed = value.trim();
    return trimmed === '' ? null : trimmed;
  }

  integer(key: string, range: IntegerRange = {}): number {
    const value = this.optionalInteger(key, range);
    if (value === null) this.fail(key, describeIntegerRange(range));
    return value;
  }

  optionalInteger(key: string, range: IntegerRange = {}): number | null {
    const value = this.value[key];
    if (value === undefined || value === null) return null;
    if (
      typeof value !== 'number' ||
      !Number.isSafeInteger(value) ||
      (range.min !== undefined && value < range.min) ||
      (range.max !== undefined && value > range.max)
    )
      this.fail(key, describeIntegerRange(range));
    return value;
  }

  /** JSON booleans, and the "0"/"1" strings and 0/1 numbers older util-linux versions print. */
  boolean(key: string): boolean {
    const value = this.optionalBoolean(key);
    if (value === null) this.fail(key, 'true or false');
    return value;
  }

  optionalBoolean(key: string): boolean | null {
    const value = this.value[key];
    if (value === undefined || value === null) return null;
    if (value === true || value === 1 || value === '1') return true;
    if (value === false || value === 0 || value === '0') return false;
    return this.fail(key, 'true or false (or "1"/"0")');
  }

  array(key: string): unknown[] {
    const value = this.value[key];
    if (!Array.isArray(value)) this.fail(key, 'an array');
    return value as unknown[];
  }

  /** An array, or an empty one when absent or null (Go marshals an empty slice as null). */
  optionalArray(key: string): unknown[] {
    const value = this.value[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(key, 'an array or null');
    return value as unknown[];
  }

  stringArray(key: string): string[] {
    return this.optionalArray(key).map((item, index) => {
      if (typeof item !== 'string') {
        throw new FactsParseError(
          this.source,
          `${this.pathOf(key)}[${index}]`,
          'a string',
          describeValue(item),
        );
      }
      return item;
    });
  }

  object(key: string): JsonObjectReader {
    return JsonObjectReader.of(this.source, this.pathOf(key), this.value[key]);
  }

  optionalObject(key: string): JsonObjectReader | null {
    const value = this.value[key];
    if (value === undefined || value === null) return null;
    return JsonObjectReader.of(this.source, this.pathOf(key), value, 'an object or null');
  }

  /** Readers for the objects of an array field, each with its own path. */
  objects(key: string, options: { optional: boolean }): JsonObjectReader[] {
    const items = options.optional ? this.optionalArray(key) : this.array(key);
    return items.map((item, index) =>
      JsonObjectReader.of(this.source, `${this.pathOf(key)}[${index}]`, item),
    );
  }
}

function describeIntegerRange(range: IntegerRange): string {
  if (range.min !== undefined && range.max !== undefined)
    return `an integer from ${range.min} to ${range.max}`;
  if (range.min !== undefined) return `an integer of at least ${range.min}`;
  return 'an integer';
}
