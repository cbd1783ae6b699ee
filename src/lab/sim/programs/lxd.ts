// `lxd` from the lxd 5.21 snap (lxd/main.go, main_init.go, main_waitready.go, main_version.go at
// lxd-5.21.3): `init --preseed`, `waitready [--timeout N]`, `version` and `--version`. Cobra prints errors
// itself (`Error: …`, exit 1). The daemon, interactive/auto init, recovery, SQL and the other
// sub-commands are real but outside the model.

import { LxdError, daemonVersionOf, lxdReleaseModelled, lxdVersionText } from '../lxd.js';
import { lxdInitPreseed } from '../lxd-preseed.js';
import { NotModelledError, Output, type ProgramContext, type ProgramResult } from '../program.js';
import { CliError, flagBool, runCli, unmodelled, type CliApp, type CliCommand } from './lxd-cli.js';

function buildApp(ctx: ProgramContext, version: string): CliApp {
  const { world, machine } = ctx;
  const init: CliCommand = {
    name: 'init',
    short: 'Configure the LXD daemon',
    flags: [
      { name: 'auto', type: 'bool' },
      { name: 'minimal', type: 'bool' },
      { name: 'preseed', type: 'bool' },
      { name: 'dump', type: 'bool' },
      { name: 'network-address', type: 'string' },
      { name: 'network-port', type: 'int' },
      { name: 'storage-backend', type: 'string' },
      { name: 'storage-create-device', type: 'string' },
      { name: 'storage-create-loop', type: 'int' },
      { name: 'storage-pool', type: 'string' },
      { name: 'trust-password', type: 'string' },
    ],
    run: async (call) => {
      const auto = flagBool(call, 'auto');
      const minimal = flagBool(call, 'minimal');
      const preseed = flagBool(call, 'preseed');
      const dump = flagBool(call, 'dump');
      const configuration = [
        'network-address',
        'network-port',
        'storage-backend',
        'storage-create-device',
        'storage-create-loop',
        'storage-pool',
        'trust-password',
      ].some((flag) => call.parsed.given.includes(flag));
      // cmdInit.Run quick checks, in LXD's order.
      if (auto && preseed) throw new CliError("Can't use --auto and --preseed together");
      if (minimal && preseed) throw new CliError("Can't use --minimal and --preseed together");
      if (minimal && auto) throw new CliError("Can't use --minimal and --auto together");
      if (!auto && configuration) throw new CliError('Configuration flags require --auto');
      if (dump && (auto || minimal || preseed || configuration))
        throw new CliError("Can't use --dump with other flags");
      if (!preseed)
        throw new NotModelledError(
          `lxd init ${dump ? '--dump' : auto || minimal ? '--auto/--minimal' : '(interactive)'}`,
        );
      await lxdInitPreseed(world, machine, ctx.stdin, call.out, ctx.signal);
    },
  };
  const waitready: CliCommand = {
    name: 'waitready',
    short: 'Wait for LXD to be ready to process requests',
    flags: [{ name: 'timeout', short: 't', type: 'int' }],
    // The simulated daemon is ready as soon as the snap is installed.
    run: () => undefined,
  };
  const versionCommand: CliCommand = {
    name: 'version',
    short: 'Show the server version',
    run: (call) => {
      call.out.println(lxdVersionText(version));
    },
  };
  const root: CliCommand = {
    name: 'lxd',
    short: 'The LXD container manager (daemon)',
    run: (call) => {
      const word = call.args[0];
      if (call.args.length > 1 || (word !== undefined && word !== 'daemon' && word !== '')) {
        throw new CliError(`unknown command ${JSON.stringify(word)} for "lxd"`);
      }
      throw new NotModelledError('the LXD daemon itself (lxd with no sub-command)');
    },
    children: [
      init,
      waitready,
      versionCommand,
      unmodelled('activateifneeded', 'Check if LXD should be started'),
      unmodelled('callhook', 'Call container lifecycle hook in LXD'),
      unmodelled('cluster', 'Low-level cluster administration commands'),
      unmodelled('import', 'Command has been replaced with "lxd recover"'),
      unmodelled('manpage', 'Generate manpages for all commands'),
      unmodelled('migratedumpsuccess', 'Tell LXD that a particular CRIU dump succeeded'),
      unmodelled('netcat', 'Send stdin data to a unix socket'),
      unmodelled('recover', 'Recover missing instances and volumes from existing and unknown storage pools'),
      unmodelled('shutdown', 'Tell LXD to shutdown all containers and exit'),
      unmodelled('sql', 'Execute a SQL query against the LXD local or global database'),
      ...[
        'forkconsole',
        'forkdns',
        'forkexec',
        'forkfile',
        'forklimits',
        'forkmigrate',
        'forksyscall',
        'forksyscallgo',
        'forkcoresched',
        'forkmount',
        'forknet',
        'forkproxy',
        'forkstart',
        'forkuevent',
        'forkzfs',
      ].map((name) => ({ ...unmodelled(name, 'Internal command'), hidden: true })),
    ],
  };
  return {
    name: 'lxd',
    version: lxdVersionText(version),
    root,
    persistentFlags: [
      { name: 'version', type: 'bool' },
      { name: 'help', short: 'h', type: 'bool' },
      { name: 'logfile', type: 'string' },
      { name: 'syslog', type: 'bool' },
      { name: 'trace', type: 'string' },
      { name: 'debug', short: 'd', type: 'bool' },
      { name: 'verbose', short: 'v', type: 'bool' },
    ],
    rootFlags: [{ name: 'group', type: 'string' }],
    rootArgs: 'arbitrary',
    errorMessage: (error) => (error instanceof LxdError ? error.message : null),
  };
}

export async function lxdProgram(ctx: ProgramContext): Promise<ProgramResult> {
  const out = new Output();
  const version = daemonVersionOf(ctx.world, ctx.machine, 'lxd') ?? '';
  if (!lxdReleaseModelled(version))
    throw new NotModelledError(`lxd of the lxd ${version} snap (LXD 5.21.2-5.21.4 and 6.9 are modelled)`);
  if (ctx.uid !== 0) throw new NotModelledError('lxd as a non-root user (unix socket permissions)');
  const code = await runCli(buildApp(ctx, version), ctx.argv.slice(1), out);
  return out.done(code);
}
