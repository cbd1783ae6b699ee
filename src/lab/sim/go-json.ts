// Go's encoding/json as the microcluster daemons use it: json.NewDecoder(body).Decode(&req) into a typed
// struct (errors as Go words them, so a bad request body fails with the daemon's text), and the encoders
// that write responses. Also netip.ParseAddrPort, which microcluster's AddrPort type wraps.
//
// Decoding follows encoding/json's scanner (scanner.go: "invalid character 'x' looking for beginning of
// value", "... after object key", "unexpected EOF") and decoder (decode.go: UnmarshalTypeError with the
// struct and field, case-insensitive field names, the last duplicate wins, unknown fields ignored, type
// errors saved while decoding continues). A Decoder reads only the first value: what follows is not read.

import { parseIPv4, parseIPv6 } from './net.js';

export type JsonNode =
  | { t: 'null' }
  | { t: 'bool'; v: boolean }
  | { t: 'number'; text: string }
  | { t: 'string'; v: string }
  | { t: 'array'; items: JsonNode[] }
  | { t: 'object'; entries: [string, JsonNode][] };

class JsonSyntaxError extends Error {}

/** Go's quoteChar: the offending byte as it appears in scanner errors. */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const quoted = JSON.stringify(c);
  return `'${quoted.slice(1, -1)}'`;
}

const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

class Scanner {
  private pos = 0;
  constructor(private readonly text: string) {}

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private fail(context: string): never {
    const c = this.peek();
    if (c === undefined) throw new JsonSyntaxError('unexpected EOF');
    throw new JsonSyntaxError(`invalid character ${quoteChar(c)} ${context}`);
  }

  private skipSpace(): void {
    while (this.peek() !== undefined && WHITESPACE.has(this.peek() as string)) this.pos++;
  }

  /** Decoder.Decode: one value after optional whitespace; nothing at all is io.EOF. */
  top(): JsonNode {
    this.skipSpace();
    if (this.peek() === undefined) throw new JsonSyntaxError('EOF');
    const value = this.value();
    // A scalar at top level ends only at a delimiter: the byte after it must be space (or the end).
    if (value.t !== 'object' && value.t !== 'array' && value.t !== 'string') {
      const c = this.peek();
      if (c !== undefined && !WHITESPACE.has(c)) this.fail('after top-level value');
    }
    return value;
  }

  private value(): JsonNode {
    const c = this.peek();
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return { t: 'string', v: this.string() };
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return { t: 'number', text: this.number() };
    if (c === 't') return this.literal('true', { t: 'bool', v: true });
    if (c === 'f') return this.literal('false', { t: 'bool', v: false });
    if (c === 'n') return this.literal('null', { t: 'null' });
    return this.fail('looking for beginning of value');
  }

  private literal(word: string, node: JsonNode): JsonNode {
    for (let i = 0; i < word.length; i++) {
      if (this.peek() !== word[i])
        this.fail(`in literal ${word} (expecting ${quoteChar(word[i] as string)})`);
      this.pos++;
    }
    return node;
  }

  private digits(): number {
    const start = this.pos;
    while (this.peek() !== undefined && (this.peek() as string) >= '0' && (this.peek() as string) <= '9')
      this.pos++;
    return this.pos - start;
  }

  private number(): string {
    const start = this.pos;
    if (this.peek() === '-') {
      this.pos++;
      const c = this.peek();
      if (c === undefined || c < '0' || c > '9') this.fail('in numeric literal');
    }
    if (this.peek() === '0') this.pos++;
    else this.digits();
    if (this.peek() === '.') {
      this.pos++;
      if (this.digits() === 0) this.fail('after decimal point in numeric literal');
    }
    if (this.peek() === 'e' || this.peek() === 'E') {
      this.pos++;
      if (this.peek() === '+' || this.peek() === '-') this.pos++;
      if (this.digits() === 0) this.fail('in exponent of numeric literal');
    }
    return this.text.slice(start, this.pos);
  }

  private string(): string {
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('in string literal');
      if (c === '"') {
        this.pos++;
        return out;
      }
      if (c < ' ') this.fail('in string literal');
      if (c === '\\') {
        this.pos++;
        const e = this.peek();
        const simple: Record<string, string> = {
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
          '\\': '\\',
          '/': '/',
          '"': '"',
        };
        if (e !== undefined && e in simple) {
          out += simple[e];
          this.pos++;
          continue;
        }
        if (e !== 'u') this.fail('in string escape code');
        this.pos++;
        let hex = '';
        for (let i = 0; i < 4; i++) {
          const h = this.peek();
          if (h === undefined || !/[0-9a-fA-F]/.test(h)) this.fail('in \\u hexadecimal character escape');
          hex += h;
          this.pos++;
        }
        out += String.fromCharCode(parseInt(hex, 16));
        continue;
      }
      out += c;
      this.pos++;
    }
  }

  private object(): JsonNode {
    this.pos++;
    const entries: [string, JsonNode][] = [];
    this.skipSpace();
    if (this.peek() === '}') {
      this.pos++;
      return { t: 'object', entries };
    }
    for (;;) {
      this.skipSpace();
      if (this.peek() !== '"') this.fail('looking for beginning of object key string');
      const key = this.string();
      this.skipSpace();
      if (this.peek() !== ':') this.fail('after object key');
      this.pos++;
      this.skipSpace();
      entries.push([key, this.value()]);
      this.skipSpace();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      if (this.peek() === '}') {
        this.pos++;
        return { t: 'object', entries };
      }
      this.fail('after object key:value pair');
    }
  }

  private array(): JsonNode {
    this.pos++;
    const items: JsonNode[] = [];
    this.skipSpace();
    if (this.peek() === ']') {
      this.pos++;
      return { t: 'array', items };
    }
    for (;;) {
      this.skipSpace();
      items.push(this.value());
      this.skipSpace();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      if (this.peek() === ']') {
        this.pos++;
        return { t: 'array', items };
      }
      this.fail('after array element');
    }
  }
}

/** What UnmarshalTypeError calls a JSON value's kind. */
function kindOf(node: JsonNode): string {
  switch (node.t) {
    case 'bool':
      return 'bool';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'array':
      return 'array';
    case 'object':
      return 'object';
    case 'null':
      return 'null';
  }
}

/**
 * A struct field: `bool`, `string`, `map[string]string`, `time.Duration` (JSON integer nanoseconds), or a
 * value whose own UnmarshalJSON first decodes a string and then parses it (`parse`, e.g. microcluster's
 * AddrPort); its errors are returned as they are and end the decoding.
 */
export type GoFieldType =
  | { kind: 'bool' }
  | { kind: 'string' }
  | { kind: 'stringMap' }
  | { kind: 'duration' }
  | { kind: 'stringUnmarshaler'; parse: (text: string) => string | null };

export interface GoStructSpec {
  /** Type name as reflect prints it (`types.Control`); the struct name in field errors is after the dot. */
  goType: string;
  fields: Record<string, GoFieldType>;
}

export type GoDecoded = Record<string, boolean | string | number | Record<string, string> | undefined>;

export type GoDecodeResult =
  | { ok: true; value: GoDecoded; isNull: false }
  /** The body was `null`: decoding into a pointer leaves it nil, into a value leaves it zero. */
  | { ok: true; value: GoDecoded; isNull: true }
  | { ok: false; error: string };

const GO_TYPE_NAMES: Record<GoFieldType['kind'], string> = {
  bool: 'bool',
  string: 'string',
  stringMap: 'string',
  duration: 'time.Duration',
  stringUnmarshaler: 'string',
};

/**
 * json.NewDecoder(strings.NewReader(text)).Decode(&v) for a struct: the decoded fields (absent ones
 * undefined), or the error text Go returns.
 */
export function decodeGoStruct(text: string, spec: GoStructSpec): GoDecodeResult {
  let root: JsonNode;
  try {
    root = new Scanner(text).top();
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, error: error.message };
    throw error;
  }
  const value: GoDecoded = {};
  if (root.t === 'null') return { ok: true, value, isNull: true };
  if (root.t !== 'object') {
    return {
      ok: false,
      error: `json: cannot unmarshal ${kindOf(root)} into Go value of type ${spec.goType}`,
    };
  }
  const structName = spec.goType.slice(spec.goType.lastIndexOf('.') + 1);
  const typeError = (kind: string, field: string, type: GoFieldType): string =>
    `json: cannot unmarshal ${kind} into Go struct field ${structName}.${field} of type ${GO_TYPE_NAMES[type.kind]}`;
  let saved: string | null = null;
  const save = (message: string): void => {
    saved ??= message;
  };
  const names = Object.keys(spec.fields);
  for (const [key, node] of root.entries) {
    // An exact name first, else a case-insensitive match (encoding/json foldName).
    const field = names.find((n) => n === key) ?? names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (field === undefined) continue;
    const type = spec.fields[field] as GoFieldType;
    if (node.t === 'null' && type.kind !== 'stringUnmarshaler') {
      if (type.kind === 'stringMap') value[field] = undefined;
      continue;
    }
    switch (type.kind) {
      case 'bool':
        if (node.t === 'bool') value[field] = node.v;
        else save(typeError(kindOf(node), field, type));
        break;
      case 'string':
        if (node.t === 'string') value[field] = node.v;
        else save(typeError(kindOf(node), field, type));
        break;
      case 'duration': {
        if (node.t !== 'number') {
          save(typeError(kindOf(node), field, type));
          break;
        }
        // strconv.ParseInt on the literal: fractions, exponents and overflow are refused with the number.
        const ok =
          /^-?\d+$/.test(node.text) &&
          BigInt(node.text) <= 2n ** 63n - 1n &&
          BigInt(node.text) >= -(2n ** 63n);
        if (ok) value[field] = Number(node.text);
        else save(typeError(`number ${node.text}`, field, type));
        break;
      }
      case 'stringMap': {
        if (node.t !== 'object') {
          save(typeError(kindOf(node), field, type));
          break;
        }
        const map: Record<string, string> = {};
        for (const [k, v] of node.entries) {
          if (v.t === 'string') map[k] = v.v;
          else if (v.t === 'null') map[k] = '';
          else save(typeError(kindOf(v), field, type));
        }
        value[field] = map;
        break;
      }
      case 'stringUnmarshaler': {
        if (node.t === 'null') {
          value[field] = '';
          break;
        }
        if (node.t !== 'string') return { ok: false, error: typeError(kindOf(node), field, type) };
        const problem = type.parse(node.v);
        if (problem !== null) return { ok: false, error: problem };
        value[field] = node.v;
        break;
      }
    }
  }
  if (saved !== null) return { ok: false, error: saved };
  return { ok: true, value, isNull: false };
}

/**
 * A JSON string as Go's encoder writes it: `\b \f \n \r \t`, other control characters as `\u00XX`,
 * U+2028/U+2029 escaped, and with `escapeHtml` (json.Marshal's default) `< > &` as `\u003c \u003e \u0026`.
 */
export function goJsonString(text: string, escapeHtml: boolean): string {
  let out = JSON.stringify(text)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  if (escapeHtml) out = out.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  return out;
}

/** Compact JSON of plain values (objects keep their key order) the way Go's encoder writes them. */
export function goJsonEncode(value: unknown, escapeHtml: boolean): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goJsonString(value, escapeHtml);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => goJsonEncode(v, escapeHtml)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([k, v]) => `${goJsonString(k, escapeHtml)}:${goJsonEncode(v, escapeHtml)}`).join(',')}}`;
}

/** Go's strconv.Quote (what %q prints) for the printable text the simulator deals with. */
export function goQuote(text: string): string {
  return JSON.stringify(text);
}

// ---------------------------------------------------------------------------------------------------------
// netip.ParseAddrPort (Go 1.22 net/netip), which microcluster's types.AddrPort uses to decode "ip:port".

/** netip.ParseAddr's error for an IPv4-looking text (parseIPv4 in net/netip). */
function ipv4Problem(text: string): string {
  const fields = text.split('.');
  for (const field of fields) {
    if (field === '') return 'IPv4 field must have at least one digit';
    if (!/^\d+$/.test(field)) return 'unexpected character';
    if (field.length > 1 && field.startsWith('0')) return 'IPv4 field has octet with leading zero';
    if (Number(field) > 255) return 'IPv4 field has value >255';
  }
  return fields.length < 4 ? 'IPv4 address too short' : 'IPv4 address too long';
}

export interface AddrPort {
  ip: string;
  port: number;
}

/**
 * netip.ParseAddrPort's checks and errors. IPv6 syntax errors are reported with ParseAddr's generic text
 * rather than the specific one Go picks (an approximation; callers send valid addresses).
 */
export function parseAddrPort(text: string): { ok: true; value: AddrPort } | { ok: false; error: string } {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { ok: false, error: 'not an ip:port' };
  let ip = text.slice(0, colon);
  const port = text.slice(colon + 1);
  if (ip === '') return { ok: false, error: 'no IP' };
  if (port === '') return { ok: false, error: 'no port' };
  let bracketed = false;
  if (ip.startsWith('[')) {
    if (ip.length < 2 || !ip.endsWith(']')) return { ok: false, error: 'missing ]' };
    ip = ip.slice(1, -1);
    bracketed = true;
  }
  if (!/^\d+$/.test(port) || Number(port) > 65535) {
    return { ok: false, error: `invalid port ${goQuote(port)} parsing ${goQuote(text)}` };
  }
  const v4 = parseIPv4(ip) !== null && /^\d+(\.\d+){3}$/.test(ip) && !/(^|\.)0\d/.test(ip);
  const v6 = !v4 && ip.includes(':') && parseIPv6(ip) !== null;
  if (!v4 && !v6) {
    const problem = ip.includes('.') && !ip.includes(':') ? ipv4Problem(ip) : 'unable to parse IP';
    return { ok: false, error: `ParseAddr(${goQuote(ip)}): ${problem}` };
  }
  if (bracketed && v4) {
    return {
      ok: false,
      error: `invalid ip:port ${goQuote(text)}, square brackets can only be used with IPv6 addresses`,
    };
  }
  if (!bracketed && v6) {
    return {
      ok: false,
      error: `invalid ip:port ${goQuote(text)}, IPv6 addresses must be surrounded by square brackets`,
    };
  }
  return { ok: true, value: { ip, port: Number(port) } };
}
