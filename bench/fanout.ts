// Fan-out and sequential-step timings of mc against plain ssh with ControlMaster, on real sshd hosts
// on loopback. Run as root: `npm run build && node --import tsx bench/fanout.ts [hosts] [runs]`.
// Reports medians (min-max) in milliseconds. Not part of `npm test`.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startLoopbackLab } from '../src/lab/openssh.js';
import { Redactor } from '../src/output/redact.js';
import { Connection } from '../src/transport/connection.js';
import { Credentials } from '../src/transport/credentials.js';
import { KnownHostsVerifier } from '../src/transport/host-keys.js';

const hostCount = Number(process.argv[2] ?? 10);
const runs = Number(process.argv[3] ?? 5);
const STEPS = 10;
const MC = new URL('../dist/cli.js', import.meta.url).pathname;

const readFile = (path: string): Buffer | undefined => {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
};

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return `${median.toFixed(0)} ms (${(sorted[0] ?? 0).toFixed(0)}-${(sorted.at(-1) ?? 0).toFixed(0)})`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-'));
  chmodSync(dir, 0o755);
  // The lab's own login user has a clean home: root's login files here cost ~90 ms a command (lab.md §1c).
  const lab = await startLoopbackLab({ count: hostCount, baseDir: dir, subnet: 9 });
  const user = lab.user;
  try {
    const inventory = join(dir, 'hosts.yml');
    writeFileSync(
      inventory,
      `all:\n  vars:\n    ansible_user: ${user}\n    ansible_ssh_private_key_file: ${lab.clientKeyPath}\n  hosts:\n${lab.hosts
        .map((h) => `    ${h.name}: { ansible_host: ${h.address}, ansible_port: ${h.port} }\n`)
        .join('')}`,
    );
    const sshBase = [
      '-o',
      'BatchMode=yes',
      '-o',
      `UserKnownHostsFile=${lab.knownHostsPath}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-i',
      lab.clientKeyPath,
      '-l',
      user,
    ];
    const controlPath = (i: number): string => join(dir, `cm-${i}`);
    const ssh = (i: number, args: string[]): Promise<unknown> => {
      const host = lab.hosts[i]!;
      return execa('ssh', [
        ...sshBase,
        '-o',
        `ControlPath=${controlPath(i)}`,
        '-p',
        String(host.port),
        host.address,
        ...args,
      ]);
    };
    const openMasters = (): Promise<unknown> =>
      Promise.all(
        lab.hosts.map((_, i) => ssh(i, ['-o', 'ControlMaster=yes', '-o', 'ControlPersist=60', '-fN'])),
      );
    const closeMasters = (): Promise<unknown> =>
      Promise.all(
        lab.hosts.map((_, i) =>
          execa('ssh', ['-o', `ControlPath=${controlPath(i)}`, '-O', 'exit', 'x'], { reject: false }),
        ),
      );

    const results: Record<string, number[]> = {
      'mc run -- true (cold, CLI start-up and connects included)': [],
      'ssh ControlMaster: open masters + one true per host (cold)': [],
      [`mc transport: connect + ${STEPS} sequential commands per host`]: [],
      [`ssh ControlMaster: open masters + ${STEPS} sequential commands per host`]: [],
      [`ssh ControlMaster: ${STEPS} sequential commands per host (masters already open)`]: [],
    };
    const keys = Object.keys(results);
    for (let run = 0; run < runs; run += 1) {
      results[keys[0]!]!.push(
        await timed(() =>
          execa('node', [
            MC,
            'run',
            '-i',
            inventory,
            '--known-hosts',
            lab.knownHostsPath,
            '-o',
            'plain',
            '--',
            'true',
          ]),
        ),
      );
      results[keys[1]!]!.push(
        await timed(async () => {
          await openMasters();
          await Promise.all(lab.hosts.map((_, i) => ssh(i, ['true'])));
        }),
      );
      await closeMasters();

      results[keys[2]!]!.push(
        await timed(async () => {
          const verifier = new KnownHostsVerifier({
            files: [lab.knownHostsPath],
            policy: 'strict',
            readFile,
          });
          const credentials = new Credentials({ readFile, redactor: new Redactor() });
          await Promise.all(
            lab.hosts.map(async (h) => {
              const conn = await Connection.open(
                {
                  label: h.name,
                  address: h.address,
                  port: h.port,
                  user,
                  hostKeyName: h.address,
                  identityFiles: [{ path: lab.clientKeyPath, explicit: true }],
                  jumps: [],
                  keepaliveIntervalMs: 15000,
                  keepaliveCountMax: 3,
                  readyTimeoutMs: 10000,
                },
                verifier,
                credentials,
              );
              for (let s = 0; s < STEPS; s += 1) await conn.exec('true', { timeoutMs: 10000 });
              conn.close();
            }),
          );
        }),
      );
      results[keys[3]!]!.push(
        await timed(async () => {
          await openMasters();
          await Promise.all(
            lab.hosts.map(async (_, i) => {
              for (let s = 0; s < STEPS; s += 1) await ssh(i, ['true']);
            }),
          );
        }),
      );
      results[keys[4]!]!.push(
        await timed(() =>
          Promise.all(
            lab.hosts.map(async (_, i) => {
              for (let s = 0; s < STEPS; s += 1) await ssh(i, ['true']);
            }),
          ),
        ),
      );
      await closeMasters();
    }
    console.log(`${hostCount} hosts, ${runs} runs, median (min-max):`);
    for (const key of keys) console.log(`  ${key}: ${summary(results[key]!)}`);
  } finally {
    await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
