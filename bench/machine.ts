// What the numbers were measured on: the machine and every program's version.
import { readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { execa } from 'execa';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memory: string;
  kernel: string;
  loadAtStart: string;
  node: string;
  mc: string;
  openssh: string;
  ansible: string;
  python: string;
}

const ROOT = new URL('..', import.meta.url).pathname;

async function output(file: string, args: string[]): Promise<string> {
  const r = await execa(file, args, { reject: false, cwd: ROOT, stdin: 'ignore' });
  if (r.failed && r.exitCode === undefined) return 'not installed';
  return `${r.stdout}\n${r.stderr}`.trim();
}

export async function machineInfo(): Promise<MachineInfo> {
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const totalKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? NaN);
  const commit = await output('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = (await output('git', ['status', '--porcelain', '--untracked-files=no'])) !== '';
  const version = (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory: `${(totalKb / 1024 / 1024).toFixed(1)} GiB`,
    kernel: `${(await output('uname', ['-sr'])) || release()}`,
    loadAtStart: loadAverage(),
    node: process.version,
    mc: `${version} (commit ${commit}${dirty ? ', with uncommitted changes' : ''})`,
    openssh: (await output('ssh', ['-V'])).split('\n')[0] ?? '',
    ansible: (await output('ansible', ['--version'])).split('\n')[0] ?? '',
    python: await output('/usr/bin/python3', ['--version']),
  };
}

/** The 1, 5 and 15 minute load averages: anything else running makes the numbers worse. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
