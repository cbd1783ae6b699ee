// `vagrant ssh-config` output (plugins/commands/ssh_config, templates/commands/ssh_config/config.erb) and
// `vagrant status --machine-readable` output, read into the machines mc connects to, and the mc inventory
// written from them. Pure: the workflow runs vagrant.
//
// ssh-config prints one `Host <machine>` block per machine, in Vagrantfile order, each followed by a blank
// line, and stops at the first machine that is not ready for SSH (not created, halted) with exit status 1.
// The `ssh-config` package parses it (it keeps every byte, so positions can be counted back); the rest is
// checked here.
import { LineType, parse } from 'ssh-config';
import type { Directive, Line, Section } from 'ssh-config';
import { stringify } from 'yaml';
import { NAME_PATTERN } from './mc-format.js';
import type { InventoryIssue, SourcePosition } from './types.js';

export interface VagrantMachine {
  /** The machine name (`Host`), which becomes the inventory name. */
  name: string;
  hostName: string;
  port: number;
  user: string;
  /** In order; Vagrant lists more than one when config.ssh.private_key_path does. */
  identityFiles: string[];
  identitiesOnly: boolean;
  /** As Vagrant wrote them: `no` and `/dev/null` unless config.ssh.verify_host_key is set. */
  strictHostKeyChecking?: string;
  userKnownHostsFile?: string;
  origin: SourcePosition;
}

export type VagrantSshConfigResult =
  { ok: true; machines: VagrantMachine[] } | { ok: false; issues: InventoryIssue[] };

/** What mc reads from a block; the rest (LogLevel, PasswordAuthentication, algorithms) does not matter to it. */
const READ = new Set([
  'hostname',
  'user',
  'port',
  'identityfile',
  'identitiesonly',
  'stricthostkeychecking',
  'userknownhostsfile',
]);

interface Located {
  directive: Directive;
  /** Where the directive's value starts. */
  value: SourcePosition;
}

/**
 * Reads `vagrant ssh-config` output. `source` names it in errors (`source:line:col: message`). Every
 * problem is reported at once.
 */
export function parseVagrantSshConfig(text: string, source: string): VagrantSshConfigResult {
  let lines: Line[];
  try {
    lines = parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      issues: [{ file: source, line: 1, col: 1, message: `cannot read the output as ssh_config: ${reason}` }],
    };
  }
  const issues: InventoryIssue[] = [];
  const machines: VagrantMachine[] = [];
  const seen = new Map<string, VagrantMachine>();
  const sections = locate(lines, source);
  for (const { directive, value, children } of sections) {
    if (!isSection(directive) || directive.param.toLowerCase() !== 'host') {
      issues.push({
        ...value,
        message: `${directive.param} outside a Host block: this is not \`vagrant ssh-config\` output`,
      });
      continue;
    }
    const machine = readMachine(directive, value, children, issues);
    if (machine === undefined) continue;
    const previous = seen.get(machine.name);
    if (previous !== undefined) {
      issues.push({
        ...value,
        message: `machine ${machine.name} is listed twice (first at line ${previous.origin.line})`,
      });
      continue;
    }
    seen.set(machine.name, machine);
    machines.push(machine);
  }
  issues.push(...portCollisions(machines, sections));
  if (issues.length === 0 && machines.length === 0) {
    issues.push({
      file: source,
      line: 1,
      col: 1,
      message: 'no machine in the output: run `vagrant up` first, in the directory of the Vagrantfile',
    });
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, machines };
}

function readMachine(
  section: Section,
  position: SourcePosition,
  children: Located[],
  issues: InventoryIssue[],
): VagrantMachine | undefined {
  const name = typeof section.value === 'string' ? section.value : undefined;
  if (name === undefined || !NAME_PATTERN.test(name)) {
    issues.push({
      ...position,
      message: `machine name ${JSON.stringify(valueText(section))} cannot be an inventory host name (letters, digits, '-', '.', '_')`,
    });
    return undefined;
  }
  const values = new Map<string, Located[]>();
  for (const child of children) {
    const key = child.directive.param.toLowerCase();
    if (key === 'proxycommand') {
      issues.push({
        ...child.value,
        message: `${name}: Vagrant reaches this machine through a ProxyCommand, which mc cannot run; reach it with ProxyJump instead (an mc inventory \`jump:\`)`,
      });
    }
    if (key === 'include') {
      issues.push({
        ...child.value,
        message: `${name}: Include (config.ssh.config) is not supported: mc reads no other file here`,
      });
    }
    if (READ.has(key)) values.set(key, [...(values.get(key) ?? []), child]);
  }
  const first = (key: string): Located | undefined => values.get(key)?.[0];
  const before = issues.length;
  const hostName = first('hostname');
  const user = first('user');
  const portEntry = first('port');
  if (hostName === undefined)
    issues.push({
      ...position,
      message: `${name}: no HostName: Vagrant always writes one; is this its output?`,
    });
  if (user === undefined)
    issues.push({ ...position, message: `${name}: no User: Vagrant always writes one; is this its output?` });
  let port = 22;
  if (portEntry !== undefined) {
    const text = valueText(portEntry.directive);
    port = /^\d{1,5}$/.test(text) ? Number(text) : 0;
    if (port < 1 || port > 65535)
      issues.push({ ...portEntry.value, message: `${name}: bad Port ${JSON.stringify(text)}` });
  }
  if (issues.length > before || hostName === undefined || user === undefined) return undefined;
  const identitiesOnly = first('identitiesonly');
  const strict = first('stricthostkeychecking');
  const knownHosts = first('userknownhostsfile');
  return {
    name,
    hostName: valueText(hostName.directive),
    port,
    user: valueText(user.directive),
    identityFiles: (values.get('identityfile') ?? []).map((entry) => valueText(entry.directive)),
    identitiesOnly: identitiesOnly !== undefined && /^(yes|true)$/i.test(valueText(identitiesOnly.directive)),
    ...(strict === undefined ? {} : { strictHostKeyChecking: valueText(strict.directive) }),
    ...(knownHosts === undefined ? {} : { userKnownHostsFile: valueText(knownHosts.directive) }),
    origin: position,
  };
}

/**
 * Two machines on one address and port: VirtualBox forwards the port to one of them only, so "node3"
 * would be whichever VM got it. Reported at the later machine's Port.
 */
function portCollisions(machines: VagrantMachine[], sections: LocatedSection[]): InventoryIssue[] {
  const issues: InventoryIssue[] = [];
  const owners = new Map<string, VagrantMachine>();
  const portPositions = new Map<string, SourcePosition>();
  for (const { directive, children } of sections) {
    const port = children.find((child) => child.directive.param.toLowerCase() === 'port');
    if (typeof directive.value === 'string' && port !== undefined)
      portPositions.set(directive.value, port.value);
  }
  for (const machine of machines) {
    const endpoint = `${machine.hostName}:${machine.port}`;
    const owner = owners.get(endpoint);
    if (owner === undefined) {
      owners.set(endpoint, machine);
      continue;
    }
    issues.push({
      ...(portPositions.get(machine.name) ?? machine.origin),
      message: `${machine.name} has the same address and port as ${owner.name} (${endpoint}): the forwarded port reaches one of them only; run \`vagrant reload ${machine.name}\` so Vagrant gives it a free port (auto_correct), then try again`,
    });
  }
  return issues;
}

interface LocatedSection extends Located {
  children: Located[];
}

/**
 * Top-level directives with their children and the position of each value, counted from the text the
 * parser kept around every line (`before`, `separator`, `after`, quotes).
 */
function locate(lines: Line[], source: string): LocatedSection[] {
  const cursor = { line: 1, col: 1 };
  const advance = (text: string): void => {
    for (const char of text) {
      if (char === '\n') {
        cursor.line += 1;
        cursor.col = 1;
      } else cursor.col += 1;
    }
  };
  const visit = (line: Line): Located | undefined => {
    advance(line.before);
    if (line.type !== LineType.DIRECTIVE) {
      if (line.type === LineType.COMMENT) advance(line.content);
      advance(line.after);
      return undefined;
    }
    advance(line.param);
    advance(line.separator);
    const value = { file: source, line: cursor.line, col: cursor.col + (startsQuoted(line) ? 1 : 0) };
    advance(rawValue(line));
    advance(line.after);
    return { directive: line, value };
  };
  const sections: LocatedSection[] = [];
  for (const line of lines) {
    const located = visit(line);
    const children: Located[] = [];
    if (line.type === LineType.DIRECTIVE && isSection(line)) {
      for (const child of line.config) {
        const inner = visit(child);
        if (inner !== undefined) children.push(inner);
      }
    }
    if (located !== undefined) sections.push({ ...located, children });
  }
  return sections;
}

function startsQuoted(directive: Directive): boolean {
  return typeof directive.value === 'string'
    ? directive.quoted === true
    : directive.value[0]?.quoted === true;
}

function isSection(line: Directive): line is Section {
  return 'config' in line;
}

/** The value as written, quotes included, for counting columns. */
function rawValue(directive: Directive): string {
  if (typeof directive.value === 'string')
    return directive.quoted === true ? `"${directive.value}"` : directive.value;
  return directive.value
    .map(
      (part, index) =>
        `${index === 0 ? '' : part.separator}${part.quoted === true ? `"${part.val}"` : part.val}`,
    )
    .join('');
}

function valueText(directive: Directive): string {
  return typeof directive.value === 'string'
    ? directive.value
    : directive.value.map((part) => part.val).join(' ');
}

// ---- vagrant status --machine-readable ---------------------------------------------------------

export interface VagrantMachineState {
  name: string;
  /** Vagrant's state id: running, not_created, poweroff, shutoff, saved, ... */
  state: string;
  /** As `vagrant status` shows it: "not created". */
  description: string;
  provider: string;
}

/** `TIMESTAMP,TARGET,TYPE,DATA...` lines (Vagrant::UI::MachineReadable); commas in data are %!(VAGRANT_COMMA). */
export function parseVagrantStatus(text: string): VagrantMachineState[] {
  const machines = new Map<string, Partial<VagrantMachineState>>();
  for (const line of text.split('\n')) {
    const [, target, type, ...data] = line.split(',');
    if (target === undefined || target === '' || type === undefined) continue;
    const value = data.join(',').replaceAll('%!(VAGRANT_COMMA)', ',');
    const machine = machines.get(target) ?? { name: target };
    machines.set(target, machine);
    if (type === 'state') machine.state = value;
    else if (type === 'state-human-short') machine.description = value;
    else if (type === 'provider-name') machine.provider = value;
  }
  return [...machines.values()].flatMap((m) =>
    m.name !== undefined && m.state !== undefined
      ? [
          {
            name: m.name,
            state: m.state,
            description: m.description ?? m.state,
            provider: m.provider ?? 'unknown',
          },
        ]
      : [],
  );
}

// ---- the inventory -----------------------------------------------------------------------------

export interface VagrantInventoryOptions {
  /** Where the machines came from, for the header comment. */
  directory: string;
  /**
   * A known_hosts file for the machines' keys (--record-host-keys): `yes` checks them strictly, `accept-new`
   * records them. Otherwise host key checking is as Vagrant sets it.
   */
  hostKeys?: { file: string; policy: 'yes' | 'accept-new' };
  /** A `cluster:` section, already YAML, appended as it is. */
  cluster?: string;
}

/** The mc inventory for the machines: connection settings as Vagrant gives them, sudo on. */
export function vagrantInventory(
  machines: readonly VagrantMachine[],
  options: VagrantInventoryOptions,
): string {
  const users = new Set(machines.map((m) => m.user));
  const commonUser = users.size === 1 ? [...users][0] : undefined;
  const sshOptions: Record<string, string> = {};
  if (machines.some((m) => m.identitiesOnly)) sshOptions.IdentitiesOnly = 'yes';
  if (options.hostKeys !== undefined) {
    sshOptions.StrictHostKeyChecking = options.hostKeys.policy;
    sshOptions.UserKnownHostsFile = options.hostKeys.file;
  } else {
    const strict = new Set(machines.map((m) => m.strictHostKeyChecking));
    const knownHosts = new Set(machines.map((m) => m.userKnownHostsFile));
    const [onlyStrict] = strict;
    const [onlyKnownHosts] = knownHosts;
    if (strict.size === 1 && onlyStrict !== undefined) sshOptions.StrictHostKeyChecking = onlyStrict;
    if (knownHosts.size === 1 && onlyKnownHosts !== undefined) sshOptions.UserKnownHostsFile = onlyKnownHosts;
  }
  const defaults: Record<string, unknown> = {};
  if (commonUser !== undefined) defaults.user = commonUser;
  defaults.become = true;
  if (Object.keys(sshOptions).length > 0) defaults.ssh_options = sshOptions;
  const hosts = Object.fromEntries(
    machines.map((m) => {
      const host: Record<string, unknown> = { address: m.hostName, port: m.port };
      if (commonUser === undefined) host.user = m.user;
      const [key] = m.identityFiles;
      if (key !== undefined) host.key = key;
      return [m.name, host];
    }),
  );
  const header = [
    `# Written by \`mc inventory from-vagrant\` from \`vagrant ssh-config\` in ${options.directory}.`,
    options.hostKeys === undefined
      ? '# Host keys are not checked, as Vagrant sets it (a re-created VM has a new key on the same address);\n# `mc inventory from-vagrant --record-host-keys` records them and checks them instead.'
      : `# Host keys are checked against ${options.hostKeys.file}, recorded by --record-host-keys.`,
  ];
  const extraKeys = machines.filter((m) => m.identityFiles.length > 1).map((m) => m.name);
  if (extraKeys.length > 0) {
    header.push(`# Vagrant lists several keys for ${extraKeys.join(', ')}: the first is used.`);
  }
  const body = stringify({ defaults, hosts }, { lineWidth: 0, collectionStyle: 'block' });
  return `${header.join('\n')}\n${body}${options.cluster ?? ''}`;
}
