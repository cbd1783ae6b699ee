// The snapd model: installing, refreshing and removing snaps on a machine, including the side effects a real
// install has (base snaps pulled in, service units created, the snap's daemon started uninitialised).

import {
  parseChannel,
  resolveRevision,
  serviceApps,
  type ChannelRequest,
  type StoreChannel,
  type StoreRevision,
  type StoreSnap,
} from './catalog.js';
import type { InstalledSnap, Machine, MicroclusterServiceName } from './machine.js';
import { freshDaemon } from './microcluster.js';
import { emptyLxdDatabase, fakeCertificate, type World } from './world.js';

const MICROCLUSTER_SNAPS: readonly MicroclusterServiceName[] = ['microceph', 'microovn', 'microcloud'];

export function installedSnap(machine: Machine, name: string): InstalledSnap | undefined {
  return machine.snaps.find((snap) => snap.name === name);
}

export function isSnapInstalled(machine: Machine, name: string): boolean {
  return installedSnap(machine, name) !== undefined;
}

/** Unit states a fresh install creates: `install-mode: disable` services stay off (snapcraft.yaml). */
function createServiceUnits(machine: Machine, snap: StoreSnap): void {
  for (const app of serviceApps(snap)) {
    const unit = `${snap.name}.${app.name}`;
    // Oneshot services (lxd.activate, log-rotate) ran and exited: enabled but inactive.
    const active = !app.startsDisabled && app.daemon !== 'oneshot';
    machine.services[unit] = { enabled: !app.startsDisabled, active };
  }
}

function startDaemon(world: World, machine: Machine, name: string): void {
  if ((MICROCLUSTER_SNAPS as readonly string[]).includes(name)) {
    machine.daemons[name as MicroclusterServiceName] = freshDaemon(world);
  } else if (name === 'lxd') {
    machine.daemons.lxd = {
      clusterId: null,
      serverName: null,
      config: {},
      standalone: emptyLxdDatabase(),
      certificate: fakeCertificate(world),
      clientConfigured: [],
      startedAt: world.clock.now(),
    };
  }
}

export interface ResolvedRelease {
  request: ChannelRequest;
  channel: StoreChannel;
  revision: StoreRevision;
}

/** Channel text to what the store would serve this machine now (or at the cohort epoch). */
export function resolveRelease(
  world: World,
  machine: Machine,
  snap: StoreSnap,
  channelText: string | null,
  cohort: string | null,
): { ok: true; release: ResolvedRelease } | { ok: false; request: ChannelRequest | null } {
  const request = parseChannel(channelText ?? snap.defaultTrack, snap.defaultTrack);
  if (!request) return { ok: false, request: null };
  const served = resolveRevision(world.state.store, snap.name, request, machine.architecture, {
    at: world.clock.now(),
    cohort,
  });
  if (!served) return { ok: false, request };
  return { ok: true, release: { request, ...served } };
}

/** Records the snap as installed (and its base, if missing), creates its units and starts its daemon. */
export function placeSnap(
  world: World,
  machine: Machine,
  snap: StoreSnap,
  release: ResolvedRelease,
  cohort: string | null,
): InstalledSnap {
  if (snap.base && !isSnapInstalled(machine, snap.base)) {
    const base = world.state.store.snaps[snap.base];
    if (base) {
      const baseRelease = resolveRelease(world, machine, base, null, null);
      if (baseRelease.ok) placeSnap(world, machine, base, baseRelease.release, null);
    }
  }
  const installed: InstalledSnap = {
    name: snap.name,
    version: release.revision.version,
    revision: release.revision.revision,
    tracking: `${release.request.track}/${release.request.risk}`,
    publisher: snap.publisher.username,
    type: snap.type,
    confinement: snap.confinement,
    base: snap.base,
    held: false,
    cohort,
    installedAt: world.clock.now(),
  };
  machine.snaps.push(installed);
  createServiceUnits(machine, snap);
  startDaemon(world, machine, snap.name);
  return installed;
}

/**
 * Installs snaps directly, without running a command: for building scenarios (a host that already has
 * microceph, the lxd 5.0 snap of a 22.04 image). Throws if a channel does not resolve.
 */
export function preinstallSnap(
  world: World,
  machine: Machine,
  name: string,
  channel: string | null = null,
  options: { cohort?: string | null; held?: boolean } = {},
): InstalledSnap {
  const snap = world.state.store.snaps[name];
  if (!snap) throw new Error(`unknown snap ${name}`);
  if (isSnapInstalled(machine, name)) throw new Error(`${name} is already installed on ${machine.name}`);
  const resolved = resolveRelease(world, machine, snap, channel, options.cohort ?? null);
  if (!resolved.ok) throw new Error(`snap ${name} has no release for channel ${channel ?? '(default)'}`);
  const installed = placeSnap(world, machine, snap, resolved.release, options.cohort ?? null);
  installed.held = options.held ?? false;
  return installed;
}

/** The usual state of a fresh image: snapd (and on 22.04 the lxd 5.0 snap with core22, §7). */
export function seedImageSnaps(
  world: World,
  machine: Machine,
  options: { preinstalledLxd?: boolean } = {},
): void {
  if (!isSnapInstalled(machine, 'snapd')) preinstallSnap(world, machine, 'snapd');
  const lxd = options.preinstalledLxd ?? machine.os.versionId === '22.04';
  if (lxd && !isSnapInstalled(machine, 'lxd')) preinstallSnap(world, machine, 'lxd', '5.0/stable');
}

export function removeSnap(machine: Machine, name: string): void {
  machine.snaps = machine.snaps.filter((snap) => snap.name !== name);
  machine.snapConnections = machine.snapConnections.filter(
    (c) => !c.plug.startsWith(`${name}:`) && !c.slot.startsWith(`${name}:`),
  );
  for (const unit of Object.keys(machine.services)) {
    if (unit.startsWith(`${name}.`)) delete machine.services[unit];
  }
  if (name === 'lxd') delete machine.daemons.lxd;
  if ((MICROCLUSTER_SNAPS as readonly string[]).includes(name))
    delete machine.daemons[name as MicroclusterServiceName];
}
