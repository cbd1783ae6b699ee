// mc remove HOST...: take members out of the cluster as `microcloud remove` does; a preview, MicroCloud's
// refusals, a confirmation that names what is lost, then one workflow.
import { Command } from 'commander';
import { InputError } from '../domain/input-error.js';
import type { Io } from '../workflows/runtime.js';
import { EXIT_FAILED, EXIT_INPUT, EXIT_OK } from './errors.js';
import { connectionOptions, type ConnectionFlags } from './options.js';

interface RemoveFlags extends ConnectionFlags {
  force?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  forceUnlock?: boolean;
  allowVeth?: boolean;
}

async function runRemove(
  io: Io,
  setExit: (code: number) => void,
  members: string[],
  flags: RemoveFlags,
): Promise<void> {
  const [{ startRun }, { removeMembers }, report] = await Promise.all([
    import('../workflows/runtime.js'),
    import('../workflows/remove/index.js'),
    import('../output/remove-report.js'),
  ]);
  if (flags.limit !== undefined) {
    throw new InputError([
      '--limit: mc remove reads the cluster from every host of the inventory; name the hosts to remove as arguments',
    ]);
  }
  const json = flags.output === 'json';
  const run = await startRun('remove', flags, io, {
    layout: 'phases',
    // The hosts to remove are checked before any host is contacted.
    check: (inventory) => {
      const names = inventory.hosts.map((h) => h.name);
      const unknown = [...new Set(members)].filter((m) => !names.includes(m));
      if (unknown.length > 0) {
        throw new InputError(
          unknown.map(
            (m) =>
              `${m}: not a host of ${inventory.source}; mc remove takes inventory hosts (${names.slice(0, 8).join(', ')}${names.length > 8 ? ', ...' : ''})`,
          ),
        );
      }
    },
  });
  const write = (text: string): void => {
    io.stdout.write(text);
  };
  const outcome = await run.settle(
    removeMembers(run.session, {
      members: [...new Set(members)],
      force: flags.force === true,
      dryRun: flags.dryRun === true,
      forceUnlock: flags.forceUnlock === true,
      allowVeth: flags.allowVeth === true,
      confirm: async (removals) => {
        if (!json) write(report.formatRemoval(removals, []));
        if (flags.yes === true) return true;
        const prompter = io.stdin.isTTY === true && io.stderr.isTTY === true;
        if (!prompter) {
          run.session.bus.emit({
            type: 'warning',
            message: `removing ${removals.map((r) => r.member).join(', ')} needs a confirmation: run with --yes (no terminal to ask on)`,
          });
          return false;
        }
        const { askYesNo } = await import('../output/prompt.js');
        return askYesNo(io.stdin, io.stderr, report.removalQuestion(removals));
      },
    }),
  );
  const ok = await run.finish();
  switch (outcome.kind) {
    case 'unreachable':
      io.stderr.write(`mc: cannot plan the removal: ${outcome.hint}; nothing was changed\n`);
      setExit(EXIT_FAILED);
      return;
    case 'refused':
      for (const refusal of outcome.refusals) io.stderr.write(`mc: ${report.formatRefusal(refusal)}\n`);
      io.stderr.write(
        `mc: ${outcome.refusals.length} reason(s) to refuse; nothing was changed on any host\n`,
      );
      setExit(EXIT_INPUT);
      return;
    case 'no-changes':
      if (json) write(`${JSON.stringify({ type: 'remove', changed: 0, notMembers: outcome.notMembers })}\n`);
      else write(report.formatRemoval([], outcome.notMembers) + 'No changes: nothing to remove.\n');
      setExit(ok ? EXIT_OK : EXIT_FAILED);
      return;
    case 'planned':
      write(
        json
          ? `${JSON.stringify(report.removalAsData(outcome.removals, outcome.notMembers))}\n`
          : report.formatRemoval(outcome.removals, outcome.notMembers),
      );
      setExit(ok ? EXIT_OK : EXIT_FAILED);
      return;
    case 'declined':
      io.stderr.write(
        'mc: nothing was changed: the removal was not confirmed (answer y, or run with --yes)\n',
      );
      setExit(EXIT_INPUT);
      return;
    case 'failed':
      io.stderr.write('mc: remove stopped; see the failed step above, fix it and run mc remove again\n');
      setExit(EXIT_FAILED);
      return;
    case 'removed': {
      const removed = outcome.removals.map((r) => r.member);
      const forced = flags.force === true ? removed : [];
      if (json) {
        write(
          `${JSON.stringify({ type: 'remove', changed: outcome.changed, removed, remaining: outcome.remaining, stillListed: outcome.stillListed })}\n`,
        );
      } else {
        write(`Removed ${removed.join(', ')}: ${outcome.changed} change(s).\n`);
        write(`Members now: ${report.formatRemaining(outcome.remaining)}\n`);
        for (const host of outcome.stillListed) write(`verify: ${host} is still listed as a member\n`);
        if (forced.length > 0) {
          write(
            `${forced.join(', ')} left with --force: nothing was cleaned up there; before deploying it again, remove its snaps (sudo snap remove --purge lxd microceph microovn microcloud)\n`,
          );
        } else {
          write(
            `Next: take ${removed.join(', ')} out of the inventory, or run mc deploy to add ${removed.length > 1 ? 'them' : 'it'} back\n`,
          );
        }
      }
      // A host removed with --force may be gone: its failed fact gathering does not fail the removal.
      const recapOk =
        ok ||
        run.session
          .recap()
          .every((r) => r.status === 'ok' || r.status === 'changed' || forced.includes(r.host));
      setExit(recapOk && outcome.stillListed.length === 0 ? EXIT_OK : EXIT_FAILED);
      return;
    }
  }
}

export function removeCommand(io: Io, setExit: (code: number) => void): Command {
  return connectionOptions(new Command('remove'))
    .description(
      'remove members from the cluster as microcloud remove does: LXD, then MicroCeph and MicroOVN, then MicroCloud',
    )
    .argument('<host...>', 'inventory hosts to remove, one after another')
    .option('--force', "MicroCloud's --force: skip the checks and the cleanup (a machine that is gone)")
    .option('-y, --yes', 'do not ask for a confirmation')
    .option('--dry-run', 'print the steps and what would be lost; change nothing')
    .option('--force-unlock', "take the deploy lock even if another run's heartbeat is fresh")
    .option('--allow-veth', 'accept veth interfaces as NICs (test labs)')
    .action(async (members: string[], flags: RemoveFlags) => runRemove(io, setExit, members, flags));
}
