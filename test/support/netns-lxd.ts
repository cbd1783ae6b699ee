// The namespace lab with real LXD (Debian's 5.0.2 in each host's namespaces): the CLI run on its inventory,
// and what its hosts hold (processes), for the tests that deploy an LXD-only cluster there.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { NamespaceLab } from '../../src/lab/netns.js';
import { labInventoryLines } from '../../src/lab/sim-netns.js';
import { MC } from './deploy-lab.js';

/** LXD only. Debian ships LXD 5.0, below mc's default floor of 5.21: the floor is lowered, not faked. */
export const LXD_ONLY = ['cluster:', '  services: {microceph: false, microovn: false}'];
export const FLOOR_50 = '  lxd_min_version: "5.0"';

export function writeInventory(lab: NamespaceLab, cluster: string[], sshOptions: string[] = []): void {
  writeFileSync(
    join(lab.dir, 'hosts.yaml'),
    [...labInventoryLines(lab, sshOptions), ...cluster, ''].join('\n'),
  );
}

export interface McResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The real CLI on the lab's inventory: `mc COMMAND -i hosts.yaml -o plain ARGS...`. */
export async function mcOnLab(
  lab: NamespaceLab,
  [command = '', ...args]: string[],
  timeoutMs = 150_000,
): Promise<McResult> {
  const started = Date.now();
  const options = ['-i', join(lab.dir, 'hosts.yaml'), '-o', 'plain'];
  const r = await execa('node', [MC, command, ...options, ...args], {
    reject: false,
    stdin: 'ignore',
    timeout: timeoutMs,
    // The run logs go into the lab's directory, removed with the lab.
    env: { CI: 'true', HOME: '/nonexistent', XDG_CACHE_HOME: lab.dir },
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

/** `[host] line` output of `mc run` on one host, without the prefix. */
export function linesOf(host: string, stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith(`[${host}] `) && !l.startsWith(`[${host}] >> `))
    .map((l) => l.slice(host.length + 3));
}

/** Every process inside the lab's hosts (sshd, the LXD daemons, their sessions), with its host and name. */
export async function labProcesses(
  lab: NamespaceLab,
): Promise<{ pid: number; comm: string; host: string }[]> {
  const pids = await Promise.all(
    lab.hosts.map(async (h) => ({
      host: h.name,
      out: (await execa('ip', ['netns', 'pids', h.netns], { reject: false })).stdout,
    })),
  );
  return pids.flatMap(({ host, out }) =>
    out
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .map((pid) => ({ pid, host, comm: procField(pid, 'comm') ?? '' })),
  );
}

/** The LXD daemon of one lab host. */
export async function lxdPid(lab: NamespaceLab, host: string): Promise<number> {
  const found = (await labProcesses(lab)).find((p) => p.host === host && p.comm === 'lxd');
  if (found === undefined) throw new Error(`no LXD daemon runs on ${host}`);
  return found.pid;
}

/** /proc/PID/comm, or the state letter of /proc/PID/stat; undefined once the process is gone. */
export function procField(pid: number, field: 'comm' | 'state'): string | undefined {
  try {
    if (field === 'comm') return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/**
 * What the machine still holds of a lab after stop: namespaces, links, processes started from its directory,
 * and any process that ran inside it (the LXD daemons' command lines do not name the lab). A zombie waiting
 * for init to reap it holds nothing.
 */
export async function leftovers(
  lab: NamespaceLab,
  inside: { pid: number; comm: string }[],
): Promise<string[]> {
  const netns = (await execa('ip', ['netns', 'list'])).stdout
    .split('\n')
    .filter((l) => l.includes(`mc${lab.id}`));
  const links = (await execa('ip', ['-o', 'link'])).stdout.split('\n').filter((l) => l.includes(lab.id));
  const procs = (await execa('pgrep', ['-f', lab.dir], { reject: false })).stdout.split('\n').filter(Boolean);
  const alive = inside
    .filter(({ pid, comm }) => procField(pid, 'comm') === comm && procField(pid, 'state') !== 'Z')
    .map(({ pid, comm }) => `${comm} ${pid}`);
  return [...netns, ...links, ...procs, ...alive];
}
