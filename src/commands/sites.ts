// The commands that take several sites (deploy, plan, status): `-i` once per site and `--site NAME`. One site
// runs as before in this process; several run through the sites workflow, one mc process each.
import type { Command } from 'commander';
import type { Inventory } from '../domain/inventory/types.js';
import { InputError } from '../domain/input-error.js';
import type { Io, RunOptions } from '../workflows/runtime.js';

export interface SiteFlags extends Omit<RunOptions, 'inventory'> {
  inventory: string[];
  site: string[];
}

export function siteOption(command: Command): Command {
  return command.option(
    '--site <name>',
    'only this site, named after its -i file (repeat for several)',
    (value: string, previous: string[]) => [...previous, value],
    [],
  );
}

/** The options the sites workflow sets itself for each site. */
const OWN_OPTIONS = new Set(['inventory', 'site', 'output']);

/** The options the user gave on the command line, as each site's mc takes them (without -i, --site, -o). */
export function forwardedArgs(command: Command): string[] {
  const args: string[] = [];
  for (const option of command.options) {
    const key = option.attributeName();
    if (OWN_OPTIONS.has(key) || command.getOptionValueSource(key) !== 'cli') continue;
    const value: unknown = command.getOptionValue(key);
    if (option.long === undefined) continue;
    if (typeof value === 'boolean') {
      if (value) args.push(option.long);
    } else {
      args.push(option.long, String(value));
    }
  }
  return args;
}

/** A tree per site on a terminal (outside CI), as a single run chooses its live tree. */
function siteOutput(requested: RunOptions['output'], io: Io): 'plain' | 'json' | 'tty' {
  if (requested !== 'auto') return requested;
  return io.stdout.isTTY === true && io.env.CI === undefined ? 'tty' : 'plain';
}

/**
 * Runs the command for one site here (`single`), or for several through the sites workflow. --site with a
 * single -i must name that site.
 */
export async function runForSites(
  io: Io,
  setExit: (code: number) => void,
  command: Command,
  flags: SiteFlags,
  single: (flags: RunOptions) => Promise<void>,
  check?: (inventory: Inventory) => void,
): Promise<void> {
  const { checkSites, runSites, sitesExitCode, formatSitesRecap } = await import('../workflows/sites.js');
  const inventories = flags.inventory;
  if (inventories.length === 1 && flags.site.length === 0) {
    await single({ ...flags, inventory: inventories[0] as string });
    return;
  }
  if (flags.limit !== undefined) {
    throw new InputError(['--limit: with several sites, pick sites with --site; remove --limit']);
  }
  if (flags.askPass || flags.askBecomePass) {
    throw new InputError([
      '--ask-pass/--ask-become-pass: the sites run without a terminal; set MC_SSH_PASSWORD / MC_BECOME_PASSWORD instead',
    ]);
  }
  const request = {
    inventories,
    picks: flags.site,
    args: [command.name(), ...forwardedArgs(command)],
    output: siteOutput(flags.output, io),
    strict: flags.strict === true,
    ...(check === undefined ? {} : { check }),
  };
  const sites = await checkSites(request, io);
  if (sites.length === 1 && inventories.length === 1) {
    await single({ ...flags, inventory: sites[0]?.inventory as string });
    return;
  }
  const outcomes = await runSites(sites, request, io);
  io.stdout.write(
    request.output === 'json'
      ? `${JSON.stringify({ type: 'sites', sites: outcomes })}\n`
      : formatSitesRecap(outcomes),
  );
  setExit(sitesExitCode(outcomes));
}
