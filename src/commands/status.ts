// mc status: what `microcloud status` shows, gathered over SSH from every host; changes nothing.
import { Command } from 'commander';
import type { ClusterSpec } from '../domain/cluster/types.js';
import { InputError } from '../domain/input-error.js';
import type { Io } from '../workflows/runtime.js';
import { EXIT_FAILED, EXIT_OK } from './errors.js';
import { connectionOptions, type ConnectionFlags } from './options.js';
import { runForSites, siteOption, type SiteFlags } from './sites.js';
import { reportMissingFacts } from './stopped-before-change.js';

/** `mc status --check`: the drift report, exit 0 when the cluster matches the inventory and 1 when not. */
async function runCheck(
  io: Io,
  setExit: (code: number) => void,
  flags: ConnectionFlags & { allowVeth?: boolean },
): Promise<void> {
  const [{ startRun }, { checkDrift }, spec, validate, { formatDrift }] = await Promise.all([
    import('../workflows/runtime.js'),
    import('../workflows/drift/index.js'),
    import('../domain/cluster/spec.js'),
    import('../domain/cluster/validate.js'),
    import('../output/drift-report.js'),
  ]);
  if (flags.limit !== undefined) {
    throw new InputError([
      '--limit: mc status --check compares the whole cluster with the inventory; remove --limit',
    ]);
  }
  let clusterSpec: ClusterSpec | undefined;
  const run = await startRun('status', flags, io, {
    check: (inventory) => {
      const parsed = spec.parseClusterSpec(inventory);
      if (!parsed.ok) throw new InputError(parsed.issues.map(validate.formatDeployIssue));
      clusterSpec = parsed.spec;
    },
  });
  const cluster = clusterSpec as ClusterSpec;
  const outcome = await run.settle(
    checkDrift(run.session, {
      allowVeth: flags.allowVeth === true,
      design: (facts, localClock) =>
        validate.designCluster(run.inventory, cluster, facts, {
          allowVeth: flags.allowVeth === true,
          localClock,
        }),
      formatIssue: validate.formatDeployIssue,
    }),
  );
  const ok = await run.finish();
  if (outcome.kind === 'unreachable') {
    reportMissingFacts(io, setExit, 'compare');
    return;
  }
  io.stdout.write(
    flags.output === 'json'
      ? `${JSON.stringify({ type: 'drift', differences: outcome.drifts.length, drifts: outcome.drifts })}\n`
      : formatDrift(outcome.drifts),
  );
  setExit(ok && outcome.drifts.length === 0 ? EXIT_OK : EXIT_FAILED);
}

export function statusCommand(io: Io, setExit: (code: number) => void): Command {
  return siteOption(connectionOptions(new Command('status'), true))
    .description("show the cluster's members and the health of each service, as microcloud status does")
    .option('--allow-veth', 'accept veth interfaces as NICs (test labs)')
    .option('--check', 'compare the cluster with the inventory: every difference, exit 1 when any')
    .action(async function (this: Command, flags: SiteFlags & { allowVeth?: boolean; check?: boolean }) {
      const { parseClusterSpec } = await import('../domain/cluster/spec.js');
      const { formatDeployIssue } = await import('../domain/cluster/issues.js');
      await runForSites(
        io,
        setExit,
        this,
        flags,
        (one) => runStatus(io, setExit, { ...flags, ...one }),
        (inventory) => {
          const parsed = parseClusterSpec(inventory);
          if (!parsed.ok) throw new InputError(parsed.issues.map(formatDeployIssue));
        },
      );
    });
}

async function runStatus(
  io: Io,
  setExit: (code: number) => void,
  flags: ConnectionFlags & { allowVeth?: boolean; check?: boolean },
): Promise<void> {
  {
    {
      if (flags.check === true) {
        await runCheck(io, setExit, flags);
        return;
      }
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
    }
  }
}
