// The process behind `mc lab up`: owns the simulated world and the hosts' SSH servers until SIGTERM.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { createProgramRunner, createSimLab, realClock, REALISTIC_LATENCY } from '../sim/index.js';
import { startEmbeddedLab } from './lab.js';

export interface LabServeOptions {
  dir: string;
  hosts: number;
  inventoryPath: string;
  /** Use the simulator's realistic latencies (snap install 20 s...), scaled by `timeScale`. */
  realistic: boolean;
  timeScale: number;
}

/** What `mc lab status` and `mc lab down` read back. */
export interface LabState {
  pid: number;
  dir: string;
  inventory: string;
  knownHosts: string;
  startedAt: string;
  hosts: { name: string; address: string; port: number }[];
}

export const STATE_FILE = 'lab.json';

export function hostNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `node${i + 1}`);
}

export async function serveLab(options: LabServeOptions): Promise<void> {
  const names = hostNames(options.hosts);
  const world = createSimLab({
    hosts: names,
    clock: realClock({ scale: options.timeScale }),
    ...(options.realistic ? { latency: REALISTIC_LATENCY } : {}),
  });
  const lab = await startEmbeddedLab({ names, dir: options.dir, runner: createProgramRunner(world) });
  mkdirSync(dirname(options.inventoryPath), { recursive: true });
  writeFileSync(
    options.inventoryPath,
    labInventory(lab.hosts, lab.clientKeyPath, lab.knownHostsPath, userInfo().username),
  );
  const state: LabState = {
    pid: process.pid,
    dir: options.dir,
    inventory: options.inventoryPath,
    knownHosts: lab.knownHostsPath,
    startedAt: new Date().toISOString(),
    hosts: lab.hosts.map(({ name, address, port }) => ({ name, address, port })),
  };
  // Written last: its presence means the lab is ready.
  writeFileSync(join(options.dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);

  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await lab.stop();
  rmSync(join(options.dir, STATE_FILE), { force: true });
  rmSync(lab.socketPath, { force: true });
}

export function labInventory(
  hosts: readonly { name: string; address: string; port: number }[],
  keyPath: string,
  knownHostsPath: string,
  user: string,
): string {
  return [
    '# Written by `mc lab up`: simulated hosts on loopback. `mc lab down` stops them.',
    'defaults:',
    `  user: ${user}`,
    `  key: ${keyPath}`,
    '  become: true',
    '  ssh_options:',
    `    UserKnownHostsFile: ${knownHostsPath}`,
    'hosts:',
    ...hosts.map((h) => `  ${h.name}: { address: ${h.address}, port: ${h.port} }`),
    '',
  ].join('\n');
}
