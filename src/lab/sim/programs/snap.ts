// `snap`: the snapd CLI subset a deploy tool uses (install, refresh --hold, list, info, connect, services,
// start/stop/restart, remove, wait). Output layout and messages follow snapd's cmd/snap (§7, §10.1).

import { restartAfterRefresh } from '../restart.js';
import {
  RISKS,
  releasesFor,
  serviceApps,
  shortChannelName,
  snapCommands,
  type ChannelRequest,
  type StoreSnap,
} from '../catalog.js';
import { goDocFill, goTabwriter, snapSizeToStr } from '../format.js';
import type { InstalledSnap, Machine } from '../machine.js';
import {
  NotModelledError,
  Output,
  parseFlags,
  stringFlag,
  type FlagError,
  type FlagSpec,
  type ParsedArgs,
  type ProgramContext,
  type ProgramResult,
} from '../program.js';
import { installedSnap, placeSnap, removeSnap, resolveRelease } from '../snapd.js';
import { spend, type World } from '../world.js';

/** errorPrefix "error: %v\n"; messages are filled with go/doc to 79 columns, indented under the prefix. */
function snapError(out: Output, message: string): ProgramResult {
  out.stderr += `error: ${goDocFill(message, 7, 79)}\n`;
  return out.done(1);
}

/** go-flags error texts. */
function flagErrorText(error: FlagError): string {
  switch (error.kind) {
    case 'unknown-flag':
      return `unknown flag \`${error.flag.replace(/^--/, '')}'`;
    case 'unknown-shorthand':
      return `unknown flag \`${error.short}'`;
    case 'missing-value':
      return `expected argument for flag \`--${error.flag}'`;
    case 'bad-value':
      return `invalid argument for flag \`--${error.flag}' (expected ${error.type}): ${error.value}`;
  }
}

interface Escapes {
  tick: string;
}

/** unicodeMixin: `--unicode=auto` means Unicode only on a UTF-8 terminal; over plain ssh it is `**` (§10.1). */
function escapes(ctx: ProgramContext, parsed: ParsedArgs): Escapes {
  const mode = stringFlag(parsed, 'unicode', 'auto');
  const lang = ctx.env['LC_MESSAGES'] || ctx.env['LC_ALL'] || ctx.env['LANG'] || '';
  const unicode = mode === 'always' || (mode === 'auto' && ctx.tty && /UTF-?8/i.test(lang));
  return { tick: unicode ? '✓' : '**' };
}

function longPublisher(snap: StoreSnap, esc: Escapes): string {
  const badge = snap.publisher.validation === 'verified' ? esc.tick : '';
  return `${snap.publisher.displayName}${badge}`;
}

function shortPublisher(snap: StoreSnap | undefined, installed: InstalledSnap, esc: Escapes): string {
  const badge = snap?.publisher.validation === 'verified' ? esc.tick : '';
  return `${installed.publisher}${badge}`;
}

function requireRoot(ctx: ProgramContext, out: Output): ProgramResult | null {
  // snapd refuses state changes from non-root callers; the CLI adds the sudo hint (cmd/snap/error.go).
  return ctx.uid === 0 ? null : snapError(out, 'access denied (try with sudo)');
}

const COMMON_FLAGS: FlagSpec[] = [
  { name: 'unicode', type: 'string' },
  { name: 'color', type: 'string' },
  { name: 'no-wait', type: 'bool' },
  { name: 'help', short: 'h', type: 'bool' },
];

const CHANNEL_FLAGS: FlagSpec[] = [
  { name: 'channel', type: 'string' },
  { name: 'stable', type: 'bool' },
  { name: 'candidate', type: 'bool' },
  { name: 'beta', type: 'bool' },
  { name: 'edge', type: 'bool' },
  { name: 'cohort', type: 'string' },
  { name: 'classic', type: 'bool' },
  { name: 'devmode', type: 'bool' },
  { name: 'revision', type: 'string' },
];

/** channelMixin.setChannelFromCommandline: --edge etc. are shorthands and conflict with --channel. */
function requestedChannel(
  parsed: ParsedArgs,
): { ok: true; channel: string | null } | { ok: false; error: string } {
  const explicit: string[] = [];
  const channelFlag = stringFlag(parsed, 'channel');
  if (channelFlag) explicit.push(channelFlag);
  for (const risk of RISKS) if (parsed.flags[risk] === true) explicit.push(risk);
  if (explicit.length > 1) {
    return { ok: false, error: `Please specify a single channel` };
  }
  return { ok: true, channel: explicit[0] ?? null };
}

/** cmd/snap/error.go snapRevisionNotAvailableMessage for a channel the store does not serve. */
function channelNotAvailable(
  world: World,
  machine: Machine,
  snap: StoreSnap,
  request: ChannelRequest,
  action: string,
): string {
  const requested = shortChannelName(request);
  const full = `${request.track}/${request.risk}`;
  const releases = releasesFor(world.state.store, snap.name, machine.architecture);
  const riskLevel = (risk: string): number => RISKS.indexOf(risk as (typeof RISKS)[number]);
  const sameTrack = releases.filter((r) => r.track === request.track);
  const sameRisk = releases.filter(
    (r) => r.track !== request.track && riskLevel(request.risk) >= riskLevel(r.risk),
  );
  const option = (track: string, risk: string): string =>
    track === 'latest'
      ? `--${risk}`
      : risk === 'stable'
        ? `--channel=${track}`
        : `--channel=${track}/${risk}`;
  const table = (rows: { label: string; track: string; risk: string }[]): string => {
    const text = rows
      .map((r) => `${r.label}\tsnap ${action} ${option(r.track, r.risk)} ${snap.name}`)
      .join('\n');
    return goTabwriter(text, 11, 2)
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n');
  };
  const moreInfo = `Get more information with 'snap info ${snap.name}'.`;
  if (sameTrack.length > 0) {
    const rows = sameTrack.map((r) => ({ label: shortChannelName(r), track: r.track, risk: r.risk }));
    let message = `snap "${snap.name}" is not available on ${requested} but is available to install on the following channels:\n`;
    message += `${table(rows)}\n`;
    if (request.risk === 'stable') {
      message +=
        '\nPlease be mindful pre-release channels may include features not completely tested or implemented.';
    }
    return `${message}\n${moreInfo}`;
  }
  if (sameRisk.length > 0) {
    const rows = sameRisk.map((r) => ({ label: `${r.track}/${r.risk}`, track: r.track, risk: r.risk }));
    let message = `snap "${snap.name}" is not available on ${full} but is available to install on the following tracks:\n`;
    message += `${table(rows)}\n`;
    return `${message}\nPlease be mindful that different tracks may include different features.\n${moreInfo}`;
  }
  return `snap "${snap.name}" is not available on ${full} but other tracks exist.\n\n\nPlease be mindful that different tracks may include different features.\n${moreInfo}`;
}

function channelSuffix(request: ChannelRequest): string {
  // showDone prints the channel only when it is not plain "stable" (latest/stable).
  const name = shortChannelName(request);
  return name === 'stable' ? '' : ` (${name})`;
}

async function install(ctx: ProgramContext, args: string[]): Promise<ProgramResult> {
  const out = new Output();
  const parsed = parseFlags(args, [...COMMON_FLAGS, ...CHANNEL_FLAGS]);
  if (!parsed.ok) return snapError(out, flagErrorText(parsed.error));
  const names = parsed.parsed.positionals;
  if (names.length === 0)
    return snapError(out, 'the required argument `<snap> (at least 1 argument)` was not provided');
  const channel = requestedChannel(parsed.parsed);
  if (!channel.ok) return snapError(out, channel.error);
  if (names.length > 1 && channel.channel !== null) {
    return snapError(out, 'a single snap name is needed to specify channel flags');
  }
  const denied = requireRoot(ctx, out);
  if (denied) return denied;
  const esc = escapes(ctx, parsed.parsed);
  const cohortFlag = stringFlag(parsed.parsed, 'cohort');
  const cohort = cohortFlag === '' ? null : cohortFlag;
  const { world, machine } = ctx;
  for (const name of names) {
    const snap = world.state.store.snaps[name];
    if (!snap) return snapError(out, `snap "${name}" not found`);
  }
  for (const name of names) {
    const snap = world.state.store.snaps[name] as StoreSnap;
    if (installedSnap(machine, name)) {
      // Single snap: a non-error message on stderr, exit 0; several: "<name> already installed" on stdout.
      if (names.length === 1) out.eprintln(`snap "${name}" is already installed, see 'snap help refresh'`);
      else out.println(`${name} already installed`);
      continue;
    }
    const resolved = resolveRelease(world, machine, snap, channel.channel, cohort);
    if (!resolved.ok) {
      if (!resolved.request) {
        return snapError(
          out,
          `requested channel "${channel.channel ?? ''}" is not valid (see 'snap info ${name}' for valid ones)`,
        );
      }
      return snapError(out, channelNotAvailable(world, machine, snap, resolved.request, 'install'));
    }
    await spend(world, 'snap.install', ctx.signal);
    // Another session may have installed it while we waited; snapd serialises changes per snap.
    if (installedSnap(machine, name)) {
      return snapError(out, `snap "${name}" has "install-snap" change in progress`);
    }
    placeSnap(world, machine, snap, resolved.release, cohort);
    out.println(
      `${name}${channelSuffix(resolved.release.request)} ${resolved.release.revision.version} from ${longPublisher(snap, esc)} installed`,
    );
  }
  return out.done(0);
}

async function refresh(ctx: ProgramContext, args: string[]): Promise<ProgramResult> {
  const out = new Output();
  // --hold takes an optional value (forever by default); normalise `--hold` to `--hold=forever`.
  const normalised = args.map((arg) => (arg === '--hold' ? '--hold=forever' : arg));
  const parsed = parseFlags(normalised, [
    ...COMMON_FLAGS,
    ...CHANNEL_FLAGS,
    { name: 'hold', type: 'string' },
    { name: 'unhold', type: 'bool' },
    { name: 'leave-cohort', type: 'bool' },
    { name: 'list', type: 'bool' },
    { name: 'amend', type: 'bool' },
  ]);
  if (!parsed.ok) return snapError(out, flagErrorText(parsed.error));
  const { flags, given, positionals: names } = parsed.parsed;
  const { world, machine } = ctx;
  const holding = typeof flags['hold'] === 'string';
  const unholding = flags['unhold'] === true;
  if (holding || unholding) {
    const others = given.filter((flag) => !['hold', 'unhold', 'unicode', 'color', 'no-wait'].includes(flag));
    if (others.length > 0)
      return snapError(out, `cannot use --${holding ? 'hold' : 'unhold'} with other flags`);
    const denied = requireRoot(ctx, out);
    if (denied) return denied;
    for (const name of names) {
      if (!installedSnap(machine, name)) return snapError(out, `snap "${name}" is not installed`);
    }
    const targets = names.length > 0 ? names : machine.snaps.map((s) => s.name);
    for (const name of targets) (installedSnap(machine, name) as InstalledSnap).held = holding;
    const quoted = names.map((n) => `"${n}"`).join(', ');
    const duration = stringFlag(parsed.parsed, 'hold', 'forever');
    const when = duration === 'forever' ? 'indefinitely' : `until ${duration}`;
    if (holding)
      out.println(
        names.length === 0
          ? `Auto-refresh of all snaps held ${when}`
          : `General refreshes of ${quoted} held ${when}`,
      );
    else
      out.println(
        names.length === 0
          ? 'Removed auto-refresh hold on all snaps'
          : `Removed general refresh hold of ${quoted}`,
      );
    return out.done(0);
  }
  const channel = requestedChannel(parsed.parsed);
  if (!channel.ok) return snapError(out, channel.error);
  if (names.length !== 1 && channel.channel !== null) {
    return snapError(out, 'a single snap name is needed to specify mode or channel flags');
  }
  const denied = requireRoot(ctx, out);
  if (denied) return denied;
  const esc = escapes(ctx, parsed.parsed);
  const targets = names.length > 0 ? names : machine.snaps.map((s) => s.name);
  let changed = false;
  for (const name of targets) {
    const current = installedSnap(machine, name);
    if (!current) return snapError(out, `snap "${name}" is not installed`);
    const snap = world.state.store.snaps[name];
    if (!snap) continue;
    const cohortFlag = stringFlag(parsed.parsed, 'cohort');
    const cohort = flags['leave-cohort'] === true ? null : cohortFlag !== '' ? cohortFlag : current.cohort;
    const resolved = resolveRelease(world, machine, snap, channel.channel ?? current.tracking, cohort);
    if (!resolved.ok) {
      if (!resolved.request)
        return snapError(out, `requested channel "${channel.channel ?? ''}" is not valid`);
      return snapError(out, channelNotAvailable(world, machine, snap, resolved.request, 'refresh'));
    }
    const tracking = `${resolved.release.request.track}/${resolved.release.request.risk}`;
    const newRevision = resolved.release.revision.revision !== current.revision;
    const switched = tracking !== current.tracking;
    const cohortChanged = cohort !== current.cohort;
    if (!newRevision) {
      current.tracking = tracking;
      current.cohort = cohort;
      if (switched) out.println(`"${name}" switched to the "${tracking}" channel`);
      else if (cohortChanged && cohort !== null)
        out.println(`"${name}" switched to the "${cohort.slice(-10)}" cohort`);
      else if (cohortChanged) out.println(`"${name}" left the cohort`);
      else if (names.length > 0) out.eprintln(`snap "${name}" has no updates available`);
      continue;
    }
    await spend(world, 'snap.refresh', ctx.signal);
    current.version = resolved.release.revision.version;
    current.revision = resolved.release.revision.revision;
    current.tracking = tracking;
    current.cohort = cohort;
    changed = true;
    // snapd stops the snap's services, switches the revision and starts them again.
    restartAfterRefresh(world, machine, name);
    out.println(
      `${name}${channelSuffix(resolved.release.request)} ${current.version} from ${longPublisher(snap, esc)} refreshed`,
    );
  }
  if (names.length === 0 && !changed) out.eprintln('All snaps up to date.');
  return out.done(0);
}

/** Notes column (cmd/snap/notes.go order: type, …, in-cohort, …, held). */
function notes(snap: InstalledSnap): string {
  const parts: string[] = [];
  if (snap.type === 'base' || snap.type === 'snapd') parts.push(snap.type);
  if (snap.type === 'os') parts.push('core');
  if (snap.confinement === 'classic') parts.push('classic');
  if (snap.cohort !== null) parts.push('in-cohort');
  if (snap.held) parts.push('held');
  return parts.length === 0 ? '-' : parts.join(',');
}

function list(ctx: ProgramContext, args: string[]): ProgramResult {
  const out = new Output();
  const parsed = parseFlags(args, [...COMMON_FLAGS, { name: 'all', type: 'bool' }]);
  if (!parsed.ok) return snapError(out, flagErrorText(parsed.error));
  const esc = escapes(ctx, parsed.parsed);
  const wanted = parsed.parsed.positionals;
  const snaps = ctx.machine.snaps
    .filter((snap) => wanted.length === 0 || wanted.includes(snap.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  if (snaps.length === 0) {
    if (wanted.length === 0 && ctx.machine.snaps.length === 0) {
      out.eprintln("No snaps are installed yet. Try 'snap install hello-world'.");
      return out.done(0);
    }
    return snapError(out, 'no matching snaps installed');
  }
  const lines = ['Name\tVersion\tRev\tTracking\tPublisher\tNotes'];
  for (const snap of snaps) {
    const store = ctx.world.state.store.snaps[snap.name];
    lines.push(
      [
        snap.name,
        snap.version,
        String(snap.revision),
        snap.tracking,
        shortPublisher(store, snap, esc),
        notes(snap),
      ].join('\t'),
    );
  }
  out.println(goTabwriter(lines.join('\n'), 5, 2));
  return out.done(0);
}

function info(ctx: ProgramContext, args: string[]): ProgramResult {
  const out = new Output();
  const parsed = parseFlags(args, [
    ...COMMON_FLAGS,
    { name: 'verbose', type: 'bool' },
    { name: 'abs-time', type: 'bool' },
  ]);
  if (!parsed.ok) return snapError(out, flagErrorText(parsed.error));
  const esc = escapes(ctx, parsed.parsed);
  const names = parsed.parsed.positionals;
  if (names.length === 0)
    return snapError(out, 'the required argument `<snap> (at least 1 argument)` was not provided');
  const blocks: string[] = [];
  let found = 0;
  for (const name of names) {
    const snap = ctx.world.state.store.snaps[name];
    if (!snap) {
      if (names.length === 1) return snapError(out, `no snap found for "${name}"`);
      blocks.push(`warning:\tno snap found for "${name}"`);
      continue;
    }
    found++;
    const local = installedSnap(ctx.machine, name);
    const head: string[] = [
      `name:\t${snap.name}`,
      `summary:\t${snap.summary}`,
      `publisher:\t${longPublisher(snap, esc)}`,
      `store-url:\thttps://snapcraft.io/${snap.name}`,
      `license:\t${snap.license}`,
      'description: |',
      `  ${snap.description}`,
    ];
    if (local) {
      const commands = snapCommands(snap).filter((c) => !snap.aliases.includes(c));
      if (commands.length > 0) head.push('commands:', ...commands.map((c) => `  - ${c}`));
      const services = serviceApps(snap).map((app) => {
        const unit = ctx.machine.services[`${snap.name}.${app.name}`];
        return `  ${snap.name}.${app.name}:\t${app.daemon ?? 'simple'}, ${unit?.enabled ? 'enabled' : 'disabled'}, ${unit?.active ? 'active' : 'inactive'}`;
      });
      if (services.length > 0) head.push('services:', ...services);
    }
    const tail: string[] = [`snap-id:\t${snap.snapId}`];
    if (local) {
      tail.push(`tracking:\t${local.tracking}`);
      tail.push(`refresh-date:\t${new Date(local.installedAt).toISOString().slice(0, 10)}`);
      if (local.held) tail.push('hold:\tforever');
    }
    tail.push('channels:');
    const rows: string[] = [];
    const channels = releasesFor(ctx.world.state.store, snap.name, ctx.machine.architecture);
    for (const track of snap.tracks) {
      let open = false;
      for (const risk of RISKS) {
        const channel = channels.find((c) => c.track === track && c.risk === risk);
        const current = channel?.history.at(-1);
        if (channel && current) {
          open = true;
          rows.push(
            `  ${track}/${risk}:\t${current.version}\t${current.releasedAt}\t(${current.revision})\t${snapSizeToStr(current.sizeBytes)}\t-`,
          );
        } else {
          rows.push(`  ${track}/${risk}:\t${open ? '^' : '--'}\t\t\t\t`);
        }
      }
    }
    if (local) {
      const size =
        channels.flatMap((c) => c.history).find((rev) => rev.revision === local.revision)?.sizeBytes ?? 0;
      rows.push(
        `installed:\t${local.version}\t\t(${local.revision})\t${snapSizeToStr(size)}\t${notes(local)}`,
      );
    }
    blocks.push(`${goTabwriter(head.join('\n'), 2, 1)}\n${goTabwriter([...tail, ...rows].join('\n'), 2, 1)}`);
  }
  out.println(blocks.join('\n---\n'));
  if (found === 0) return snapError(out, 'no valid snaps given');
  return out.done(0);
}

function connect(ctx: ProgramContext, args: string[]): Promise<ProgramResult> {
  const out = new Output();
  const parsed = parseFlags(args, [...COMMON_FLAGS]);
  if (!parsed.ok) return Promise.resolve(snapError(out, flagErrorText(parsed.error)));
  const [plugSpec, slotSpec] = parsed.parsed.positionals;
  if (!plugSpec) {
    return Promise.resolve(snapError(out, 'the required argument `<snap>:<plug>` was not provided'));
  }
  const denied = requireRoot(ctx, out);
  if (denied) return Promise.resolve(denied);
  const [snapName = '', plugName = ''] = plugSpec.split(':');
  const snap = ctx.world.state.store.snaps[snapName];
  if (!installedSnap(ctx.machine, snapName) || !snap) {
    return Promise.resolve(snapError(out, `snap "${snapName}" is not installed`));
  }
  if (!snap.plugs.includes(plugName)) {
    // interfaces/repo.go Connect.
    return Promise.resolve(snapError(out, `snap "${snapName}" has no plug named "${plugName}"`));
  }
  const plug = `${snapName}:${plugName}`;
  const slot = slotSpec ?? `:${plugName}`;
  return spend(ctx.world, 'snap.connect', ctx.signal).then(() => {
    if (!ctx.machine.snapConnections.some((c) => c.plug === plug)) {
      ctx.machine.snapConnections.push({ plug, slot, connectedAt: ctx.world.clock.now() });
    }
    return out.done(0);
  });
}

function connections(ctx: ProgramContext, args: string[]): ProgramResult {
  const out = new Output();
  const parsed = parseFlags(args, [...COMMON_FLAGS, { name: 'all', type: 'bool' }]);
  if (!parsed.ok) return snapError(out, flagErrorText(parsed.error));
  const [only] = parsed.parsed.positionals;
  if (only && !installedSnap(ctx.machine, only)) return snapError(out, `snap "${only}" not found`);
  const rows = ctx.machine.snapConnections
    .filter((c) => !only || c.plug.startsWith(`${only}:`))
    .map((c) => `${c.plug.split(':')[1] ?? ''}\t${c.plug}\t${c.slot}\tmanual`);
  if (rows.length === 0) {
    out.eprintln(only ? `No connections found for snap "${only}"` : 'No connections found');
    return out.done(0);
  }
  out.println(goTabwriter(['Interface\tPlug\tSlot\tNotes', ...rows].join('\n'), 5, 2));
  return out.done(0);
}

/** `snap.app` or `snap` service specs to units; unknown ones fail like snapd. */
function selectUnits(
  ctx: ProgramContext,
  specs: string[],
): { ok: true; units: string[] } | { ok: false; error: string } {
  const units = Object.keys(ctx.machine.services).sort();
  if (specs.length === 0) return { ok: true, units };
  const selected: string[] = [];
  for (const spec of specs) {
    const [snapName = ''] = spec.split('.');
    if (!installedSnap(ctx.machine, snapName)) return { ok: false, error: `snap "${snapName}" not found` };
    const matching = units.filter(
      (unit) => unit === spec || (!spec.includes('.') && unit.startsWith(`${spec}.`)),
    );
    if (matching.length === 0)
      return { ok: false, error: `snap "${snapName}" has no service "${spec.split('.')[1] ?? ''}"` };
    selected.push(...matching);
  }
  return { ok: true, units: selected };
}

function services(ctx: ProgramContext, args: string[]): ProgramResult {
  const out = new Output();
  const parsed = parseFlags(args, [
    ...COMMON_FLAGS,
    { name: 'global', type: 'bool' },
    { name: 'user', type: 'bool' },
  ]);
  if (!parsed.ok) return snapError(out, flagErrorText(parsed.error));
  const selected = selectUnits(ctx, parsed.parsed.positionals);
  if (!selected.ok) return snapError(out, selected.error);
  if (selected.units.length === 0) {
    out.eprintln('There are no services provided by installed snaps.');
    return out.done(0);
  }
  const lines = ['Service\tStartup\tCurrent\tNotes'];
  for (const unit of selected.units) {
    const state = ctx.machine.services[unit];
    const [snapName = '', appName = ''] = unit.split('.');
    const app = ctx.world.state.store.snaps[snapName]?.apps.find((a) => a.name === appName);
    const note = snapName === 'microceph' && appName === 'log-rotate' ? 'timer-activated' : '-';
    lines.push(
      `${unit}\t${state?.enabled ? 'enabled' : 'disabled'}\t${state?.active ? 'active' : 'inactive'}\t${app ? note : '-'}`,
    );
  }
  out.println(goTabwriter(lines.join('\n'), 5, 2));
  return out.done(0);
}

async function serviceControl(
  ctx: ProgramContext,
  args: string[],
  action: 'start' | 'stop' | 'restart',
): Promise<ProgramResult> {
  const out = new Output();
  const parsed = parseFlags(args, [
    ...COMMON_FLAGS,
    { name: 'enable', type: 'bool' },
    { name: 'disable', type: 'bool' },
    { name: 'reload', type: 'bool' },
  ]);
  if (!parsed.ok) return snapError(out, flagErrorText(parsed.error));
  if (parsed.parsed.positionals.length === 0) {
    return snapError(out, 'the required argument `<service> (at least 1 argument)` was not provided');
  }
  const denied = requireRoot(ctx, out);
  if (denied) return denied;
  const selected = selectUnits(ctx, parsed.parsed.positionals);
  if (!selected.ok) return snapError(out, selected.error);
  await spend(ctx.world, 'snap.restart', ctx.signal);
  for (const unit of selected.units) {
    const state = ctx.machine.services[unit];
    if (!state) continue;
    state.active = action !== 'stop';
    if (parsed.parsed.flags['enable'] === true) state.enabled = true;
    if (parsed.parsed.flags['disable'] === true) state.enabled = false;
    // Restarting a daemon picks up interface connections made since it started (dm-crypt, §1.4).
    const [snapName = '', appName = ''] = unit.split('.');
    if (appName === 'daemon' && action !== 'stop') {
      const daemon = ctx.machine.daemons[snapName as 'microceph' | 'microovn' | 'microcloud' | 'lxd'];
      if (daemon) daemon.startedAt = ctx.world.clock.now();
    }
  }
  out.println(action === 'start' ? 'Started.' : action === 'stop' ? 'Stopped.' : 'Restarted.');
  return out.done(0);
}

function remove(ctx: ProgramContext, args: string[]): ProgramResult {
  const out = new Output();
  const parsed = parseFlags(args, [
    ...COMMON_FLAGS,
    { name: 'purge', type: 'bool' },
    { name: 'revision', type: 'string' },
  ]);
  if (!parsed.ok) return snapError(out, flagErrorText(parsed.error));
  const denied = requireRoot(ctx, out);
  if (denied) return denied;
  const names = parsed.parsed.positionals;
  if (names.length === 0) {
    return snapError(out, 'the required argument `<snap> (at least 1 argument)` was not provided');
  }
  // snapstate.RemoveMany checks every snap before it removes any (snapstate/errors.go InUseByErr).
  const staying = ctx.machine.snaps.filter((s) => !names.includes(s.name));
  for (const name of names) {
    if (!installedSnap(ctx.machine, name)) continue;
    const users = staying.filter((s) => s.base === name).map((s) => s.name);
    const why =
      name === 'snapd' && staying.length > 0
        ? 'remove all other snaps first'
        : users.length === 1
          ? `snap is being used by snap ${users[0]}.`
          : users.length > 1
            ? `snap is being used by snaps ${users.slice(0, -1).join(', ')} and ${users.at(-1)}.`
            : null;
    if (why !== null)
      return snapError(out, `cannot remove "${name}": snap "${name}" is not removable: ${why}`);
  }
  for (const name of names) {
    if (!installedSnap(ctx.machine, name)) {
      // showRemovedSnaps: names that were not removed are reported on stdout, exit 0.
      out.println(`${name} not installed`);
      continue;
    }
    removeSnap(ctx.machine, name);
    out.println(`${name} removed`);
  }
  return out.done(0);
}

/** `snap set SNAP key=value...`: values parse as JSON when they can, else they are strings (cmd_set.go). */
function setConfig(ctx: ProgramContext, args: string[]): ProgramResult {
  const out = new Output();
  const parsed = parseFlags(args, [...COMMON_FLAGS, { name: 'string', type: 'bool' }]);
  if (!parsed.ok) return snapError(out, flagErrorText(parsed.error));
  const [name, ...pairs] = parsed.parsed.positionals;
  if (name === undefined || pairs.length === 0)
    return snapError(
      out,
      'the required arguments `<snap>` and `<conf value> (at least 1 argument)` were not provided',
    );
  const values: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return snapError(out, `invalid configuration: ${JSON.stringify(pair)} (want key=value)`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    if (parsed.parsed.flags['string'] !== true) {
      try {
        value = JSON.parse(raw);
      } catch {
        value = raw;
      }
    }
    values[pair.slice(0, eq)] = value;
  }
  const snap = installedSnap(ctx.machine, name);
  if (!snap) return snapError(out, `snap ${JSON.stringify(name)} is not installed`);
  snap.config = { ...snap.config, ...values };
  return out.done(0);
}

/** `snap get SNAP key`: one key only (the listing forms are not modelled). */
function getConfig(ctx: ProgramContext, args: string[]): ProgramResult {
  const out = new Output();
  const parsed = parseFlags(args, COMMON_FLAGS);
  if (!parsed.ok) return snapError(out, flagErrorText(parsed.error));
  const [name, key, ...more] = parsed.parsed.positionals;
  if (name === undefined) return snapError(out, 'the required argument `<snap>` was not provided');
  if (key === undefined || more.length > 0) throw new NotModelledError('snap get without exactly one key');
  const snap = installedSnap(ctx.machine, name);
  if (!snap) return snapError(out, `snap ${JSON.stringify(name)} is not installed`);
  const value = snap.config?.[key];
  if (value === undefined)
    return snapError(out, `snap ${JSON.stringify(name)} has no ${JSON.stringify(key)} configuration option`);
  out.println(typeof value === 'string' ? value : JSON.stringify(value, null, '\t'));
  return out.done(0);
}

/** snapd subcommands that exist but are outside what the simulator models. */
const UNMODELLED = new Set([
  'abort',
  'ack',
  'alias',
  'aliases',
  'buy',
  'changes',
  'change',
  'create-cohort',
  'disable',
  'disconnect',
  'download',
  'enable',
  'find',
  'unset',
  'interface',
  'known',
  'login',
  'logout',
  'logs',
  'model',
  'pack',
  'prefer',
  'revert',
  'routine',
  'run',
  'save',
  'saved',
  'forget',
  'check-snapshot',
  'restore',
  'switch',
  'tasks',
  'try',
  'unalias',
  'version',
  'warnings',
  'okay',
  'watch',
  'whoami',
  'debug',
  'sign',
  'validate',
]);

export async function snapProgram(ctx: ProgramContext): Promise<ProgramResult> {
  const [command, ...args] = ctx.argv.slice(1);
  const out = new Output();
  switch (command) {
    case undefined:
      out.println('The snap command lets you install, configure, refresh and remove snaps.');
      return out.done(0);
    case 'install':
      return install(ctx, args);
    case 'refresh':
      return refresh(ctx, args);
    case 'list':
      return list(ctx, args);
    case 'info':
      return info(ctx, args);
    case 'connect':
      return connect(ctx, args);
    case 'connections':
      return connections(ctx, args);
    case 'services':
      return services(ctx, args);
    case 'start':
    case 'stop':
    case 'restart':
      return serviceControl(ctx, args, command);
    case 'remove':
      return remove(ctx, args);
    case 'set':
      return setConfig(ctx, args);
    case 'get':
      return getConfig(ctx, args);
    case 'wait':
      // `snap wait system seed.loaded`: the simulated image is always seeded.
      return out.done(0);
    default:
      if (UNMODELLED.has(command)) throw new NotModelledError(`snap ${command}`);
      return snapError(out, `unknown command "${command}", see 'snap help'.`);
  }
}
