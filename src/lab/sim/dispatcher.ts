// The dispatcher: runs argv on a simulated host as a login shell would find it (PATH, /snap/bin, absolute
// paths), applying injected faults and modelled latency, and recording every command for order checks.

import type { Machine } from './machine.js';
import { daemonDownError, isDaemonSnap, restartingUntil } from './restart.js';
import { catProgram, findProgram, hostnameProgram, nprocProgram, unameProgram } from './programs/system.js';
import { parse as parseShell } from 'shell-quote';

import { snapCommands } from './catalog.js';
import { curlProgram } from './programs/curl.js';
import { ipProgram } from './programs/ip.js';
import { lsblkProgram } from './programs/lsblk.js';
import { lxcProgram } from './programs/lxc.js';
import { lxdProgram } from './programs/lxd.js';
import { microcephProgram } from './programs/microceph.js';
import { microcloudProgram } from './programs/microcloud.js';
import { microovnProgram } from './programs/microovn.js';
import { snapProgram } from './programs/snap.js';
import { ssProgram } from './programs/ss.js';
import { wipefsProgram } from './programs/wipefs.js';
import { cephProgram } from './programs/ceph.js';
import { NotModelledError, type ProgramResult } from './program.js';
import { isSnapInstalled } from './snapd.js';
import type { FaultAction } from './faults.js';
import { getMachine, spend, type CommandRecord, type ProgramEntry, type World } from './world.js';

export interface RunOptions {
  /** Aborting ends a hung command (the caller's SSH timeout) and interrupts modelled waits. */
  signal?: AbortSignal;
  /** Effective uid; default 0 (root, or sudo). */
  uid?: number;
  /** Whether stdout is a terminal (ssh -t); default false. */
  tty?: boolean;
}

export interface RunResult extends ProgramResult {
  /** The SSH connection dropped (injected); exit code is then 255 as ssh reports it. */
  connectionDropped: boolean;
  /** The command exists on a real host but the simulator does not model it. */
  notModelled: boolean;
  /** Modelled time the command took. */
  durationMs: number;
}

const BUILTIN_PROGRAMS: Record<string, ProgramEntry> = {
  snap: { run: snapProgram, snap: null, paths: ['/usr/bin/snap', '/bin/snap'] },
  lsblk: { run: lsblkProgram, snap: null, paths: ['/usr/bin/lsblk', '/bin/lsblk'] },
  ip: { run: ipProgram, snap: null, paths: ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'] },
  microceph: { run: microcephProgram, snap: 'microceph', paths: ['/snap/bin/microceph'] },
  microovn: { run: microovnProgram, snap: 'microovn', paths: ['/snap/bin/microovn'] },
  microcloud: { run: microcloudProgram, snap: 'microcloud', paths: ['/snap/bin/microcloud'] },
  lxc: { run: lxcProgram, snap: 'lxd', paths: ['/snap/bin/lxc'] },
  lxd: { run: lxdProgram, snap: 'lxd', paths: ['/snap/bin/lxd'] },
  hostname: { run: hostnameProgram, snap: null, paths: ['/usr/bin/hostname', '/bin/hostname'] },
  uname: { run: unameProgram, snap: null, paths: ['/usr/bin/uname', '/bin/uname'] },
  nproc: { run: nprocProgram, snap: null, paths: ['/usr/bin/nproc', '/bin/nproc'] },
  cat: { run: catProgram, snap: null, paths: ['/usr/bin/cat', '/bin/cat'] },
  find: { run: findProgram, snap: null, paths: ['/usr/bin/find', '/bin/find'] },
  curl: { run: curlProgram, snap: null, paths: ['/usr/bin/curl', '/bin/curl'] },
  ss: { run: ssProgram, snap: null, paths: ['/usr/bin/ss', '/bin/ss'] },
  'microceph.ceph': { run: cephProgram, snap: 'microceph', paths: ['/snap/bin/microceph.ceph'] },
  wipefs: { run: wipefsProgram, snap: null, paths: ['/usr/sbin/wipefs', '/sbin/wipefs'] },
};

type Resolution =
  | { kind: 'program'; name: string; entry: ProgramEntry }
  | { kind: 'not-modelled'; name: string }
  | { kind: 'missing'; message: string };

/** The program registered under `name`: the world's own programs first, then the built-in ones. */
export function lookupProgram(world: World, name: string): ProgramEntry | undefined {
  return world.programs.get(name) ?? BUILTIN_PROGRAMS[name];
}

/** Where bash would find argv[0] on this host, given what is installed. */
function resolve(world: World, host: string, command: string): Resolution {
  const machine = getMachine(world, host);
  const notFound: Resolution = { kind: 'missing', message: `bash: line 1: ${command}: command not found` };
  const slash = command.lastIndexOf('/');
  const name = slash >= 0 ? command.slice(slash + 1) : command;
  const entry = lookupProgram(world, name);
  if (slash >= 0) {
    const onPath = entry?.paths.includes(command) ?? false;
    const snapBin = command.startsWith('/snap/bin/') && command.split('/').length === 4;
    if (!onPath && !snapBin)
      return { kind: 'missing', message: `bash: line 1: ${command}: No such file or directory` };
  }
  if (entry) {
    if (entry.snap !== null && !isSnapInstalled(machine, entry.snap)) {
      return slash >= 0
        ? { kind: 'missing', message: `bash: line 1: ${command}: No such file or directory` }
        : notFound;
    }
    return { kind: 'program', name, entry };
  }
  // Commands of installed snaps that have no simulated program (microceph.ceph, microovn.ovn-nbctl, ...).
  for (const snap of machine.snaps) {
    const store = world.state.store.snaps[snap.name];
    if (store && snapCommands(store).includes(name)) return { kind: 'not-modelled', name };
  }
  return slash >= 0
    ? { kind: 'missing', message: `bash: line 1: ${command}: No such file or directory` }
    : notFound;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function waitForAbort(signal: AbortSignal | undefined): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    if (!signal) return;
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** `--timeout=60`, `--timeout 60` or `-t 60` of a waitready, in seconds; null when not given. */
function waitreadyTimeout(argv: string[]): number | null {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const inline = /^--timeout=(\d+)$/.exec(arg);
    if (inline) return Number(inline[1]);
    if ((arg === '--timeout' || arg === '-t') && /^\d+$/.test(argv[i + 1] ?? '')) return Number(argv[i + 1]);
  }
  return null;
}

/**
 * A daemon restarting after a refresh (restart.ts): its client commands fail as they do when the socket is
 * gone, and `waitready` waits for it (up to its --timeout). Null when the command runs as usual.
 */
async function whileRestarting(
  world: World,
  machine: Machine,
  entry: ProgramEntry,
  argv: string[],
  signal: AbortSignal | undefined,
): Promise<ProgramResult | null> {
  const snap = entry.snap;
  // microceph.ceph talks to the Ceph monitors, not to microcephd.
  if (snap === null || !isDaemonSnap(snap) || basename(argv[0] ?? '') === 'microceph.ceph') return null;
  const until = restartingUntil(world, machine, snap);
  if (until === null) return null;
  const words = argv.slice(1);
  if (words.length > 0 && words.every((w) => w === '--version' || w === '--help' || w === '-h')) return null;
  if (words[0] !== 'waitready') return { stdout: '', stderr: `${daemonDownError(snap)}\n`, exitCode: 1 };
  const timeout = waitreadyTimeout(words);
  const wait = until - world.clock.now();
  if (timeout === null || wait <= timeout * 1000) {
    await world.clock.sleep(wait, signal);
    return null;
  }
  await world.clock.sleep(timeout * 1000, signal);
  const who = snap === 'lxd' ? 'LXD' : 'Daemon';
  return { stdout: '', stderr: `Error: ${who} still not running after ${timeout}s timeout\n`, exitCode: 1 };
}

/**
 * Runs one command on a simulated host. Order: faults (slow, hang, fail, drop-before), base `command`
 * latency, program lookup, the program, drop-after. Every call is recorded in `world.records`.
 */
export async function runProgram(
  world: World,
  host: string,
  argv: string[],
  stdin = '',
  env: Record<string, string> = {},
  options: RunOptions = {},
): Promise<RunResult> {
  const machine = getMachine(world, host);
  if (argv.length === 0 || !argv[0]) throw new Error('runProgram needs a command');
  // `sudo [-n -E -H ...] cmd`: run cmd as root; faults and lookup see cmd, the record keeps the full argv.
  let command = argv;
  let uid = options.uid ?? 0;
  if (basename(argv[0]) === 'sudo') {
    command = argv.slice(1);
    while (command[0]?.startsWith('-')) command = command.slice(1);
    uid = 0;
    if (command.length === 0 || !command[0]) throw new Error('runProgram needs a command after sudo');
  }
  const program = command[0] as string;
  const startedAt = world.clock.now();
  const record: CommandRecord = {
    sequence: world.records.length + 1,
    host,
    argv: [...argv],
    startedAt,
    finishedAt: null,
    exitCode: null,
    connectionDropped: false,
    faults: [],
  };
  world.records.push(record);
  const finish = (result: ProgramResult, extra: Partial<RunResult> = {}): RunResult => {
    record.finishedAt = world.clock.now();
    record.exitCode = result.exitCode;
    record.connectionDropped = extra.connectionDropped ?? false;
    return {
      ...result,
      connectionDropped: false,
      notModelled: false,
      durationMs: record.finishedAt - startedAt,
      ...extra,
    };
  };
  const faults: FaultAction[] = world.faults.take(host, command);
  record.faults = faults.map((f) => f.kind);
  for (const fault of faults) {
    if (fault.kind === 'slow') await world.clock.sleep(fault.delayMs, options.signal);
  }
  if (faults.some((f) => f.kind === 'hang')) await waitForAbort(options.signal);
  const failure = faults.find((f): f is FaultAction & { kind: 'fail' } => f.kind === 'fail');
  if (failure) return finish({ stdout: failure.stdout, stderr: failure.stderr, exitCode: failure.exitCode });
  const drop = faults.find((f): f is FaultAction & { kind: 'drop' } => f.kind === 'drop');
  if (drop?.when === 'before')
    return finish({ stdout: '', stderr: '', exitCode: 255 }, { connectionDropped: true });
  await spend(world, 'command', options.signal);
  const resolution = resolve(world, host, program);
  if (resolution.kind === 'missing')
    return finish({ stdout: '', stderr: `${resolution.message}\n`, exitCode: 127 });
  if (resolution.kind === 'not-modelled') {
    return finish(
      { stdout: '', stderr: `mc-sim: ${resolution.name} is not modelled by the simulator\n`, exitCode: 127 },
      { notModelled: true },
    );
  }
  const down = await whileRestarting(world, machine, resolution.entry, command, options.signal);
  if (down) return finish(down);
  let result: ProgramResult;
  try {
    result = await resolution.entry.run({
      world,
      machine,
      argv: command,
      stdin,
      env,
      uid,
      tty: options.tty ?? false,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (!(error instanceof NotModelledError)) throw error;
    return finish({ stdout: '', stderr: `mc-sim: ${error.message}\n`, exitCode: 127 }, { notModelled: true });
  }
  if (drop?.when === 'after')
    return finish({ stdout: '', stderr: '', exitCode: 255 }, { connectionDropped: true });
  return finish(result);
}

/**
 * Runs a shell command line the way `ssh host 'cmd'` hands it to bash: simple commands joined by `&&`,
 * `||` or `;`, with optional `VAR=value` prefixes (a `sudo` prefix is handled by runProgram). Pipes and
 * redirections are outside the model and reported as not modelled.
 */
export async function runShell(
  world: World,
  host: string,
  commandLine: string,
  stdin = '',
  options: RunOptions = {},
): Promise<RunResult> {
  const tokens = parseShell(commandLine, (key) => `$${key}`);
  const commands: { words: string[]; joiner: string | null }[] = [{ words: [], joiner: null }];
  for (const token of tokens) {
    if (typeof token === 'string') {
      (commands.at(-1) as { words: string[] }).words.push(token);
      continue;
    }
    if ('op' in token && (token.op === '&&' || token.op === '||' || token.op === ';')) {
      commands.push({ words: [], joiner: token.op });
      continue;
    }
    return {
      stdout: '',
      stderr: `mc-sim: shell syntax in "${commandLine}" is not modelled by the simulator\n`,
      exitCode: 127,
      connectionDropped: false,
      notModelled: true,
      durationMs: 0,
    };
  }
  let last: RunResult | null = null;
  const startedAt = world.clock.now();
  let stdout = '';
  let stderr = '';
  for (const { words, joiner } of commands) {
    if (words.length === 0) continue;
    if (last && joiner === '&&' && last.exitCode !== 0) continue;
    if (last && joiner === '||' && last.exitCode === 0) continue;
    const env: Record<string, string> = {};
    let rest = [...words];
    while (rest[0] !== undefined && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[0])) {
      const word = rest[0];
      const eq = word.indexOf('=');
      env[word.slice(0, eq)] = word.slice(eq + 1);
      rest = rest.slice(1);
    }
    if (rest.length === 0) continue;
    last = await runProgram(world, host, rest, stdin, env, options);
    stdout += last.stdout;
    stderr += last.stderr;
    if (last.connectionDropped) break;
  }
  if (!last)
    return {
      stdout: '',
      stderr: '',
      exitCode: 0,
      connectionDropped: false,
      notModelled: false,
      durationMs: 0,
    };
  return { ...last, stdout, stderr, durationMs: world.clock.now() - startedAt };
}

export function builtinProgramNames(): string[] {
  return Object.keys(BUILTIN_PROGRAMS);
}
