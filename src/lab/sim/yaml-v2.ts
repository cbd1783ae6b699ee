// gopkg.in/yaml.v2 as LXD 5.21 uses it: Marshal (what `lxc ... show`, `-f yaml` and `lxd init --dump` print)
// and strict Unmarshal into typed structs (what `lxd init --preseed` reads, with yaml.v2's error texts).
// Behaviour re-implemented from go-yaml v2 (encode.go stringv, resolve.go, sorter.go keyList.Less,
// emitterc.go yaml_emitter_analyze_scalar, decode.go terror/field errors); no code copied.

import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Node, type Scalar } from 'yaml';

import { NotModelledError } from './program.js';

// ---------------------------------------------------------------------------------------------------------
// Values: a JS Map is a Go map (keys sorted when marshalled), a plain object is a Go struct (field order
// kept), arrays are slices, null is a nil pointer.

export type GoValue = string | number | boolean | null | GoValue[] | GoMap | GoStruct;
export type GoMap = Map<string, GoValue>;
export interface GoStruct {
  [field: string]: GoValue;
}

/** A Go map from a record (e.g. map[string]string config). */
export function goMap(record: Readonly<Record<string, GoValue>>): GoMap {
  return new Map(Object.entries(record));
}

/** yaml.v2 sorter.go keyList.Less: digit runs compare as numbers, non-letters sort before letters. */
export function yamlKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  const isLetter = (c: string): boolean => /\p{L}/u.test(c);
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i] as string;
    const bc = br[i] as string;
    if (ac === bc) continue;
    const al = isLetter(ac);
    const bl = isLetter(bc);
    if (al && bl) return ac < bc;
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ac === '0' || bc === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10 + Number(ar[ai]);
    let bi = i;
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ac < bc;
  }
  return ar.length < br.length;
}

function sortedKeys(map: GoMap): string[] {
  return [...map.keys()].sort((x, y) => (yamlKeyLess(x, y) ? -1 : yamlKeyLess(y, x) ? 1 : 0));
}

/** What yaml.v2's resolve() makes of a plain scalar: the tag it would be read back as. */
export function resolveTag(text: string): 'str' | 'null' | 'bool' | 'int' | 'float' | 'timestamp' | 'merge' {
  if (['', '~', 'null', 'Null', 'NULL'].includes(text)) return 'null';
  const bools = ['y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO', 'true', 'True', 'TRUE'];
  const bools2 = ['false', 'False', 'FALSE', 'on', 'On', 'ON', 'off', 'Off', 'OFF'];
  if (bools.includes(text) || bools2.includes(text)) return 'bool';
  if (text === '<<') return 'merge';
  if (['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF'].includes(text))
    return 'float';
  if (['.nan', '.NaN', '.NAN'].includes(text)) return 'float';
  const first = text[0] ?? '';
  if (!/[-+.0-9]/.test(first)) return 'str';
  const plain = text.replace(/_/g, '');
  if (/^[-+]?(0b[01]+|0o?[0-7]+|0x[0-9a-fA-F]+|[0-9]+)$/.test(plain)) return 'int';
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(plain)) return 'float';
  if (/^\d{4}-\d\d?-\d\d?([Tt ]|$)/.test(text)) return 'timestamp';
  return 'str';
}

/** Base-60 floats (`1:20`) that YAML 1.1 readers would misread; yaml.v2 quotes them. */
function isBase60Float(text: string): boolean {
  return /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/.test(text);
}

interface ScalarAnalysis {
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
}

/** emitterc.go yaml_emitter_analyze_scalar, for block context. */
function analyzeScalar(value: string): ScalarAnalysis {
  if (value.length === 0) return { blockPlainAllowed: true, singleQuotedAllowed: true };
  const chars = [...value];
  let blockIndicators = value.startsWith('---') || value.startsWith('...');
  let special = false;
  let tabs = false;
  let leadingSpace = false;
  let trailingSpace = false;
  let precededByWhitespace = true;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    const next = chars[i + 1];
    const followedByWhitespace = next === undefined || next === ' ' || next === '\t';
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) blockIndicators = true;
      else if ((c === '?' || c === ':') && followedByWhitespace) blockIndicators = true;
      else if (c === '-' && followedByWhitespace) blockIndicators = true;
    } else if (c === ':' && followedByWhitespace) blockIndicators = true;
    else if (c === '#' && precededByWhitespace) blockIndicators = true;
    const code = c.codePointAt(0) ?? 0;
    if (c === '\t') tabs = true;
    else if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0) || code === 0xfeff) special = true;
    if (c === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
    }
    precededByWhitespace = c === ' ' || c === '\t';
  }
  let blockPlainAllowed = !(leadingSpace || trailingSpace || tabs || special || blockIndicators);
  const singleQuotedAllowed = !(tabs || special);
  if (value.includes('\n')) blockPlainAllowed = false;
  return { blockPlainAllowed, singleQuotedAllowed };
}

const BEST_WIDTH = 80;

/** Writes words separated by single spaces, breaking lines past column 80 like yaml.v2's writers do. */
function foldWords(text: string, startColumn: number, indent: number): string {
  let out = '';
  let column = startColumn;
  let previousSpace = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (
      c === ' ' &&
      !previousSpace &&
      column > BEST_WIDTH &&
      i > 0 &&
      text[i + 1] !== ' ' &&
      i < text.length - 1
    ) {
      out += `\n${' '.repeat(indent)}`;
      column = indent;
      previousSpace = true;
      continue;
    }
    out += c;
    column += 1;
    previousSpace = c === ' ';
  }
  return out;
}

function doubleQuoted(value: string): string {
  let out = '"';
  for (const c of value) {
    const code = c.codePointAt(0) ?? 0;
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

/** A scalar string as yaml.v2 writes it after `key: ` at `column`, continuation lines at `indent`. */
function scalarText(value: string, column: number, indent: number): string {
  if (value.includes('\n')) {
    // Literal block: `|` with clip, `|-` strip or `|+` keep chomping.
    const chomp = !value.endsWith('\n') ? '-' : value.endsWith('\n\n') || value === '\n' ? '+' : '';
    const indentHint = value.startsWith(' ') || value.startsWith('\n') ? '2' : '';
    const body = value.endsWith('\n') ? value.slice(0, -1) : value;
    const lines = body.split('\n').map((line) => (line === '' ? '' : ' '.repeat(indent) + line));
    return `|${indentHint}${chomp}\n${lines.join('\n')}`;
  }
  const canUsePlain = resolveTag(value) === 'str' && !isBase60Float(value);
  const analysis = analyzeScalar(value);
  if (canUsePlain && analysis.blockPlainAllowed) return foldWords(value, column, indent);
  if (canUsePlain && analysis.singleQuotedAllowed)
    return `'${foldWords(value.replace(/'/g, "''"), column + 1, indent)}'`;
  return doubleQuoted(value);
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  throw new Error(`goYaml: non-integer number ${value}`);
}

function isEmptyCollection(value: GoValue): boolean {
  if (Array.isArray(value)) return value.length === 0;
  if (value instanceof Map) return value.size === 0;
  if (value !== null && typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

function flowEmpty(value: GoValue): string {
  return Array.isArray(value) ? '[]' : '{}';
}

function scalarOf(value: string | number | boolean | null, column: number, indent: number): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return formatNumber(value);
  return scalarText(value, column, indent);
}

function entriesOf(value: GoMap | GoStruct): [string, GoValue][] {
  if (value instanceof Map) return sortedKeys(value).map((key) => [key, value.get(key) as GoValue]);
  return Object.entries(value);
}

function renderMapping(value: GoMap | GoStruct, indent: number): string {
  let out = '';
  for (const [key, child] of entriesOf(value)) {
    const keyText = scalarText(key, indent, indent);
    const prefix = `${' '.repeat(indent)}${keyText}:`;
    out += renderValueAfter(prefix, child, indent, false);
  }
  return out;
}

function renderSequence(values: GoValue[], indent: number): string {
  let out = '';
  for (const item of values) {
    const prefix = `${' '.repeat(indent)}-`;
    out += renderValueAfter(prefix, item, indent, true);
  }
  return out;
}

/** Renders `value` after `prefix` (`key:` or `-`), which sits at `indent`. */
function renderValueAfter(prefix: string, value: GoValue, indent: number, inSequence: boolean): string {
  if (value === null || typeof value !== 'object') {
    return `${prefix} ${scalarOf(value, prefix.length + 1, indent + 2)}\n`;
  }
  if (isEmptyCollection(value)) return `${prefix} ${flowEmpty(value)}\n`;
  if (Array.isArray(value)) {
    // yaml.v2 does not indent a sequence that is a mapping value; one inside a sequence is.
    if (inSequence) {
      const nested = renderSequence(value, indent + 2);
      return `${prefix} ${nested.slice(indent + 2)}`;
    }
    return `${prefix}\n${renderSequence(value, indent)}`;
  }
  if (inSequence) {
    const nested = renderMapping(value, indent + 2);
    return `${prefix} ${nested.slice(indent + 2)}`;
  }
  return `${prefix}\n${renderMapping(value, indent + 2)}`;
}

/** yaml.v2 Marshal of a value: top-level structs/maps as block mappings, `{}`/`[]` when empty. */
export function goYaml(value: GoValue): string {
  if (value === null || typeof value !== 'object') return `${scalarOf(value, 0, 0)}\n`;
  if (isEmptyCollection(value)) return `${flowEmpty(value)}\n`;
  if (Array.isArray(value)) return renderSequence(value, 0);
  return renderMapping(value, 0);
}

/** Go's encoding/json for the same values: maps with sorted keys, structs in field order. */
export function goJsonValue(value: GoValue): unknown {
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const key of [...value.keys()].sort()) out[key] = goJsonValue(value.get(key) as GoValue);
    return out;
  }
  if (Array.isArray(value)) return value.map(goJsonValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) out[key] = goJsonValue(child);
    return out;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// Strict unmarshal (yaml.UnmarshalStrict) into a described Go type.

export type GoType =
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'any' }
  /** A value the model does not read: decoded as `true` when present, to be refused by the caller. */
  | { kind: 'opaque' }
  | { kind: 'map'; goType: string; value: GoType }
  | { kind: 'slice'; goType: string; item: GoType }
  | { kind: 'struct'; goType: string; fields: Record<string, GoType> };

/** A decoded value: strings, booleans, arrays, records; `any` values as %v text (scalars only). */
export type Decoded = string | boolean | Decoded[] | { [key: string]: Decoded } | null;

export class YamlUnmarshalError extends Error {
  constructor(readonly errors: string[]) {
    super(`yaml: unmarshal errors:\n  ${errors.join('\n  ')}`);
    this.name = 'YamlUnmarshalError';
  }
}

/** A scalar's text: the source of plain scalars, the value of quoted and block ones. */
function sourceText(node: Scalar): string {
  if (node.type === 'PLAIN') return String(node.source ?? '');
  const value: unknown = node.value;
  return typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : '';
}

function shortTag(node: Node): string {
  if (isMap(node)) return '!!map';
  if (isSeq(node)) return '!!seq';
  const scalar = node as Scalar;
  if (scalar.type !== 'PLAIN') return '!!str';
  const tag = resolveTag(String(scalar.source ?? ''));
  return `!!${tag === 'merge' ? 'merge' : tag}`;
}

function isNull(node: Node | null | undefined): boolean {
  if (!node) return true;
  if (!isScalar(node)) return false;
  return node.type === 'PLAIN' && resolveTag(String(node.source ?? '')) === 'null';
}

/**
 * yaml.v2 Unmarshal (UnmarshalStrict unless `strict` is false) of `text` into `type`. Unknown struct fields
 * (strict only) and type mismatches are collected
 * like yaml.v2 does (`line N: ...`) and thrown together as YamlUnmarshalError; YAML syntax errors and
 * anchors/aliases are outside the model.
 */
export function unmarshalStrict(
  text: string,
  type: GoType & { kind: 'struct' },
  strict = true,
): Record<string, Decoded> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', lineCounter, uniqueKeys: false });
  if (doc.errors.length > 0) throw new NotModelledError('YAML syntax errors (libyaml parser messages)');
  const errors: string[] = [];
  const lineOf = (node: Node): number => lineCounter.linePos(node.range?.[0] ?? 0).line;
  const typeError = (node: Node, goType: string): void => {
    const tag = shortTag(node);
    let value = '';
    if (isScalar(node)) {
      const raw = sourceText(node);
      value = raw.length > 10 ? ` \`${raw.slice(0, 7)}...\`` : ` \`${raw}\``;
    }
    errors.push(`line ${lineOf(node)}: cannot unmarshal ${tag}${value} into ${goType}`);
  };
  const decode = (node: Node | null | undefined, t: GoType): Decoded => {
    if (node && isAlias(node)) throw new NotModelledError('YAML anchors and aliases in a preseed');
    if (isNull(node) || !node) {
      if (t.kind === 'bool') return false;
      if (t.kind === 'string') return '';
      return null;
    }
    switch (t.kind) {
      case 'opaque':
        return true;
      case 'string': {
        if (!isScalar(node)) {
          typeError(node, 'string');
          return '';
        }
        return sourceText(node);
      }
      case 'bool': {
        if (isScalar(node) && typeof node.value === 'boolean') return node.value;
        typeError(node, 'bool');
        return false;
      }
      case 'any': {
        // map[string]interface{} values end up formatted with %v by LXD.
        if (!isScalar(node)) throw new NotModelledError('non-scalar values in a preseed config map');
        if (typeof node.value === 'number' && !Number.isInteger(node.value))
          throw new NotModelledError('floating point values in a preseed config map');
        return String(node.value);
      }
      case 'map': {
        if (!isMap(node)) {
          typeError(node, t.goType);
          return null;
        }
        const out: Record<string, Decoded> = {};
        for (const pair of node.items) {
          const key = pair.key as Node | null;
          const keyText = key && isScalar(key) ? String(key.value) : '';
          out[keyText] = decode(pair.value as Node | null, t.value);
        }
        return out;
      }
      case 'slice': {
        if (!isSeq(node)) {
          typeError(node, t.goType);
          return null;
        }
        return node.items.map((item) => decode(item as Node, t.item));
      }
      case 'struct': {
        if (!isMap(node)) {
          typeError(node, t.goType);
          return null;
        }
        const out: Record<string, Decoded> = {};
        for (const pair of node.items) {
          const key = pair.key as Node | null;
          const name = key && isScalar(key) ? String(key.value) : '';
          const field = t.fields[name];
          if (!field) {
            if (strict)
              errors.push(`line ${key ? lineOf(key) : 0}: field ${name} not found in type ${t.goType}`);
            continue;
          }
          out[name] = decode(pair.value as Node | null, field);
        }
        return out;
      }
    }
  };

  const root = doc.contents as Node | null;
  const result = isNull(root) ? {} : decode(root, type);
  if (errors.length > 0) throw new YamlUnmarshalError(errors);
  return result !== null && typeof result === 'object' && !Array.isArray(result) ? result : {};
}

/** Reads a decoded struct field as a string. */
export function decodedString(value: Decoded | undefined): string {
  return typeof value === 'string' ? value : '';
}

/** Reads a decoded struct field as a record of strings (map[string]string / %v-formatted any). */
export function decodedStringMap(value: Decoded | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [key, child] of Object.entries(value)) out[key] = typeof child === 'string' ? child : '';
  return out;
}

/** Reads a decoded slice of structs. */
export function decodedList(value: Decoded | undefined): Record<string, Decoded>[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (item): item is Record<string, Decoded> =>
      item !== null && typeof item === 'object' && !Array.isArray(item),
  );
}
