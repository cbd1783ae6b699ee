// OpenSSH client configuration resolved the way `ssh -G` does it (OpenSSH 9.2: readconf.c, ssh.c).
// Pure: files are read through the injected readFile/listDir, and the home directory, local user,
// local host name and environment come from the caller.
//
// The ssh-config package parses the files and merges first-match-wins (compute). It knows nothing of
// Include, and its Host glob treats `?` as "zero or one character", so this module walks the parsed
// files itself (Host matching, Include, the active/inactive state OpenSSH keeps while reading) and
// hands compute only the directives that apply, in order.
//
// Not supported, on purpose: Match criteria other than `all` (skipped with a warning, never guessed),
// CanonicalizeHostname (needs DNS), the %i token, `~otheruser`, `[...]` classes in Include globs,
// service names as Port. Bad values are reported only in directives that apply (ssh checks every line).
import { createHash } from 'node:crypto';
import { posix as path } from 'node:path';
import SSHConfig, { LineType, parse } from 'ssh-config';
import type { Directive, Line, Section } from 'ssh-config';
import { ConfigurationError } from './errors.js';

export type StrictHostKeyChecking = 'yes' | 'no' | 'accept-new' | 'ask';

/** The connection settings mc takes from ssh_config, after token and `~` expansion. */
export interface ConnectionSettings {
  /** HostName (tokens expanded), else the alias; lowercased unless it looks like an address, as ssh does. */
  hostName: string;
  user: string;
  port: number;
  /** Every IdentityFile in order, duplicates dropped; OpenSSH's default list when none is configured. */
  identityFiles: string[];
  identitiesOnly: boolean;
  /**
   * Expanded path, `none`, or `SSH_AUTH_SOCK` (meaning: read that variable, the caller's job).
   * Undefined when not configured: the caller then uses SSH_AUTH_SOCK as well.
   */
  identityAgent: string | undefined;
  /** ProxyJump with tokens expanded, validated by parseProxyJump; undefined for none or unset. */
  proxyJump: string | undefined;
  /** Seconds; 0 means off. */
  serverAliveInterval: number;
  serverAliveCountMax: number;
  /** Seconds; undefined (`connecttimeout none` in ssh -G) or 0 means no timeout of ssh's own. */
  connectTimeout: number | undefined;
  /** Expanded paths; empty for `UserKnownHostsFile none`. */
  userKnownHostsFiles: string[];
  strictHostKeyChecking: StrictHostKeyChecking;
  /** As written: HostKeyAlias takes no tokens. */
  hostKeyAlias: string | undefined;
  hashKnownHosts: boolean;
}

export type ConnectionSettingName = keyof ConnectionSettings;

export interface ResolvedSshConfig extends ConnectionSettings {
  /** The name that was looked up (`ssh <alias>`). */
  alias: string;
  /**
   * ProxyCommand (tokens expanded) when it came before any ProxyJump, as OpenSSH lets the first of the
   * two win. mc cannot run it through ssh2; the caller decides whether that is an error.
   */
  proxyCommand: string | undefined;
  /** Settings that a config file or commandLineOptions set; the rest are OpenSSH's defaults. */
  configured: ReadonlySet<ConnectionSettingName>;
  /** Things skipped on purpose (Match blocks), worth showing with --verbose. */
  warnings: string[];
}

export interface SshConfigContext {
  /** The user configuration (~/.ssh/config, or the `-F` file). */
  configPath: string;
  /** Text of configPath when the caller already has it; otherwise readFile(configPath). */
  configText?: string;
  /** Read after the user file, like /etc/ssh/ssh_config; omit to behave like `ssh -F`. */
  systemConfigPath?: string;
  /** File contents, or undefined when the file is missing or not a regular file. */
  readFile: (path: string) => string | undefined;
  /** Entry names of a directory, or [] when it is missing. Used only for Include globs. */
  listDir: (dir: string) => string[];
  homeDir: string;
  localUser: string;
  /** gethostname(): needed only by the %l, %L and %C tokens. */
  localHostName?: string;
  /** For `${VAR}` in IdentityFile, IdentityAgent and UserKnownHostsFile, and `IdentityAgent $VAR`. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * OpenSSH `-o Key=Value` options (inventory user/port/ssh options): they win over every file and,
   * unlike a later merge, feed %r/%p in IdentityFile and friends, exactly as `ssh -l user -p port`.
   */
  commandLineOptions?: Readonly<Record<string, string>>;
}

/** OpenSSH's READCONF_MAX_DEPTH. */
const MAX_INCLUDE_DEPTH = 16;

/** The order ssh 9.2 tries them in when no IdentityFile is configured (ssh -v shows it). */
const DEFAULT_IDENTITY_FILES = [
  '~/.ssh/id_rsa',
  '~/.ssh/id_ecdsa',
  '~/.ssh/id_ecdsa_sk',
  '~/.ssh/id_ed25519',
  '~/.ssh/id_ed25519_sk',
  '~/.ssh/id_xmss',
  '~/.ssh/id_dsa',
];
const DEFAULT_USER_KNOWN_HOSTS_FILES = ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];
/** The file name errors show for commandLineOptions. */
const COMMAND_LINE_SOURCE = '(command-line option)';

/**
 * Resolves the settings for `alias` as `ssh -G alias` would. Throws ConfigurationError where ssh would
 * refuse to start (parse errors, bad values in applying directives, Include loops, unknown tokens).
 */
export function resolveSshConfig(alias: string, ctx: SshConfigContext): ResolvedSshConfig {
  const walk: ConfigWalk = { alias, ctx, applying: [], warnings: [] };
  collectCommandLineOptions(walk);
  const userText = ctx.configText ?? ctx.readFile(ctx.configPath);
  if (userText !== undefined) {
    const origin = { userConfig: true, includeDir: path.join(ctx.homeDir, '.ssh') };
    walkFile(walk, ctx.configPath, userText, origin, 0, true);
  }
  if (ctx.systemConfigPath !== undefined) {
    const systemText = ctx.readFile(ctx.systemConfigPath);
    if (systemText !== undefined) {
      const origin = { userConfig: false, includeDir: path.dirname(ctx.systemConfigPath) };
      walkFile(walk, ctx.systemConfigPath, systemText, origin, 0, true);
    }
  }
  return settingsFrom(walk);
}

export interface ProxyJumpHop {
  user?: string;
  host: string;
  port?: number;
}

/**
 * Splits a ProxyJump value into hops, first hop first: `[user@]host[:port]`, `[user@][v6addr]:port`,
 * `ssh://[user[;params]@]host[:port][/]`, comma-separated; `none` is no hop. Throws ConfigurationError
 * on what OpenSSH rejects (empty user or host, bad port, a path in a URI, a bare IPv6 address).
 * ssh 9.2 also rejects `ssh://[v6addr]`; it is accepted here, since it is unambiguous.
 */
export function parseProxyJump(value: string): ProxyJumpHop[] {
  const trimmed = value.trim();
  if (trimmed.toLowerCase() === 'none') return [];
  return trimmed.split(',').map((hop) => parseJumpHop(hop, value));
}

function parseJumpHop(text: string, whole: string): ProxyJumpHop {
  const invalid = (): ConfigurationError =>
    new ConfigurationError(
      `invalid ProxyJump "${whole}": cannot read the hop "${text}"`,
      'use [user@]host[:port] or ssh://[user@]host[:port], several separated by commas',
    );
  let rest = text;
  const isUri = rest.startsWith('ssh://');
  if (isUri) {
    rest = rest.slice('ssh://'.length).replace(/\/$/, '');
    if (rest.includes('/')) throw invalid();
  }
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    // ssh URIs may carry connection parameters after `;` (RFC draft); OpenSSH ignores them.
    user = isUri ? rest.slice(0, at).split(';')[0] : rest.slice(0, at);
    if (user === undefined || user === '') throw invalid();
    rest = rest.slice(at + 1);
  }
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw invalid();
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw invalid();
    portText = after.slice(1);
  } else {
    const colon = rest.indexOf(':');
    host = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? undefined : rest.slice(colon + 1);
  }
  if (host === '' || /\s/.test(host)) throw invalid();
  // Like OpenSSH's hpdelim, a trailing `:` with nothing after it means "no port".
  if (portText === undefined || portText === '') return user === undefined ? { host } : { user, host };
  const port = parsePortNumber(portText);
  if (port === undefined) throw invalid();
  return user === undefined ? { host, port } : { user, host, port };
}

/** OpenSSH match_pattern: `*` is any run of characters (even none), `?` exactly one, nothing else is special. */
export function matchesWildcard(text: string, pattern: string, caseInsensitive = false): boolean {
  const source = Array.from(pattern, (char) => {
    if (char === '*') return '[\\s\\S]*';
    if (char === '?') return '[\\s\\S]';
    return char.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }).join('');
  return new RegExp(`^${source}$`, caseInsensitive ? 'iu' : 'u').test(text);
}

/**
 * A pattern list as in `Host` lines and known_hosts host fields: true when some pattern matches and no
 * `!pattern` does (a negated match vetoes the whole list, whatever order the patterns are in).
 */
export function matchesHostPatternList(
  name: string,
  patterns: readonly string[],
  options: { caseInsensitive: boolean } = { caseInsensitive: false },
): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (!matchesWildcard(name, negated ? pattern.slice(1) : pattern, options.caseInsensitive)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** `~` and `~/...` (and `~<localUser>/...`) become the home directory, as tilde_expand_filename does. */
export function expandTilde(value: string, homeDir: string, localUser: string): string {
  if (!value.startsWith('~')) return value;
  const slash = value.indexOf('/');
  const userPart = value.slice(1, slash < 0 ? undefined : slash);
  if (userPart !== '' && userPart !== localUser) {
    throw new ConfigurationError(`cannot expand "${value}": only the current user's ~ is supported`);
  }
  return slash < 0 ? homeDir : path.join(homeDir, value.slice(slash + 1));
}

// ---- walking the files -------------------------------------------------------------------------

interface ConfigWalk {
  alias: string;
  ctx: SshConfigContext;
  /** Directives that apply to the alias, in the order OpenSSH reads them. */
  applying: Directive[];
  warnings: string[];
}

interface FileOrigin {
  /** User files may Include `~/...`; relative paths go to ~/.ssh (user) or the system dir. */
  userConfig: boolean;
  includeDir: string;
}

function collectCommandLineOptions(walk: ConfigWalk): void {
  for (const [key, value] of Object.entries(walk.ctx.commandLineOptions ?? {})) {
    if (/[\r\n]/.test(key) || /[\r\n]/.test(value)) {
      throw new ConfigurationError(`ssh option ${JSON.stringify(key)} contains a line break`);
    }
    if (value.trim() === '') throw new ConfigurationError(`ssh option ${key} has no value`);
    for (const line of parseConfigText(`${key} ${value}`, COMMAND_LINE_SOURCE)) {
      if (!isDirective(line)) continue;
      // As in ssh, these only make sense inside files.
      if (isSection(line) || line.param.toLowerCase() === 'include') {
        throw new ConfigurationError(`ssh option ${key} cannot be given as an option`);
      }
      walk.applying.push(line);
    }
  }
}

/**
 * Reads one file as OpenSSH's read_config_file_depth does. `active` is the state the file starts in:
 * the including line's state, so an Include inside a Host block applies only when that block does, and
 * whatever the included file does to Host/Match state ends with it.
 */
function walkFile(
  walk: ConfigWalk,
  file: string,
  text: string,
  origin: FileOrigin,
  depth: number,
  active: boolean,
): void {
  if (depth > MAX_INCLUDE_DEPTH) {
    throw new ConfigurationError(`${file}: too many nested Include levels (more than ${MAX_INCLUDE_DEPTH})`);
  }
  for (const line of parseConfigText(text, file)) {
    if (!isDirective(line)) continue;
    if (!isSection(line)) {
      handleDirective(walk, line, file, origin, depth, active);
      continue;
    }
    const sectionActive = active && sectionApplies(walk, line, file);
    for (const inner of line.config) {
      if (isDirective(inner)) handleDirective(walk, inner, file, origin, depth, sectionActive);
    }
  }
}

function handleDirective(
  walk: ConfigWalk,
  directive: Directive,
  file: string,
  origin: FileOrigin,
  depth: number,
  active: boolean,
): void {
  if (directive.param.toLowerCase() !== 'include') {
    if (active) walk.applying.push(directive);
    return;
  }
  // Inactive includes are still read, as OpenSSH does, so their errors and loops surface either way.
  for (const pattern of valuesOf(directive)) {
    for (const includedPath of includeCandidates(walk.ctx, pattern, file, origin)) {
      const text = walk.ctx.readFile(includedPath);
      if (text !== undefined) walkFile(walk, includedPath, text, origin, depth + 1, active);
    }
  }
}

function includeCandidates(
  ctx: SshConfigContext,
  pattern: string,
  file: string,
  origin: FileOrigin,
): string[] {
  let anchored: string;
  if (pattern.startsWith('~')) {
    if (!origin.userConfig) {
      throw new ConfigurationError(`${file}: bad Include path ${pattern}: ~ is only allowed in user files`);
    }
    anchored = expandTilde(pattern, ctx.homeDir, ctx.localUser);
  } else {
    anchored = path.isAbsolute(pattern) ? pattern : path.join(origin.includeDir, pattern);
  }
  return expandGlob(anchored, ctx.listDir);
}

/**
 * glob(3) for Include: `*` and `?` within one path component, no match for a leading dot unless the
 * pattern has one, results sorted. No `[...]` classes. A path without wildcards is returned as is;
 * readFile decides whether it exists.
 */
function expandGlob(pattern: string, listDir: (dir: string) => string[]): string[] {
  if (!/[*?]/.test(pattern)) return [pattern];
  let paths = [pattern.startsWith('/') ? '/' : '.'];
  for (const part of pattern.split('/').filter((component) => component !== '')) {
    if (!/[*?]/.test(part)) {
      paths = paths.map((dir) => path.join(dir, part));
      continue;
    }
    paths = paths.flatMap((dir) =>
      listDir(dir)
        .filter((name) => (part.startsWith('.') || !name.startsWith('.')) && matchesWildcard(name, part))
        .map((name) => path.join(dir, name)),
    );
  }
  return paths.sort();
}

function sectionApplies(walk: ConfigWalk, section: Directive, file: string): boolean {
  const keyword = section.param.toLowerCase();
  const values = valuesOf(section);
  // Host patterns compare with the alias exactly as given (case-sensitive), not with HostName.
  if (keyword === 'host') return matchesHostPatternList(walk.alias, values);
  // Match: only `Match all` (the idiom that ends a Host block) is understood. Other criteria would need
  // the final host name, user and possibly running commands; their blocks are skipped, never guessed.
  if (values.length > 0 && values.every((value) => value.toLowerCase() === 'all')) return true;
  walk.warnings.push(`${file}: "Match ${values.join(' ')}" is not supported; its block was ignored`);
  return false;
}

function parseConfigText(text: string, file: string): Line[] {
  try {
    return parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigurationError(`${file}: cannot parse ssh config: ${reason}`);
  }
}

function isDirective(line: Line): line is Directive {
  return line.type === LineType.DIRECTIVE && line.param !== '';
}

function isSection(line: Directive): line is Section {
  return 'config' in line;
}

function valuesOf(directive: Directive): string[] {
  return typeof directive.value === 'string' ? [directive.value] : directive.value.map((part) => part.val);
}

// ---- turning directives into settings ----------------------------------------------------------

function settingsFrom(walk: ConfigWalk): ResolvedSshConfig {
  const { alias, ctx } = walk;
  const flattened = new SSHConfig();
  flattened.push(...walk.applying);
  // Every directive here already applies, so compute only does first-match-wins and accumulates
  // IdentityFile. matchExec off: nothing from a config file may run a command.
  const computed = flattened.compute(alias, { ignoreCase: true, matchExec: false });
  const configured = new Set<ConnectionSettingName>();
  const first = (key: string, setting?: ConnectionSettingName): string | undefined => {
    const value = computed[key];
    if (value === undefined) return undefined;
    if (setting !== undefined) configured.add(setting);
    return Array.isArray(value) ? value[0] : value;
  };
  const all = (key: string, setting: ConnectionSettingName): string[] | undefined => {
    const value = computed[key];
    if (value === undefined) return undefined;
    configured.add(setting);
    return Array.isArray(value) ? value : [value];
  };

  const hostNameTemplate = first('hostname', 'hostName');
  const hostName = lowercaseUnlessAddress(
    hostNameTemplate === undefined
      ? alias
      : expandTokens(hostNameTemplate, 'HostName', { h: alias }, undefined),
  );
  const portText = first('port', 'port');
  const port = portText === undefined ? 22 : requirePort(portText);
  const user = first('user', 'user') ?? ctx.localUser;
  const hostKeyAlias = first('hostkeyalias', 'hostKeyAlias');

  const pathTokens: Record<string, string> = {
    d: ctx.homeDir,
    h: hostName,
    k: hostKeyAlias ?? alias,
    n: alias,
    p: String(port),
    r: user,
    u: ctx.localUser,
  };
  if (ctx.localHostName !== undefined) {
    pathTokens.l = ctx.localHostName;
    pathTokens.L = ctx.localHostName.split('.')[0] ?? ctx.localHostName;
    pathTokens.C = createHash('sha1').update(`${ctx.localHostName}${hostName}${port}${user}`).digest('hex');
  }
  const expandPath = (value: string, keyword: string): string =>
    expandTokens(expandTilde(value, ctx.homeDir, ctx.localUser), keyword, pathTokens, ctx.env ?? {});
  const jumpTokens = { h: hostName, n: alias, p: String(port), r: user };

  // OpenSSH skips a repeated IdentityFile, comparing the text as written.
  const identityTemplates = [...new Set(all('identityfile', 'identityFiles') ?? DEFAULT_IDENTITY_FILES)];
  const identityAgentTemplate = first('identityagent', 'identityAgent');
  const knownHostsTemplates =
    all('userknownhostsfile', 'userKnownHostsFiles') ?? DEFAULT_USER_KNOWN_HOSTS_FILES;
  const connectTimeoutText = first('connecttimeout', 'connectTimeout');
  const serverAliveIntervalText = first('serveraliveinterval', 'serverAliveInterval');
  const serverAliveCountMaxText = first('serveralivecountmax', 'serverAliveCountMax');
  const identitiesOnlyText = first('identitiesonly', 'identitiesOnly');
  const hashKnownHostsText = first('hashknownhosts', 'hashKnownHosts');
  const strictText = first('stricthostkeychecking', 'strictHostKeyChecking');

  // ProxyJump and ProxyCommand: whichever applies first wins, even when it says none.
  const proxy = walk.applying.find((d) => /^proxy(jump|command)$/i.test(d.param));
  let proxyJump: string | undefined;
  let proxyCommand: string | undefined;
  if (proxy?.param.toLowerCase() === 'proxyjump') {
    const template = first('proxyjump', 'proxyJump') ?? '';
    if (template.toLowerCase() !== 'none') {
      proxyJump = expandTokens(template, 'ProxyJump', jumpTokens, undefined);
      parseProxyJump(proxyJump);
    }
  } else if (proxy !== undefined) {
    const template = first('proxycommand') ?? '';
    if (template.toLowerCase() !== 'none') {
      proxyCommand = expandTokens(template, 'ProxyCommand', jumpTokens, undefined);
    }
  }

  return {
    alias,
    hostName,
    user,
    port,
    // `IdentityFile none` is kept in the list by OpenSSH but never loaded (ssh -v lists no such key).
    identityFiles: identityTemplates.filter((t) => t !== 'none').map((t) => expandPath(t, 'IdentityFile')),
    identitiesOnly:
      identitiesOnlyText === undefined ? false : parseYesNo(identitiesOnlyText, 'IdentitiesOnly'),
    identityAgent:
      identityAgentTemplate === undefined ? undefined : resolveIdentityAgent(identityAgentTemplate),
    proxyJump,
    proxyCommand,
    serverAliveInterval:
      serverAliveIntervalText === undefined
        ? 0
        : parseDuration(serverAliveIntervalText, 'ServerAliveInterval'),
    serverAliveCountMax:
      serverAliveCountMaxText === undefined ? 3 : parseCount(serverAliveCountMaxText, 'ServerAliveCountMax'),
    connectTimeout:
      connectTimeoutText === undefined ? undefined : parseDuration(connectTimeoutText, 'ConnectTimeout'),
    userKnownHostsFiles:
      knownHostsTemplates.length === 1 && knownHostsTemplates[0] === 'none'
        ? []
        : knownHostsTemplates.map((t) => expandPath(t, 'UserKnownHostsFile')),
    strictHostKeyChecking: strictText === undefined ? 'ask' : parseStrictHostKeyChecking(strictText),
    hostKeyAlias,
    hashKnownHosts:
      hashKnownHostsText === undefined ? false : parseYesNo(hashKnownHostsText, 'HashKnownHosts'),
    configured,
    warnings: walk.warnings,
  };

  function resolveIdentityAgent(template: string): string {
    if (template === 'none' || template === 'SSH_AUTH_SOCK') return template;
    // `IdentityAgent $NAME`: the socket path is in that variable; ssh runs without an agent if unset.
    if (template.startsWith('$') && !template.startsWith('${')) return ctx.env?.[template.slice(1)] ?? 'none';
    return expandPath(template, 'IdentityAgent');
  }
}

/**
 * percent_expand plus dollar_expand in one pass, so a value substituted in is never expanded again.
 * `env` undefined means the keyword takes no `${VAR}` (it stays literal, as in ssh).
 */
function expandTokens(
  value: string,
  keyword: string,
  tokens: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>> | undefined,
): string {
  let expanded = '';
  for (let i = 0; i < value.length; i += 1) {
    const char = value.charAt(i);
    if (char === '%') {
      const token = value.charAt(i + 1);
      const replacement = token === '%' ? '%' : Object.hasOwn(tokens, token) ? tokens[token] : undefined;
      if (replacement === undefined) {
        const what = token === '' ? 'a trailing %' : `%${token}`;
        throw new ConfigurationError(`${keyword} "${value}": cannot expand ${what}`);
      }
      expanded += replacement;
      i += 1;
    } else if (char === '$' && env !== undefined && value.charAt(i + 1) === '{') {
      const end = value.indexOf('}', i + 2);
      const name = end < 0 ? '' : value.slice(i + 2, end);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new ConfigurationError(`${keyword} "${value}": invalid environment variable reference`);
      }
      const variable = env[name];
      if (variable === undefined) {
        throw new ConfigurationError(`${keyword} "${value}": environment variable ${name} is not set`);
      }
      expanded += variable;
      i = end;
    } else {
      expanded += char;
    }
  }
  return expanded;
}

/** ssh lowercases the host name except where that would corrupt an address (IPv6 scope ids). */
function lowercaseUnlessAddress(host: string): string {
  const looksLikeAddress = host.includes(':') || host.includes('%') || /^[0-9.]+$/.test(host);
  return looksLikeAddress ? host : host.toLowerCase();
}

function parsePortNumber(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

function requirePort(text: string): number {
  const port = parsePortNumber(text);
  if (port === undefined) throw new ConfigurationError(`bad Port "${text}" in ssh config`);
  return port;
}

function parseYesNo(text: string, keyword: string): boolean {
  const value = text.toLowerCase();
  if (value === 'yes' || value === 'true') return true;
  if (value === 'no' || value === 'false') return false;
  throw new ConfigurationError(`${keyword} must be yes or no, not "${text}"`);
}

function parseStrictHostKeyChecking(text: string): StrictHostKeyChecking {
  const value = text.toLowerCase();
  if (value === 'yes' || value === 'true') return 'yes';
  if (value === 'no' || value === 'false' || value === 'off') return 'no';
  if (value === 'ask' || value === 'accept-new') return value;
  throw new ConfigurationError(`StrictHostKeyChecking must be yes, no, ask or accept-new, not "${text}"`);
}

/** convtime: `90`, `90s`, `1m30s`, `2h`, ... in seconds. */
function parseDuration(text: string, keyword: string): number {
  // Units separate the groups, so this pattern cannot backtrack badly on long input.
  if (!/^(?:\d+[smhdw])*\d+[smhdw]?$/i.test(text)) {
    throw new ConfigurationError(`${keyword}: bad time value "${text}"`);
  }
  const unitSeconds: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhdw]?)/gi)) {
    total += Number(amount) * (unitSeconds[(unit ?? '').toLowerCase()] ?? 1);
  }
  return total;
}

function parseCount(text: string, keyword: string): number {
  if (!/^\d+$/.test(text)) throw new ConfigurationError(`${keyword} must be a number, not "${text}"`);
  return Number(text);
}
