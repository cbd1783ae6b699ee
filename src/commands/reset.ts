// mc reset: the hosts back to where they were before mc deployed them; a preview, a confirmation that names
// the hosts and what goes, then one workflow.
import { Command } from 'commander';
import type { ClusterSpec } from '../domain/cluster/types.js';
import { InputError } from '../domain/input-error.js';
import type { Io } from '../workflows/runtime.js';
import { EXIT_FAILED, EXIT_INPUT, EXIT_OK } from './errors.js';
import { connectionOptions, type ConnectionFlags } from './options.js';

interface ResetFlags extends ConnectionFlags {
  yes?: boolean;
  dryRun?: boolean;
  forceUnlock?: boolean;
  allowVeth?: boolean;
}

async function runReset(io: Io, setExit: (code: number) => void, flags: ResetFlags): Promise<void> {
  const [{ startRun }, { resetHosts }, spec, validate, report, patterns] = await Promise.all([
    import('../workflows/runtime.js'),
    import('../workflows/reset/index.js'),
    import('../domain/cluster/spec.js'),
    import('../domain/cluster/validate.js'),
    import('../output/reset-report.js'),
    import('../domain/inventory/host-patterns.js'),
  ]);
  const json = flags.output === 'json';
  let clusterSpec: ClusterSpec | undefined;
  let hosts: string[] = [];
  // --limit picks the hosts to reset; every host is read (the members that stay carry out the removal).
  const { limit, ...everyHost } = flags;
  const run = await startRun('reset', everyHost, io, {
    layout: 'phases',
    check: (inventory) => {
      const parsed = spec.parseClusterSpec(inventory);
      if (!parsed.ok) throw new InputError(parsed.issues.map(validate.formatDeployIssue));
      clusterSpec = parsed.spec;
      hosts = inventory.hosts.map((h) => h.name);
      if (limit !== undefined) {
        const selection = patterns.selectHosts(inventory, limit);
        if (!selection.ok) throw new InputError(selection.issues);
        if (selection.hosts.length === 0) throw new InputError([`--limit ${limit}: no host selected`]);
        hosts = selection.hosts.map((h) => h.name);
      }
    },
  });
  const write = (text: string): void => {
    io.stdout.write(text);
  };
  const outcome = await run.settle(
    resetHosts(run.session, {
      hosts,
      spec: clusterSpec as ClusterSpec,
      dryRun: flags.dryRun === true,
      forceUnlock: flags.forceUnlock === true,
      allowVeth: flags.allowVeth === true,
      confirm: async (plan, removals) => {
        if (!json) write(report.formatReset(plan, removals));
        if (flags.yes === true) return true;
        const prompter = io.stdin.isTTY === true && io.stderr.isTTY === true;
        if (!prompter) {
          run.session.bus.emit({
            type: 'warning',
            message: `resetting ${hosts.join(', ')} needs a confirmation: run with --yes (no terminal to ask on)`,
          });
          return false;
        }
        const { askYesNo } = await import('../output/prompt.js');
        return askYesNo(io.stdin, io.stderr, report.resetQuestion(plan, removals));
      },
    }),
  );
  const ok = await run.finish();
  switch (outcome.kind) {
    case 'unreachable':
      io.stderr.write(`mc: cannot plan the reset: ${outcome.hint}; nothing was changed\n`);
      setExit(EXIT_FAILED);
      return;
    case 'refused': {
      const { formatRefusal } = await import('../output/remove-report.js');
      for (const refusal of outcome.refusals) io.stderr.write(`mc: ${formatRefusal(refusal)}\n`);
      io.stderr.write(
        `mc: ${outcome.refusals.length} reason(s) to refuse taking the hosts out of the cluster; nothing was changed on any host\n`,
      );
      setExit(EXIT_INPUT);
      return;
    }
    case 'no-changes':
      if (json) write(`${JSON.stringify({ type: 'reset', changed: 0, reset: [], unchanged: hosts })}\n`);
      else
        write(
          `${report.formatReset(outcome.plan, [])}No changes: nothing of mc's is left on ${hosts.join(', ')}.\n`,
        );
      setExit(ok ? EXIT_OK : EXIT_FAILED);
      return;
    case 'planned':
      write(
        json
          ? `${JSON.stringify(report.resetAsData(outcome.plan, outcome.removals))}\n`
          : report.formatReset(outcome.plan, outcome.removals),
      );
      setExit(ok ? EXIT_OK : EXIT_FAILED);
      return;
    case 'declined':
      io.stderr.write('mc: nothing was changed: the reset was not confirmed (answer y, or run with --yes)\n');
      setExit(EXIT_INPUT);
      return;
    case 'failed':
      io.stderr.write('mc: reset stopped; see the failed step above, fix it and run mc reset again\n');
      setExit(EXIT_FAILED);
      return;
    case 'reset':
      if (json) {
        write(
          `${JSON.stringify({
            type: 'reset',
            changed: outcome.changed,
            // As remove's JSON: the hosts that changed, and those marked as having had nothing of mc's.
            reset: outcome.plan.changing,
            unchanged: hosts.filter((h) => !outcome.plan.changing.includes(h)),
            removed: outcome.removals.map((r) => r.member),
            leftovers: outcome.leftovers,
          })}\n`,
        );
      } else {
        write(`Reset ${outcome.plan.changing.join(', ')}: ${outcome.changed} change(s).\n`);
        for (const host of outcome.leftovers) write(`verify: ${host} still holds something mc put there\n`);
        if (outcome.leftovers.length === 0)
          write('Next: mc deploy sets the cluster up again from the inventory\n');
      }
      setExit(ok && outcome.leftovers.length === 0 ? EXIT_OK : EXIT_FAILED);
      return;
  }
}

export function resetCommand(io: Io, setExit: (code: number) => void): Command {
  return connectionOptions(new Command('reset'))
    .description(
      'take the cluster apart and return the hosts to where they were before mc deploy: the snaps mc installed and the disks marked wipe: true',
    )
    .option('-y, --yes', 'do not ask for a confirmation')
    .option('--dry-run', 'print the steps and what would be lost; change nothing')
    .option('--force-unlock', "take the deploy lock even if another run's heartbeat is fresh")
    .option('--allow-veth', 'accept veth interfaces as NICs (test labs)')
    .action(async (flags: ResetFlags) => runReset(io, setExit, flags));
}
