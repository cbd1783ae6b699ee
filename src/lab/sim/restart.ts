// A refreshed snap's daemon restarts (snapd stops the snap's services, switches the revision and starts them
// again). For a moment the daemon does not answer on its own host, and its peers keep seeing the member
// offline until its next heartbeat reaches them: LXD marks a member Offline when its heartbeat is older than
// cluster.offline_threshold; microcluster shows a member it cannot reach as UNREACHABLE. Modelled with two
// latencies (`daemon.restart`, `cluster.heartbeat`, both 0 unless a test sets them) and the daemon's `backAt`,
// which only a refresh sets: down before it, seen offline until a heartbeat after it. A fresh install is not
// a restart and keeps its own timing.

import type { DaemonName, Machine } from './machine.js';
import type { World } from './world.js';

const DAEMON_SNAPS: readonly DaemonName[] = ['lxd', 'microceph', 'microovn', 'microcloud'];

export function isDaemonSnap(name: string): name is DaemonName {
  return (DAEMON_SNAPS as readonly string[]).includes(name);
}

/** After `snap refresh` switched the revision: the daemon comes back `daemon.restart` ms from now. */
export function restartAfterRefresh(world: World, machine: Machine, snap: string): void {
  if (!isDaemonSnap(snap)) return;
  const daemon = machine.daemons[snap];
  if (!daemon) return;
  daemon.backAt = world.clock.now() + world.latency['daemon.restart'];
  daemon.startedAt = daemon.backAt;
}

/** When the daemon answers again, or null when it is not restarting (or not there). */
export function restartingUntil(world: World, machine: Machine, snap: DaemonName): number | null {
  const backAt = machine.daemons[snap]?.backAt;
  return backAt !== undefined && backAt > world.clock.now() ? backAt : null;
}

/** Whether the member's peers see it offline: restarting, or back but not yet heard from. */
export function seenOffline(world: World, machine: Machine | undefined, snap: DaemonName): boolean {
  const backAt = machine?.daemons[snap]?.backAt;
  return backAt !== undefined && world.clock.now() < backAt + world.latency['cluster.heartbeat'];
}

/** The client's error while the daemon's socket is gone (lxd client connection.go; Go's net.OpError). */
export function daemonDownError(snap: DaemonName): string {
  if (snap === 'lxd') {
    const socket = '/var/snap/lxd/common/lxd/unix.socket';
    return `Error: LXD unix socket "${socket}" not accessible: Get "http://unix.socket/1.0": dial unix ${socket}: connect: connection refused`;
  }
  const socket = `/var/snap/${snap}/common/state/control.socket`;
  return `Error: Get "http://control.socket/core/1.0/cluster": dial unix ${socket}: connect: connection refused`;
}
