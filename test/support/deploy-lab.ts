// Shared by the embedded-lab deploy tests: a lab per scenario, its inventory, and the real CLI.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { startEmbeddedLab } from '../../src/lab/embedded/lab.js';
import type { EmbeddedLab } from '../../src/lab/embedded/lab.js';
import { labInventory } from '../../src/lab/embedded/serve.js';
import { createProgramRunner, createSimLab, realClock } from '../../src/lab/sim/index.js';
import type { World } from '../../src/lab/sim/index.js';
import { MC } from './mc-bin.js';
import { tempDir } from './system.js';

export { MC };

export const DISK = (n: number): string => `/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk${n}`;

export interface Lab {
  world: World;
  lab: EmbeddedLab;
  dir: string;
  inventory(cluster: string, hosts?: string[]): string;
  mc(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

// A subnet per lab, different in each test file (they may run side by side).
let subnet = 40 + (process.pid % 40) * 5;
export async function startLab(names: string[]): Promise<Lab> {
  const scratch = tempDir('mc-deploy');
  const world = createSimLab({ hosts: names, clock: realClock() });
  const lab = await startEmbeddedLab({
    names,
    dir: join(scratch.path, 'lab'),
    runner: createProgramRunner(world),
    subnet: subnet++,
  });
  const file = join(scratch.path, 'hosts.yaml');
  return {
    world,
    lab,
    dir: scratch.path,
    inventory(cluster, hosts = names) {
      const base = labInventory(
        lab.hosts.filter((h) => hosts.includes(h.name)),
        lab.clientKeyPath,
        lab.knownHostsPath,
        'ubuntu',
      );
      writeFileSync(file, `${base}${cluster}`);
      return file;
    },
    async mc(...args) {
      // Plain output unless the test asks for another.
      const output = args.includes('-o') ? [] : ['-o', 'plain'];
      const r = await execa('node', [MC, ...args, '-i', file, ...output], {
        reject: false,
        stdin: 'ignore',
        // The run logs go to the scratch directory, removed with the lab.
        env: { XDG_CACHE_HOME: scratch.path },
      });
      return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    async stop() {
      await lab.stop();
      scratch.remove();
    },
  };
}

/**
 * Every service, local and Ceph disks, an OVN uplink. `engine`: 'direct' turns MicroCloud off, so mc forms
 * the cluster itself (the direct engine); by default MicroCloud forms it.
 */
export const FULL = (
  hosts: string[],
  cephOn = hosts,
  engine: 'microcloud' | 'direct' = 'microcloud',
): string =>
  [
    'cluster:',
    ...(engine === 'direct' ? ['  services: {microcloud: false}'] : []),
    '  systems:',
    ...hosts.flatMap((h) => [
      `    ${h}:`,
      '      ovn_uplink_interface: enp6s0',
      '      storage:',
      `        local: ${DISK(1)}`,
      ...(cephOn.includes(h) ? [`        ceph: [{path: ${DISK(2)}, wipe: true}]`] : ['        ceph: []']),
    ]),
    '  ovn:',
    '    ipv4_gateway: 10.1.124.1/24',
    '    ipv4_range: 10.1.124.100-10.1.124.254',
    '    dns_servers: 10.1.124.1',
    '  ceph:',
    '    cephfs: true',
    '',
  ].join('\n');

/** The commands that changed something on a host (everything but reads). */
export function mutations(world: World): string[] {
  return world.records
    .map((r) => r.argv.join(' '))
    .filter((c) =>
      /^(snap (install|refresh)|microceph (cluster bootstrap|disk add|pool set-rf)|curl .*-X POST|lxd init|lxc (config set|storage create|network create|profile device add|storage volume create|cluster add))/.test(
        c,
      ),
    );
}
