// mc deploy and mc plan: one workflow, with or without the phases that change anything.
import { Command } from 'commander';
import type { ClusterSpec } from '../domain/cluster/types.js';
import { InputError } from '../domain/input-error.js';
import type { Io } from '../workflows/runtime.js';
import { EXIT_FAILED, EXIT_INPUT, EXIT_OK } from './errors.js';
import type { Inventory } from '../domain/inventory/types.js';
import { connectionOptions, type ConnectionFlags } from './options.js';
import { reportInvalid, reportMissingFacts } from './stopped-before-change.js';
import { runForSites, siteOption, type SiteFlags } from './sites.js';

interface DeployFlags extends ConnectionFlags {
  dryRun?: boolean;
  yes?: boolean;
  forceUnlock?: boolean;
  allowVeth?: boolean;
}

async function runDeploy(
  io: Io,
  setExit: (code: number) => void,
  flags: DeployFlags,
  planOnly: boolean,
): Promise<void> {
  const [{ startRun }, { deploy }, spec, validate, report, { deploySummary }] = await Promise.all([
    import('../workflows/runtime.js'),
    import('../workflows/deploy/index.js'),
    import('../domain/cluster/spec.js'),
    import('../domain/cluster/validate.js'),
    import('../output/plan-report.js'),
    import('../domain/cluster/summary.js'),
  ]);
  if (flags.limit !== undefined) {
    throw new InputError([
      `--limit: mc ${planOnly ? 'plan' : 'deploy'} works on every host of the cluster; remove --limit`,
    ]);
  }
  let clusterSpec: ClusterSpec | undefined;
  const run = await startRun(planOnly ? 'plan' : 'deploy', flags, io, {
    layout: 'phases',
    // The cluster section is checked before any host is contacted.
    check: (inventory) => {
      const parsed = spec.parseClusterSpec(inventory, { forDeploy: true });
      if (!parsed.ok) throw new InputError(parsed.issues.map(validate.formatDeployIssue));
      clusterSpec = parsed.spec;
    },
  });
  const cluster = clusterSpec as ClusterSpec;
  const json = flags.output === 'json';
  const outcome = await run.settle(
    deploy(run.session, {
      inventory: run.inventory,
      spec: cluster,
      dryRun: planOnly || flags.dryRun === true,
      forceUnlock: flags.forceUnlock === true,
      allowVeth: flags.allowVeth === true,
      confirmWipe: async (disks) => {
        if (flags.yes === true) return true;
        const list = disks.map((d) => `${d.host}:${d.path}`).join(', ');
        const prompter = io.stdin.isTTY === true && io.stderr.isTTY === true;
        if (!prompter) {
          run.session.bus.emit({
            type: 'warning',
            message: `the inventory asks to wipe ${list}; confirm with --yes (no terminal to ask on)`,
          });
          return false;
        }
        const { askYesNo } = await import('../output/prompt.js');
        return askYesNo(io.stdin, io.stderr, `Wipe ${list}? Everything on them is lost. [y/N] `);
      },
      design: (facts, localClock) =>
        validate.designCluster(run.inventory, cluster, facts, {
          allowVeth: flags.allowVeth === true,
          localClock,
        }),
    }),
  );
  const ok = await run.finish();
  const write = (text: string): void => {
    io.stdout.write(text);
  };
  switch (outcome.kind) {
    case 'unreachable':
      reportMissingFacts(io, setExit, 'plan');
      return;
    case 'invalid':
      reportInvalid(io, setExit, outcome.issues.map(validate.formatDeployIssue));
      return;
    case 'planned':
      write(json ? `${JSON.stringify(report.planAsData(outcome.plan))}\n` : report.formatPlan(outcome.plan));
      setExit(ok ? EXIT_OK : EXIT_FAILED);
      return;
    case 'declined':
      io.stderr.write('mc: nothing was changed: the wipe was not confirmed (answer y, or run with --yes)\n');
      setExit(EXIT_INPUT);
      return;
    case 'failed':
      io.stderr.write('mc: deploy stopped; see the failed step above, fix it and run mc deploy again\n');
      setExit(EXIT_FAILED);
      return;
    case 'no-changes':
    case 'deployed': {
      const changed = outcome.kind === 'deployed' ? outcome.changed : 0;
      if (json) {
        write(`${JSON.stringify({ type: 'deploy', changed, verify: outcome.verify })}\n`);
      } else {
        write(
          changed === 0
            ? 'No changes: the cluster already matches the inventory.\n'
            : `Deployed: ${changed} change(s).\n`,
        );
        if (outcome.verify.ok) {
          // What was deployed and what works on it: "ready" only when an instance can start as it is.
          const summary = deploySummary(outcome.design, outcome.plan);
          const ready =
            outcome.plan.engine === 'microcloud' ? ' MicroCloud is ready.' : ' The cluster is ready.';
          write(`Verified: ${outcome.verify.checks} checks passed.${summary.ready ? ready : ''}\n`);
          write(summary.lines.map((line) => `${line}\n`).join(''));
        } else {
          for (const problem of outcome.verify.problems) write(`verify: ${problem}\n`);
        }
      }
      setExit(ok && outcome.verify.ok ? EXIT_OK : EXIT_FAILED);
      return;
    }
  }
}

/** The cluster section of a site's inventory, checked before any site's host is contacted. */
async function clusterCheck(forDeploy: boolean): Promise<(inventory: Inventory) => void> {
  const [spec, validate] = await Promise.all([
    import('../domain/cluster/spec.js'),
    import('../domain/cluster/validate.js'),
  ]);
  return (inventory) => {
    const parsed = spec.parseClusterSpec(inventory, { forDeploy });
    if (!parsed.ok) throw new InputError(parsed.issues.map(validate.formatDeployIssue));
  };
}

function sitesAction(io: Io, setExit: (code: number) => void, planOnly: boolean) {
  return async function (this: Command, flags: Omit<DeployFlags, 'inventory'> & SiteFlags): Promise<void> {
    await runForSites(
      io,
      setExit,
      this,
      flags,
      (one) => runDeploy(io, setExit, { ...flags, ...one }, planOnly),
      await clusterCheck(true),
    );
  };
}

export function deployCommand(io: Io, setExit: (code: number) => void): Command {
  return siteOption(connectionOptions(new Command('deploy'), true))
    .description('deploy the MicroCloud the inventory describes: install, bootstrap, join, configure LXD')
    .option('--dry-run', 'stop after the plan: print what would change, change nothing')
    .option('-y, --yes', 'wipe the disks the inventory marks with wipe: true without asking')
    .option('--force-unlock', "take the deploy lock even if another deploy's heartbeat is fresh")
    .option('--allow-veth', 'accept veth interfaces as OVN uplinks (test labs whose NICs are veth pairs)')
    .action(sitesAction(io, setExit, false));
}

export function planCommand(io: Io, setExit: (code: number) => void): Command {
  return siteOption(connectionOptions(new Command('plan'), true))
    .description('print, per host, exactly what mc deploy would change; changes nothing')
    .option('--allow-veth', 'accept veth interfaces as OVN uplinks (test labs whose NICs are veth pairs)')
    .action(sitesAction(io, setExit, true));
}
