// The programs under test and how each is started: mc as an installed package runs it (bin/mc.js
// over the built dist/), Ansible (ansible-core from Debian), and plain OpenSSH driven by bash scripts.
// Every child gets the same clean environment: a private empty HOME (no ~/.ssh/config, no dotfiles,
// no agent), the system PATH, and this run's scratch directory as its working directory.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Options as ExecaOptions } from 'execa';

const ROOT = new URL('..', import.meta.url).pathname;
export const DIST = join(ROOT, 'dist');

export interface Tools {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** bin/mc.js of an installed-package layout (bin/ + dist/, no src/): what `npm install -g` runs. */
  mcBin: string;
  /** bin/mc.js of this checkout: it runs the TypeScript sources through tsx. */
  mcCheckoutBin: string;
  /** Runs a program; throws with its output when it fails. */
  run(file: string, args: readonly string[], options?: ExecaOptions): Promise<{ stdout: string }>;
  /** `node <mcBin> COMMAND ...`, with a log file of its own in the scratch directory. */
  mc(args: readonly string[]): Promise<{ stdout: string }>;
  /** mc's arguments with `--log-file FILE` after the command's name (never after a `--`). */
  mcArgs(args: readonly string[]): string[];
  /** A fresh ANSIBLE_SSH_CONTROL_PATH_DIR and the environment that uses it (cold: no master open). */
  ansibleEnv(): { env: NodeJS.ProcessEnv; controlDir: string };
  /**
   * A new directory for ssh ControlMaster sockets (its scripts `mkdir -p` it: closeMasters removes it),
   * remembered for closeAllMasters.
   */
  controlDir(prefix: string): string;
  /** Closes the ssh ControlMaster processes left in a control directory, then removes it. */
  closeMasters(controlDir: string): Promise<void>;
  /** closeMasters for every control directory still open (after a failure or an interrupt). */
  closeAllMasters(): Promise<void>;
  /** A new file name in the scratch directory. */
  file(prefix: string, suffix?: string): string;
  /** From now on run() refuses to start anything (the run was interrupted). */
  abort(): void;
}

export function createTools(dir: string): Tools {
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: home,
    USER: 'root',
    LANG: 'C.UTF-8',
  };

  // The installed layout: bin/mc.js finds no src/ beside it and imports dist/ (symlinked: Node
  // resolves dist's real path, so package.json and node_modules are this checkout's).
  const pkg = join(dir, 'mc-package');
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  copyFileSync(join(ROOT, 'bin', 'mc.js'), join(pkg, 'bin', 'mc.js'));
  symlinkSync(DIST, join(pkg, 'dist'));

  let counter = 0;
  let aborted = false;
  const file = (prefix: string, suffix = ''): string => {
    counter += 1;
    return join(dir, `${prefix}-${counter}${suffix}`);
  };
  const run = async (
    program: string,
    args: readonly string[],
    options: ExecaOptions = {},
  ): Promise<{ stdout: string }> => {
    if (aborted) throw new Error('interrupted');
    const result = await execa(program, args, {
      env,
      extendEnv: false,
      cwd: dir,
      stdin: 'ignore',
      reject: false,
      timeout: 600_000,
      ...options,
    });
    if (result.exitCode !== 0) {
      const output = `${String(result.stdout)}\n${String(result.stderr)}`.trim().split('\n').slice(-15);
      throw new Error(
        `${program} ${args.join(' ')} failed (${result.exitCode ?? result.signal ?? '?'}):\n${output.join('\n')}`,
      );
    }
    return { stdout: String(result.stdout) };
  };
  const mcArgs = (args: readonly string[]): string[] =>
    args[0]?.startsWith('-') === false
      ? [args[0], '--log-file', file('logs/mc', '.log'), ...args.slice(1)]
      : [...args];
  const controlDirs = new Set<string>();
  const controlDir = (prefix: string): string => {
    const path = file(prefix);
    mkdirSync(path, { mode: 0o700 });
    controlDirs.add(path);
    return path;
  };
  const closeMasters = async (path: string): Promise<void> => {
    if (existsSync(path)) {
      await Promise.all(
        readdirSync(path).map((socket) =>
          execa('ssh', ['-o', `ControlPath=${join(path, socket)}`, '-O', 'exit', 'bench'], {
            env,
            extendEnv: false,
            reject: false,
            stdin: 'ignore',
          }),
        ),
      );
    }
    rmSync(path, { recursive: true, force: true });
  };
  return {
    dir,
    env,
    mcBin: join(pkg, 'bin', 'mc.js'),
    mcCheckoutBin: join(ROOT, 'bin', 'mc.js'),
    run,
    mcArgs,
    mc: (args) => run(process.execPath, [join(pkg, 'bin', 'mc.js'), ...mcArgs(args)]),
    ansibleEnv: () => {
      const dir = controlDir('ansible-cp');
      return {
        controlDir: dir,
        env: {
          ...env,
          ANSIBLE_PIPELINING: 'True',
          ANSIBLE_HOST_KEY_CHECKING: 'True',
          ANSIBLE_SSH_CONTROL_PATH_DIR: dir,
          ANSIBLE_HOME: join(home, '.ansible'),
          ANSIBLE_LOCAL_TEMP: join(home, '.ansible', 'tmp'),
          ANSIBLE_NOCOLOR: '1',
          ANSIBLE_RETRY_FILES_ENABLED: 'False',
        },
      };
    },
    controlDir,
    closeMasters,
    closeAllMasters: async () => {
      await Promise.all([...controlDirs].map(closeMasters));
    },
    file,
    abort: () => {
      aborted = true;
    },
  };
}

/** A bash script in the scratch directory; returns its path. */
export function writeScript(tools: Tools, name: string, lines: readonly string[]): string {
  const path = tools.file(name, '.sh');
  writeFileSync(path, ['set -u', ...lines, ''].join('\n'));
  return path;
}

export interface SshHost {
  address: string;
}

/** The key exchange mc's ssh2 negotiates; OpenSSH 9.x prefers sntrup761x25519-sha512, far dearer in CPU. */
export const MC_KEX = 'curve25519-sha256';

/**
 * Plain OpenSSH, as lean as it gets: no config files (-F /dev/null), only the lab key, host keys
 * checked strictly against the lab's known_hosts, as mc and Ansible check them; `kex` narrows the key
 * exchange (MC_KEX: the same crypto as mc), OpenSSH's default otherwise.
 */
export function sshOptions(keyPath: string, knownHostsPath: string, kex?: string): string[] {
  return [
    '-F',
    '/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-i',
    keyPath,
    '-o',
    `UserKnownHostsFile=${knownHostsPath}`,
    '-o',
    'StrictHostKeyChecking=yes',
    ...(kex === undefined ? [] : ['-o', `KexAlgorithms=${kex}`]),
    '-l',
    'root',
  ];
}

/** ssh options for a ControlMaster per host: the first command opens it, the next ones reuse it. */
export function controlMasterOptions(controlDir: string, index: number): string[] {
  return [
    '-o',
    'ControlMaster=auto',
    '-o',
    'ControlPersist=60',
    '-o',
    `ControlPath=${join(controlDir, `cm-${index}`)}`,
  ];
}

export const shellQuote = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * bash that runs `steps` rounds; in each round `command` on every host at once, and the next round
 * starts when all are done (the linear strategy mc's steps and Ansible's tasks follow). Fails if any
 * command fails.
 */
export function parallelRounds(hostCommands: readonly string[], steps: number): string[] {
  return [
    'rc=0',
    `for step in $(seq 1 ${steps}); do`,
    '  pids=()',
    ...hostCommands.map((command) => `  ${command} & pids+=($!)`),
    '  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done',
    'done',
    'exit $rc',
  ];
}
