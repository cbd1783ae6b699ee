// The benchmark's hosts: one namespace lab (src/lab/netns.ts: a network namespace per host with its
// own real OpenSSH sshd, root logins with a clean home) shared by every part, and Ansible-format
// inventories of its first N hosts that mc and Ansible both read, so both tools see the same file.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NamespaceLab } from '../src/lab/netns.js';
import { startSimNamespaceLab } from '../src/lab/sim-netns.js';
import type { LatencyTable, World } from '../src/lab/sim/index.js';

export interface BenchLab {
  lab: NamespaceLab;
  /** The simulated world behind the hosts' snap, microceph... shims, with its record of every command. */
  world: World;
  /** The lab's hosts, in order: h1..hN. */
  hosts: NamespaceLab['hosts'];
  /** Path of an Ansible YAML inventory of the first `count` hosts (written once, then reused). */
  inventory(count: number): string;
  stop(): Promise<void>;
}

export function hostNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `h${i + 1}`);
}

export interface SimOptions {
  /** Modelled durations of the simulated programs (REALISTIC_LATENCY for real-world ones). */
  latency?: Partial<LatencyTable>;
  /** Real time per modelled time: 0.1 runs a 20 s snap install in 2 s. */
  timeScale?: number;
}

export async function startBenchLab(count: number, baseDir: string, sim: SimOptions = {}): Promise<BenchLab> {
  // The simulated machines behind the shims (snap, lsblk...) `mc probe` calls; `true` is real bash.
  const { lab, world } = await startSimNamespaceLab({
    names: hostNames(count),
    baseDir,
    ...(sim.latency === undefined ? {} : { latency: sim.latency }),
    ...(sim.timeScale === undefined ? {} : { timeScale: sim.timeScale }),
  });
  const written = new Map<number, string>();
  return {
    lab,
    world,
    hosts: lab.hosts,
    inventory: (n) => {
      if (n > lab.hosts.length) throw new Error(`the lab has ${lab.hosts.length} hosts, not ${n}`);
      let path = written.get(n);
      if (path === undefined) {
        path = join(lab.dir, `inventory-${n}.yml`);
        writeFileSync(path, ansibleInventory(lab, n));
        written.set(n, path);
      }
      return path;
    },
    stop: () => lab.stop(),
  };
}

/**
 * Host keys are checked the same way by all three tools: the lab's known_hosts, strictly (mc reads
 * these -o options from ansible_ssh_common_args as Ansible's ssh does). The Python interpreter is
 * named, which spares Ansible its interpreter discovery round trip: a choice in Ansible's favour.
 */
export function ansibleInventory(lab: NamespaceLab, count: number): string {
  return [
    'all:',
    '  vars:',
    '    ansible_user: root',
    `    ansible_ssh_private_key_file: ${lab.clientKeyPath}`,
    `    ansible_ssh_common_args: -o UserKnownHostsFile=${lab.knownHostsPath} -o StrictHostKeyChecking=yes`,
    '    ansible_python_interpreter: /usr/bin/python3',
    '  hosts:',
    ...lab.hosts.slice(0, count).map((h) => `    ${h.name}: { ansible_host: ${h.address} }`),
    '',
  ].join('\n');
}
