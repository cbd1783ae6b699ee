// The Ansible inventory model shared by the YAML and INI readers: groups, hosts and located variables,
// then Ansible's reconciliation and variable precedence, then the mapping of connection variables.
import { isMap, isScalar } from 'yaml';
import { substituteEnvInYaml, type Environment } from './env.js';
import { addressProblem, showValue } from '../input/index.js';
import { closestMatch, describeValue, type IssueList } from './issues.js';
import { portNumber } from './host-patterns.js';
import { splitShellWords } from './shell-words.js';
import type {
  GroupSpec,
  HostSpec,
  Inventory,
  InventoryFormat,
  InventorySources,
  SourcePosition,
} from './types.js';
import {
  mapEntries,
  parseYamlFile,
  toPlain,
  valuePosition,
  type MapEntry,
  type YamlFile,
} from './yaml-source.js';

/** A variable's value and where it was written, so a bad value is reported at its definition. */
export interface LocatedValue {
  value: unknown;
  origin: SourcePosition;
  /** Tagged `!unsafe` in YAML: Ansible never templates it, so `{{` in it is plain text. */
  literal?: boolean;
}

export type VarMap = Map<string, LocatedValue>;

interface GroupDraft {
  name: string;
  hosts: string[];
  children: string[];
  vars: VarMap;
  /** ansible_group_priority: breaks ties between groups of the same depth (default 1). */
  priority: number;
}

interface HostDraft {
  name: string;
  vars: VarMap;
  origin: SourcePosition;
}

/** Groups and hosts as an Ansible inventory file declares them, before reconciliation. */
export class AnsibleInventoryDraft {
  readonly groups = new Map<string, GroupDraft>();
  readonly hosts = new Map<string, HostDraft>();

  constructor() {
    // Ansible creates these two first; 'ungrouped' is always a child of 'all'.
    this.group('all');
    this.group('ungrouped');
    this.groups.get('all')?.children.push('ungrouped');
  }

  group(name: string): GroupDraft {
    let group = this.groups.get(name);
    if (group === undefined) {
      group = { name, hosts: [], children: [], vars: new Map(), priority: 1 };
      this.groups.set(name, group);
    }
    return group;
  }

  /** Declares a host (or re-declares it: Ansible merges the variables of every declaration). */
  addHost(name: string, groupName: string, origin: SourcePosition): HostDraft {
    let host = this.hosts.get(name);
    if (host === undefined) {
      host = { name, vars: new Map(), origin };
      this.hosts.set(name, host);
    }
    const group = this.group(groupName);
    if (!group.hosts.includes(name)) group.hosts.push(name);
    return host;
  }

  setGroupVar(groupName: string, key: string, value: LocatedValue, issues: IssueList): void {
    const group = this.group(groupName);
    if (key !== 'ansible_group_priority') {
      group.vars.set(key, value);
      return;
    }
    const priority = typeof value.value === 'string' ? Number(value.value) : value.value;
    if (typeof priority === 'number' && Number.isInteger(priority)) group.priority = priority;
    else
      issues.add(
        value.origin,
        `ansible_group_priority must be an integer, got ${describeValue(value.value)}`,
      );
  }

  /** Links a child group; refuses (with an issue) a link that would make a group contain itself. */
  addChild(parentName: string, childName: string, origin: SourcePosition, issues: IssueList): void {
    const parent = this.group(parentName);
    this.group(childName);
    if (parent.children.includes(childName)) return;
    const loop = this.#pathDown(childName, parentName);
    if (loop !== undefined) {
      issues.add(
        origin,
        `children cycle: ${[parentName, ...loop].join(' -> ')} (a group cannot contain itself; remove one of these children entries)`,
      );
      return;
    }
    parent.children.push(childName);
  }

  /** Group names from `from` down to `to` through children links, if `to` is reachable. */
  #pathDown(from: string, to: string, seen = new Set<string>()): string[] | undefined {
    if (from === to) return [from];
    if (seen.has(from)) return undefined;
    seen.add(from);
    for (const child of this.groups.get(from)?.children ?? []) {
      const rest = this.#pathDown(child, to, seen);
      if (rest !== undefined) return [from, ...rest];
    }
    return undefined;
  }
}

/** group_vars/ or host_vars/ files, keyed by group or host name, in load order (later wins). */
type VarFiles = Map<string, VarMap[]>;

interface VarFileSource {
  entity: string;
  path: string;
  text: string;
}

/** Parses group_vars/host_vars files (YAML 1.1 or JSON) into located variables. */
function parseVarFiles(files: readonly VarFileSource[], env: Environment, issues: IssueList): VarFiles {
  const parsed: VarFiles = new Map();
  for (const file of files) {
    const source = parseYamlFile(file.path, file.text, '1.1', issues);
    substituteEnvInYaml(source, env, issues);
    // After a syntax error the variables are a guess: the error is reported, the rest would be noise.
    if (!source.syntaxOk) continue;
    const vars: VarMap = new Map();
    const root = source.doc.contents;
    if (isScalar(root) && typeof root.value === 'string' && root.value.startsWith('$ANSIBLE_VAULT')) {
      issues.add(
        { file: file.path, line: 1, col: 1 },
        'this file is encrypted with ansible-vault and mc cannot decrypt it (decrypt it, or use ${ENV_VAR} for secrets)',
      );
    } else if (isMap(root)) {
      for (const entry of mapEntries(source, root, issues))
        vars.set(entry.key, locatedValue(source, entry, issues));
    } else if (root !== null && !(isScalar(root) && root.value === null)) {
      issues.add(
        { file: file.path, line: 1, col: 1 },
        `a variables file must contain a map of variable names to values, got ${describeValue(toPlain(source, root, issues))}`,
      );
    }
    parsed.set(file.entity, [...(parsed.get(file.entity) ?? []), vars]);
  }
  return parsed;
}

/** A YAML variable's value with its position. */
export function locatedValue(source: YamlFile, entry: MapEntry, issues: IssueList): LocatedValue {
  const located: LocatedValue = {
    value: toPlain(source, entry.value, issues),
    origin: valuePosition(source, entry),
  };
  if (entry.value?.tag === '!unsafe') located.literal = true;
  return located;
}

/**
 * Reconciles the draft as Ansible does (parentless groups become children of 'all', hosts in no
 * group go to 'ungrouped'), merges variables with Ansible's precedence and maps connection variables.
 */
export function resolveAnsibleInventory(
  draft: AnsibleInventoryDraft,
  options: { sources: InventorySources; env: Environment; format: InventoryFormat },
  issues: IssueList,
): Inventory {
  const { sources, env } = options;
  const groupVars = parseVarFiles(
    sources.groupVars.map((file) => ({ entity: file.group, path: file.path, text: file.text })),
    env,
    issues,
  );
  const hostVars = parseVarFiles(
    sources.hostVars.map((file) => ({ entity: file.host, path: file.path, text: file.text })),
    env,
    issues,
  );
  const groups = [...draft.groups.values()];
  const parents = new Map<string, string[]>(groups.map((group) => [group.name, []]));
  for (const group of groups) for (const child of group.children) parents.get(child)?.push(group.name);
  const all = draft.group('all');
  for (const group of groups) {
    if (group.name !== 'all' && (parents.get(group.name) ?? []).length === 0) {
      all.children.push(group.name);
      parents.set(group.name, ['all']);
    }
  }
  const ungrouped = draft.group('ungrouped');
  for (const host of draft.hosts.values()) {
    const direct = groups.filter((group) => group.name !== 'all' && group.hosts.includes(host.name));
    const elsewhere = direct.some((group) => group.name !== 'ungrouped');
    if (elsewhere) ungrouped.hosts = ungrouped.hosts.filter((name) => name !== host.name);
    else if (!ungrouped.hosts.includes(host.name)) ungrouped.hosts.push(host.name);
  }

  const depth = groupDepths(groups, parents);
  const ancestorsOf = (name: string, into: Set<string>): Set<string> => {
    if (into.has(name)) return into;
    into.add(name);
    for (const parent of parents.get(name) ?? []) ancestorsOf(parent, into);
    return into;
  };
  const groupOrder = groups.map((group) => group.name);

  const hosts: HostSpec[] = [];
  for (const host of draft.hosts.values()) {
    const membership = new Set<string>(['all']);
    for (const group of groups) if (group.hosts.includes(host.name)) ancestorsOf(group.name, membership);
    // Ansible's sort_groups: shallower groups first, then by priority, then by name; later ones win.
    const ranked = groups
      .filter((group) => group.name !== 'all' && membership.has(group.name))
      .sort(
        (a, b) =>
          (depth.get(a.name) ?? 0) - (depth.get(b.name) ?? 0) ||
          a.priority - b.priority ||
          (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
      );
    // Inline inventory variables lose to group_vars/ and host_vars/ files, as in Ansible's precedence.
    const layers: VarMap[] = [
      all.vars,
      ...ranked.map((group) => group.vars),
      ...(groupVars.get('all') ?? []),
      ...ranked.flatMap((group) => groupVars.get(group.name) ?? []),
      host.vars,
      ...(hostVars.get(host.name) ?? []),
    ];
    const merged: VarMap = new Map();
    for (const layer of layers) for (const [key, value] of layer) merged.set(key, value);
    const memberOf = groupOrder.filter((name) => membership.has(name));
    hosts.push(hostFromAnsibleVars(host.name, host.origin, merged, memberOf, issues));
  }

  const groupSpecs: GroupSpec[] = groups.map((group) => {
    const vars: Record<string, unknown> = plainVars(group.vars);
    for (const layer of groupVars.get(group.name) ?? []) Object.assign(vars, plainVars(layer));
    // Every host is in 'all'; listing them all again here would only repeat inventory.hosts.
    return {
      name: group.name,
      hosts: group.name === 'all' ? [] : [...group.hosts],
      children: [...group.children],
      vars,
    };
  });
  return { source: sources.main.path, format: options.format, hosts, groups: groupSpecs };
}

/** Depth as Ansible computes it: the longest chain of parents up to 'all' (depth 0). */
function groupDepths(groups: readonly GroupDraft[], parents: Map<string, string[]>): Map<string, number> {
  const depth = new Map<string, number>();
  const depthOf = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const parentDepths = (parents.get(name) ?? []).map(depthOf);
    const value = name === 'all' ? 0 : Math.max(0, ...parentDepths) + (parentDepths.length > 0 ? 1 : 0);
    depth.set(name, value);
    return value;
  };
  for (const group of groups) depthOf(group.name);
  return depth;
}

function plainVars(vars: VarMap): Record<string, unknown> {
  return Object.fromEntries([...vars].map(([key, located]) => [key, located.value]));
}

/**
 * Connection variables and their aliases, in the order Ansible's ssh/sudo plugins list them: when
 * several are set, the last one listed wins (Ansible's config manager reads them in this order).
 */
const CONNECTION_VARIABLES = {
  address: ['ansible_host', 'ansible_ssh_host'],
  port: ['ansible_port', 'ansible_ssh_port'],
  user: ['ansible_user', 'ansible_ssh_user'],
  keyFile: ['ansible_private_key_file', 'ansible_ssh_private_key_file'],
  password: ['ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password'],
  commonArgs: ['ansible_ssh_common_args'],
  extraArgs: ['ansible_ssh_extra_args'],
  become: ['ansible_become'],
  becomeMethod: ['ansible_become_method'],
  becomeUser: ['ansible_become_user', 'ansible_sudo_user'],
  becomePassword: ['ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass'],
  connection: ['ansible_connection'],
} as const;

const CONSUMED_VARIABLES = new Set<string>(Object.values(CONNECTION_VARIABLES).flat());

/**
 * ansible_* variables mc does not read but that are Ansible's own (they matter to modules, not to
 * the connection mc makes): never reported as typos of one mc reads.
 */
const ANSIBLE_VARIABLES_NOT_READ = new Set([
  'ansible_group_priority',
  'ansible_python_interpreter',
  'ansible_shell_type',
  'ansible_shell_executable',
  'ansible_ssh_executable',
  'ansible_ssh_args',
  'ansible_scp_extra_args',
  'ansible_sftp_extra_args',
  'ansible_ssh_pipelining',
  'ansible_pipelining',
  'ansible_timeout',
  'ansible_become_exe',
  'ansible_become_flags',
  'ansible_connection_timeout',
  'ansible_host_key_checking',
  'ansible_ssh_host_key_checking',
  'ansible_remote_tmp',
  'ansible_network_os',
]);

/**
 * An ansible_* variable close to one mc reads is most likely a typo of it (`ansible_prot`). Ansible
 * ignores it silently; mc warns at its definition.
 */
function warnUnknownConnectionVariables(vars: VarMap, issues: IssueList): void {
  const known = [...CONSUMED_VARIABLES];
  for (const [key, located] of vars) {
    if (!key.startsWith('ansible_') || CONSUMED_VARIABLES.has(key) || ANSIBLE_VARIABLES_NOT_READ.has(key))
      continue;
    const suggestion = closestMatch(key, known);
    if (suggestion !== undefined) {
      issues.warn(
        located.origin,
        `unknown connection variable '${showValue(String(key))}' is ignored (did you mean '${suggestion}'?)`,
      );
    }
  }
}

/** Connection types that mean "OpenSSH-compatible SSH" in Ansible. */
const SSH_CONNECTIONS = new Set(['ssh', 'paramiko', 'paramiko_ssh', 'smart']);

interface NamedValue extends LocatedValue {
  name: string;
}

function lookup(vars: VarMap, names: readonly string[]): NamedValue | undefined {
  let found: NamedValue | undefined;
  for (const name of names) {
    const located = vars.get(name);
    // A variable set to null counts as unset, as in Ansible.
    if (located !== undefined && located.value !== null && located.value !== undefined)
      found = { name, ...located };
  }
  return found;
}

function hostFromAnsibleVars(
  name: string,
  origin: SourcePosition,
  vars: VarMap,
  groups: string[],
  issues: IssueList,
): HostSpec {
  const get = (names: readonly string[]): NamedValue | undefined => lookup(vars, names);
  warnUnknownConnectionVariables(vars, issues);
  const remaining = Object.fromEntries(
    [...vars].filter(([key]) => !CONSUMED_VARIABLES.has(key)).map(([key, located]) => [key, located.value]),
  );
  const host: HostSpec = {
    name,
    address: name,
    sshOptions: {},
    become: false,
    groups,
    vars: remaining,
    origin,
  };

  const addressVariable = get(CONNECTION_VARIABLES.address);
  const address = connectionString(addressVariable, issues);
  const problem = address === undefined ? undefined : addressProblem(address);
  if (problem !== undefined && addressVariable !== undefined) {
    issues.add(addressVariable.origin, `${addressVariable.name}: ${problem}`);
  } else if (address !== undefined) host.address = address;
  const port = get(CONNECTION_VARIABLES.port);
  if (port !== undefined) {
    const value = portNumber(port.value);
    if (value === undefined) {
      issues.add(
        port.origin,
        `${port.name} must be an integer from 1 to 65535, got ${describeValue(port.value)}`,
      );
    } else host.port = value;
  }
  const user = connectionString(get(CONNECTION_VARIABLES.user), issues);
  if (user !== undefined) host.user = user;
  const keyFile = connectionString(get(CONNECTION_VARIABLES.keyFile), issues);
  if (keyFile !== undefined) host.keyFile = keyFile;
  const password = connectionString(get(CONNECTION_VARIABLES.password), issues, SECRET);
  if (password !== undefined) host.password = password;

  for (const args of [get(CONNECTION_VARIABLES.commonArgs), get(CONNECTION_VARIABLES.extraArgs)]) {
    if (args !== undefined) applySshArgs(args, host, issues);
  }

  const become = get(CONNECTION_VARIABLES.become);
  if (become !== undefined) {
    const value = ansibleBoolean(become.value);
    if (value === undefined) {
      issues.add(
        become.origin,
        `${become.name}: ${describeValue(become.value)} is not a boolean (use true or false)`,
      );
    } else host.become = value;
  }
  const method = get(CONNECTION_VARIABLES.becomeMethod);
  if (method !== undefined && method.value !== 'sudo' && method.value !== 'ansible.builtin.sudo') {
    issues.add(
      method.origin,
      `${method.name} ${describeValue(method.value)} is not supported: mc only uses sudo (remove it or set it to sudo)`,
    );
  }
  const becomeUser = connectionString(get(CONNECTION_VARIABLES.becomeUser), issues);
  if (becomeUser !== undefined) host.becomeUser = becomeUser;
  const becomePassword = connectionString(get(CONNECTION_VARIABLES.becomePassword), issues, SECRET);
  if (becomePassword !== undefined) host.becomePassword = becomePassword;

  const connection = get(CONNECTION_VARIABLES.connection);
  if (
    connection !== undefined &&
    !(typeof connection.value === 'string' && SSH_CONNECTIONS.has(connection.value))
  ) {
    issues.add(
      connection.origin,
      `${connection.name} ${describeValue(connection.value)} is not supported: mc connects over SSH only (remove it or set it to ssh)`,
    );
  }
  return host;
}

/**
 * Secrets usually come from `${VAR:-}`: an empty one means "no password", not "the empty password".
 * Any other empty connection setting is a mistake.
 */
const SECRET = { emptyMeansUnset: true };

/** A string connection setting; numbers are accepted (INI turns `ansible_password=1234` into an int). */
function connectionString(
  located: NamedValue | undefined,
  issues: IssueList,
  options: { emptyMeansUnset?: boolean } = {},
): string | undefined {
  if (located === undefined) return undefined;
  const { value, name, origin, literal } = located;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') {
    issues.add(origin, `${name} must be a string, got ${describeValue(value)}`);
    return undefined;
  }
  if (literal !== true && (value.includes('{{') || value.includes('{%'))) {
    issues.add(
      origin,
      `${name}: Jinja templates are not supported in connection variables (use a literal value or \${ENV_VAR})`,
    );
    return undefined;
  }
  if (value === '' && options.emptyMeansUnset === true) return undefined;
  if (value.trim() === '') {
    issues.add(origin, `${name} is empty (remove it or give it a value)`);
    return undefined;
  }
  return value;
}

const TRUE_WORDS = new Set(['y', 'yes', 'on', '1', 'true', 't']);
const FALSE_WORDS = new Set(['n', 'no', 'off', '0', 'false', 'f']);

/** Ansible's boolean(): yes/no/on/off/true/false/y/n/t/f/1/0 in any case. */
function ansibleBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

/** What to write instead of ssh flags mc does not pass through. */
const FLAG_ALTERNATIVES: Record<string, string> = {
  '-A': '-o ForwardAgent=yes',
  '-C': '-o Compression=yes',
  '-4': '-o AddressFamily=inet',
  '-6': '-o AddressFamily=inet6',
  '-q': '-o LogLevel=QUIET',
  '-p': 'ansible_port',
  '-l': 'ansible_user',
  '-i': 'ansible_ssh_private_key_file',
};

/** ssh flags that take a value, so the value is not reported as a second stray argument. */
const FLAGS_WITH_VALUE = new Set([
  '-B',
  '-b',
  '-c',
  '-D',
  '-E',
  '-e',
  '-F',
  '-I',
  '-i',
  '-L',
  '-l',
  '-m',
  '-O',
  '-p',
  '-Q',
  '-R',
  '-S',
  '-W',
  '-w',
]);

/**
 * Reads `-o Key=Value`, `-o "Key Value"`, `-oKey=Value` and `-J host` from ansible_ssh_common_args /
 * ansible_ssh_extra_args. Like ssh itself, the first value given for an option wins.
 */
function applySshArgs(args: NamedValue, host: HostSpec, issues: IssueList): void {
  if (typeof args.value !== 'string') {
    issues.add(
      args.origin,
      `${args.name} must be a string of ssh arguments, got ${describeValue(args.value)}`,
    );
    return;
  }
  const split = splitShellWords(args.value);
  if (!split.ok) {
    issues.add(args.origin, `${args.name}: ${split.error}`);
    return;
  }
  const words = split.words.map((word) => word.text);
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    const flag = word.slice(0, 2);
    if (flag === '-o' || flag === '-J') {
      const value = word.length > 2 ? word.slice(2) : words[++i];
      if (value === undefined) {
        issues.add(
          args.origin,
          `${args.name}: ${flag} needs a value (${flag === '-o' ? '-o Option=value' : '-J host'})`,
        );
      } else if (flag === '-J') {
        host.proxyJump ??= value;
      } else {
        applySshOption(args, value, host, issues);
      }
    } else if (word.startsWith('-')) {
      const alternative = FLAG_ALTERNATIVES[flag];
      issues.add(
        args.origin,
        `${args.name}: unsupported ssh argument '${showValue(String(word))}' (${alternative === undefined ? 'mc understands -o Option=value and -J host' : `use ${alternative} instead`})`,
      );
      if (word.length === 2 && FLAGS_WITH_VALUE.has(flag)) i += 1;
    } else {
      issues.add(
        args.origin,
        `${args.name}: unexpected argument '${showValue(String(word))}' (mc understands -o Option=value and -J host)`,
      );
    }
  }
}

function applySshOption(args: NamedValue, option: string, host: HostSpec, issues: IssueList): void {
  const match = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(.*?)\s*$/s.exec(option);
  const key = match?.[1];
  const value = match?.[2];
  if (key === undefined || value === undefined || value === '') {
    issues.add(
      args.origin,
      `${args.name}: invalid ssh option '${showValue(String(option))}' (expected -o Option=value)`,
    );
    return;
  }
  const lower = key.toLowerCase();
  if (lower === 'proxycommand') {
    issues.add(
      args.origin,
      `${args.name}: ProxyCommand is not supported, use ProxyJump (-o ProxyJump=[user@]bastion[:port] or -J bastion)`,
    );
  } else if (lower === 'proxyjump') {
    host.proxyJump ??= value;
  } else if (!Object.keys(host.sshOptions).some((existing) => existing.toLowerCase() === lower)) {
    host.sshOptions[key] = value;
  }
}
