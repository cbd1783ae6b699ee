// Entry point of the inventory layer: format detection, parsing, and the `inventory` command's views.
// parseInventory holds every format's reader, zod included; a run loads only the reader its inventory
// needs (workflows/load-inventory.ts).
import { parseAnsibleIniInventory } from './ansible-ini.js';
import { parseAnsibleYamlInventory } from './ansible-yaml.js';
import type { Environment } from './env.js';
import { detectFormat, readInventory, type InventoryReader } from './formats.js';
import { parseMcInventory } from './mc-format.js';
import type {
  GroupSpec,
  HostSpec,
  Inventory,
  InventoryFormat,
  InventoryResult,
  InventorySources,
} from './types.js';

export type * from './types.js';
export type { Environment } from './env.js';
export { substituteEnv } from './env.js';
export { detectFormat, type InventoryReader } from './formats.js';
export { expandHostRange, selectHosts, type HostSelection, type RangeExpansion } from './host-patterns.js';
export { formatIssue } from './issues.js';

const READERS: Record<InventoryFormat, InventoryReader> = {
  mc: parseMcInventory,
  'ansible-yaml': parseAnsibleYamlInventory,
  'ansible-ini': parseAnsibleIniInventory,
};

/**
 * Parses and validates an inventory. `env` is used for `${VAR}` substitution (domain code never
 * reads process.env). Either a complete inventory, or every issue found, sorted by file and position.
 */
export function parseInventory(sources: InventorySources, env: Environment): InventoryResult {
  const format = detectFormat(sources.main.path, sources.main.text);
  return readInventory(sources, env, format, READERS[format]);
}

/** What secrets look like in every view. */
export const SECRET_MASK = '********';

const SECRET_KEYS = new Set([
  'password',
  'become_password',
  'ansible_password',
  'ansible_ssh_pass',
  'ansible_ssh_password',
  'ansible_become_password',
  'ansible_become_pass',
  'ansible_sudo_pass',
]);

/** Free-form variables hold secrets too (db_password, api_token): mask by name, erring on the safe side. */
const SECRET_NAME_ENDINGS = /(?:password|passwd|_pass|passphrase|secret|token)$/i;

function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase()) || SECRET_NAME_ENDINGS.test(key);
}

function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      isSecretKey(key) && item !== null && item !== undefined ? SECRET_MASK : maskSecrets(item),
    ]),
  );
}

/** Python's sort order for names (code points), as ansible-inventory sorts hosts, groups and keys. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** json.dumps(sort_keys=True): every map's keys sorted, recursively. */
function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => byName(a, b))
      .map(([key, item]) => [key, sortKeysDeep(item)]),
  );
}

/** POSIX single-quoting, only when needed, for the ansible_ssh_common_args view. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * A host's effective settings in the vocabulary of its inventory format (mc keys, or ansible_*
 * variables), secrets masked. This is what mc will use, not a copy of the file: aliases such as
 * ansible_ssh_pass appear under their main name, and -o options are gathered in one argument string.
 */
export function hostVariables(inventory: Inventory, host: HostSpec): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  const set = (key: string, value: unknown): void => {
    if (value !== undefined) vars[key] = value;
  };
  if (inventory.format === 'mc') {
    set('address', host.address);
    set('port', host.port);
    set('user', host.user);
    set('key', host.keyFile);
    set('password', host.password);
    set('jump', host.proxyJump);
    set('become', host.become ? true : undefined);
    set('become_user', host.becomeUser);
    set('become_password', host.becomePassword);
    set('ssh_options', Object.keys(host.sshOptions).length > 0 ? host.sshOptions : undefined);
    set('vars', Object.keys(host.vars).length > 0 ? host.vars : undefined);
  } else {
    Object.assign(vars, host.vars);
    set('ansible_host', host.address === host.name ? undefined : host.address);
    set('ansible_port', host.port);
    set('ansible_user', host.user);
    set('ansible_ssh_private_key_file', host.keyFile);
    set('ansible_password', host.password);
    const sshArgs = [
      ...(host.proxyJump === undefined ? [] : [`ProxyJump=${host.proxyJump}`]),
      ...Object.entries(host.sshOptions).map(([key, value]) => `${key}=${value}`),
    ].flatMap((option) => ['-o', shellWord(option)]);
    set('ansible_ssh_common_args', sshArgs.length > 0 ? sshArgs.join(' ') : undefined);
    set('ansible_become', host.become ? true : undefined);
    set('ansible_become_user', host.becomeUser);
    set('ansible_become_password', host.becomePassword);
  }
  return sortKeysDeep(maskSecrets(vars)) as Record<string, unknown>;
}

export interface InventoryListGroup {
  hosts?: string[];
  children?: string[];
}

/** The shape of `ansible-inventory --list`: one entry per non-empty group, plus `_meta.hostvars`. */
export interface InventoryListing {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  [group: string]: InventoryListGroup | { hostvars: Record<string, Record<string, unknown>> };
}

function groupIndex(inventory: Inventory): Map<string, GroupSpec> {
  return new Map(inventory.groups.map((group) => [group.name, group]));
}

/** Like `ansible-inventory --list`: groups with sorted hosts and children, empty ones left out. */
export function inventoryList(inventory: Inventory): InventoryListing {
  const groups = groupIndex(inventory);
  const entries: [string, InventoryListGroup][] = [];
  const visited = new Set<string>();
  const visit = (group: GroupSpec): void => {
    if (visited.has(group.name)) return;
    visited.add(group.name);
    const entry: InventoryListGroup = {};
    if (group.name !== 'all' && group.hosts.length > 0) entry.hosts = [...group.hosts].sort(byName);
    const children = [...group.children].sort(byName);
    if (children.length > 0) entry.children = children;
    if (entry.hosts !== undefined || entry.children !== undefined) entries.push([group.name, entry]);
    for (const child of children) {
      const spec = groups.get(child);
      if (spec !== undefined) visit(spec);
    }
  };
  const all = groups.get('all');
  if (all !== undefined) visit(all);

  const hostvars = Object.fromEntries(
    [...inventory.hosts]
      .sort((a, b) => byName(a.name, b.name))
      .map((host) => [host.name, hostVariables(inventory, host)] as const)
      .filter(([, vars]) => Object.keys(vars).length > 0),
  );
  // json.dumps(sort_keys=True), as ansible-inventory prints it: `_meta` sorts among the group names.
  return sortKeysDeep(Object.fromEntries([...entries, ['_meta', { hostvars }]])) as InventoryListing;
}

export interface GraphOptions {
  /** Like `--graph --vars`: each host's settings and each group's vars, as `{name = value}` lines. */
  vars?: boolean;
}

/** Like `ansible-inventory --graph`: `@all:`, then `  |--@group:` and `  |  |--host` lines, sorted. */
export function inventoryGraph(inventory: Inventory, options: GraphOptions = {}): string {
  const groups = groupIndex(inventory);
  const hosts = new Map(inventory.hosts.map((host) => [host.name, host]));
  const lines: string[] = [];
  const indent = (text: string, depth: number): string =>
    depth === 0 ? text : `${'  |'.repeat(depth)}--${text}`;
  const varLines = (vars: Record<string, unknown>, depth: number): void => {
    if (options.vars !== true) return;
    const masked = maskSecrets(vars) as Record<string, unknown>;
    for (const key of Object.keys(masked).sort(byName)) {
      const value = masked[key];
      lines.push(indent(`{${key} = ${typeof value === 'string' ? value : JSON.stringify(value)}}`, depth));
    }
  };
  const graphGroup = (group: GroupSpec, depth: number, path: Set<string>): void => {
    lines.push(indent(`@${group.name}:`, depth));
    for (const child of [...group.children].sort(byName)) {
      const spec = groups.get(child);
      if (spec !== undefined && !path.has(child)) graphGroup(spec, depth + 1, new Set([...path, child]));
    }
    if (group.name !== 'all') {
      for (const name of [...group.hosts].sort(byName)) {
        lines.push(indent(name, depth + 1));
        const host = hosts.get(name);
        if (host !== undefined) varLines(hostVariables(inventory, host), depth + 2);
      }
    }
    varLines(group.vars, depth + 1);
  };
  const all = groups.get('all');
  if (all !== undefined) graphGroup(all, 0, new Set(['all']));
  return lines.join('\n');
}
