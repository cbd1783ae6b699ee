// Turns an inventory host into a ConnectTarget. Precedence: the inventory (its -o options first),
// then ~/.ssh/config for the host's address (as `ssh address` would read it), then defaults.
import type { HostSpec } from '../domain/inventory/types.js';
import type { ConnectTarget, Endpoint } from './connection.js';
import type { HostKeyPolicy } from './host-keys.js';
import { expandTilde, parseProxyJump } from './ssh-config.js';
import type { ResolvedSshConfig } from './ssh-config.js';

export interface TargetDefaults {
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  acceptNew: boolean;
  /** --known-hosts: replaces UserKnownHostsFile for every host. */
  knownHostsFile?: string;
}

export interface TargetEnvironment {
  homeDir: string;
  localUser: string;
  agentSocket?: string;
  sshPassword?: string;
  becomePassword?: string;
  /**
   * ssh_config lookup, given the inventory's settings as `-o` options so tokens such as %r and %p
   * see them; undefined when no config is read.
   */
  sshConfig: (alias: string, commandLineOptions: Record<string, string>) => ResolvedSshConfig | undefined;
}

export interface ResolvedTarget {
  target: ConnectTarget;
  knownHostsFiles: string[];
  hostKeyPolicy: HostKeyPolicy;
  /** -o options we do not act on, to warn about once. */
  ignoredOptions: string[];
}

// OpenSSH tries these when no IdentityFile is configured; a missing one is not an error.
const DEFAULT_IDENTITIES = [
  'id_rsa',
  'id_ecdsa',
  'id_ecdsa_sk',
  'id_ed25519',
  'id_ed25519_sk',
  'id_xmss',
  'id_dsa',
];

/** -o options that change how we connect; anything else is reported as ignored. */
const HONOURED_OPTIONS = new Set([
  'port',
  'user',
  'identityfile',
  'identitiesonly',
  'proxyjump',
  'serveraliveinterval',
  'serveralivecountmax',
  'connecttimeout',
  'stricthostkeychecking',
  'userknownhostsfile',
  'hostkeyalias',
  'hostname',
  'identityagent',
  // Harmless for us: connection sharing is built in, and these only tune OpenSSH's own client.
  'controlmaster',
  'controlpersist',
  'controlpath',
  'loglevel',
  'batchmode',
  'compression',
]);

export function resolveTarget(
  host: HostSpec,
  env: TargetEnvironment,
  defaults: TargetDefaults,
): ResolvedTarget {
  const options = lowerKeys(host.sshOptions);
  const commandLine: Record<string, string> = { ...host.sshOptions };
  if (host.user !== undefined) commandLine.User = host.user;
  if (host.port !== undefined) commandLine.Port = String(host.port);
  const config = env.sshConfig(options.hostname ?? host.address, commandLine);
  const address = options.hostname ?? config?.hostName ?? host.address;
  const port = host.port ?? numberOption(options.port) ?? config?.port ?? 22;
  const user = host.user ?? options.user ?? config?.user ?? env.localUser;
  const identitiesOnly = yes(options.identitiesonly) ?? config?.identitiesOnly ?? false;
  const identityAgent = options.identityagent ?? config?.identityAgent;

  const identityFiles: Endpoint['identityFiles'] = [];
  const addIdentity = (path: string, explicit: boolean): void => {
    const expanded = expandTilde(path, env.homeDir, env.localUser);
    if (!identityFiles.some((f) => f.path === expanded)) identityFiles.push({ path: expanded, explicit });
  };
  if (host.keyFile !== undefined) addIdentity(host.keyFile, true);
  if (options.identityfile !== undefined) addIdentity(options.identityfile, true);
  // OpenSSH adds its default identities only when nothing names a key, as `ssh -i` shows.
  const configNamesKeys = config?.configured.has('identityFiles') === true;
  if (identityFiles.length === 0 || configNamesKeys) {
    for (const file of config?.identityFiles ?? []) addIdentity(file, !isDefaultIdentity(file, env.homeDir));
  }
  if (identityFiles.length === 0) {
    for (const name of DEFAULT_IDENTITIES) addIdentity(`${env.homeDir}/.ssh/${name}`, false);
  }

  const agentSocket =
    identitiesOnly && identityFiles.some((f) => f.explicit)
      ? undefined
      : identityAgent === 'none'
        ? undefined
        : identityAgent === undefined || identityAgent === 'SSH_AUTH_SOCK'
          ? env.agentSocket
          : expandTilde(identityAgent, env.homeDir, env.localUser);

  const password = host.password ?? env.sshPassword;
  const endpoint: Endpoint = {
    label: host.name,
    address,
    port,
    user,
    hostKeyName: options.hostkeyalias ?? config?.hostKeyAlias ?? address,
    identityFiles,
    ...(agentSocket === undefined ? {} : { agentSocket }),
    ...(password === undefined ? {} : { password }),
  };

  const proxyJump = host.proxyJump ?? options.proxyjump ?? config?.proxyJump;
  const jumps =
    proxyJump === undefined || proxyJump === 'none' ? [] : jumpEndpoints(proxyJump, endpoint, env);

  const intervalSeconds = numberOption(options.serveraliveinterval) ?? config?.serverAliveInterval;
  const countMax = numberOption(options.serveralivecountmax) ?? config?.serverAliveCountMax;
  const connectSeconds = numberOption(options.connecttimeout) ?? config?.connectTimeout;
  const becomePassword = host.becomePassword ?? env.becomePassword;

  const target: ConnectTarget = {
    ...endpoint,
    jumps,
    keepaliveIntervalMs:
      intervalSeconds !== undefined && intervalSeconds > 0
        ? intervalSeconds * 1000
        : defaults.keepaliveIntervalMs,
    keepaliveCountMax: countMax ?? defaults.keepaliveCountMax,
    readyTimeoutMs: connectSeconds !== undefined ? connectSeconds * 1000 : defaults.connectTimeoutMs,
    ...(becomePassword === undefined ? {} : { becomePassword }),
  };

  const strict = (options.stricthostkeychecking ?? config?.strictHostKeyChecking ?? 'ask').toLowerCase();
  const knownHostsFiles =
    defaults.knownHostsFile !== undefined
      ? [expandTilde(defaults.knownHostsFile, env.homeDir, env.localUser)]
      : options.userknownhostsfile !== undefined
        ? options.userknownhostsfile.split(/\s+/).map((f) => expandTilde(f, env.homeDir, env.localUser))
        : (config?.userKnownHostsFiles ?? [
            `${env.homeDir}/.ssh/known_hosts`,
            `${env.homeDir}/.ssh/known_hosts2`,
          ]);

  return {
    target,
    knownHostsFiles,
    // "no" and "accept-new" both mean: record unknown keys. A changed key is refused whatever the setting.
    hostKeyPolicy:
      defaults.acceptNew || strict === 'accept-new' || strict === 'no' || strict === 'off'
        ? 'accept-new'
        : 'strict',
    ignoredOptions: Object.keys(host.sshOptions).filter((k) => !HONOURED_OPTIONS.has(k.toLowerCase())),
  };
}

function jumpEndpoints(value: string, final: Endpoint, env: TargetEnvironment): Endpoint[] {
  return parseProxyJump(value).map((hop) => {
    const config = env.sshConfig(hop.host, {});
    const address = config?.hostName ?? hop.host;
    const identityFiles: Endpoint['identityFiles'] = [];
    for (const file of config?.identityFiles ?? []) {
      identityFiles.push({ path: expandTilde(file, env.homeDir, env.localUser), explicit: false });
    }
    // The target's own keys are offered to the jump host too: one key for a whole lab is common.
    for (const file of final.identityFiles) {
      if (!identityFiles.some((f) => f.path === file.path)) identityFiles.push({ ...file, explicit: false });
    }
    return {
      label: `${hop.user === undefined ? '' : `${hop.user}@`}${hop.host}${hop.port === undefined ? '' : `:${hop.port}`}`,
      address,
      port: hop.port ?? config?.port ?? 22,
      user: hop.user ?? config?.user ?? env.localUser,
      hostKeyName: config?.hostKeyAlias ?? address,
      identityFiles,
      ...(final.agentSocket === undefined ? {} : { agentSocket: final.agentSocket }),
    };
  });
}

/** ssh_config's identity files come back expanded, so a plain comparison finds OpenSSH's defaults. */
function isDefaultIdentity(path: string, homeDir: string): boolean {
  return DEFAULT_IDENTITIES.some((name) => path === `${homeDir}/.ssh/${name}`);
}

function lowerKeys(options: Record<string, string>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [k.toLowerCase(), v]));
}

function numberOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function yes(value: string | undefined): boolean | undefined {
  return value === undefined ? undefined : /^(yes|true)$/i.test(value);
}
