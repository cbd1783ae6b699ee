// What a fresh Ubuntu host says about itself: hostname, uname, nproc, and the files and links that
// describe the modelled machine (/etc/os-release, /etc/hostname, /proc/meminfo, /dev/disk/by-*).
// `cat` and `find` answer from the model for those paths only; for any other path they run the real
// program on the lab machine, which is the host's filesystem in the lab.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Machine } from '../machine.js';
import { NotModelledError, Output, type ProgramContext, type ProgramResult } from '../program.js';

const run = promisify(execFile);

export async function hostnameProgram(ctx: ProgramContext): Promise<ProgramResult> {
  await Promise.resolve();
  const out = new Output();
  const args = ctx.argv.slice(1);
  if (args.length === 0 || args.every((a) => a === '-s' || a === '--short' || a === '-f' || a === '--fqdn')) {
    out.println(ctx.machine.hostname);
    return out.done(0);
  }
  if (args.length === 1 && (args[0] === '-I' || args[0] === '--all-ip-addresses')) {
    const addresses = ctx.machine.nics.flatMap((n) => n.addresses.map((a) => a.address.split('/')[0] ?? ''));
    out.println(
      `${addresses.filter((a) => !a.startsWith('fe80') && a !== '127.0.0.1' && a !== '::1').join(' ')} `,
    );
    return out.done(0);
  }
  // Setting the name, or flags the model cannot answer.
  throw new NotModelledError(`hostname ${args.join(' ')}`);
}

/** uname's fields, in the order `uname -a` prints them. */
function unameFields(machine: Machine): Record<string, string> {
  const machineName = machine.architecture === 'arm64' ? 'aarch64' : 'x86_64';
  return {
    s: 'Linux',
    n: machine.hostname,
    r: machine.kernel,
    v: `#${machine.kernel.split('-')[1] ?? '1'}-Ubuntu SMP PREEMPT_DYNAMIC`,
    m: machineName,
    p: machineName,
    i: machineName,
    o: 'GNU/Linux',
  };
}

export async function unameProgram(ctx: ProgramContext): Promise<ProgramResult> {
  await Promise.resolve();
  const out = new Output();
  const fields = unameFields(ctx.machine);
  const letters: string[] = [];
  for (const arg of ctx.argv.slice(1)) {
    if (arg === '-a' || arg === '--all') letters.push('s', 'n', 'r', 'v', 'm', 'o');
    else if (/^-[snrvmpio]+$/.test(arg)) letters.push(...arg.slice(1));
    else {
      out.eprintln(`uname: invalid option -- '${arg.replace(/^-+/, '')}'`);
      out.eprintln("Try 'uname --help' for more information.");
      return out.done(1);
    }
  }
  const order = ['s', 'n', 'r', 'v', 'm', 'p', 'i', 'o'];
  const wanted = letters.length === 0 ? ['s'] : order.filter((l) => letters.includes(l));
  out.println(wanted.map((l) => fields[l] ?? '').join(' '));
  return out.done(0);
}

export async function nprocProgram(ctx: ProgramContext): Promise<ProgramResult> {
  await Promise.resolve();
  const out = new Output();
  out.println(String(ctx.machine.cpus));
  return out.done(0);
}

/** The files the model defines; every other path is the lab machine's own. */
function modelledFile(machine: Machine, path: string): string | undefined {
  switch (path) {
    case '/etc/hostname':
      return `${machine.hostname}\n`;
    case '/etc/os-release': {
      const os = machine.os;
      return [
        `PRETTY_NAME="${os.prettyName}"`,
        'NAME="Ubuntu"',
        `VERSION_ID="${os.versionId}"`,
        `VERSION="${os.prettyName.replace(/^Ubuntu /, '').replace(' LTS', ` LTS (${codenameTitle(os.versionCodename)})`)}"`,
        `VERSION_CODENAME=${os.versionCodename}`,
        'ID=ubuntu',
        'ID_LIKE=debian',
        'HOME_URL="https://www.ubuntu.com/"',
        'SUPPORT_URL="https://help.ubuntu.com/"',
        'BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"',
        'PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"',
        `UBUNTU_CODENAME=${os.versionCodename}`,
        'LOGO=ubuntu-logo',
        '',
      ].join('\n');
    }
    case '/proc/meminfo': {
      const kib = Math.floor(machine.memoryBytes / 1024);
      const line = (key: string, value: number): string =>
        `${`${key}:`.padEnd(16)}${String(value).padStart(8)} kB`;
      return `${[
        line('MemTotal', kib),
        line('MemFree', Math.floor(kib * 0.8)),
        line('MemAvailable', Math.floor(kib * 0.9)),
        line('SwapTotal', 0),
        line('SwapFree', 0),
      ].join('\n')}\n`;
    }
    default:
      return undefined;
  }
}

function codenameTitle(codename: string): string {
  return codename === 'noble' ? 'Noble Numbat' : 'Jammy Jellyfish';
}

export async function catProgram(ctx: ProgramContext): Promise<ProgramResult> {
  const files = ctx.argv.slice(1);
  if (files.length === 0 || files.some((f) => f.startsWith('-'))) {
    if (files.length === 0) return { stdout: ctx.stdin, stderr: '', exitCode: 0 };
    return realProgram('cat', files, ctx);
  }
  const modelled = files.map((f) => modelledFile(ctx.machine, f));
  if (modelled.every((m) => m !== undefined)) return { stdout: modelled.join(''), stderr: '', exitCode: 0 };
  if (modelled.every((m) => m === undefined)) return realProgram('cat', files, ctx);
  // Mixed: keep the order, each part from where it lives.
  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  for (const [i, file] of files.entries()) {
    const text = modelled[i];
    if (text !== undefined) stdout += text;
    else {
      const r = await realProgram('cat', [file], ctx);
      stdout += r.stdout;
      stderr += r.stderr;
      if (r.exitCode !== 0) exitCode = r.exitCode;
    }
  }
  return { stdout, stderr, exitCode };
}

const DISK_DIRS = ['/dev/disk/by-id', '/dev/disk/by-path'];

/** `find` over /dev/disk/by-* lists the modelled links; the -printf form mc uses is the one modelled. */
export async function findProgram(ctx: ProgramContext): Promise<ProgramResult> {
  const args = ctx.argv.slice(1);
  const starts = args.filter((a, i) => !a.startsWith('-') && (i === 0 || !args[i - 1]?.startsWith('-')));
  if (starts.length === 0 || !starts.every((s) => DISK_DIRS.includes(s.replace(/\/$/, '')))) {
    return realProgram('find', args, ctx);
  }
  const printf = args[args.indexOf('-printf') + 1];
  if (!args.includes('-printf') || printf !== '%p %l\\n') {
    throw new NotModelledError(`find ${args.join(' ')} (only -printf '%p %l\\n' over /dev/disk/by-*)`);
  }
  const out = new Output();
  for (const dir of starts) {
    const byId = dir.endsWith('by-id');
    for (const disk of ctx.machine.blockDevices) {
      const names = byId ? disk.byId : disk.byPath;
      for (const name of names) out.println(`${dir}/${name} ../../${disk.name}`);
      for (const part of disk.partitions) {
        for (const name of names) out.println(`${dir}/${name}-part${part.number} ../../${part.name}`);
      }
    }
  }
  return out.done(0);
}

async function realProgram(program: string, args: string[], ctx: ProgramContext): Promise<ProgramResult> {
  try {
    const { stdout, stderr } = await run(program, args, {
      maxBuffer: 64 * 1024 * 1024,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    });
    return { stdout, stderr, exitCode: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number | string };
    return {
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
      exitCode: typeof e.code === 'number' ? e.code : 1,
    };
  }
}
