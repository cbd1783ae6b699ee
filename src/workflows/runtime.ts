// The composition root of a run: inventory, secrets, targets, renderers, log file, connection pool.
// Everything that can be wrong with the input is found here, before any host is contacted.
import { readFileSync, readdirSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { InputError } from '../domain/input-error.js';
import { KNOWN_HOSTS_MAX_BYTES } from '../domain/input/limits.js';
// Not the inventory layer's index, which holds every format's reader: load-inventory loads only one.
import { selectHosts } from '../domain/inventory/host-patterns.js';
import { formatIssue, formatWarning } from '../domain/inventory/issues.js';
import type { HostSpec, Inventory } from '../domain/inventory/types.js';
import { EventBus } from '../output/events.js';
import { chooseRenderer } from '../output/choose.js';
import { formatRecap } from '../output/format.js';
import { attachJsonRenderer } from '../output/json.js';
import { attachLogFile, defaultLogPath } from '../output/logfile.js';
import type { LogFile } from '../output/logfile.js';
import { attachPlainRenderer } from '../output/plain.js';
import { terminalPrompter } from '../output/prompt.js';
import { Redactor } from '../output/redact.js';
import type { TtyRenderer } from '../output/tty.js';
import type { ConnectTarget, HostKeyVerifier } from '../transport/connection.js';
import { Credentials } from '../transport/credentials.js';
import { ConfigurationError } from '../transport/errors.js';
import { KnownHostsVerifier } from '../transport/host-keys.js';
import { ConnectionPool, DEFAULT_RETRY } from '../transport/pool.js';
import { resolveSshConfig } from '../transport/ssh-config.js';
import type { ResolvedSshConfig } from '../transport/ssh-config.js';
import { resolveTarget } from '../transport/targets.js';
import type { ResolvedTarget } from '../transport/targets.js';
import { loadInventory } from './load-inventory.js';
import { readInputFile } from './read-input.js';
import { Session } from './session.js';

export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Registers what to do on Ctrl-C, before the process exits with 130. */
  onInterrupt(handler: () => Promise<void>): void;
}

/** What a run needs to know, whatever the command line looked like. */
export interface RunOptions {
  inventory: string;
  limit?: string;
  /** Inventory warnings (a mistyped ansible_* variable) are errors. */
  strict?: boolean;
  forks: number;
  output: 'auto' | 'tty' | 'plain' | 'json';
  /** Seconds. */
  timeout: number;
  connectTimeout: number;
  connectRetries: number;
  acceptNew: boolean;
  askPass: boolean;
  askBecomePass: boolean;
  knownHosts?: string;
  sshConfig?: string;
  logFile?: string;
}

export interface Run {
  session: Session;
  inventory: Inventory;
  hosts: HostSpec[];
  /** Emits the recap, waits for the renderers, closes connections and the log; true when every host is ok. */
  finish(): Promise<boolean>;
  /**
   * The run's work: if it throws, the run is finished first (its open SSH connections would keep mc from
   * exiting), then the error goes on.
   */
  settle<T>(work: Promise<T>): Promise<T>;
}

const readOptional = (path: string): Buffer | undefined => {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
};

/** known_hosts through the bounded reader; each file was checked before the run started. */
const readKnownHosts = (path: string): Buffer | undefined => {
  const read = readInputFile(path, { limits: { maxBytes: KNOWN_HOSTS_MAX_BYTES } });
  return read.ok ? Buffer.from(read.text, 'utf8') : undefined;
};

export async function loadSelectedHosts(
  flags: Pick<RunOptions, 'inventory' | 'limit' | 'strict'>,
  io: Io,
): Promise<{
  inventory: Inventory;
  hosts: HostSpec[];
}> {
  const loaded = await loadInventory(resolve(io.cwd, flags.inventory), io.env);
  if (!loaded.ok) throw new InputError(loaded.issues.map(formatIssue));
  const warnings = loaded.warnings ?? [];
  if (flags.strict === true && warnings.length > 0) {
    throw new InputError(warnings.map((warning) => `${formatIssue(warning)} (an error with --strict)`));
  }
  // Before any renderer exists: the one place inventory warnings can go is stderr, for every output mode.
  for (const warning of warnings) io.stderr.write(`mc: ${formatWarning(warning)}\n`);
  const inventory = loaded.inventory;
  if (flags.limit === undefined) return { inventory, hosts: inventory.hosts };
  const selection = selectHosts(inventory, flags.limit);
  if (!selection.ok) throw new InputError(selection.issues);
  if (selection.hosts.length === 0) throw new InputError([`--limit ${flags.limit}: no host selected`]);
  return { inventory, hosts: selection.hosts };
}

export interface StartRunOptions {
  /** Checks the inventory before anything else happens; throws InputError (exit 2) on a problem. */
  check?: (inventory: Inventory) => void;
  /** `phases`: a multi-phase run (deploy) whose live tree groups steps by phase. */
  layout?: 'hosts' | 'phases';
  /**
   * Where progress (events, live trees, the recap) goes. `stderr` for commands whose stdout is a document
   * meant for a file or a pipe (mc preseed export > preseed.yaml).
   */
  progress?: 'stdout' | 'stderr';
}

export async function startRun(
  command: string,
  flags: RunOptions,
  io: Io,
  runOptions: StartRunOptions = {},
): Promise<Run> {
  const { inventory, hosts } = await loadSelectedHosts(flags, io);
  runOptions.check?.(inventory);
  const redactor = new Redactor();
  const prompter = terminalPrompter(io.stdin, io.stderr);

  const sshPassword = await secret(
    io.env.MC_SSH_PASSWORD,
    flags.askPass,
    'SSH password: ',
    prompter,
    '--ask-pass',
  );
  const becomePassword = await secret(
    io.env.MC_BECOME_PASSWORD,
    flags.askBecomePass,
    'BECOME password: ',
    prompter,
    '--ask-become-pass',
  );
  for (const host of hosts) {
    redactor.add(host.password);
    redactor.add(host.becomePassword);
  }
  redactor.add(sshPassword);
  redactor.add(becomePassword);

  const home = io.env.HOME ?? homedir();
  const sshConfigPath = flags.sshConfig ?? `${home}/.ssh/config`;
  const sshConfig = sshConfigReader(sshConfigPath, home, io.env);
  const bus = new EventBus(redactor);
  const targets = new Map<string, ConnectTarget>();
  const verifiers = new Map<string, HostKeyVerifier>();
  const verifierByHost = new Map<string, HostKeyVerifier>();
  const warnings: string[] = [];
  for (const host of hosts) {
    let resolved: ResolvedTarget;
    try {
      resolved = resolveTarget(
        host,
        {
          homeDir: home,
          localUser: io.env.USER ?? userInfo().username,
          ...(io.env.SSH_AUTH_SOCK === undefined ? {} : { agentSocket: io.env.SSH_AUTH_SOCK }),
          ...(sshPassword === undefined ? {} : { sshPassword }),
          ...(becomePassword === undefined ? {} : { becomePassword }),
          sshConfig,
        },
        {
          connectTimeoutMs: flags.connectTimeout * 1000,
          keepaliveIntervalMs: 15_000,
          keepaliveCountMax: 3,
          acceptNew: flags.acceptNew,
          ...(flags.knownHosts === undefined ? {} : { knownHostsFile: resolve(io.cwd, flags.knownHosts) }),
        },
      );
    } catch (err) {
      throw asInputError(
        err,
        `${sshConfigPath}: ${host.name}`,
        'fix that ssh_config line, or run with --ssh-config none',
      );
    }
    targets.set(host.name, resolved.target);
    const key = `${resolved.hostKeyPolicy}\0${resolved.knownHostsFiles.join('\0')}`;
    let verifier = verifiers.get(key);
    if (verifier === undefined) {
      // Checked now, so a broken known_hosts stops mc before a connection, not in the middle of one.
      for (const file of resolved.knownHostsFiles)
        readBoundedText(file, 'known_hosts file', KNOWN_HOSTS_MAX_BYTES);
      verifier = new KnownHostsVerifier({
        files: resolved.knownHostsFiles,
        policy: resolved.hostKeyPolicy,
        readFile: readKnownHosts,
        onAccepted: (endpoint, fingerprint, file) =>
          bus.emit({
            type: 'warning',
            host: endpoint.label,
            // Vagrant's ssh-config points UserKnownHostsFile at /dev/null: nothing is recorded, so say what is true.
            message:
              file === '/dev/null'
                ? `accepted host key ${fingerprint} without checking it (its known_hosts file is /dev/null); to check keys, record them: mc inventory from-vagrant --record-host-keys`
                : `added host key ${fingerprint} to ${file}`,
          }),
      });
      verifiers.set(key, verifier);
    }
    verifierByHost.set(host.name, verifier);
    if (resolved.ignoredOptions.length > 0) {
      warnings.push(
        `${host.name}: ignoring SSH options mc does not use: ${resolved.ignoredOptions.join(', ')}`,
      );
    }
  }

  const credentials = new Credentials({
    readFile: readOptional,
    redactor,
    ...(prompter === undefined ? {} : { prompter }),
    ...(io.env.MC_KEY_PASSPHRASE === undefined ? {} : { keyPassphrase: io.env.MC_KEY_PASSPHRASE }),
  });
  // Every question (key passphrases) is asked here, before any renderer draws.
  try {
    await credentials.preload([...targets.values()].flatMap((t) => [t, ...t.jumps]));
  } catch (err) {
    throw asInputError(err, undefined, undefined);
  }

  const progress = runOptions.progress === 'stderr' ? io.stderr : io.stdout;
  const mode = chooseRenderer(flags.output, hosts.length, {
    isTTY: progress.isTTY === true,
    rows: progress.rows,
    ci: io.env.CI !== undefined,
  });
  // A reader that went away (`mc run ... | head`) must not stop the run on the hosts.
  let progressOpen = true;
  progress.on('error', () => {
    progressOpen = false;
  });
  const write = (text: string): void => {
    if (progressOpen) progress.write(text);
  };
  let tty: TtyRenderer | undefined;
  if (mode === 'json') attachJsonRenderer(bus, write);
  else if (mode === 'plain') attachPlainRenderer(bus, write);
  // The live trees are loaded only when drawn: listr2 is start-up time a plain or JSON run never uses.
  else if (runOptions.layout === 'phases')
    tty = (await import('../output/tty-phases.js')).attachPhaseTtyRenderer(bus, progress);
  else tty = (await import('../output/tty.js')).attachTtyRenderer(bus, progress);
  const logPath = flags.logFile ?? defaultLogPath(io.env, new Date(), process.pid);
  const log: LogFile = attachLogFile(
    bus,
    resolve(io.cwd, logPath),
    redactor.redact(`mc ${command} -i ${inventory.source}`),
  );

  const pool = new ConnectionPool(
    targets,
    (host) => verifierByHost.get(host) as HostKeyVerifier,
    credentials,
    {
      forks: flags.forks,
      retry: { ...DEFAULT_RETRY, attempts: flags.connectRetries },
      hooks: {
        connecting: (host, attempt) => bus.emit({ type: 'host-connecting', host, attempt }),
        connected: (host, ms) => bus.emit({ type: 'host-connected', host, ms }),
      },
    },
  );
  const session = new Session(
    bus,
    pool,
    hosts.map((h) => h.name),
    {
      forks: flags.forks,
      commandTimeoutMs: flags.timeout * 1000,
      ...(becomePassword === undefined ? {} : { becomePassword }),
    },
    new Map([...targets].map(([host, target]) => [host, target.address])),
  );
  io.onInterrupt(async () => {
    await pool.interruptAll();
    await log.close();
  });
  const started = Date.now();
  bus.emit({ type: 'run-start', command, hosts: session.hosts.slice() });
  for (const message of warnings) bus.emit({ type: 'warning', message });

  let finished: Promise<boolean> | undefined;
  const finish = async (): Promise<boolean> => {
    await session.close();
    const recap = session.recap();
    bus.emit({ type: 'recap', hosts: recap });
    const ok = session.ok;
    bus.emit({ type: 'run-end', ok, ms: Date.now() - started, logFile: log.path });
    if (tty !== undefined) {
      await tty.finished();
      const lines = formatRecap(recap);
      if (!ok) lines.push(`log file: ${log.path}`);
      progress.write(`${lines.join('\n')}\n`);
    }
    await log.close();
    return ok;
  };
  return {
    session,
    inventory,
    hosts,
    // Once only: a failed run is finished by settle, and its command may still call finish.
    finish: () => (finished ??= finish()),
    settle: async (work) => {
      try {
        return await work;
      } catch (err) {
        await (finished ??= finish());
        throw err;
      }
    },
  };
}

async function secret(
  fromEnv: string | undefined,
  ask: boolean,
  question: string,
  prompter: ReturnType<typeof terminalPrompter>,
  flag: string,
): Promise<string | undefined> {
  if (!ask) return fromEnv;
  if (fromEnv !== undefined) return fromEnv;
  if (prompter === undefined) {
    throw new InputError([`${flag}: no terminal to ask on; set the password in the environment instead`]);
  }
  return prompter.ask(question);
}

function sshConfigReader(
  path: string,
  homeDir: string,
  env: NodeJS.ProcessEnv,
): (alias: string, commandLineOptions: Record<string, string>) => ResolvedSshConfig | undefined {
  if (path === 'none') return () => undefined;
  const text = readBoundedText(path, 'ssh_config');
  if (text === undefined) return () => undefined;
  const cache = new Map<string, ResolvedSshConfig>();
  return (alias, commandLineOptions) => {
    const key = JSON.stringify([alias, commandLineOptions]);
    let resolved = cache.get(key);
    if (resolved === undefined) {
      resolved = resolveSshConfig(alias, {
        configText: text,
        configPath: path,
        readFile: (p) => readBoundedText(p, 'ssh_config'),
        listDir: (dir) => {
          try {
            return readdirSync(dir);
          } catch {
            return [];
          }
        },
        homeDir,
        localUser: userInfo().username,
        env,
        commandLineOptions,
      });
      cache.set(key, resolved);
    }
    return resolved;
  };
}

/**
 * A text input mc may do without (ssh_config and its Includes, known_hosts): undefined when it does
 * not exist; through the bounded reader otherwise, so one too big, binary or not UTF-8 is exit 2 with
 * where it went wrong, before any host is contacted.
 */
function readBoundedText(path: string, what: string, maxBytes?: number): string | undefined {
  const read = readInputFile(path, { what, ...(maxBytes === undefined ? {} : { limits: { maxBytes } }) });
  if (read.ok) return read.text;
  if (read.reason === 'missing') return undefined;
  const next = what === 'ssh_config' ? ' (or run with --ssh-config none)' : '';
  throw new InputError([`${formatIssue(read.issue)}${next}`]);
}

/**
 * A ConfigurationError (bad ssh_config, unreadable key) is the user's to fix: one line with where, what
 * and what next, exit status 2. Anything else is passed on unchanged.
 */
function asInputError(err: unknown, where: string | undefined, next: string | undefined): unknown {
  if (!(err instanceof ConfigurationError)) return err;
  const hint = err.hint ?? next;
  return new InputError([
    `${where === undefined ? '' : `${where}: `}${err.message}${hint === undefined ? '' : ` (${hint})`}`,
  ]);
}
