// Host ranges (`node[01:10]`, shared by both Ansible formats) and `--limit` patterns, as Ansible reads them.
import { showValue } from '../input/index.js';
import type { HostSpec, Inventory } from './types.js';

/** A range like node[1:100000] is a typo, not a cluster; refuse before allocating it. */
export const MAX_RANGE_HOSTS = 10_000;

const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export type RangeExpansion = { ok: true; hosts: string[] } | { ok: false; error: string };

/**
 * Expands Ansible host ranges: `node[1:3]`, `node[01:10]` (zero-padded), `node[a:c]`, `node[1:10:2]`
 * (stride), several ranges in one name (`r[1:2]-n[1:2]`), and `[:3]` (begin defaults to 0).
 * A name without `[` is returned as is.
 */
export function expandHostRange(pattern: string): RangeExpansion {
  const hosts: string[] = [];
  const error = expandInto(pattern, hosts, pattern);
  return error === undefined ? { ok: true, hosts } : { ok: false, error };
}

/** Appends the expansion of `pattern` to `out`; errors name `original`, the pattern as written. */
function expandInto(pattern: string, out: string[], original: string): string | undefined {
  const open = pattern.indexOf('[');
  if (open < 0) {
    out.push(pattern);
    return undefined;
  }
  const close = pattern.indexOf(']', open);
  if (close < 0) return `unclosed '[' in host range '${showValue(String(original))}'`;
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  const bounds = pattern.slice(open + 1, close).split(':');
  if (bounds.length !== 2 && bounds.length !== 3) {
    return `host range '${showValue(String(original))}' must be [begin:end] or [begin:end:step]`;
  }
  const begin = bounds[0] === '' ? '0' : (bounds[0] ?? '0');
  const end = bounds[1] ?? '';
  const stepText = bounds[2] ?? '1';
  if (end === '') return `host range '${showValue(String(original))}' has no end value`;
  if (!/^[0-9]+$/.test(stepText) || Number(stepText) === 0) {
    return `host range '${showValue(String(original))}' has an invalid step '${showValue(String(stepText))}' (use a positive integer)`;
  }
  const step = Number(stepText);
  const sequence = rangeSequence(original, begin, end, step);
  if (typeof sequence === 'string') return sequence;
  for (const item of sequence) {
    const error = expandInto(`${head}${item}${tail}`, out, original);
    if (error !== undefined) return error;
    if (out.length > MAX_RANGE_HOSTS)
      return `host range '${showValue(String(original))}' expands to more than ${MAX_RANGE_HOSTS} hosts`;
  }
  return undefined;
}

function rangeSequence(pattern: string, begin: string, end: string, step: number): string[] | string {
  const letterBegin = begin.length === 1 ? ASCII_LETTERS.indexOf(begin) : -1;
  const letterEnd = end.length === 1 ? ASCII_LETTERS.indexOf(end) : -1;
  if (letterBegin >= 0 && letterEnd >= 0) {
    if (letterBegin > letterEnd) return `host range '${showValue(String(pattern))}' must have begin <= end`;
    const letters: string[] = [];
    for (let i = letterBegin; i <= letterEnd; i += step) letters.push(ASCII_LETTERS[i] ?? '');
    return letters;
  }
  if (!/^[0-9]+$/.test(begin) || !/^[0-9]+$/.test(end)) {
    return `host range '${showValue(String(pattern))}' must be numeric ([1:3]) or single letters ([a:c])`;
  }
  // A leading zero asks for zero padding, so begin and end must have the same width (01:10, not 01:100).
  const width = begin.length > 1 && begin.startsWith('0') ? begin.length : 0;
  if (width > 0 && end.length !== width) {
    return `host range '${showValue(String(pattern))}' must give begin and end with the same number of digits`;
  }
  const first = Number(begin);
  const last = Number(end);
  // Ansible silently yields no host here; a reversed range is always a typo.
  if (first > last) return `host range '${showValue(String(pattern))}' must have begin <= end`;
  if (Math.floor((last - first) / step) + 1 > MAX_RANGE_HOSTS) {
    return `host range '${showValue(String(pattern))}' expands to more than ${MAX_RANGE_HOSTS} hosts`;
  }
  const numbers: string[] = [];
  for (let n = first; n <= last; n += step) numbers.push(String(n).padStart(width, '0'));
  return numbers;
}

/**
 * Splits an optional `:port` off a host pattern, as Ansible's parse_address does: `node1:2222`,
 * `[fe80::1]:2222`, `node[1:3]:2222`. A bare IPv6 address has no port.
 */
export function splitHostPort(pattern: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\]:([0-9]+)$/.exec(pattern);
  if (bracketed?.[1] !== undefined && bracketed[1].includes(':') && !/^[0-9]+:[0-9]+/.test(bracketed[1])) {
    return { host: bracketed[1], port: Number(bracketed[2]) };
  }
  // Colons inside [..] belong to ranges; a single colon outside them separates the port.
  const hostPort = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/.exec(pattern);
  if (hostPort?.[1] !== undefined && hostPort[1] !== '')
    return { host: hostPort[1], port: Number(hostPort[2]) };
  return { host: pattern };
}

/** A TCP port from a number or a string of digits (INI and ${VAR} values are strings), if valid. */
export function portNumber(value: unknown): number | undefined {
  const port = typeof value === 'string' && /^[0-9]+$/.test(value.trim()) ? Number(value) : value;
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535 ? port : undefined;
}

export type HostSelection = { ok: true; hosts: HostSpec[] } | { ok: false; issues: string[] };

/**
 * Applies an Ansible host pattern (`--limit`): terms separated by `,` (or `:`), each a host or group
 * name, a glob (`node*`, `web?`, `[ab]*`), a regex (`~node[0-9]+`), `all` or `*`. `&term` keeps only
 * hosts also in term, `!term` removes hosts in term; as in Ansible, plain terms are applied first,
 * then `&`, then `!`, whatever their order. A term that matches nothing is an error (a typo in
 * `!node3` would otherwise silently select node3). Hosts come back in inventory order.
 */
export function selectHosts(inventory: Inventory, pattern: string): HostSelection {
  const terms = splitPattern(pattern);
  if (terms.length === 0) return { ok: false, issues: ['--limit: the pattern is empty (try --limit all)'] };
  const errors: string[] = [];
  const regular = terms.filter((term) => !term.startsWith('!') && !term.startsWith('&'));
  const intersections = terms.filter((term) => term.startsWith('&'));
  const exclusions = terms.filter((term) => term.startsWith('!'));
  const ordered = [...(regular.length === 0 ? ['all'] : regular), ...intersections, ...exclusions];

  let selected = new Set<string>();
  for (const term of ordered) {
    const operator = term.startsWith('!') || term.startsWith('&') ? term[0] : '';
    const body = operator === '' ? term : term.slice(1);
    if (body.startsWith('@')) {
      errors.push(`--limit: ${body} host lists from files are not supported (list the host names instead)`);
      continue;
    }
    const matched = matchTerm(inventory, body);
    if (typeof matched === 'string') {
      errors.push(matched);
      continue;
    }
    if (matched.size === 0 && !isGroupName(inventory, body)) {
      errors.push(`--limit: '${showValue(String(body))}' matches no host or group`);
      continue;
    }
    if (operator === '!') selected = new Set([...selected].filter((name) => !matched.has(name)));
    else if (operator === '&') selected = new Set([...selected].filter((name) => matched.has(name)));
    else for (const name of matched) selected.add(name);
  }
  if (errors.length > 0) return { ok: false, issues: errors };
  return { ok: true, hosts: inventory.hosts.filter((host) => selected.has(host.name)) };
}

function splitPattern(pattern: string): string[] {
  const parts = pattern.includes(',') ? pattern.split(',') : splitOnColons(pattern);
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

/** `a:b:!c`, but not inside `[x:y]` and not for an IPv6 address, whose colons are part of the name. */
function splitOnColons(pattern: string): string[] {
  const ipv6 = /^(?=.*::)[0-9a-fA-F:.]+$|^(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}$/;
  if (ipv6.test(pattern)) return [pattern];
  return pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
}

function isGroupName(inventory: Inventory, name: string): boolean {
  return inventory.groups.some((group) => group.name === name);
}

/** Names of the hosts a single term (without its !/& operator) selects, or an error message. */
function matchTerm(inventory: Inventory, term: string): Set<string> | string {
  const hostByName = new Set(inventory.hosts.map((host) => host.name));
  if (hostByName.has(term)) return new Set([term]);
  const matcher = compileMatcher(term);
  if (typeof matcher === 'string') return matcher;
  const matched = new Set<string>();
  const groups = inventory.groups.filter((group) => matcher(group.name)).map((group) => group.name);
  for (const host of inventory.hosts) {
    if (groups.some((group) => host.groups.includes(group))) matched.add(host.name);
  }
  // Ansible matches host names too when no group matched, or when the term is a glob or regex.
  if (groups.length === 0 || term.startsWith('~') || /[.?*[]/.test(term)) {
    for (const host of inventory.hosts) if (matcher(host.name)) matched.add(host.name);
  }
  return matched;
}

function compileMatcher(term: string): ((name: string) => boolean) | string {
  if (term.startsWith('~')) {
    try {
      const regex = new RegExp(`^(?:${term.slice(1)})`);
      return (name) => regex.test(name);
    } catch (error) {
      const reason = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '');
      return `--limit: invalid regular expression '${showValue(String(term))}': ${reason}`;
    }
  }
  const regex = new RegExp(`^${globToRegexSource(term)}$`);
  return (name) => regex.test(name);
}

/** fnmatch semantics: `*`, `?`, `[abc]`, `[!abc]`; everything else literal. */
function globToRegexSource(glob: string): string {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] ?? '';
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      const negated = body.startsWith('!');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return source;
}
