// mc inventory from-vagrant: `vagrant ssh-config` in a Vagrant project, turned into an mc inventory; with
// --record-host-keys the machines' host keys recorded once and checked from then on; with --cluster a
// cluster section chosen from the machines' probed facts.
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { parseClusterSpec } from '../domain/cluster/spec.js';
import { suggestClusterSection } from '../domain/cluster/suggest.js';
import type { UplinkNetwork } from '../domain/cluster/suggest.js';
import { designCluster, formatDeployIssue } from '../domain/cluster/validate.js';
import type { HostFacts } from '../domain/facts/index.js';
import { DEFAULT_INPUT_LIMITS, decodeInput } from '../domain/input/index.js';
import { InputError } from '../domain/input-error.js';
import { formatIssue } from '../domain/inventory/issues.js';
import {
  parseVagrantSshConfig,
  parseVagrantStatus,
  vagrantInventory,
} from '../domain/inventory/vagrant-ssh-config.js';
import type { VagrantMachine } from '../domain/inventory/vagrant-ssh-config.js';
import { loadInventory } from './load-inventory.js';
import { ping } from './ping.js';
import { probe } from './probe.js';
import { startRun } from './runtime.js';
import type { Io, RunOptions } from './runtime.js';

export interface FromVagrantOptions {
  /** The Vagrant project (where `vagrant` runs). */
  dir: string;
  cluster: boolean;
  recordHostKeys: boolean;
  /** Seconds for each vagrant command: it loads Ruby and every plugin, slow on a busy machine. */
  vagrantTimeout: number;
  /** Settings of the SSH run (--cluster, --record-host-keys). */
  run: Pick<RunOptions, 'output' | 'timeout' | 'connectTimeout' | 'connectRetries' | 'forks' | 'logFile'>;
  /** The network behind the uplink NICs; undefined: no OVN uplink (MicroCloud's FAN fallback). */
  uplinkNetwork?: UplinkNetwork;
}

export interface FromVagrantResult {
  inventory: string;
  /** What --cluster could not choose, for stderr. */
  notes: string[];
  /** Problems `mc plan` will find in the cluster section (written all the same, to be edited). */
  problems: string[];
}

/** Exit status 1 instead of InputError's 2: the input was fine, a host was not. */
export class FromVagrantHostError extends Error {}

export async function inventoryFromVagrant(options: FromVagrantOptions, io: Io): Promise<FromVagrantResult> {
  const dir = resolve(io.cwd, options.dir);
  const machines = await vagrantMachines(dir, options.vagrantTimeout, io);
  if (!options.cluster && !options.recordHostKeys) {
    return { inventory: vagrantInventory(machines, { directory: dir }), notes: [], problems: [] };
  }

  const knownHostsFile = options.recordHostKeys
    ? join(projectRoot(machines, dir), '.vagrant', 'mc_known_hosts')
    : undefined;
  // Keys go to a new file that replaces the old one only once every machine answered: a re-created VM
  // has a new key, and an old file must neither block recording nor be half rewritten.
  const recording = knownHostsFile === undefined ? undefined : `${knownHostsFile}.new`;
  const scratch = mkdtempSync(join(tmpdir(), 'mc-from-vagrant-'));
  try {
    if (recording !== undefined) rmSync(recording, { force: true });
    const connectFile = join(scratch, 'hosts.yaml');
    writeFileSync(
      connectFile,
      vagrantInventory(machines, {
        directory: dir,
        ...(recording === undefined ? {} : { hostKeys: { file: recording, policy: 'accept-new' as const } }),
      }),
    );
    // Progress goes to stderr: stdout is the inventory (`> hosts.yaml`).
    const runIo: Io = { ...io, stdout: io.stderr };
    const runFlags: RunOptions = {
      ...options.run,
      inventory: connectFile,
      acceptNew: false,
      askPass: false,
      askBecomePass: false,
    };
    const run = await startRun('from-vagrant', runFlags, runIo);
    const probes = await run.settle(
      (async () => {
        if (!options.cluster) {
          await ping(run.session);
          return undefined;
        }
        return probe(run.session, { allowVeth: false });
      })(),
    );
    const ok = await run.finish();
    if (!ok) {
      throw new FromVagrantHostError('not every machine answered (see above): no inventory written');
    }
    if (recording !== undefined && knownHostsFile !== undefined) renameSync(recording, knownHostsFile);

    let cluster: string | undefined;
    const notes: string[] = [];
    const problems: string[] = [];
    if (probes !== undefined) {
      const suggested = suggestClusterSection(
        run.hosts.flatMap((h) => probes.get(h.name) ?? []),
        options.uplinkNetwork,
      );
      cluster = suggested.yaml;
      notes.push(...suggested.notes);
    }
    const inventory = vagrantInventory(machines, {
      directory: dir,
      ...(knownHostsFile === undefined ? {} : { hostKeys: { file: knownHostsFile, policy: 'yes' as const } }),
      ...(cluster === undefined ? {} : { cluster }),
    });
    if (probes !== undefined) {
      const facts = new Map([...probes].map(([host, probed]) => [host, probed.facts]));
      problems.push(...(await designProblems(scratch, inventory, facts, io)));
    }
    return { inventory, notes, problems };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    if (recording !== undefined) rmSync(recording, { force: true });
  }
}

/** The written section, checked as `mc plan` will check it: every problem, for stderr. */
async function designProblems(
  scratch: string,
  text: string,
  facts: Map<string, HostFacts>,
  io: Io,
): Promise<string[]> {
  const file = join(scratch, 'with-cluster.yaml');
  writeFileSync(file, text);
  // Positions name the inventory on stdout, which is this very text.
  const named = (line: string): string => line.replaceAll(`${file}:`, 'inventory:');
  const loaded = await loadInventory(file, io.env);
  if (!loaded.ok) return loaded.issues.map(formatIssue).map(named);
  const spec = parseClusterSpec(loaded.inventory);
  if (!spec.ok) return spec.issues.map(formatDeployIssue).map(named);
  const design = designCluster(loaded.inventory, spec.spec, facts);
  return design.ok ? [] : design.issues.map(formatDeployIssue).map(named);
}

/** Vagrant writes keys under <project>/.vagrant/machines/; the project may be a parent of --dir. */
function projectRoot(machines: readonly VagrantMachine[], dir: string): string {
  for (const machine of machines) {
    const key = machine.identityFiles[0];
    const at = key?.indexOf('/.vagrant/machines/') ?? -1;
    if (key !== undefined && at > 0) return key.slice(0, at);
  }
  return existsSync(join(dir, '.vagrant')) ? dir : dirname(join(dir, '.vagrant'));
}

async function vagrantMachines(dir: string, timeoutSeconds: number, io: Io): Promise<VagrantMachine[]> {
  const source = 'vagrant ssh-config';
  const result = await vagrant(['ssh-config'], dir, timeoutSeconds, io);
  if (result.exitCode !== 0) {
    if (/not yet ready for SSH/.test(result.stderr)) {
      const status = await vagrant(['status', '--machine-readable'], dir, timeoutSeconds, io);
      const down = parseVagrantStatus(new TextDecoder().decode(status.stdout)).filter(
        (m) => m.state !== 'running',
      );
      const which =
        down.length === 0
          ? 'a machine is not ready for SSH'
          : down.map((m) => `${m.name} is ${m.description} (${m.provider})`).join(', ');
      throw new InputError([`${source} in ${dir}: ${which}: run \`vagrant up\` there, then this again`]);
    }
    throw new InputError([
      `${source} in ${dir} failed (exit status ${result.exitCode}): ${excerpt(result.stderr)}`,
    ]);
  }
  // Through the bounded reader, like every input: size, UTF-8, no NUL.
  const decoded = decodeInput(source, result.stdout, DEFAULT_INPUT_LIMITS, 'output');
  if (!decoded.ok) throw new InputError([formatIssue(decoded.issue)]);
  const parsed = parseVagrantSshConfig(decoded.text, source);
  if (!parsed.ok) throw new InputError(parsed.issues.map(formatIssue));
  return parsed.machines;
}

async function vagrant(
  args: string[],
  dir: string,
  timeoutSeconds: number,
  io: Io,
): Promise<{ exitCode: number; stdout: Uint8Array; stderr: string }> {
  if (!existsSync(dir)) throw new InputError([`--dir ${dir}: no such directory`]);
  const result = await execa('vagrant', args, {
    cwd: dir,
    env: { ...io.env, VAGRANT_CHECKPOINT_DISABLE: '1', VAGRANT_NO_COLOR: '1' },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: timeoutSeconds * 1000,
    // Bytes, for the bounded reader; one byte over its limit is enough to know the output is too big
    // (ssh-config of 80 machines is about 40 KiB).
    encoding: 'buffer',
    maxBuffer: { stdout: DEFAULT_INPUT_LIMITS.maxBytes + 1, stderr: 1024 * 1024 },
  });
  if (result.isMaxBuffer) return { exitCode: 0, stdout: result.stdout, stderr: '' };
  if (result.failed && result.exitCode === undefined) {
    const code = (result as { code?: string }).code;
    if (code === 'ENOENT') {
      throw new InputError([
        'vagrant is not installed (not found on PATH): install it (Debian, Ubuntu: apt-get install vagrant vagrant-libvirt), then run this again',
      ]);
    }
    if (result.timedOut) {
      throw new InputError([
        `\`vagrant ${args.join(' ')}\` in ${dir} did not finish within ${timeoutSeconds} s: check \`vagrant status\` there, or raise --vagrant-timeout`,
      ]);
    }
    throw new InputError([`cannot run vagrant: ${result.shortMessage}`]);
  }
  return {
    exitCode: result.exitCode ?? 1,
    stdout: result.stdout,
    stderr: new TextDecoder().decode(result.stderr),
  };
}

/** Vagrant's message on one line: its first paragraph, cut short if long. */
function excerpt(text: string): string {
  const paragraph = text.trim().split(/\n\s*\n/)[0] ?? '';
  const joined = paragraph
    .split('\n')
    .map((line) => line.trim())
    .join(' ');
  if (joined === '') return 'no message';
  return joined.length > 400 ? `${joined.slice(0, 400)}...` : joined;
}
