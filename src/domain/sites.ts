// Several sites from one command: one inventory file per site (`-i paris.yaml -i lyon.yaml`), each site named
// after its file. Pure: names, the --site choice, and the hosts no two sites may share.
import { formatIssue } from './inventory/issues.js';
import type { HostSpec } from './inventory/types.js';

export interface SiteFile {
  name: string;
  inventory: string;
}

/** The site a file makes: its name without the directory and the extension (`sites/paris.yaml` → `paris`). */
export function siteName(path: string): string {
  const base = path.split('/').pop() ?? path;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** Every site, in the order given; problems (two files making one name) as lines for an InputError. */
export function sitesOf(inventories: readonly string[]): { sites: SiteFile[]; problems: string[] } {
  const sites: SiteFile[] = [];
  const problems: string[] = [];
  for (const inventory of inventories) {
    const name = siteName(inventory);
    const same = sites.find((site) => site.name === name);
    if (same !== undefined) {
      problems.push(
        `-i ${inventory}: site ${name} is already ${same.inventory} (a site is named after its file): rename one of them`,
      );
      continue;
    }
    sites.push({ name, inventory });
  }
  return { sites, problems };
}

/** The sites --site names (all when none); an unknown name is a problem that lists the known ones. */
export function pickSites(
  sites: readonly SiteFile[],
  picks: readonly string[],
): { sites: SiteFile[]; problems: string[] } {
  if (picks.length === 0) return { sites: [...sites], problems: [] };
  const known = sites.map((site) => site.name);
  const problems = picks
    .filter((pick) => !known.includes(pick))
    .map((pick) => `--site ${pick}: no such site; the sites are ${known.join(', ')} (one per -i file)`);
  return { sites: sites.filter((site) => picks.includes(site.name)), problems };
}

/** Where a machine is reached: two sites must not drive the same one. */
function endpoint(host: HostSpec): string {
  return `${host.address.toLowerCase()}:${host.port ?? 22}`;
}

/**
 * A machine listed in two sites would be deployed into two clusters at once: refused, at the second
 * definition, naming the first.
 */
export function sharedHosts(sites: readonly { name: string; hosts: readonly HostSpec[] }[]): string[] {
  const seen = new Map<string, { site: string; host: HostSpec }>();
  const problems: string[] = [];
  for (const site of sites) {
    for (const host of site.hosts) {
      const key = endpoint(host);
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, { site: site.name, host });
        continue;
      }
      if (first.site === site.name) continue;
      const at = first.host.origin;
      problems.push(
        formatIssue({
          ...host.origin,
          message: `host ${host.name} (${key}) is in site ${first.site} too, as ${first.host.name} at ${at.file}:${at.line}:${at.col}: a host can be in one site only; remove it from one of them`,
        }),
      );
    }
  }
  return problems;
}
