// mc preseed export / import: MicroCloud's preseed format in and out of mc. Both connect to gather facts, as
// mc plan does, and change nothing.
import { Command } from 'commander';
import type { ClusterSpec } from '../domain/cluster/types.js';
import type { ParsedPreseed } from '../domain/cluster/preseed-import.js';
import { InputError } from '../domain/input-error.js';
import type { Io } from '../workflows/runtime.js';
import { EXIT_FAILED, EXIT_OK } from './errors.js';
import { connectionOptions, type ConnectionFlags } from './options.js';
import { reportInvalid, reportMissingFacts } from './stopped-before-change.js';

interface PreseedFlags extends ConnectionFlags {
  allowVeth?: boolean;
}

const ALLOW_VETH = 'accept veth interfaces as OVN uplinks (test labs whose NICs are veth pairs)';

function noLimit(flags: PreseedFlags, command: string): void {
  if (flags.limit !== undefined) {
    throw new InputError([
      `--limit: mc preseed ${command} works on every host of the cluster; remove --limit`,
    ]);
  }
}

function exportCommand(io: Io, setExit: (code: number) => void): Command {
  return connectionOptions(new Command('export'))
    .description(
      'print the MicroCloud preseed mc deploy would run (without the session passphrase); changes nothing',
    )
    .option('--allow-veth', ALLOW_VETH)
    .action(async (flags: PreseedFlags) => {
      const [{ startRun }, workflow, spec, validate] = await Promise.all([
        import('../workflows/runtime.js'),
        import('../workflows/preseed.js'),
        import('../domain/cluster/spec.js'),
        import('../domain/cluster/validate.js'),
      ]);
      noLimit(flags, 'export');
      let clusterSpec: ClusterSpec | undefined;
      const run = await startRun('preseed export', flags, io, {
        progress: 'stderr',
        check: (inventory) => {
          const parsed = spec.parseClusterSpec(inventory);
          if (!parsed.ok) throw new InputError(parsed.issues.map(validate.formatDeployIssue));
          if (!parsed.spec.services.microcloud) {
            const at = parsed.spec.positions['services.microcloud'];
            throw new InputError([
              `${at === undefined ? '' : `${at.file}:${at.line}:${at.col}: `}services.microcloud is off: mc forms the cluster itself and runs no preseed (set services.microcloud: true for the MicroCloud engine)`,
            ]);
          }
          clusterSpec = parsed.spec;
        },
      });
      const outcome = await run.settle(
        workflow.exportPreseed(run.session, {
          inventory: run.inventory,
          spec: clusterSpec as ClusterSpec,
          allowVeth: flags.allowVeth === true,
        }),
      );
      const ok = await run.finish();
      const json = flags.output === 'json';
      switch (outcome.kind) {
        case 'unreachable':
          reportMissingFacts(io, setExit, 'build the preseed');
          return;
        case 'invalid':
          reportInvalid(io, setExit, outcome.issues.map(validate.formatDeployIssue));
          return;
        case 'complete':
          if (json)
            io.stdout.write(`${JSON.stringify({ type: 'preseed', mode: null, members: outcome.members })}\n`);
          else
            io.stdout.write(
              `# Every host is a member of the MicroCloud (${outcome.members.join(', ')}): no preseed to run.\n`,
            );
          setExit(ok ? EXIT_OK : EXIT_FAILED);
          return;
        case 'exported': {
          const { preseed, text } = outcome;
          if (json) {
            io.stdout.write(
              `${JSON.stringify({ type: 'preseed', mode: preseed.mode, initiator: preseed.initiatorHost, preseed: text })}\n`,
            );
          } else {
            const others = preseed.systems
              .map((system) => system.host)
              .filter((host) => host !== preseed.initiatorHost);
            io.stdout.write(
              [
                `# The MicroCloud preseed mc deploy would run (${preseed.mode} mode), unicast, for ${run.inventory.source}.`,
                '# session_passphrase is left out: mc makes a random one for each run and passes it on stdin only.',
                `# By hand: add session_passphrase: <secret>, run \`microcloud preseed < FILE\` on ${preseed.initiatorHost} first,`,
                `# then within lookup_timeout (${preseed.lookupTimeout} s) on ${others.length === 0 ? 'no other host' : others.join(', ')}.`,
                text,
              ].join('\n'),
            );
          }
          setExit(ok ? EXIT_OK : EXIT_FAILED);
          return;
        }
      }
    });
}

function importCommand(io: Io, setExit: (code: number) => void): Command {
  return connectionOptions(new Command('import'))
    .description("turn a MicroCloud preseed into mc's cluster section (printed as YAML); changes nothing")
    .argument('<preseed>', 'the MicroCloud preseed file (microcloud preseed format)')
    .option('--allow-veth', ALLOW_VETH)
    .action(async (file: string, flags: PreseedFlags) => {
      const [{ startRun }, workflow, readInput, preseedImport, validate] = await Promise.all([
        import('../workflows/runtime.js'),
        import('../workflows/preseed.js'),
        import('../workflows/read-input.js'),
        import('../domain/cluster/preseed-import.js'),
        import('../domain/cluster/validate.js'),
      ]);
      noLimit(flags, 'import');
      // The preseed is read and checked before any host is contacted.
      const read = readInput.readInputFile(file, { what: 'preseed' });
      if (!read.ok) {
        const { issue } = read;
        throw new InputError([
          issue.line === 0
            ? `${issue.message} (give the path of a MicroCloud preseed file, as \`microcloud preseed\` reads it)`
            : `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`,
        ]);
      }
      const parsed = preseedImport.parsePreseedFile(file, read.text);
      if (!parsed.ok) throw new InputError(parsed.issues.map(validate.formatDeployIssue));
      const preseed: ParsedPreseed = parsed.preseed;
      const run = await startRun('preseed import', flags, io, { progress: 'stderr' });
      const outcome = await run.settle(
        workflow.importPreseed(run.session, {
          inventory: run.inventory,
          preseed,
          source: file,
          allowVeth: flags.allowVeth === true,
        }),
      );
      const ok = await run.finish();
      switch (outcome.kind) {
        case 'unreachable':
          reportMissingFacts(io, setExit, 'import');
          return;
        case 'invalid':
          reportInvalid(io, setExit, outcome.issues.map(validate.formatDeployIssue));
          return;
        case 'imported':
          io.stdout.write(outcome.text);
          setExit(ok ? EXIT_OK : EXIT_FAILED);
          return;
      }
    });
}

export function preseedCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('preseed')
    .description("MicroCloud's preseed format: export what mc would run, import a preseed into an inventory")
    .addCommand(exportCommand(io, setExit))
    .addCommand(importCommand(io, setExit));
}
