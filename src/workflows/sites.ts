// Several sites at once: every site's inventory is checked first (nothing is touched on any host while one
// is wrong), then one mc process per site runs the same command with that site's inventory, all in
// parallel. Each site keeps everything a single run has (its own connections, deploy lock, log file and
// exit status), so a failure in one site cannot stop or corrupt another. Their output is merged here: lines
// prefixed with the site in plain mode, a `site` field on every JSON event, then a recap per site.
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { InputError } from '../domain/input-error.js';
import type { Inventory } from '../domain/inventory/types.js';
import { pickSites, sharedHosts, sitesOf, type SiteFile } from '../domain/sites.js';
import { loadSelectedHosts, type Io } from './runtime.js';

export interface SitesRequest {
  /** Every -i file, one site each. */
  inventories: string[];
  /** --site: the sites to run (all when empty). */
  picks: string[];
  /** The command and its flags as the user gave them, without -i, --site and --output. */
  args: string[];
  /** tty: one live tree per site (each site's mc runs in plain mode underneath). */
  output: 'plain' | 'json' | 'tty';
  strict: boolean;
  /** The command's own check of a site's inventory (its cluster section), before any host is contacted. */
  check?: (inventory: Inventory) => void;
}

export interface SiteOutcome {
  site: string;
  exitCode: number;
  seconds: number;
}

/** Loads and checks every site; throws one InputError listing every site's problems. */
export async function checkSites(request: SitesRequest, io: Io): Promise<SiteFile[]> {
  const named = sitesOf(request.inventories);
  const picked = pickSites(named.sites, request.picks);
  const problems = [...named.problems, ...picked.problems];
  if (problems.length > 0) throw new InputError(problems);
  const loaded: { name: string; hosts: Inventory['hosts'] }[] = [];
  for (const site of picked.sites) {
    try {
      const { inventory, hosts } = await loadSelectedHosts(
        { inventory: site.inventory, strict: request.strict },
        io,
      );
      request.check?.(inventory);
      loaded.push({ name: site.name, hosts });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      problems.push(...err.lines.map((line) => `site ${site.name}: ${line}`));
    }
  }
  problems.push(...sharedHosts(loaded));
  if (problems.length > 0) throw new InputError(problems);
  return picked.sites;
}

/** Where a site's lines go: prefixed lines, JSON events with the site, or its task in the tree. */
interface SiteSink {
  stdout: (site: string, line: string) => void;
  stderr: (site: string, line: string) => void;
  done: (site: string, exitCode: number) => void;
}

/** Runs one site's mc and forwards its lines as they come. */
async function runSite(site: SiteFile, request: SitesRequest, io: Io, sink: SiteSink): Promise<SiteOutcome> {
  const started = Date.now();
  const output = request.output === 'json' ? 'json' : 'plain';
  const child = execa(
    process.execPath,
    [...process.execArgv, process.argv[1] ?? 'mc', ...request.args, '-i', site.inventory, '-o', output],
    // No terminal for a site: a question it would ask (a wipe, a removal) needs --yes given to all.
    { reject: false, stdin: 'ignore', env: io.env, extendEnv: false, buffer: false },
  );
  const forward = (stream: NodeJS.ReadableStream | null, to: (site: string, line: string) => void) =>
    new Promise<void>((done) => {
      if (stream === null) return done();
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      lines.on('line', (line) => to(site.name, line));
      lines.on('close', done);
    });
  await Promise.all([forward(child.stdout, sink.stdout), forward(child.stderr, sink.stderr)]);
  const result = await child;
  const exitCode = result.exitCode ?? 1;
  sink.done(site.name, exitCode);
  return { site: site.name, exitCode, seconds: (Date.now() - started) / 1000 };
}

/** A JSON event line with the site first; a line that is not a JSON object is carried as it is. */
function withSite(site: string, line: string): string {
  try {
    const event: unknown = JSON.parse(line);
    if (event !== null && typeof event === 'object' && !Array.isArray(event)) {
      return JSON.stringify({ site, ...event });
    }
  } catch {
    // Not JSON: below.
  }
  return JSON.stringify({ site, type: 'output', line });
}

/**
 * Every picked site at once. On a terminal, a tree with a task per site; what the sites said on stderr is
 * printed under it once the tree is done (the failed step, what to do next).
 */
export async function runSites(
  sites: readonly SiteFile[],
  request: SitesRequest,
  io: Io,
): Promise<SiteOutcome[]> {
  const prefixed = (to: NodeJS.WriteStream) => (site: string, line: string) => {
    to.write(`[${site}] ${line}\n`);
  };
  if (request.output !== 'tty') {
    const sink: SiteSink = {
      stdout:
        request.output === 'json'
          ? (site, line) => io.stdout.write(`${withSite(site, line)}\n`)
          : prefixed(io.stdout),
      stderr: prefixed(io.stderr),
      done: () => undefined,
    };
    return Promise.all(sites.map((site) => runSite(site, request, io, sink)));
  }
  const { sitesTree } = await import('../output/sites-tty.js');
  const tree = sitesTree(
    sites.map((site) => site.name),
    io.stdout,
  );
  const errors: string[] = [];
  const sink: SiteSink = {
    stdout: (site, line) => tree.line(site, line),
    stderr: (site, line) => {
      tree.line(site, line);
      errors.push(`[${site}] ${line}`);
    },
    done: (site, exitCode) => tree.done(site, exitCode),
  };
  const outcomes = await Promise.all(sites.map((site) => runSite(site, request, io, sink)));
  await tree.finished();
  for (const line of errors) io.stderr.write(`${line}\n`);
  return outcomes;
}

export function sitesExitCode(outcomes: readonly SiteOutcome[]): number {
  return outcomes.reduce((worst, o) => (o.exitCode === 0 ? worst : Math.max(worst, o.exitCode)), 0);
}

/** The recap per site, after every site's own output. */
export function formatSitesRecap(outcomes: readonly SiteOutcome[]): string {
  const width = Math.max(...outcomes.map((o) => o.site.length));
  const failed = outcomes.filter((o) => o.exitCode !== 0).length;
  const lines = [
    '',
    `SITES ok=${outcomes.length - failed}${failed > 0 ? ` failed=${failed}` : ''}`,
    ...outcomes.map(
      (o) =>
        `${o.site.padEnd(width)}  ${(o.exitCode === 0 ? 'ok' : `failed (exit ${o.exitCode})`).padEnd(15)}  ${o.seconds.toFixed(1)}s`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
