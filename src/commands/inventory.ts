import { Command, Option } from 'commander';
import { inventoryGraph, inventoryList } from '../domain/inventory/index.js';
import { loadSelectedHosts } from '../workflows/runtime.js';
import type { Io } from '../workflows/runtime.js';
import { EXIT_OK } from './errors.js';
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
  const sub = (name: string, description: string, show: (flags: InventoryFlags) => void): void => {
    command.addCommand(
      inventoryOption(new Command(name))
        .description(description)
        .option('-l, --limit <pattern>', 'only these hosts or groups')
        .addOption(
          new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'),
        )
        .action((flags: InventoryFlags) => {
          show(flags);
          setExit(EXIT_OK);
        }),
    );
  };
  sub('check', 'validate the inventory and report every problem at once', (flags) => {
    const { inventory, hosts } = loadSelectedHosts(flags, io);
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
    (flags) => {
      const { inventory } = loadSelectedHosts(flags, io);
      io.stdout.write(`${JSON.stringify(inventoryList(inventory), null, flags.output === 'json' ? 0 : 2)}\n`);
    },
  );
  sub('graph', 'the group tree (as ansible-inventory --graph)', (flags) => {
    const { inventory } = loadSelectedHosts(flags, io);
    io.stdout.write(
      flags.output === 'json'
        ? `${JSON.stringify(inventoryList(inventory))}\n`
        : `${inventoryGraph(inventory)}\n`,
    );
  });
  return command;
}
