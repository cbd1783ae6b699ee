// mc's own inventory format: YAML with `defaults`, `groups`, `hosts` and `cluster`, validated with zod.
import { isMap, isScalar, isSeq } from 'yaml';
import type { Node } from 'yaml';
import * as z from 'zod';
import { substituteEnvInYaml, type Environment } from './env.js';
import { portNumber } from './host-patterns.js';
import { addressProblem, showValue } from '../input/index.js';
import { closestMatch, describeValue, type IssueList } from './issues.js';
import type { GroupSpec, HostSpec, Inventory, InventorySources, SourcePosition } from './types.js';
import {
  mapEntries,
  nodeAtPath,
  parseYamlFile,
  positionOf,
  toPlain,
  valuePosition,
  type YamlFile,
} from './yaml-source.js';

const PORT_RULE = 'must be an integer from 1 to 65535';
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SSH_OPTION_NAME = /^[A-Za-z][A-Za-z0-9]*$/;
const PROXY_JUMP_HOP = /^(?:ssh:\/\/)?(?:[^@\s,/]+@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::([0-9]+))?$/;

/** OpenSSH ProxyJump syntax: `[user@]host[:port]`, comma-separated hops, or `none`. */
function isProxyJump(value: string): boolean {
  if (value === 'none') return true;
  return value.split(',').every((hop) => {
    const match = PROXY_JUMP_HOP.exec(hop.trim());
    return match !== null && (match[1] === undefined || portNumber(match[1]) !== undefined);
  });
}

// A port may come from `${SSH_PORT:-22}`, which is a string after substitution: digits are accepted.
const portSchema = z
  .union(
    [
      z.number(),
      z
        .string()
        .regex(/^[0-9]+$/)
        .transform(Number),
    ],
    { error: PORT_RULE },
  )
  .pipe(z.number().int({ error: PORT_RULE }).min(1, { error: PORT_RULE }).max(65535, { error: PORT_RULE }));

const nonEmptyString = (what: string) =>
  z.string({ error: `must be ${what}` }).refine((value) => value.trim() !== '', { error: `must be ${what}` });

/** One host name or IP literal: never whitespace, an option (`-o...`) or shell syntax. */
const addressField = nonEmptyString('a host name or IP address').refine(
  (value) => value.trim() === '' || addressProblem(value) === undefined,
  { error: 'must be one IPv4 or IPv6 address or host name (no spaces, options or shell syntax)' },
);

// OpenSSH reads yes/no; YAML `true`/`10` are written back the way ssh expects them.
const sshOptionValue = z
  .union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or boolean' })
  .transform((value) => (typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value)));

const connectionFields = {
  user: nonEmptyString('a user name').optional(),
  port: portSchema.optional(),
  key: nonEmptyString('the path of a private key file').optional(),
  password: z.string({ error: 'must be a string' }).optional(),
  jump: nonEmptyString('a ProxyJump value')
    .refine(isProxyJump, { error: 'must be [user@]host[:port], comma-separated for several hops' })
    .optional(),
  become: z.boolean({ error: 'must be true or false' }).optional(),
  become_user: nonEmptyString('a user name').optional(),
  become_password: z.string({ error: 'must be a string' }).optional(),
  ssh_options: z
    .record(z.string().regex(SSH_OPTION_NAME), sshOptionValue, {
      error: 'must be a map of OpenSSH option names to values',
    })
    .optional(),
  vars: z.record(z.string(), z.unknown(), { error: 'must be a map of variable names to values' }).optional(),
};

const nameList = z.array(z.string({ error: 'must be a name' }), { error: 'must be a list of names' });

const defaultsSchema = z.strictObject(connectionFields, { error: 'must be a map of connection settings' });
const groupSchema = z.strictObject(
  { hosts: nameList.optional(), children: nameList.optional(), ...connectionFields },
  { error: 'must be a map with hosts, children and connection settings' },
);
const hostSchema = z.strictObject(
  { address: addressField.optional(), ...connectionFields },
  { error: 'must be a map of connection settings (or empty)' },
);
const inventorySchema = z.strictObject({
  defaults: defaultsSchema.nullable().optional(),
  groups: z
    .record(z.string().regex(NAME_PATTERN), groupSchema.nullable(), {
      error: 'must be a map of group names to groups',
    })
    .nullable()
    .optional(),
  hosts: z.record(z.string().regex(NAME_PATTERN), hostSchema.nullable(), {
    error: 'must be a map of host names to settings',
  }),
  cluster: z.unknown().optional(),
});

type ConnectionSettings = z.infer<typeof defaultsSchema>;
type McInventory = z.infer<typeof inventorySchema>;

const CONNECTION_KEYS = Object.keys(connectionFields);
const ALLOWED_KEYS = {
  root: Object.keys(inventorySchema.shape),
  defaults: CONNECTION_KEYS,
  group: Object.keys(groupSchema.shape),
  host: Object.keys(hostSchema.shape),
};

/** Keys people bring from Ansible or ssh_config, and what mc calls them. */
const KEY_ALIASES: Record<string, string> = {
  ansible_host: 'address',
  hostname: 'address',
  host: 'address',
  ip: 'address',
  ansible_port: 'port',
  ansible_user: 'user',
  username: 'user',
  ansible_ssh_private_key_file: 'key',
  ansible_private_key_file: 'key',
  identityfile: 'key',
  identity_file: 'key',
  private_key: 'key',
  ssh_key: 'key',
  ansible_password: 'password',
  ansible_ssh_pass: 'password',
  proxyjump: 'jump',
  proxy_jump: 'jump',
  ansible_become: 'become',
  sudo: 'become',
  ansible_become_user: 'become_user',
  ansible_become_password: 'become_password',
  ansible_become_pass: 'become_password',
  sudo_password: 'become_password',
  options: 'ssh_options',
  variables: 'vars',
};

/**
 * Parses mc's format (YAML 1.2). Precedence: defaults < groups (in file order) < host. Every problem
 * is reported with its position; the inventory is only built when the file is valid.
 */
export function parseMcInventory(
  sources: InventorySources,
  env: Environment,
  issues: IssueList,
): Inventory | undefined {
  const { path, text } = sources.main;
  const source = parseYamlFile(path, text, '1.2', issues);
  if (!source.syntaxOk) return undefined;
  substituteEnvInYaml(source, env, issues);
  const root = source.doc.contents;
  const data = toPlain(source, root, issues);
  if (data === null || data === undefined) {
    issues.add(
      { file: path, line: 1, col: 1 },
      'the inventory is empty: add a hosts: section (see inventories/example.yaml)',
    );
    return undefined;
  }
  if (!isRecord(data)) {
    issues.add(
      positionOf(source, root),
      `the inventory must be a map with a hosts: section, got ${describeValue(data)}`,
    );
    return undefined;
  }
  const checker = new McChecker(source, data, issues);
  const parsed = inventorySchema.safeParse(data);
  if (!parsed.success) for (const issue of parsed.error.issues) checker.reportSchemaIssue(issue);
  checker.checkReferences();
  if (!parsed.success) return undefined;
  return buildInventory(source, parsed.data, checker.hostOrder(), checker.groupOrder(), issues);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function dottedPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, segment) =>
      typeof segment === 'number'
        ? `${text}[${segment}]`
        : text === ''
          ? String(segment)
          : `${text}.${String(segment)}`,
    '',
  );
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const segment of path) {
    if (Array.isArray(value) && typeof segment === 'number') value = value[segment] as unknown;
    else if (isRecord(value) && typeof segment === 'string') value = value[segment];
    else return undefined;
  }
  return value;
}

/** Semantic checks zod cannot express (references, cycles, duplicates), on the raw data. */
class McChecker {
  readonly #source: YamlFile;
  readonly #data: Record<string, unknown>;
  readonly #issues: IssueList;

  constructor(source: YamlFile, data: Record<string, unknown>, issues: IssueList) {
    this.#source = source;
    this.#data = data;
    this.#issues = issues;
  }

  /** Host names in file order (a JS object would put numeric names like '10' first). */
  hostOrder(): string[] {
    return this.#keysOf('hosts');
  }

  groupOrder(): string[] {
    return this.#keysOf('groups');
  }

  #keysOf(section: string): string[] {
    const { node } = nodeAtPath(this.#source, [section], this.#issues);
    return isMap(node)
      ? [...new Set(mapEntries(this.#source, node, this.#issues).map((entry) => entry.key))]
      : [];
  }

  #keyPosition(path: readonly PropertyKey[]): SourcePosition {
    const { entry, node } = this.#locate(path);
    return positionOf(this.#source, entry?.keyNode ?? node);
  }

  #valuePosition(path: readonly PropertyKey[]): SourcePosition {
    const { entry, node } = this.#locate(path);
    return entry === undefined ? positionOf(this.#source, node) : valuePosition(this.#source, entry);
  }

  /** The node at `path`, or at the closest enclosing path that exists in the file. */
  #locate(path: readonly PropertyKey[]): ReturnType<typeof nodeAtPath> {
    for (let length = path.length; length > 0; length--) {
      const found = nodeAtPath(this.#source, path.slice(0, length), this.#issues);
      if (found.node !== null || found.entry !== undefined) return found;
    }
    return { node: this.#source.doc.contents };
  }

  reportSchemaIssue(issue: z.core.$ZodIssue): void {
    const path = issue.path;
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeysAt(path);
      for (const key of issue.keys) {
        const suggestion = closestMatch(key, allowed) ?? allowedAlias(key, allowed);
        const hint =
          suggestion === undefined ? `allowed: ${allowed.join(', ')}` : `did you mean '${suggestion}'?`;
        this.#issues.add(
          this.#keyPosition([...path, key]),
          `unknown key '${showValue(String(key))}' (${hint})`,
        );
      }
      return;
    }
    if (issue.code === 'invalid_key') {
      this.#issues.add(this.#keyPosition(path), invalidKeyMessage(path));
      return;
    }
    const value = valueAt(this.#data, path);
    if (value === undefined && path.length === 1 && path[0] === 'hosts') {
      this.#issues.add(
        positionOf(this.#source, this.#source.doc.contents),
        "missing required key 'hosts' (a map of host name to connection settings)",
      );
      return;
    }
    const hint =
      issue.path.at(-1) === 'become' && typeof value === 'string' ? ' (YAML 1.2: write true or false)' : '';
    this.#issues.add(
      this.#valuePosition(path),
      `${dottedPath(path)}: ${issue.message}, got ${describeValue(value)}${hint}`,
    );
  }

  checkReferences(): void {
    const hosts = isRecord(this.#data.hosts) ? this.#data.hosts : {};
    const groups = isRecord(this.#data.groups) ? this.#data.groups : {};
    if (isRecord(this.#data.hosts) && Object.keys(hosts).length === 0) {
      this.#issues.add(this.#keyPosition(['hosts']), 'hosts: is empty (add at least one host)');
    }
    for (const [name, group] of Object.entries(groups)) {
      if (name === 'all' || name === 'ungrouped') {
        const hint =
          name === 'all'
            ? 'settings for every host go under defaults:'
            : 'it holds the hosts that are in no group';
        this.#issues.add(
          this.#keyPosition(['groups', name]),
          `group name '${showValue(String(name))}' is reserved (${hint})`,
        );
      } else if (Object.hasOwn(hosts, name)) {
        this.#issues.add(
          this.#keyPosition(['groups', name]),
          `group '${showValue(String(name))}' has the same name as a host (rename one, so --limit ${name} is not ambiguous)`,
        );
      }
      if (!isRecord(group)) continue;
      this.#checkNameList(['groups', name, 'hosts'], group.hosts, (host) =>
        Object.hasOwn(hosts, host)
          ? undefined
          : `group '${showValue(String(name))}' lists undefined host '${showValue(String(host))}' (define it under hosts:)`,
      );
      this.#checkNameList(['groups', name, 'children'], group.children, (child) =>
        Object.hasOwn(groups, child)
          ? undefined
          : `group '${showValue(String(name))}' lists undefined child group '${showValue(String(child))}' (define it under groups:)`,
      );
    }
    this.#checkCycles(groups);
    this.#checkSshOptions(['defaults'], this.#data.defaults);
    for (const [name, group] of Object.entries(groups)) this.#checkSshOptions(['groups', name], group);
    for (const [name, host] of Object.entries(hosts)) this.#checkSshOptions(['hosts', name], host);
    this.#checkDuplicateAddresses(hosts, groups);
  }

  #checkNameList(path: PropertyKey[], list: unknown, problem: (name: string) => string | undefined): void {
    if (!Array.isArray(list)) return;
    list.forEach((item, index) => {
      const message = typeof item === 'string' ? problem(item) : undefined;
      if (message !== undefined) this.#issues.add(this.#valuePosition([...path, index]), message);
    });
  }

  #checkCycles(groups: Record<string, unknown>): void {
    /** Each defined child of a group, with its index in the group's children list. */
    const childrenOf = (name: string): [string, number][] => {
      const group = groups[name];
      const children: unknown[] = isRecord(group) && Array.isArray(group.children) ? group.children : [];
      return children.flatMap((child, index): [string, number][] =>
        typeof child === 'string' && Object.hasOwn(groups, child) ? [[child, index]] : [],
      );
    };
    const finished = new Set<string>();
    const visit = (name: string, trail: string[]): void => {
      if (finished.has(name)) return;
      for (const [child, index] of childrenOf(name)) {
        // The trail holds the groups above `name` on the current path: reaching one again closes a loop.
        const loopStart = child === name ? trail.length : trail.indexOf(child);
        if (loopStart < 0) {
          visit(child, [...trail, name]);
          continue;
        }
        const loop = [...trail.slice(loopStart), name, child];
        this.#issues.add(
          this.#valuePosition(['groups', name, 'children', index]),
          `children cycle: ${loop.join(' -> ')} (a group cannot contain itself; remove one of these children entries)`,
        );
      }
      finished.add(name);
    };
    for (const name of Object.keys(groups)) visit(name, []);
  }

  #checkSshOptions(base: PropertyKey[], settings: unknown): void {
    if (!isRecord(settings) || !isRecord(settings.ssh_options)) return;
    for (const key of Object.keys(settings.ssh_options)) {
      const lower = key.toLowerCase();
      const message =
        lower === 'proxycommand'
          ? 'ProxyCommand is not supported, use ProxyJump (the jump: setting)'
          : lower === 'proxyjump'
            ? 'set ProxyJump with the jump: setting, not in ssh_options'
            : undefined;
      if (message !== undefined) this.#issues.add(this.#keyPosition([...base, 'ssh_options', key]), message);
    }
  }

  /** Two inventory names for one machine would run every step twice on it, concurrently. */
  #checkDuplicateAddresses(hosts: Record<string, unknown>, groups: Record<string, unknown>): void {
    const defaults = isRecord(this.#data.defaults) ? this.#data.defaults : {};
    const membership = groupMembership(this.groupOrder(), (name) => {
      const group = groups[name];
      return {
        hosts:
          isRecord(group) && Array.isArray(group.hosts)
            ? group.hosts.filter((h) => typeof h === 'string')
            : [],
        children:
          isRecord(group) && Array.isArray(group.children)
            ? group.children.filter((c) => typeof c === 'string')
            : [],
      };
    });
    const seen = new Map<string, { host: string; line: number }>();
    for (const name of this.hostOrder()) {
      const host = isRecord(hosts[name]) ? hosts[name] : {};
      const address = typeof host.address === 'string' ? host.address : name;
      let port = portNumber(defaults.port) ?? 22;
      for (const group of membership.get(name) ?? []) {
        const settings = groups[group];
        port = (isRecord(settings) ? portNumber(settings.port) : undefined) ?? port;
      }
      port = portNumber(host.port) ?? port;
      const key = `${address.toLowerCase()}\0${port}`;
      const first = seen.get(key);
      const position =
        typeof host.address === 'string'
          ? this.#valuePosition(['hosts', name, 'address'])
          : this.#keyPosition(['hosts', name]);
      if (first === undefined) {
        seen.set(key, { host: name, line: position.line });
        continue;
      }
      this.#issues.add(
        position,
        `host '${showValue(String(name))}' has the same address and port as host '${showValue(String(first.host))}' (${address}:${port}, line ${first.line}); give each machine one entry`,
      );
    }
  }
}

function allowedKeysAt(path: readonly PropertyKey[]): string[] {
  if (path.length === 0) return ALLOWED_KEYS.root;
  if (path[0] === 'defaults') return ALLOWED_KEYS.defaults;
  if (path[0] === 'groups') return ALLOWED_KEYS.group;
  return ALLOWED_KEYS.host;
}

function allowedAlias(key: string, allowed: readonly string[]): string | undefined {
  const alias = KEY_ALIASES[key.toLowerCase()];
  return alias !== undefined && allowed.includes(alias) ? alias : undefined;
}

function invalidKeyMessage(path: readonly PropertyKey[]): string {
  const name = String(path.at(-1));
  if (path.length === 2 && path[0] === 'hosts') {
    return `invalid host name '${showValue(String(name))}': use letters, digits, '-', '.' and '_', starting with a letter or digit`;
  }
  if (path.length === 2 && path[0] === 'groups') {
    return `invalid group name '${showValue(String(name))}': use letters, digits, '-', '.' and '_', starting with a letter or digit`;
  }
  return `invalid ssh option name '${showValue(String(name))}': use OpenSSH option names such as ServerAliveInterval`;
}

/**
 * For each host, the groups that contain it directly or through children, in file order. A group's
 * descendants are walked with a visited set, so a cycle (reported elsewhere) cannot loop forever.
 */
function groupMembership(
  groupOrder: readonly string[],
  groupAt: (name: string) => { hosts: string[]; children: string[] },
): Map<string, string[]> {
  const hostsUnder = (name: string, seen: Set<string>): Set<string> => {
    const found = new Set<string>();
    if (seen.has(name)) return found;
    seen.add(name);
    const { hosts, children } = groupAt(name);
    for (const host of hosts) found.add(host);
    for (const child of children) for (const host of hostsUnder(child, seen)) found.add(host);
    return found;
  };
  const membership = new Map<string, string[]>();
  for (const group of groupOrder) {
    for (const host of hostsUnder(group, new Set()))
      membership.set(host, [...(membership.get(host) ?? []), group]);
  }
  return membership;
}

function mergeSettings(
  base: ConnectionSettings,
  overlay: ConnectionSettings | null | undefined,
): ConnectionSettings {
  if (overlay === null || overlay === undefined) return base;
  const merged: ConnectionSettings = { ...base };
  for (const [key, value] of Object.entries(overlay) as [keyof ConnectionSettings, unknown][]) {
    if (value === undefined || !CONNECTION_KEYS.includes(key)) continue;
    // Maps merge key by key (a host adds one ssh option without repeating the others); scalars replace.
    if (key === 'ssh_options' || key === 'vars')
      Object.assign(merged, { [key]: { ...base[key], ...(value as object) } });
    else Object.assign(merged, { [key]: value });
  }
  return merged;
}

function buildInventory(
  source: YamlFile,
  data: McInventory,
  hostOrder: readonly string[],
  groupOrder: readonly string[],
  issues: IssueList,
): Inventory {
  const groups = data.groups ?? {};
  const membership = groupMembership(groupOrder, (name) => ({
    hosts: groups[name]?.hosts ?? [],
    children: groups[name]?.children ?? [],
  }));
  const hosts: HostSpec[] = hostOrder.map((name) => {
    const memberOf = membership.get(name) ?? [];
    let settings = mergeSettings({}, data.defaults);
    for (const group of memberOf) settings = mergeSettings(settings, groups[group]);
    const hostSettings = data.hosts[name] ?? {};
    settings = mergeSettings(settings, hostSettings);
    const { node, entry } = nodeAtPath(source, ['hosts', name], issues);
    const host: HostSpec = {
      name,
      address: hostSettings.address ?? name,
      sshOptions: settings.ssh_options ?? {},
      become: settings.become ?? false,
      groups: ['all', ...(memberOf.length === 0 ? ['ungrouped'] : memberOf)],
      vars: settings.vars ?? {},
      origin: positionOf(source, entry?.keyNode ?? node),
    };
    if (settings.port !== undefined) host.port = settings.port;
    if (settings.user !== undefined) host.user = settings.user;
    if (settings.key !== undefined) host.keyFile = settings.key;
    // Secrets usually come from `${VAR:-}`: empty means "no password", not "the empty password".
    if (settings.password !== undefined && settings.password !== '') host.password = settings.password;
    if (settings.jump !== undefined) host.proxyJump = settings.jump;
    if (settings.become_user !== undefined) host.becomeUser = settings.become_user;
    if (settings.become_password !== undefined && settings.become_password !== '') {
      host.becomePassword = settings.become_password;
    }
    return host;
  });

  const childGroups = new Set(groupOrder.flatMap((name) => groups[name]?.children ?? []));
  const groupSpecs: GroupSpec[] = [
    {
      name: 'all',
      hosts: [],
      children: ['ungrouped', ...groupOrder.filter((name) => !childGroups.has(name))],
      vars: data.defaults?.vars ?? {},
    },
    {
      name: 'ungrouped',
      hosts: hostOrder.filter((name) => (membership.get(name) ?? []).length === 0),
      children: [],
      vars: {},
    },
    ...groupOrder.map((name) => ({
      name,
      hosts: [...(groups[name]?.hosts ?? [])],
      children: [...(groups[name]?.children ?? [])],
      vars: groups[name]?.vars ?? {},
    })),
  ];

  const inventory: Inventory = { source: source.file, format: 'mc', hosts, groups: groupSpecs };
  if ('cluster' in data) {
    const { node, entry } = nodeAtPath(source, ['cluster'], issues);
    inventory.cluster = {
      value: data.cluster,
      origin: positionOf(source, entry?.keyNode ?? node),
      ...clusterPositions(source, node, issues),
    };
  }
  return inventory;
}

/** Deeper than any cluster section goes; stops a walk through a self-referencing alias. */
const MAX_CLUSTER_DEPTH = 12;

/**
 * Where every key and list item under `cluster:` is written, by dotted path relative to `cluster` (list items
 * by index: `systems.micro1.storage.ceph.0.path`). `positions`: a map entry whose value is a scalar at that
 * value (a complaint about a value points at it), any other entry at its key, a list item at the item.
 * `keys`: every map entry at its key (for complaints about the key itself). Aliases and `<<` merges are
 * followed (a merged key points at its definition).
 */
function clusterPositions(
  source: YamlFile,
  cluster: Node | null,
  issues: IssueList,
): { positions: Record<string, SourcePosition>; keys: Record<string, SourcePosition> } {
  const positions: Record<string, SourcePosition> = {};
  const keys: Record<string, SourcePosition> = {};
  const walk = (node: Node | null, path: (string | number)[]): void => {
    if (path.length > MAX_CLUSTER_DEPTH) return;
    const dotted = (segment: string | number): string => [...path, segment].join('.');
    if (isMap(node)) {
      for (const entry of mapEntries(source, node, issues)) {
        keys[dotted(entry.key)] = positionOf(source, entry.keyNode);
        positions[dotted(entry.key)] = isScalar(entry.value)
          ? valuePosition(source, entry)
          : positionOf(source, entry.keyNode);
        walk(entry.value, [...path, entry.key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((_item, index) => {
        const item = nodeAtPath(source, ['cluster', ...path, index], issues).node;
        positions[dotted(index)] = positionOf(source, item);
        walk(item, [...path, index]);
      });
    }
  };
  walk(cluster, []);
  return { positions, keys };
}
