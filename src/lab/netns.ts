// The namespace lab (root): each host is a network namespace with its own hostname and private mounts,
// a real OpenSSH sshd, a management NIC with an address and an uplink NIC without one, each a veth on
// a bridge of its own. The snap world is simulated (shims on PATH, served by this process); LXD can be
// real: Debian's daemon is started inside the host when `snap install lxd` succeeds there (lab.md §2-3).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import type { ProgramOutcome, ProgramRunner } from './embedded/ssh-host.js';
import { generateEd25519 } from './keys.js';
import { descendants } from './openssh.js';
import { isListening, waitListening } from './ports.js';
import { startProgramServer } from './program-server.js';
import type { ProgramServer } from './program-server.js';
import { syncShims } from './shims.js';

export interface NamespaceHost {
  name: string;
  address: string;
  /** Network namespace name (`ip netns exec NAME ...`). */
  netns: string;
  dir: string;
  /** sshd -D, the host's first process: other daemons join its namespaces with nsenter. */
  sshdPid: number;
}

export interface NamespaceLab {
  id: string;
  dir: string;
  hosts: NamespaceHost[];
  /** Management network, e.g. 10.77.23.0/24; this machine is .1 on it. */
  cidr: string;
  clientKeyPath: string;
  knownHostsPath: string;
  /** Real faults: cut or restore a host's management link. */
  setLink(name: string, state: 'up' | 'down'): Promise<void>;
  /**
   * Real faults: caps the host's management NIC at `kbit` (tc tbf); undefined lifts the cap. (tc netem,
   * for delay and loss, is not built into this machine's kernel: CONFIG_NET_SCH_NETEM is unset.)
   */
  limitRate(name: string, kbit: number | undefined): Promise<void>;
  /** Kills the host's sshd and every session it serves: connections drop, new ones are refused. */
  killSshd(name: string): Promise<void>;
  /** Starts the host's sshd again after killSshd, with the same identity and state, once it listens. */
  restartSshd(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface NamespaceLabOptions {
  names: string[];
  baseDir: string;
  runner: ProgramRunner;
  /** Start Debian's LXD inside a host when `snap install lxd` succeeds there, and leave lxc/lxd real. */
  realLxd?: boolean;
  /** Third octet of the 10.77.X.0/24 management network; see pickSubnet(). */
  subnet: number;
}

/**
 * A management network for one run, picked at random among those no lab on this machine uses yet (another
 * lab's bridge on the same /24 would take this lab's traffic), so that runs can share the machine.
 */
export function pickSubnet(): number {
  const used = subnetsInUse();
  const free = Array.from({ length: 250 }, (_, i) => i + 1).filter((n) => !used.has(n));
  const pool = free.length > 0 ? free : [1 + Math.floor(Math.random() * 250)];
  return pool[Math.floor(Math.random() * pool.length)] ?? 1;
}

/** Third octets of the 10.77.X.0/24 networks that have an address on this machine. */
function subnetsInUse(): Set<number> {
  try {
    const out = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
    return new Set([...out.matchAll(/\binet 10\.77\.(\d+)\./g)].map((m) => Number(m[1])));
  } catch {
    return new Set();
  }
}

/** The address each host gets: the simulated machines must be built with the same ones. */
export function namespaceAddresses(names: readonly string[], subnet: number): Map<string, string> {
  return new Map(names.map((name, i) => [name, `10.77.${subnet}.${11 + i}`]));
}

/** Programs that are real on a namespace host: the kernel's NICs, and LXD when it runs for real. */
const REAL_PROGRAMS = new Set(['ip']);
const REAL_LXD_PROGRAMS = new Set(['lxc', 'lxd']);

export async function startNamespaceLab(options: NamespaceLabOptions): Promise<NamespaceLab> {
  // Names unique to this run: two runs can share the machine.
  const id = randomBytes(3).toString('hex');
  const subnet = options.subnet;
  const cidr = `10.77.${subnet}.0/24`;
  const dir = join(options.baseDir, `mc-netns-${id}`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const bridge = `mcb${id}`;
  const uplinkBridge = `mcu${id}`;
  const client = generateEd25519('mc-lab-client');
  const clientKeyPath = join(dir, 'id_ed25519');
  writeFileSync(clientKeyPath, client.privateKey, { mode: 0o600 });
  const socketPath = join(dir, 'programs.sock');
  const addresses = namespaceAddresses(options.names, subnet);

  const hosts: NamespaceHost[] = [];
  const lxdPids = new Map<string, number>();
  let programServer: ProgramServer | undefined;
  const lab: NamespaceLab = {
    id,
    dir,
    hosts,
    cidr,
    clientKeyPath,
    knownHostsPath: join(dir, 'known_hosts'),
    setLink: async (name, state) => {
      await ip(['-n', host(name).netns, 'link', 'set', 'enp5s0', state]);
    },
    limitRate: async (name, kbit) => {
      const tc = ['netns', 'exec', host(name).netns, 'tc', 'qdisc'];
      await execa('ip', [...tc, 'del', 'dev', 'enp5s0', 'root'], { reject: false });
      if (kbit !== undefined) {
        await ip([
          ...tc,
          'add',
          'dev',
          'enp5s0',
          'root',
          'tbf',
          'rate',
          `${kbit}kbit`,
          'burst',
          '1600',
          'latency',
          '5s',
        ]);
      }
    },
    killSshd: (name) => {
      const { sshdPid } = host(name);
      // Parents first, as a dying host would: no session gets to report an exit status.
      for (const pid of [sshdPid, ...descendants(sshdPid).reverse()]) signal(pid, 'SIGKILL');
      return Promise.resolve();
    },
    restartSshd: async (name) => {
      const target = host(name);
      // A killed sshd's socket closes with it, zombie or not: something listening is an sshd still up.
      if (await isListening(target.address, 22)) throw new Error(`${name}: sshd is still running`);
      target.sshdPid = launchSshd(target);
      await waitListening(target.address, 22, 10_000);
    },
    stop: async () => {
      await programServer?.close();
      for (const [name, pid] of lxdPids) {
        // `lxd shutdown` stops its containers; dnsmasq and friends are caught by the netns sweep below.
        const target = hosts.find((h) => h.name === name);
        if (target !== undefined && isProcess(pid, 'lxd')) {
          await execa(
            'nsenter',
            ['-t', String(target.sshdPid), '-n', '-m', '-u', 'lxd', 'shutdown', '--timeout', '10'],
            {
              reject: false,
              timeout: 15_000,
            },
          );
          if (isProcess(pid, 'lxd')) signal(pid, 'SIGKILL');
        }
      }
      for (const h of hosts) if (isProcess(h.sshdPid, 'sshd')) signal(h.sshdPid, 'SIGTERM');
      for (const h of hosts) {
        // Anything still inside the namespace (sessions, dnsmasq) keeps it alive: end it.
        const { stdout } = await execa('ip', ['netns', 'pids', h.netns], { reject: false });
        for (const pid of stdout.split('\n').filter(Boolean)) signal(Number(pid), 'SIGKILL');
        await execa('ip', ['netns', 'del', h.netns], { reject: false });
      }
      for (const link of [
        bridge,
        uplinkBridge,
        ...hosts.flatMap((_, i) => [`mcm${id}${i}`, `mcv${id}${i}`]),
      ]) {
        await execa('ip', ['link', 'del', link], { reject: false });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const host = (name: string): NamespaceHost => {
    const found = hosts.find((h) => h.name === name);
    if (found === undefined) throw new Error(`no lab host ${name}`);
    return found;
  };

  try {
    await ip(['link', 'add', bridge, 'type', 'bridge']);
    await ip(['addr', 'add', `10.77.${subnet}.1/24`, 'dev', bridge]);
    await ip(['link', 'set', bridge, 'up']);
    await ip(['link', 'add', uplinkBridge, 'type', 'bridge']);
    await ip(['link', 'set', uplinkBridge, 'up']);
    for (const dirName of ['/run/sshd', '/run/mc-lab', '/var/lib/lxd', '/var/log/lxd'])
      mkdirSync(dirName, { recursive: true });

    const programs = (name: string): string[] =>
      options.runner
        .programs(name)
        .filter((p) => !REAL_PROGRAMS.has(p) && !(options.realLxd === true && REAL_LXD_PROGRAMS.has(p)));
    programServer = await startProgramServer(socketPath, options.runner, {
      afterCall: async (name, argv, outcome) => {
        syncShims(join(dir, name, 'sbin'), programs(name));
        if (options.realLxd === true && installedLxd(argv, outcome) && !lxdPids.has(name)) {
          lxdPids.set(name, await startLxd(host(name)));
        }
        // snapd's service control, on the real daemon: a stop waits for it to end (systemd's stop timeout,
        // shortened), a start starts it unless it runs.
        const control = options.realLxd === true ? lxdServiceControl(argv, outcome) : undefined;
        const pid = lxdPids.get(name);
        if (control !== undefined && pid !== undefined) {
          if (control !== 'start') await stopLxd(pid);
          if (control !== 'stop' && (!isProcess(pid, 'lxd') || isZombie(pid)))
            lxdPids.set(name, await startLxd(host(name)));
        }
      },
      dropConnections: (name) => {
        // A simulated drop: end the host's SSH sessions, as a broken network would.
        for (const pid of descendants(host(name).sshdPid)) signal(pid, 'SIGKILL');
      },
    });

    for (const [i, name] of options.names.entries()) {
      const address = addresses.get(name) ?? '';
      const netns = `mc${id}h${i}`;
      const hostDir = join(dir, name);
      for (const sub of ['sbin', 'run', 'root/.ssh', 'lxd', 'lxdlog', 'cache', 'lock'])
        mkdirSync(join(hostDir, sub), { recursive: true });
      chmodSync(join(hostDir, 'lock'), 0o1777);
      writeFileSync(join(hostDir, 'hostname'), `${name}\n`);
      writeFileSync(
        join(hostDir, 'hosts'),
        ['127.0.0.1 localhost', ...[...addresses].map(([n, a]) => `${a} ${n}`), ''].join('\n'),
      );
      writeFileSync(join(hostDir, 'run', 'host'), `${name}\n${socketPath}\n`);
      writeFileSync(join(hostDir, 'root', '.ssh', 'authorized_keys'), `${client.publicKey}\n`, {
        mode: 0o600,
      });
      const hostKey = generateEd25519(name);
      writeFileSync(join(hostDir, 'ssh_host_ed25519_key'), hostKey.privateKey, { mode: 0o600 });
      writeFileSync(join(hostDir, 'ssh_host_ed25519_key.pub'), `${hostKey.publicKey}\n`);
      syncShims(join(hostDir, 'sbin'), programs(name));
      writeFileSync(join(hostDir, 'sshd_config'), sshdConfig(address, hostDir, name, socketPath));

      await ip(['netns', 'add', netns]);
      // Management NIC and uplink NIC, named as the simulated machine names them.
      await ip(['link', 'add', `mcm${id}${i}`, 'type', 'veth', 'peer', 'name', 'enp5s0', 'netns', netns]);
      await ip(['link', 'set', `mcm${id}${i}`, 'master', bridge, 'up']);
      await ip(['link', 'add', `mcv${id}${i}`, 'type', 'veth', 'peer', 'name', 'enp6s0', 'netns', netns]);
      await ip(['link', 'set', `mcv${id}${i}`, 'master', uplinkBridge, 'up']);
      await ip(['-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'enp5s0']);
      for (const link of ['lo', 'enp5s0', 'enp6s0']) await ip(['-n', netns, 'link', 'set', link, 'up']);

      const started = { name, address, netns, dir: hostDir, sshdPid: 0 };
      started.sshdPid = launchSshd(started);
      hosts.push(started);
    }
    await Promise.all(hosts.map((h) => waitListening(h.address, 22, 10_000)));
    writeFileSync(
      lab.knownHostsPath,
      hosts
        .map((h) => `${h.address} ${readFileSync(join(h.dir, 'ssh_host_ed25519_key.pub'), 'utf8').trim()}\n`)
        .join(''),
    );
    return lab;
  } catch (err) {
    await lab.stop();
    throw err;
  }
}

/** The host's private files, bind-mounted over the machine's in the host's own mount namespace. */
function mountsOf(hostDir: string): string {
  return [
    ['hostname', '/etc/hostname'],
    ['hosts', '/etc/hosts'],
    ['root', '/root'],
    ['sbin', '/usr/local/sbin'],
    ['run', '/run/mc-lab'],
    ['lxd', '/var/lib/lxd'],
    ['lxdlog', '/var/log/lxd'],
    ['cache', '/var/cache'],
    // Each host its own /run/lock, where mc deploy keeps its lock.
    ['lock', '/run/lock'],
  ]
    .map(([from, to]) => `mount --bind ${join(hostDir, from ?? '')} ${to ?? ''}`)
    .join('\n');
}

/** sshd -D in the host's network namespace and in UTS and mount namespaces of its own; returns its PID. */
function launchSshd(host: Pick<NamespaceHost, 'name' | 'netns' | 'dir'>): number {
  // ip netns exec, unshare (no --fork) and sh's exec all keep one PID: it is sshd's.
  const child = execa(
    'ip',
    [
      'netns',
      'exec',
      host.netns,
      'unshare',
      '--uts',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-ec',
      `hostname ${host.name}\n${mountsOf(host.dir)}\nexec /usr/sbin/sshd -D -f ${join(host.dir, 'sshd_config')} -E ${join(host.dir, 'sshd.log')}`,
    ],
    { reject: false, stdio: 'ignore' },
  );
  child.catch(() => undefined);
  if (child.pid === undefined) throw new Error(`cannot start ${host.name}`);
  return child.pid;
}

function sshdConfig(address: string, dir: string, name: string, socketPath: string): string {
  return [
    `ListenAddress ${address}:22`,
    `HostKey ${join(dir, 'ssh_host_ed25519_key')}`,
    'PidFile none',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'MaxStartups 100:30:200',
    'ClientAliveInterval 5',
    'ClientAliveCountMax 3',
    'LogLevel ERROR',
    // mc's record of the snaps it installed (/var/lib/mc): the hosts share the machine's filesystem.
    `SetEnv MC_LAB_HOST=${name} MC_LAB_SOCKET=${socketPath} MC_STATE_DIR=${join(dir, 'mc-state')}`,
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

function installedLxd(argv: readonly string[], outcome: ProgramOutcome): boolean {
  return outcome.exitCode === 0 && argv[0] === 'snap' && argv[1] === 'install' && argv.includes('lxd');
}

/** `snap stop|start|restart lxd` that succeeded in the simulated snapd. */
function lxdServiceControl(
  argv: readonly string[],
  outcome: ProgramOutcome,
): 'stop' | 'start' | 'restart' | undefined {
  const action = argv[1];
  if (outcome.exitCode !== 0 || argv[0] !== 'snap' || !argv.slice(2).includes('lxd')) return undefined;
  return action === 'stop' || action === 'start' || action === 'restart' ? action : undefined;
}

/** Systemd's stop, with a 60 s stop timeout instead of the snap's 600 s: TERM, wait, KILL. */
async function stopLxd(pid: number): Promise<void> {
  if (!isProcess(pid, 'lxd')) return;
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && isProcess(pid, 'lxd') && !isZombie(pid)) await sleep(200);
  if (isProcess(pid, 'lxd') && !isZombie(pid)) signal(pid, 'SIGKILL');
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Debian's LXD, started inside the host's namespaces as its systemd unit would (lab.md §3). */
async function startLxd(host: NamespaceHost): Promise<number> {
  const nsenter = ['-t', String(host.sshdPid), '-n', '-m', '-u'];
  const { stdout } = await execa('nsenter', [
    ...nsenter,
    'sh',
    '-c',
    'setsid lxd --group root --logfile /var/log/lxd/lxd.log > /var/log/lxd/stdout.log 2>&1 < /dev/null & echo $!',
  ]);
  await execa('nsenter', [...nsenter, 'lxd', 'waitready', '--timeout', '60']);
  return Number(stdout.trim());
}

async function ip(args: string[]): Promise<void> {
  await execa('ip', args);
}

function isProcess(pid: number, name: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
