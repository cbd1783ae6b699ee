// Adapter for host runners (the embedded SSH lab): which commands exist on a host right now, which calls read
// stdin, and running one call through the dispatcher. Structurally matches src/lab/embedded's ProgramRunner.

import { snapCommands } from './catalog.js';
import { curlReadsStdin } from './programs/curl.js';
import { builtinProgramNames, lookupProgram, runProgram, type RunOptions } from './dispatcher.js';
import { getMachine, type World } from './world.js';

export interface SimProgramOutcome {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** An injected fault that cuts the host's SSH connection. */
  dropConnection?: boolean;
}

export interface SimProgramRunner {
  programs(host: string): string[];
  readsStdin(host: string, argv: readonly string[]): boolean;
  run(
    host: string,
    argv: readonly string[],
    stdin: string,
    call?: { uid?: number; signal?: AbortSignal },
  ): Promise<SimProgramOutcome>;
}

/** OS programs are always there; snap programs only while their snap is installed. */
function presentPrograms(world: World, host: string): string[] {
  const machine = getMachine(world, host);
  const names = new Set<string>();
  for (const name of [...builtinProgramNames(), ...world.programs.keys()]) {
    const snap = lookupProgram(world, name)?.snap ?? null;
    if (snap === null || machine.snaps.some((s) => s.name === snap)) names.add(name);
  }
  // Commands of installed snaps exist even where the simulator does not model them (lxc, microceph.ceph).
  for (const snap of machine.snaps) {
    const store = world.state.store.snaps[snap.name];
    if (store) for (const command of snapCommands(store)) names.add(command);
  }
  return [...names].sort();
}

/**
 * Calls that consume standard input: `microcloud preseed` (§2), `lxd init --preseed` (§1.4), the `lxc`
 * commands that read a YAML document when stdin is not a terminal (`profile edit`, `storage create`,
 * `storage volume create`, `project create/edit`, `auth group/identity edit`; lxc/profile.go, lxc/storage.go,
 * lxc/storage_volume.go at lxd-5.21.3, lxc/project.go and lxc/auth.go at lxd-5.21.4), and
 * `curl --data-binary @-` / `-d @-`. (`lxc network create` does not read stdin in any 5.21 release.)
 */
function consumesStdin(argv: readonly string[]): boolean {
  const words = argv.map((word, index) => (index === 0 ? word.slice(word.lastIndexOf('/') + 1) : word));
  const [program, subcommand, action, object] = words;
  if (program === 'microcloud' && subcommand === 'preseed') return true;
  // `cat` with no file (or `-`) copies its stdin, as in `cat <<EOF | ...`.
  if (program === 'cat') return words.length === 1 || words.includes('-');
  if (program === 'curl') return curlReadsStdin(words);
  if (program === 'lxc' && (subcommand === 'profile' || subcommand === 'network') && action === 'edit')
    return true;
  // lxc/project.go create and edit, lxc/auth.go group edit and identity edit (lxd-5.21.4).
  if (program === 'lxc' && subcommand === 'project') return action === 'create' || action === 'edit';
  if (program === 'lxc' && subcommand === 'auth')
    return (action === 'group' || action === 'identity') && object === 'edit';
  if (program === 'lxc' && subcommand === 'storage') {
    return action === 'create' || (action === 'volume' && object === 'create');
  }
  return program === 'lxd' && subcommand === 'init' && words.includes('--preseed');
}

export function createProgramRunner(
  world: World,
  options: Omit<RunOptions, 'signal'> & { env?: Record<string, string> } = {},
): SimProgramRunner {
  return {
    programs: (host) => presentPrograms(world, host),
    readsStdin: (_host, argv) => consumesStdin(argv),
    run: async (host, argv, stdin, call = {}) => {
      const uid = call.uid ?? options.uid;
      const result = await runProgram(world, host, [...argv], stdin, options.env ?? {}, {
        ...(uid !== undefined ? { uid } : {}),
        ...(call.signal !== undefined ? { signal: call.signal } : {}),
        ...(options.tty !== undefined ? { tty: options.tty } : {}),
      });
      return {
        stdout: result.stdout,
        stderr: result.stderr,
        exitCode: result.exitCode,
        ...(result.connectionDropped ? { dropConnection: true } : {}),
      };
    },
  };
}
