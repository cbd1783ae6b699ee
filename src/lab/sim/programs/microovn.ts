// `microovn` (24.03): cluster bootstrap/add/join/list and status. 24.03's bootstrap and join take no address
// flag: the daemon binds to the first global address of the first interface (§1.4 caveat).

import { defaultInterfaceAddress } from '../machine.js';
import {
  DaemonError,
  bootstrapCluster,
  issueJoinToken,
  joinCluster,
  requireCluster,
} from '../microcluster.js';
import { splitHostPort } from '../net.js';
import { afterOvnMemberAdded, ovnServicesOn } from '../ovn.js';
import {
  cobraFail,
  cobraHelp,
  numberFlag,
  runCobra,
  type CobraApp,
  type ProgramContext,
  type ProgramResult,
} from '../program.js';
import { registerClusterRemove } from './cluster-remove.js';
import { microclusterCli } from './microcluster-cli.js';

/** OVN database schema versions of OVN 24.03 as `microovn status` reports them (§10.8). */
const NB_SCHEMA = '7.3.0';
const SB_SCHEMA = '20.33.0';

function buildApp(ctx: ProgramContext): CobraApp {
  const { world, machine } = ctx;
  const cli = microclusterCli(ctx, { name: 'microovn' });
  const { app, command, waitready, notModelled, clusterList } = cli;

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

  clusterList();

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

  waitready([]);

  registerClusterRemove(cli, ctx, 'microovn');
  notModelled(['init', 'cluster sql', 'certificates', 'config', 'enable', 'disable']);
  return app;
}

export async function microovnProgram(ctx: ProgramContext): Promise<ProgramResult> {
  return runCobra(buildApp(ctx), ctx.argv.slice(1));
}
