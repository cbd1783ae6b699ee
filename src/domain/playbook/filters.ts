// The Jinja2 and Ansible filters and tests mc supports, on plain values. Each follows what Jinja2 3.x
// and ansible-core 2.14 do for the values playbooks use; anything else is refused when the playbook is
// checked, before any host is touched.
import { stringify as toYamlText, parse as parseYamlText } from 'yaml';
import { pyRepr, pyStr, pyTruthy } from './python-repr.js';

/** Jinja2's Undefined, as a value filters and tests can see (`default`, `is defined`). */
export const UNDEFINED: unique symbol = Symbol('undefined');
export type Value = unknown;
export type Kwargs = Record<string, Value>;

export class TemplateError extends Error {}

/** A key set as data: `__proto__` from a host's JSON is a key like any other, never the prototype. */
export function setKey(target: Record<string, Value>, key: string, value: Value): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const isMap = (v: Value): v is Record<string, Value> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function typeName(v: Value): string {
  if (v === UNDEFINED) return 'AnsibleUndefined';
  if (v === null) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

function asList(v: Value, filter: string): Value[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isMap(v)) return Object.keys(v);
  throw new TemplateError(`${filter}: expected a list, got ${typeName(v)}`);
}

function asString(v: Value): string {
  return pyStr(v);
}

/** Python-ish ordering for sort/min/max/unique: numbers by value, strings by code point. */
function compare(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b);
  throw new TemplateError(`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

/**
 * Python's ==, which Jinja2 uses: lists and dicts by contents (dicts in any key order), a bool as the int it
 * is (True == 1 == 1.0), and a string never equal to a number.
 */
export function pyEqual(a: Value, b: Value): boolean {
  const number = (v: Value): number | undefined =>
    typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? v : undefined;
  const x = number(a);
  const y = number(b);
  if (x !== undefined || y !== undefined) return x !== undefined && x === y;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => pyEqual(v, b[i]))
    );
  }
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && pyEqual(a[k], b[k]))
    );
  }
  return a === b;
}

const deepEqual = pyEqual;

function attribute(item: Value, path: string): Value {
  let v: Value = item;
  for (const part of path.split('.')) {
    if (isMap(v) && Object.hasOwn(v, part)) v = v[part];
    else if (Array.isArray(v) && /^\d+$/.test(part)) v = v[Number(part)];
    else return UNDEFINED;
  }
  return v;
}

function toBool(v: Value): boolean {
  if (typeof v === 'boolean') return v;
  if (v === null || v === UNDEFINED) return false;
  const s = asString(v).toLowerCase().trim();
  return ['yes', 'on', '1', 'true', 'y', 't'].includes(s) || (typeof v === 'number' && v === 1);
}

function toInt(v: Value, fallback: Value = 0): Value {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^[+-]?\d+$/.test(s)) return Number.parseInt(s, 10);
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Math.trunc(Number(s));
  }
  return fallback;
}

function toFloat(v: Value, fallback: Value = 0): Value {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return fallback;
}

/** Python's re syntax is close to JavaScript's for what playbooks use; named groups differ. */
function pyRegex(pattern: string, flags = ''): RegExp {
  const js = pattern.replace(/\(\?P<(\w+)>/g, '(?<$1>').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  try {
    return new RegExp(js, flags);
  } catch (err) {
    throw new TemplateError(`bad regular expression ${pyRepr(pattern)}: ${(err as Error).message}`);
  }
}

function pyReplacement(replacement: string): string {
  return replacement
    .replace(/\\(\d)/g, '$$$1')
    .replace(/\\g<(\w+)>/g, (_m, g: string) => (/^\d+$/.test(g) ? `$${g}` : `$<${g}>`));
}

function toJson(v: Value, indent?: number, sortKeys = false): string {
  const sorter = (_k: string, val: Value): Value =>
    sortKeys && isMap(val)
      ? Object.fromEntries(
          Object.keys(val)
            .sort()
            .map((k) => [k, val[k]]),
        )
      : val;
  const text = JSON.stringify(v, sorter, indent);
  // Python's json.dumps separates with ', ' and ': ' when it does not indent.
  if (indent !== undefined) return text;
  return reJoinJson(v, sortKeys);
}

function reJoinJson(v: Value, sortKeys: boolean): string {
  if (Array.isArray(v)) return `[${v.map((x) => reJoinJson(x, sortKeys)).join(', ')}]`;
  if (isMap(v)) {
    const keys = sortKeys ? Object.keys(v).sort() : Object.keys(v);
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${reJoinJson(v[k], sortKeys)}`).join(', ')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function flatten(list: Value[], levels: number | undefined, depth = 0): Value[] {
  const out: Value[] = [];
  for (const item of list) {
    if (Array.isArray(item) && (levels === undefined || depth < levels))
      out.push(...flatten(item, levels, depth + 1));
    else if (item !== null) out.push(item);
  }
  return out;
}

function combine(maps: Value[], recursive: boolean): Record<string, Value> {
  const merge = (a: Record<string, Value>, b: Record<string, Value>): Record<string, Value> => {
    const out: Record<string, Value> = {};
    for (const [k, v] of Object.entries(a)) setKey(out, k, v);
    for (const [k, v] of Object.entries(b)) {
      const prev = out[k];
      setKey(out, k, recursive && isMap(prev) && isMap(v) ? merge(prev, v) : v);
    }
    return out;
  };
  let result: Record<string, Value> = {};
  for (const m of maps) {
    if (!isMap(m)) throw new TemplateError(`combine: expected dicts, got ${typeName(m)}`);
    result = merge(result, m);
  }
  return result;
}

export type Filter = (value: Value, args: Value[], kwargs: Kwargs) => Value;

const arg = (args: Value[], kwargs: Kwargs, index: number, name: string, fallback?: Value): Value =>
  args[index] !== undefined ? args[index] : Object.hasOwn(kwargs, name) ? kwargs[name] : fallback;

export const FILTERS: Record<string, Filter> = {
  default: (v, args, kw) => {
    const fallback = arg(args, kw, 0, 'default_value', '');
    const boolean = toBool(arg(args, kw, 1, 'boolean', false));
    return v === UNDEFINED || (boolean && !pyTruthy(v)) ? fallback : v;
  },
  mandatory: (v, args) => {
    if (v === UNDEFINED)
      throw new TemplateError(typeof args[0] === 'string' ? args[0] : 'Mandatory variable not defined.');
    return v;
  },
  bool: (v) => toBool(v),
  int: (v, args, kw) => toInt(v, arg(args, kw, 0, 'default', 0)),
  float: (v, args, kw) => toFloat(v, arg(args, kw, 0, 'default', 0)),
  string: (v) => asString(v),
  abs: (v) => Math.abs(Number(toFloat(v))),
  round: (v, args, kw) => {
    const precision = Number(arg(args, kw, 0, 'precision', 0));
    const method = String(arg(args, kw, 1, 'method', 'common'));
    const f = 10 ** precision;
    const n = Number(toFloat(v));
    if (method === 'ceil') return Math.ceil(n * f) / f;
    if (method === 'floor') return Math.floor(n * f) / f;
    return Math.round(n * f) / f;
  },
  length: (v) => {
    if (typeof v === 'string' || Array.isArray(v)) return [...(v as string | Value[])].length;
    if (isMap(v)) return Object.keys(v).length;
    throw new TemplateError(`object of type '${typeName(v)}' has no len()`);
  },
  lower: (v) => asString(v).toLowerCase(),
  upper: (v) => asString(v).toUpperCase(),
  capitalize: (v) => {
    const s = asString(v);
    return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
  },
  title: (v) => asString(v).replace(/\w\S*/g, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()),
  trim: (v) => asString(v).trim(),
  replace: (v, args) => {
    const s = asString(v);
    const old = asString(args[0] ?? '');
    const replacement = asString(args[1] ?? '');
    const count = args[2] === undefined ? -1 : Number(args[2]);
    if (count < 0) return s.split(old).join(replacement);
    let out = s;
    let from = 0;
    for (let i = 0; i < count; i++) {
      const at = out.indexOf(old, from);
      if (at < 0) break;
      out = out.slice(0, at) + replacement + out.slice(at + old.length);
      from = at + replacement.length;
    }
    return out;
  },
  regex_replace: (v, args, kw) => {
    const flags = `g${toBool(kw.ignorecase) ? 'i' : ''}${toBool(kw.multiline) ? 'm' : ''}`;
    const pattern = pyRegex(asString(arg(args, kw, 0, 'pattern', '')), flags);
    return asString(v).replace(pattern, pyReplacement(asString(arg(args, kw, 1, 'replacement', ''))));
  },
  regex_search: (v, args, kw) => {
    const flags = `${toBool(kw.ignorecase) ? 'i' : ''}${toBool(kw.multiline) ? 'm' : ''}`;
    const match = pyRegex(asString(args[0] ?? ''), flags).exec(asString(v));
    if (match === null) return null;
    const groups = args.slice(1).map(asString);
    if (groups.length === 0) return match[0];
    return groups.map((g) => {
      const m = /^\\(\d+)$/.exec(g) ?? /^\\g<(\w+)>$/.exec(g);
      if (m === null) throw new TemplateError(`regex_search: unknown group ${pyRepr(g)}`);
      const key = m[1] as string;
      return /^\d+$/.test(key) ? (match[Number(key)] ?? null) : (match.groups?.[key] ?? null);
    });
  },
  regex_findall: (v, args) => {
    const re = pyRegex(asString(args[0] ?? ''), 'g');
    return [...asString(v).matchAll(re)].map((m) =>
      m.length > 2 ? m.slice(1) : m.length === 2 ? (m[1] ?? '') : m[0],
    );
  },
  regex_escape: (v) => asString(v).replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'),
  split: (v, args) => {
    const s = asString(v);
    const sep = args[0];
    if (sep === undefined || sep === null) return s.split(/\s+/).filter((x) => x !== '');
    return s.split(asString(sep));
  },
  join: (v, args, kw) => {
    const list = asList(v, 'join');
    const sep = asString(arg(args, kw, 0, 'd', ''));
    const attr = kw.attribute;
    return list.map((x) => asString(typeof attr === 'string' ? attribute(x, attr) : x)).join(sep);
  },
  first: (v) => asList(v, 'first')[0] ?? UNDEFINED,
  last: (v) => {
    const list = asList(v, 'last');
    return list.length === 0 ? UNDEFINED : list[list.length - 1];
  },
  list: (v) => asList(v, 'list'),
  unique: (v) => {
    const out: Value[] = [];
    for (const item of asList(v, 'unique')) if (!out.some((x) => deepEqual(x, item))) out.push(item);
    return out;
  },
  sort: (v, args, kw) => {
    const reverse = toBool(arg(args, kw, 0, 'reverse', false));
    const attr = kw.attribute;
    const key = (x: Value): Value => (typeof attr === 'string' ? attribute(x, attr) : x);
    const sorted = [...asList(v, 'sort')].sort((a, b) => compare(key(a), key(b)));
    return reverse ? sorted.reverse() : sorted;
  },
  reverse: (v) => (typeof v === 'string' ? [...v].reverse().join('') : [...asList(v, 'reverse')].reverse()),
  min: (v) => [...asList(v, 'min')].sort(compare)[0] ?? UNDEFINED,
  max: (v) => [...asList(v, 'max')].sort(compare).at(-1) ?? UNDEFINED,
  sum: (v, args, kw) =>
    asList(v, 'sum').reduce<number>((a, b) => a + Number(b), Number(arg(args, kw, 1, 'start', 0))),
  flatten: (v, args, kw) => {
    const levels = arg(args, kw, 0, 'levels');
    return flatten(asList(v, 'flatten'), levels === undefined ? undefined : Number(levels));
  },
  difference: (v, args) => {
    const other = asList(args[0] ?? [], 'difference');
    return FILTERS.unique?.(
      asList(v, 'difference').filter((x) => !other.some((y) => deepEqual(x, y))),
      [],
      {},
    );
  },
  intersect: (v, args) => {
    const other = asList(args[0] ?? [], 'intersect');
    return FILTERS.unique?.(
      asList(v, 'intersect').filter((x) => other.some((y) => deepEqual(x, y))),
      [],
      {},
    );
  },
  union: (v, args) => FILTERS.unique?.([...asList(v, 'union'), ...asList(args[0] ?? [], 'union')], [], {}),
  combine: (v, args, kw) => combine([v, ...args], toBool(kw.recursive)),
  dict2items: (v, args, kw) => {
    if (!isMap(v)) throw new TemplateError(`dict2items requires a dictionary, got ${typeName(v)} instead.`);
    const keyName = asString(arg(args, kw, 0, 'key_name', 'key'));
    const valueName = asString(arg(args, kw, 1, 'value_name', 'value'));
    return Object.entries(v).map(([k, val]) => {
      const item: Record<string, Value> = {};
      setKey(item, keyName, k);
      setKey(item, valueName, val);
      return item;
    });
  },
  items2dict: (v, args, kw) => {
    const keyName = asString(arg(args, kw, 0, 'key_name', 'key'));
    const valueName = asString(arg(args, kw, 1, 'value_name', 'value'));
    const out: Record<string, Value> = {};
    for (const item of asList(v, 'items2dict')) {
      if (!isMap(item) || !Object.hasOwn(item, keyName))
        throw new TemplateError(`items2dict requires a list of dictionaries with '${keyName}'`);
      setKey(out, asString(item[keyName]), item[valueName]);
    }
    return out;
  },
  dict: (v) => {
    const out: Record<string, Value> = {};
    for (const pair of asList(v, 'dict')) {
      const [key, value] = asList(pair, 'dict');
      setKey(out, asString(key), value);
    }
    return out;
  },
  zip: (v, args) => {
    const lists = [asList(v, 'zip'), ...args.map((a) => asList(a, 'zip'))];
    const n = Math.min(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_, i) => lists.map((l) => l[i]));
  },
  map: (v, args, kw) => {
    const list = asList(v, 'map');
    if (typeof kw.attribute === 'string') {
      const path = kw.attribute;
      return list.map((x) => {
        const got = attribute(x, path);
        return got === UNDEFINED && Object.hasOwn(kw, 'default') ? kw.default : got;
      });
    }
    const name = asString(args[0] ?? '');
    const filter = FILTERS[name];
    if (filter === undefined) throw new TemplateError(`No filter named '${name}'.`);
    return list.map((x) => filter(x, args.slice(1), {}));
  },
  selectattr: (v, args) => selectAttr(v, args, true),
  rejectattr: (v, args) => selectAttr(v, args, false),
  select: (v, args) => selectItems(v, args, true),
  reject: (v, args) => selectItems(v, args, false),
  ternary: (v, args) => {
    if (v === null && args.length > 2) return args[2];
    return pyTruthy(v) ? args[0] : args[1];
  },
  to_json: (v, _args, kw) => toJson(v, undefined, toBool(kw.sort_keys)),
  to_nice_json: (v, args, kw) => toJson(v, Number(arg(args, kw, 0, 'indent', 4)), true),
  from_json: (v) => {
    try {
      const parsed: unknown = JSON.parse(asString(v));
      return parsed;
    } catch (err) {
      throw new TemplateError(`from_json: ${(err as Error).message}`);
    }
  },
  to_yaml: (v) => toYamlText(v, { flowCollectionPadding: false, defaultStringType: 'PLAIN' }),
  to_nice_yaml: (v, args, kw) => toYamlText(v, { indent: Number(arg(args, kw, 0, 'indent', 4)) }),
  from_yaml: (v) => {
    try {
      return parseYamlText(asString(v), { maxAliasCount: 100 }) as Value;
    } catch (err) {
      throw new TemplateError(`from_yaml: ${(err as Error).message}`);
    }
  },
  b64encode: (v) => Buffer.from(asString(v), 'utf8').toString('base64'),
  b64decode: (v) => Buffer.from(asString(v), 'base64').toString('utf8'),
  basename: (v) => asString(v).replace(/.*\//, ''),
  dirname: (v) => {
    const s = asString(v);
    const at = s.lastIndexOf('/');
    return at < 0 ? '' : at === 0 ? '/' : s.slice(0, at);
  },
  quote: (v) => {
    const s = asString(v);
    if (s === '') return "''";
    return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`;
  },
  type_debug: (v) => typeName(v),
};
FILTERS.d = FILTERS.default as Filter;
FILTERS.count = FILTERS.length as Filter;

function selectAttr(v: Value, args: Value[], keep: boolean): Value[] {
  const path = asString(args[0] ?? '');
  const testName = args[1] === undefined ? undefined : asString(args[1]);
  return asList(v, 'selectattr').filter((item) => {
    const value = attribute(item, path);
    const passed =
      testName === undefined
        ? value !== UNDEFINED && pyTruthy(value)
        : runTest(testName, value, args.slice(2));
    return passed === keep;
  });
}

function selectItems(v: Value, args: Value[], keep: boolean): Value[] {
  const testName = args[0] === undefined ? undefined : asString(args[0]);
  return asList(v, 'select').filter((item) => {
    const passed = testName === undefined ? pyTruthy(item) : runTest(testName, item, args.slice(1));
    return passed === keep;
  });
}

export type Test = (value: Value, args: Value[]) => boolean;

const resultFailed = (v: Value): boolean => {
  if (!isMap(v)) throw new TemplateError('The failed test expects a dictionary');
  return toBool(v.failed ?? false);
};
const resultChanged = (v: Value): boolean => {
  if (!isMap(v)) throw new TemplateError('The changed test expects a dictionary');
  return toBool(v.changed ?? false);
};
const resultSkipped = (v: Value): boolean => {
  if (!isMap(v)) throw new TemplateError('The skipped test expects a dictionary');
  return toBool(v.skipped ?? false);
};

export const TESTS: Record<string, Test> = {
  defined: (v) => v !== UNDEFINED,
  undefined: (v) => v === UNDEFINED,
  none: (v) => v === null,
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  float: (v) => typeof v === 'number' && !Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  mapping: (v) => isMap(v),
  sequence: (v) => Array.isArray(v) || typeof v === 'string' || isMap(v),
  iterable: (v) => Array.isArray(v) || typeof v === 'string' || isMap(v),
  lower: (v) => typeof v === 'string' && v === v.toLowerCase(),
  upper: (v) => typeof v === 'string' && v === v.toUpperCase(),
  truthy: (v) => pyTruthy(v),
  falsy: (v) => !pyTruthy(v),
  failed: resultFailed,
  failure: resultFailed,
  succeeded: (v) => !resultFailed(v),
  success: (v) => !resultFailed(v),
  successful: (v) => !resultFailed(v),
  changed: resultChanged,
  change: resultChanged,
  skipped: resultSkipped,
  skip: resultSkipped,
  // Tests with an argument: usable through select/selectattr (the template parser reads no test arguments).
  equalto: (v, args) => deepEqual(v, args[0]),
  eq: (v, args) => deepEqual(v, args[0]),
  '==': (v, args) => deepEqual(v, args[0]),
  ne: (v, args) => !deepEqual(v, args[0]),
  '!=': (v, args) => !deepEqual(v, args[0]),
  lt: (v, args) => compare(v, args[0]) < 0,
  '<': (v, args) => compare(v, args[0]) < 0,
  le: (v, args) => compare(v, args[0]) <= 0,
  '<=': (v, args) => compare(v, args[0]) <= 0,
  gt: (v, args) => compare(v, args[0]) > 0,
  '>': (v, args) => compare(v, args[0]) > 0,
  ge: (v, args) => compare(v, args[0]) >= 0,
  '>=': (v, args) => compare(v, args[0]) >= 0,
  in: (v, args) => {
    const container = args[0];
    if (typeof container === 'string') return typeof v === 'string' && container.includes(v);
    if (Array.isArray(container)) return container.some((x) => deepEqual(x, v));
    return isMap(container) && typeof v === 'string' && Object.hasOwn(container, v);
  },
  match: (v, args) => pyRegex(`^(?:${asString(args[0] ?? '')})`).test(asString(v)),
  search: (v, args) => pyRegex(asString(args[0] ?? '')).test(asString(v)),
  regex: (v, args) => pyRegex(asString(args[0] ?? '')).test(asString(v)),
};

export function runTest(name: string, value: Value, args: Value[]): boolean {
  const test = TESTS[name];
  if (test === undefined) throw new TemplateError(`no test named '${name}'`);
  return test(value, args);
}

/** Names refused with a reason rather than a "did you mean": they would reach beyond the template. */
export const REFUSED_FUNCTIONS: Record<string, string> = {
  lookup: 'lookups read the controller; mc does not run them (pass the value with -e or vars_files)',
  query: 'lookups read the controller; mc does not run them (pass the value with -e or vars_files)',
  q: 'lookups read the controller; mc does not run them (pass the value with -e or vars_files)',
};

/** Functions a template may call. */
export const GLOBAL_FUNCTIONS = ['range', 'dict', 'omit'] as const;
