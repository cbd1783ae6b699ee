// Ready-made worlds: N fresh Ubuntu VMs as cloud images boot them (snapd seeded, on 22.04 the lxd 5.0 snap).

import type { Clock } from './clock.js';
import { defaultMachine, type DefaultMachineOptions, type UbuntuRelease } from './machine.js';
import { seedImageSnaps } from './snapd.js';
import { createWorld, type LatencyTable, type World } from './world.js';

export interface SimLabOptions {
  /** Host names, or a count (micro1..microN). Default three hosts. */
  hosts?: string[] | number;
  release?: UbuntuRelease;
  clock?: Clock;
  latency?: Partial<LatencyTable>;
  seed?: string;
  multicast?: boolean;
  /** Per-host machine options (disks, addresses, hostname overrides). */
  machine?: (name: string, index: number) => DefaultMachineOptions;
  /** Seed the image snaps (snapd, and lxd 5.0 on 22.04); default true. */
  seedSnaps?: boolean;
}

export function createSimLab(options: SimLabOptions = {}): World {
  const hosts =
    typeof options.hosts === 'number'
      ? Array.from({ length: options.hosts }, (_, i) => `micro${i + 1}`)
      : (options.hosts ?? ['micro1', 'micro2', 'micro3']);
  const machines = hosts.map((name, i) =>
    defaultMachine(name, i + 1, {
      ...(options.release ? { release: options.release } : {}),
      ...options.machine?.(name, i + 1),
    }),
  );
  const world = createWorld(machines, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.latency ? { latency: options.latency } : {}),
    ...(options.seed ? { seed: options.seed } : {}),
    ...(options.multicast !== undefined ? { multicast: options.multicast } : {}),
  });
  if (options.seedSnaps ?? true) {
    for (const machine of machines) {
      const lxd = options.machine?.(machine.name, hosts.indexOf(machine.name) + 1).preinstalledLxd;
      seedImageSnaps(world, machine, lxd === undefined ? {} : { preinstalledLxd: lxd });
    }
  }
  return world;
}
