// Flags shared by every command that talks to hosts, parsed once into typed options.
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';

import type { RunOptions } from '../workflows/runtime.js';

/** commander's camel-cased view of connectionOptions(): the same fields a run takes. */
export type ConnectionFlags = RunOptions;

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${name} must be a whole number of at least 1`);
    return n;
  };
}

/** -i given twice where a command takes one inventory (Ansible would merge them; mc does not). */
function oneInventory(value: string, previous: string | undefined): string {
  if (previous !== undefined) {
    throw new InvalidArgumentError(
      'given twice: this command takes one inventory (mc deploy, plan and status take one per site)',
    );
  }
  return value;
}

/** -i for the commands that run several sites: every file, one site each, in the order given. */
function everyInventory(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function inventoryOption(command: Command, sites = false): Command {
  const inventory = new Option(
    '-i, --inventory <file>',
    sites
      ? 'inventory file (mc YAML, Ansible YAML or INI); several -i: one site each, run in parallel'
      : 'inventory file (mc YAML, Ansible YAML or INI)',
  )
    .env('MC_INVENTORY')
    .makeOptionMandatory();
  return command
    .addOption(sites ? inventory.argParser(everyInventory) : inventory.argParser(oneInventory))
    .option('--strict', 'treat inventory warnings (a mistyped ansible_* variable) as errors', false);
}

export function connectionOptions(command: Command, sites = false): Command {
  return inventoryOption(command, sites)
    .option('-l, --limit <pattern>', 'only these hosts or groups (Ansible pattern syntax: a,b,!c,&d,web*)')
    .option('-f, --forks <n>', 'hosts handled at once', positiveInt('--forks'), 20)
    .addOption(
      new Option('-o, --output <mode>', 'auto: a live tree on a terminal, plain lines otherwise')
        .choices(['auto', 'tty', 'plain', 'json'])
        .default('auto'),
    )
    .option('--timeout <seconds>', 'limit for each remote command', positiveInt('--timeout'), 600)
    .option(
      '--connect-timeout <seconds>',
      'limit for the SSH handshake and login',
      positiveInt('--connect-timeout'),
      10,
    )
    .option(
      '--connect-retries <n>',
      'attempts per host on network errors',
      positiveInt('--connect-retries'),
      3,
    )
    .option('--accept-new', 'trust and record host keys not yet in known_hosts (never a changed key)', false)
    .option('-k, --ask-pass', 'ask for the SSH password (or set MC_SSH_PASSWORD)', false)
    .option('-K, --ask-become-pass', 'ask for the sudo password (or set MC_BECOME_PASSWORD)', false)
    .option('--known-hosts <file>', 'known_hosts file to use instead of ssh_config UserKnownHostsFile')
    .option('--ssh-config <file>', "OpenSSH client config to read ('none' to read none)", undefined)
    .option('--log-file <path>', 'where to write the run log (default: ~/.cache/mc/logs/)');
}
