// The cobra scaffold `microceph`, `microovn` and `microcloud` share: each is a microcluster app whose root
// command carries --state-dir, --help and --version plus a few flags of its own, whose commands print daemon
// errors through cobra (exit 1), and which have real sub-commands the simulator does not model.

import { renderLxdTable, sortRowsNaturally } from '../format.js';
import type { MicroclusterServiceName } from '../machine.js';
import { DaemonError, memberJson, memberRow, memberViews, requireCluster } from '../microcluster.js';
import {
  NotModelledError,
  cobraFail,
  stringFlag,
  type CobraApp,
  type CobraCommand,
  type FlagSpec,
  type Output,
  type ParsedArgs,
  type ProgramContext,
} from '../program.js';
import { installedSnap } from '../snapd.js';

export type CommandBody = (parsed: ParsedArgs, out: Output, self: CobraCommand) => Promise<number> | number;

/** microcluster's --debug/-d and --verbose/-v persistent flags (MicroCeph, MicroOVN). */
const DEBUG_VERBOSE_FLAGS: readonly FlagSpec[] = [
  { name: 'debug', short: 'd', type: 'bool' },
  { name: 'verbose', short: 'v', type: 'bool' },
];

export interface MicroclusterCliOptions {
  name: MicroclusterServiceName;
  /** What the app prints before an error (default cobra's `Error: `; MicroCloud has its own writer). */
  errorPrefix?: string;
  /** Persistent flags after --state-dir, --help and --version, in help order (default --debug, --verbose). */
  extraGlobalFlags?: readonly FlagSpec[];
  /** Errors besides DaemonError whose message a command prints as its failure. */
  commandErrors?: readonly (abstract new (...args: never[]) => Error)[];
  /** `--version` from the installed snap's version (default: the snap version as it is). */
  versionOf?: (snapVersion: string) => string;
}

export interface MicroclusterCli {
  app: CobraApp;
  /** Adds a command whose body's daemon errors become `<prefix><message>` and exit 1. */
  command: (path: string, use: string, short: string, flags: FlagSpec[], body: CommandBody) => void;
  /** `waitready`: the daemon is always ready in the simulator. */
  waitready: (flags: FlagSpec[]) => void;
  /** Real commands the simulator does not model, by path or [path, short]. */
  notModelled: (commands: readonly (string | readonly [path: string, short: string])[]) => void;
  /** `cluster list [-f FORMAT]` as MicroCeph and MicroOVN print it: LXD's table formats (§10.7). */
  clusterList: () => void;
}

export function microclusterCli(ctx: ProgramContext, options: MicroclusterCliOptions): MicroclusterCli {
  const { world, machine } = ctx;
  const { name } = options;
  const commandErrors = [DaemonError, ...(options.commandErrors ?? [])];
  const snapVersion = installedSnap(machine, name)?.version;
  const versionOf = options.versionOf ?? ((version: string) => version);
  const app: CobraApp = {
    name,
    version: snapVersion === undefined ? '' : versionOf(snapVersion),
    errorPrefix: options.errorPrefix ?? 'Error: ',
    globalFlags: [
      { name: 'state-dir', type: 'string' },
      { name: 'help', short: 'h', type: 'bool' },
      { name: 'version', type: 'bool' },
      ...(options.extraGlobalFlags ?? DEBUG_VERBOSE_FLAGS),
    ],
    commands: [],
  };

  const command: MicroclusterCli['command'] = (path, use, short, flags, body) => {
    const entry: CobraCommand = {
      path,
      use,
      short,
      flags,
      run: async (parsed, out) => {
        try {
          return await body(parsed, out, entry);
        } catch (error) {
          if (commandErrors.some((type) => error instanceof type))
            return cobraFail(app, out, (error as Error).message);
          throw error;
        }
      },
    };
    app.commands.push(entry);
  };

  return {
    app,
    command,
    waitready: (flags) =>
      command(
        'waitready',
        'waitready',
        'Wait for the daemon to be ready to process requests',
        flags,
        () => 0,
      ),
    notModelled: (commands) => {
      for (const entry of commands) {
        const [path, short] = typeof entry === 'string' ? [entry, entry] : entry;
        command(path, path.split(' ').at(-1) as string, short, [], () => {
          throw new NotModelledError(`${name} ${path}`);
        });
      }
    },
    clusterList: () =>
      command(
        'cluster list',
        'list',
        'List servers in the cluster',
        [{ name: 'format', short: 'f', type: 'string' }],
        (parsed, out) => {
          const cluster = requireCluster(world, machine, name);
          const views = memberViews(world, cluster);
          const format = stringFlag(parsed, 'format', 'table');
          const text = renderLxdTable(
            format,
            ['NAME', 'ADDRESS', 'ROLE', 'FINGERPRINT', 'STATUS'],
            sortRowsNaturally(views.map(memberRow)),
            views.map((v) => memberJson(world, v)),
          );
          if (text === null) return cobraFail(app, out, `Invalid format "${format}"`);
          out.print(text);
          return 0;
        },
      ),
  };
}
