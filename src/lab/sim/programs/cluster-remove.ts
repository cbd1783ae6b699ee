// `cluster remove <NAME> [--force]` of MicroCeph, MicroOVN and MicroCloud (each its cobra cmdClusterRemove:
// `cli.DeleteClusterMember(name, force)`, nothing printed on success, `cmd.Help()` without exactly one name).
import type { MicroclusterServiceName } from '../machine.js';
import { microcloudRemove, removeMicroclusterMember } from '../member-remove.js';
import { cobraHelp, type ProgramContext } from '../program.js';
import type { MicroclusterCli } from './microcluster-cli.js';

export function registerClusterRemove(
  cli: MicroclusterCli,
  ctx: ProgramContext,
  service: MicroclusterServiceName,
  short = 'Removes a server from the cluster',
): void {
  cli.command(
    'cluster remove',
    'remove <NAME>',
    short,
    [{ name: 'force', short: 'f', type: 'bool' }],
    (parsed, out, self) => {
      if (parsed.positionals.length !== 1) return cobraHelp(cli.app, self, out);
      removeMicroclusterMember(
        ctx.world,
        ctx.machine,
        service,
        parsed.positionals[0] as string,
        parsed.flags['force'] === true,
      );
      return 0;
    },
  );
}

/** `microcloud remove <name> [--force]` (alias rm; mc2 cmd/microcloud/remove.go: help without one name). */
export function registerMicrocloudRemove(cli: MicroclusterCli, ctx: ProgramContext): void {
  cli.command(
    'remove',
    'remove <name>',
    'Remove the specified member from all MicroCloud services',
    [{ name: 'force', short: 'f', type: 'bool' }],
    (parsed, out, self) => {
      if (parsed.positionals.length !== 1) return cobraHelp(cli.app, self, out);
      microcloudRemove(
        ctx.world,
        ctx.machine,
        parsed.positionals[0] as string,
        parsed.flags['force'] === true,
      );
      return 0;
    },
  );
}
