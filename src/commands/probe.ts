import { Command } from 'commander';
import type { Io } from '../workflows/runtime.js';
import { EXIT_FAILED, EXIT_OK } from './errors.js';
import { connectionOptions } from './options.js';
import type { ConnectionFlags } from './options.js';

export function probeCommand(io: Io, setExit: (code: number) => void): Command {
  return connectionOptions(new Command('probe'))
    .description(
      "report each host's OS, snaps, disks and NICs, and which MicroCloud could use; changes nothing",
    )
    .option(
      '--allow-veth',
      'offer veth interfaces as OVN uplinks (test labs whose NICs are veth pairs)',
      false,
    )
    .action(async (flags: ConnectionFlags & { allowVeth: boolean }) => {
      const [{ startRun }, { probe }, { formatProbeReport }] = await Promise.all([
        import('../workflows/runtime.js'),
        import('../workflows/probe.js'),
        import('../output/probe-report.js'),
      ]);
      const run = await startRun('probe', flags, io);
      const results = await run.settle(probe(run.session, { allowVeth: flags.allowVeth }));
      const ok = await run.finish();
      const probes = run.hosts.flatMap((h) => results.get(h.name) ?? []);
      if (flags.output === 'json') io.stdout.write(`${JSON.stringify({ type: 'probe', hosts: probes })}\n`);
      else io.stdout.write(formatProbeReport(probes));
      setExit(ok ? EXIT_OK : EXIT_FAILED);
    });
}
