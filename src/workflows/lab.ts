// mc lab up | status | down: the embedded lab as a background process the user can start and stop.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { InputError } from '../domain/input-error.js';
import { STATE_FILE } from '../lab/embedded/serve.js';
import type { LabState } from '../lab/embedded/serve.js';
import { isListening } from '../lab/ports.js';

export interface LabPaths {
  dir: string;
  inventory: string;
}

export function labPaths(cwd: string, dir?: string, inventory?: string): LabPaths {
  return {
    dir: resolve(cwd, dir ?? '.mc/lab'),
    inventory: resolve(cwd, inventory ?? 'inventories/lab.yaml'),
  };
}

export function readLabState(paths: LabPaths): LabState | undefined {
  const file = join(paths.dir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as LabState;
}

/** True when pid is alive and is our lab server for this directory (PIDs are reused: check first). */
export function isLabProcess(pid: number, dir: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('serve') && argv.includes('lab') && argv.includes(dir);
  } catch {
    return false;
  }
}

export interface LabUpOptions {
  hosts: number;
  realistic: boolean;
  timeScale: number;
}

export async function labUp(paths: LabPaths, options: LabUpOptions): Promise<LabState> {
  const existing = readLabState(paths);
  if (existing !== undefined && isLabProcess(existing.pid, paths.dir)) {
    throw new InputError([
      `a lab is already running from ${paths.dir} (pid ${existing.pid}); run mc lab down first`,
    ]);
  }
  // A state file left by a lab that died is stale: start afresh.
  rmSync(paths.dir, { recursive: true, force: true });
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const log = openSync(join(paths.dir, 'lab.log'), 'a');
  const mc = fileURLToPath(new URL('../../bin/mc.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      mc,
      'lab',
      'serve',
      '--dir',
      paths.dir,
      '--hosts',
      String(options.hosts),
      '--inventory-file',
      paths.inventory,
      '--time-scale',
      String(options.timeScale),
      ...(options.realistic ? ['--realistic'] : []),
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  child.unref();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const state = readLabState(paths);
    if (state !== undefined) return state;
    const code = await Promise.race([exited, sleep(50).then(() => 'waiting' as const)]);
    if (code !== 'waiting') {
      const log = readFileSync(join(paths.dir, 'lab.log'), 'utf8').trim().split('\n').slice(-3).join(' | ');
      throw new Error(`the lab server exited (status ${code}): ${log}`);
    }
  }
  throw new Error(`the lab did not start within 30 s; see ${join(paths.dir, 'lab.log')}`);
}

export interface LabHostStatus {
  name: string;
  address: string;
  port: number;
  listening: boolean;
}

export async function labStatus(
  paths: LabPaths,
): Promise<{ state: LabState; hosts: LabHostStatus[] } | undefined> {
  const state = readLabState(paths);
  if (state === undefined || !isLabProcess(state.pid, paths.dir)) return undefined;
  const hosts = await Promise.all(
    state.hosts.map(async (h) => ({ ...h, listening: await isListening(h.address, h.port) })),
  );
  return { state, hosts };
}

/** Stops the lab server by PID, after checking it is ours; returns false when none was running. */
export async function labDown(paths: LabPaths): Promise<boolean> {
  const state = readLabState(paths);
  if (state === undefined) return false;
  if (!isLabProcess(state.pid, paths.dir)) {
    rmSync(paths.dir, { recursive: true, force: true });
    rmSync(paths.inventory, { force: true });
    return false;
  }
  process.kill(state.pid, 'SIGTERM');
  for (let i = 0; i < 100 && isLabProcess(state.pid, paths.dir); i += 1) await sleep(50);
  if (isLabProcess(state.pid, paths.dir)) process.kill(state.pid, 'SIGKILL');
  rmSync(paths.dir, { recursive: true, force: true });
  rmSync(paths.inventory, { force: true });
  return true;
}
