// mc status: what `microcloud status` shows, gathered over SSH from every host; changes nothing.
import { Command } from 'commander';
import type { ClusterSpec } from '../domain/cluster/types.js';
import { InputError } from '../domain/input-error.js';
import type { Io } from '../workflows/runtime.js';
import { EXIT_FAILED, EXIT_OK } from './errors.js';
import { connectionOptions, type ConnectionFlags } from './options.js';

export function statusCommand(io: Io, setExit: (code: number) => void): Command {
  return connectionOptions(new Command('status'))
    .description("show the cluster's members and the health of each service, as microcloud status does")
    .option('--allow-veth', 'accept veth interfaces as NICs (test labs)')
    .action(async (flags: ConnectionFlags & { allowVeth?: boolean }) => {
      const [{ startRun }, { clusterStatus, formatStatus }, spec, { formatDeployIssue }] = await Promise.all([
        import('../workflows/runtime.js'),
        import('../workflows/status.js'),
        import('../domain/cluster/spec.js'),
        import('../domain/cluster/issues.js'),
      ]);
      let services: ClusterSpec['services'] | undefined;
      const run = await startRun('status', flags, io, {
        // The cluster section says which services to expect; checked before any host is contacted.
        check: (inventory) => {
          const parsed = spec.parseClusterSpec(inventory);
          if (!parsed.ok) throw new InputError(parsed.issues.map(formatDeployIssue));
          services = parsed.spec.services;
        },
      });
      const status = await run.settle(
        clusterStatus(run.session, {
          allowVeth: flags.allowVeth === true,
          services: services as ClusterSpec['services'],
        }),
      );
      const ok = await run.finish();
      if (status !== null) {
        io.stdout.write(
          flags.output === 'json'
            ? `${JSON.stringify({ type: 'status', ...status })}\n`
            : formatStatus(status),
        );
      }
      setExit(ok && status !== null && status.level !== 'ERROR' ? EXIT_OK : EXIT_FAILED);
    });
}
