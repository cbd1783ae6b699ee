// mc upgrade: a rolling snap refresh in MicroCloud's order with a health gate after each member; a preview,
// the refusals of §7 before anything changes, a confirmation, then one workflow.
import { Command } from 'commander';
import type { ClusterSpec, SnapName } from '../domain/cluster/types.js';
import { InputError } from '../domain/input-error.js';
import type { Io } from '../workflows/runtime.js';
import { EXIT_FAILED, EXIT_INPUT, EXIT_OK } from './errors.js';
import { connectionOptions, type ConnectionFlags } from './options.js';

interface UpgradeFlags extends ConnectionFlags {
  to?: string[];
  evacuate?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  forceUnlock?: boolean;
  allowVeth?: boolean;
}

async function runUpgrade(io: Io, setExit: (code: number) => void, flags: UpgradeFlags): Promise<void> {
  const [{ startRun }, { upgradeCluster }, spec, validate, upgrade, report] = await Promise.all([
    import('../workflows/runtime.js'),
    import('../workflows/upgrade/index.js'),
    import('../domain/cluster/spec.js'),
    import('../domain/cluster/validate.js'),
    import('../domain/day2/upgrade.js'),
    import('../output/upgrade-report.js'),
  ]);
  if (flags.limit !== undefined) {
    throw new InputError([
      "--limit: mc upgrade refreshes every member in MicroCloud's order; remove --limit",
    ]);
  }
  const parsedTargets = upgrade.parseTargets(flags.to ?? []);
  if ('error' in parsedTargets) throw new InputError([parsedTargets.error]);
  let targets: Partial<Record<SnapName, string>> = {};
  const run = await startRun('upgrade', flags, io, {
    layout: 'phases',
    check: (inventory) => {
      const parsed = spec.parseClusterSpec(inventory);
      if (!parsed.ok) throw new InputError(parsed.issues.map(validate.formatDeployIssue));
      const cluster: ClusterSpec = parsed.spec;
      // The inventory's channels, where --to says nothing: mc upgrade brings the cluster to the inventory.
      targets = { ...cluster.channels, ...parsedTargets.targets };
    },
  });
  const json = flags.output === 'json';
  const write = (text: string): void => {
    io.stdout.write(text);
  };
  const outcome = await run.settle(
    upgradeCluster(run.session, {
      targets,
      evacuate: flags.evacuate === true,
      dryRun: flags.dryRun === true,
      forceUnlock: flags.forceUnlock === true,
      allowVeth: flags.allowVeth === true,
      confirm: async (plan) => {
        if (!json) write(report.formatUpgrade(plan));
        if (flags.yes === true) return true;
        const prompter = io.stdin.isTTY === true && io.stderr.isTTY === true;
        if (!prompter) {
          run.session.bus.emit({
            type: 'warning',
            message: 'the upgrade needs a confirmation: run with --yes (no terminal to ask on)',
          });
          return false;
        }
        const { askYesNo } = await import('../output/prompt.js');
        return askYesNo(
          io.stdin,
          io.stderr,
          plan.phases.some((p) => p.stages.some((st) => st.lanes.flat().some((x) => x.kind === 'evacuate')))
            ? `Refresh ${plan.steps} snap(s), evacuating each member's instances around its MicroCeph/MicroOVN refresh? [y/N] `
            : `Refresh ${plan.steps} snap(s) one member at a time (instances keep running)? [y/N] `,
        );
      },
    }),
  );
  const ok = await run.finish();
  switch (outcome.kind) {
    case 'unreachable':
      io.stderr.write(`mc: cannot plan the upgrade: ${outcome.hint}; nothing was changed\n`);
      setExit(EXIT_FAILED);
      return;
    case 'refused':
      for (const r of outcome.refusals) io.stderr.write(`mc: ${r.snap}: ${r.reason}; ${r.next}\n`);
      io.stderr.write(
        `mc: ${outcome.refusals.length} reason(s) to refuse the upgrade; nothing was changed on any host\n`,
      );
      setExit(EXIT_INPUT);
      return;
    case 'unhealthy':
      for (const p of outcome.problems) io.stderr.write(`mc: before the upgrade: ${p}\n`);
      io.stderr.write(
        'mc: the cluster is not healthy: bring every member back ONLINE first; nothing was changed\n',
      );
      setExit(EXIT_FAILED);
      return;
    case 'no-changes':
      if (json) write(`${JSON.stringify({ type: 'upgrade', changed: 0 })}\n`);
      else
        write(`${report.formatUpgrade(outcome.plan)}No changes: every member runs the target revisions.\n`);
      setExit(ok ? EXIT_OK : EXIT_FAILED);
      return;
    case 'planned':
      write(
        json ? `${JSON.stringify(report.upgradeAsData(outcome.plan))}\n` : report.formatUpgrade(outcome.plan),
      );
      setExit(ok ? EXIT_OK : EXIT_FAILED);
      return;
    case 'declined':
      io.stderr.write(
        'mc: nothing was changed: the upgrade was not confirmed (answer y, or run with --yes)\n',
      );
      setExit(EXIT_INPUT);
      return;
    case 'failed':
      io.stderr.write(
        'mc: upgrade stopped at the step above; fix what it says and run mc upgrade again: it resumes there\n',
      );
      setExit(EXIT_FAILED);
      return;
    case 'upgraded': {
      const { changed, restored } = outcome;
      if (json) write(`${JSON.stringify({ type: 'upgrade', changed, restored })}\n`);
      else {
        // A run that only brought back members a stopped run left evacuated upgraded nothing: say so.
        const back =
          restored.length === 0
            ? ''
            : `Restored ${restored.join(', ')}, left evacuated by a stopped run.${changed === 0 ? ' Nothing to refresh.' : ''}\n`;
        const upgraded =
          changed === 0 && restored.length > 0
            ? ''
            : `Upgraded: ${changed} refresh(es), every gate passed.\n`;
        write(`${back}${upgraded}Next: mc status -i <inventory>\n`);
      }
      setExit(ok ? EXIT_OK : EXIT_FAILED);
      return;
    }
  }
}

export function upgradeCommand(io: Io, setExit: (code: number) => void): Command {
  return connectionOptions(new Command('upgrade'))
    .description(
      "rolling snap refresh in MicroCloud's order (MicroCeph, MicroOVN, LXD, MicroCloud) with a health gate after each member",
    )
    .option(
      '--to <snap=channel...>',
      "target channels (default: the inventory's channels), e.g. --to lxd=6/stable",
    )
    .option(
      '--evacuate',
      'lxc cluster evacuate each member before its MicroCeph and MicroOVN refresh, lxc cluster restore after',
    )
    .option('-y, --yes', 'do not ask for a confirmation')
    .option('--dry-run', 'print the refreshes; change nothing')
    .option('--force-unlock', "take the deploy lock even if another run's heartbeat is fresh")
    .option('--allow-veth', 'accept veth interfaces as NICs (test labs)')
    .action(async (flags: UpgradeFlags) => runUpgrade(io, setExit, flags));
}
