// `microovn` (24.03): cluster bootstrap/add/join/list and status. 24.03's bootstrap and join take no address
// flag: the daemon binds to the first global address of the first interface (§1.4 caveat).

import { renderLxdTable, sortRowsNaturally } from '../format.js';
import { defaultInterfaceAddress } from '../machine.js';
import {
  DaemonError,
  bootstrapCluster,
  issueJoinToken,
  joinCluster,
  memberJson,
  memberRow,
  memberViews,
  requireCluster,
} from '../microcluster.js';
import { splitHostPort } from '../net.js';
import { afterOvnMemberAdded, ovnServicesOn } from '../ovn.js';
import {
  NotModelledError,
  cobraFail,
  cobraHelp,
  numberFlag,
  runCobra,
  stringFlag,
  type CobraApp,
  type CobraCommand,
  type Output,
  type ParsedArgs,
  type ProgramContext,
  type ProgramResult,
} from '../program.js';

/** OVN database schema versions of OVN 24.03 as `microovn status` reports them (§10.8). */
const NB_SCHEMA = '7.3.0';
const SB_SCHEMA = '20.33.0';

function buildApp(ctx: ProgramContext): CobraApp {
  const { world, machine } = ctx;
  const app: CobraApp = {
    name: 'microovn',
    version: machine.snaps.find((s) => s.name === 'microovn')?.version ?? '',
    errorPrefix: 'Error: ',
    globalFlags: [
      { name: 'state-dir', type: 'string' },
      { name: 'help', short: 'h', type: 'bool' },
      { name: 'version', type: 'bool' },
      { name: 'debug', short: 'd', type: 'bool' },
      { name: 'verbose', short: 'v', type: 'bool' },
    ],
    commands: [],
  };
  const command = (
    path: string,
    use: string,
    short: string,
    flags: CobraCommand['flags'],
    body: (parsed: ParsedArgs, out: Output, self: CobraCommand) => Promise<number> | number,
  ): void => {
    const entry: CobraCommand = {
      path,
      use,
      short,
      flags,
      run: async (parsed, out) => {
        try {
          return await body(parsed, out, entry);
        } catch (error) {
          if (error instanceof DaemonError) return cobraFail(app, out, error.message);
          throw error;
        }
      },
    };
    app.commands.push(entry);
  };

  command('cluster bootstrap', 'bootstrap', 'Sets up a new cluster', [], async (parsed, out, self) => {
    if (parsed.positionals.length !== 0) return cobraHelp(app, self, out);
    const { cluster } = await bootstrapCluster(
      world,
      machine,
      'microovn',
      defaultInterfaceAddress(machine),
      ctx.signal,
    );
    afterOvnMemberAdded(machine, cluster, null);
    return 0;
  });

  // 24.03: --timeout is a number of seconds (float), default 3 hours.
  command(
    'cluster add',
    'add <NAME>',
    'Generates a token for a new server',
    [{ name: 'timeout', type: 'float' }],
    async (parsed, out, self) => {
      if (parsed.positionals.length !== 1) return cobraHelp(app, self, out);
      const name = parsed.positionals[0] as string;
      try {
        out.println(
          await issueJoinToken(
            world,
            machine,
            'microovn',
            name,
            numberFlag(parsed, 'timeout', 3 * 3600) * 1000,
          ),
        );
      } catch (error) {
        // cluster_add.go wraps every daemon error in this (misleading) message.
        if (error instanceof DaemonError) {
          return cobraFail(
            app,
            out,
            `unable to add server to microcluster, name "${name}" is taken:\n${error.message}`,
          );
        }
        throw error;
      }
      return 0;
    },
  );

  command('cluster join', 'join <TOKEN>', 'Joins an existing cluster', [], async (parsed, out, self) => {
    if (parsed.positionals.length !== 1) return cobraHelp(app, self, out);
    const { cluster } = await joinCluster(
      world,
      machine,
      'microovn',
      parsed.positionals[0] as string,
      defaultInterfaceAddress(machine),
      ctx.signal,
    );
    afterOvnMemberAdded(machine, cluster, null);
    return 0;
  });

  command(
    'cluster list',
    'list',
    'List servers in the cluster',
    [{ name: 'format', short: 'f', type: 'string' }],
    (parsed, out) => {
      const cluster = requireCluster(world, machine, 'microovn');
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
  );

  command('status', 'status', 'Checks the cluster status', [], (_parsed, out) => {
    const cluster = requireCluster(world, machine, 'microovn');
    out.println('MicroOVN deployment summary:');
    for (const member of cluster.members) {
      out.println(`- ${member.name} (${splitHostPort(member.address)?.host ?? member.address})`);
      out.println(`  Services: ${ovnServicesOn(cluster, member.name).sort().join(', ')}`);
    }
    out.println('OVN Database summary:');
    out.println(`OVN Northbound: OK (${NB_SCHEMA})`);
    out.println(`OVN Southbound: OK (${SB_SCHEMA})`);
    return 0;
  });

  command('waitready', 'waitready', 'Wait for the daemon to be ready to process requests', [], () => 0);

  for (const path of [
    'init',
    'cluster remove',
    'cluster sql',
    'certificates',
    'config',
    'enable',
    'disable',
  ]) {
    command(path, path.split(' ').at(-1) as string, path, [], () => {
      throw new NotModelledError(`microovn ${path}`);
    });
  }
  return app;
}

export async function microovnProgram(ctx: ProgramContext): Promise<ProgramResult> {
  return runCobra(buildApp(ctx), ctx.argv.slice(1));
}
