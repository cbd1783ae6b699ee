import { Command, Option } from 'commander';
import { InputError } from '../domain/input-error.js';
import type { Io } from '../workflows/runtime.js';
import { EXIT_OK } from './errors.js';
import { fromVagrantCommand } from './inventory-from-vagrant.js';
import { inventoryOption } from './options.js';

interface InventoryFlags {
  inventory: string;
  limit?: string;
  output: 'text' | 'json';
}

/** `mc inventory check|list|graph`, like ansible-inventory: reads and validates, touches no host. */
export function inventoryCommand(io: Io, setExit: (code: number) => void): Command {
  const command = new Command('inventory').description(
    'check, list or graph an inventory without connecting',
  );
  const sub = (name: string, description: string, show: (flags: InventoryFlags) => Promise<void>): void => {
    command.addCommand(
      inventoryOption(new Command(name))
        .description(description)
        .option('-l, --limit <pattern>', 'only these hosts or groups')
        .addOption(
          new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'),
        )
        .action(async (flags: InventoryFlags) => {
          await show(flags);
          setExit(EXIT_OK);
        }),
    );
  };
  // Loaded on use: `mc --help` must not pay for the inventory parsers.
  const load = async (flags: InventoryFlags) =>
    (await import('../workflows/runtime.js')).loadSelectedHosts(flags, io);
  const views = () => import('../domain/inventory/index.js');
  sub('check', 'validate the inventory and report every problem at once', async (flags) => {
    const { inventory, hosts } = await load(flags);
    // The cluster section too, as mc plan checks it before contacting any host.
    const [{ parseClusterSpec }, { formatDeployIssue }] = await Promise.all([
      import('../domain/cluster/spec.js'),
      import('../domain/cluster/issues.js'),
    ]);
    const cluster = parseClusterSpec(inventory);
    if (!cluster.ok) throw new InputError(cluster.issues.map(formatDeployIssue));
    const summary = {
      file: inventory.source,
      format: inventory.format,
      hosts: hosts.length,
      groups: inventory.groups.length,
    };
    io.stdout.write(
      flags.output === 'json'
        ? `${JSON.stringify({ ok: true, ...summary })}\n`
        : `${summary.file}: ok (${summary.format}, ${summary.hosts} hosts, ${summary.groups} groups)\n`,
    );
  });
  sub(
    'list',
    'hosts with their connection settings and variables (JSON, as ansible-inventory --list)',
    async (flags) => {
      const { inventory } = await load(flags);
      const { inventoryList } = await views();
      io.stdout.write(`${JSON.stringify(inventoryList(inventory), null, flags.output === 'json' ? 0 : 2)}\n`);
    },
  );
  sub('graph', 'the group tree (as ansible-inventory --graph)', async (flags) => {
    const { inventory } = await load(flags);
    const { inventoryGraph, inventoryList } = await views();
    io.stdout.write(
      flags.output === 'json'
        ? `${JSON.stringify(inventoryList(inventory))}\n`
        : `${inventoryGraph(inventory)}\n`,
    );
  });
  command.addCommand(fromVagrantCommand(io, setExit));
  return command;
}
