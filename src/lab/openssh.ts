// Real OpenSSH sshd processes on loopback addresses (127.0.1.N), one per test host, each with its
// own host key. No namespaces needed: all of 127.0.0.0/8 is loopback on Linux (lab.md §1a).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { freePort, waitListening } from './ports.js';

export const SSHD = '/usr/sbin/sshd';

export interface LoopbackHost {
  name: string;
  address: string;
  port: number;
  dir: string;
  /** `ssh-ed25519 AAAA...` */
  hostKeyPublic: string;
  /** The sshd -D process: our child, stopped by handle, never by a PID read back from a file. */
  process: { pid?: number | undefined; kill(signal?: NodeJS.Signals): boolean };
  exited: Promise<unknown>;
}

export interface LoopbackLab {
  dir: string;
  /**
   * The login user every host accepts the client key for: made for this lab, with a clean home and
   * passwordless sudo, as on a cloud image. Never root: the machine's own root dotfiles would slow
   * every command and break when a command is killed halfway through them.
   */
  user: string;
  hosts: LoopbackHost[];
  /** known_hosts with every host's key, `[addr]:port` form. */
  knownHostsPath: string;
  /** Unencrypted ed25519 client key authorised for every user the lab lets in. */
  clientKeyPath: string;
  /** Kills one host's sshd (and so every session it serves). */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export interface LoopbackOptions {
  count: number;
  /** Parent directory for the lab's files; a unique subdirectory is made inside it. */
  baseDir: string;
  /** Host names; default h1..hN. */
  names?: string[];
  /** Extra sshd_config lines for every host. */
  sshdConfig?: string[];
  /** Extra sshd_config lines for one host, by name. */
  hostConfig?: Record<string, string[]>;
  /** Third octet of 127.0.X.N; runs on one machine differ by port, this only spreads addresses. */
  subnet?: number;
}

export async function startLoopbackLab(options: LoopbackOptions): Promise<LoopbackLab> {
  const dir = join(options.baseDir, `mc-lab-${process.pid}-${randomBytes(3).toString('hex')}`);
  // sshd reads AuthorizedKeysFile as the login user, so non-root test users must be able to reach it.
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation directory
  const user = `mcl${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
  await execa('useradd', ['--create-home', '--home-dir', join(dir, 'home'), '--shell', '/bin/bash', user]);
  await execa('usermod', ['-p', '*', user]); // key logins only; a locked account ('!') is refused
  const sudoers = `/etc/sudoers.d/${user}`;
  writeFileSync(sudoers, `${user} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
  const clientKeyPath = join(dir, 'id_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mc-lab-client', '-f', clientKeyPath]);
  const clientPublic = readFileSync(`${clientKeyPath}.pub`, 'utf8');
  const port = await freePort();
  const subnet = options.subnet ?? 1;
  const names = options.names ?? Array.from({ length: options.count }, (_, i) => `h${i + 1}`);

  const hosts: LoopbackHost[] = [];
  const lab: LoopbackLab = {
    dir,
    user,
    hosts,
    knownHostsPath: join(dir, 'known_hosts'),
    clientKeyPath,
    kill: async (name, signal = 'SIGKILL') => {
      const host = hosts.find((h) => h.name === name);
      if (host === undefined) throw new Error(`no lab host ${name}`);
      // Each connection is served by a child of the listening sshd: a host that dies takes them all.
      const pid = host.process.pid;
      // Parents first: a session sshd that outlived its shell would still report an exit status.
      const victims = pid === undefined ? [] : [pid, ...descendants(pid).reverse()];
      for (const victim of victims) {
        try {
          process.kill(victim, signal);
        } catch {
          // already gone
        }
      }
      await host.exited;
    },
    stop: async () => {
      for (const host of hosts) {
        const pid = host.process.pid;
        for (const victim of pid === undefined ? [] : descendants(pid)) {
          try {
            process.kill(victim, 'SIGTERM');
          } catch {
            // already gone
          }
        }
        host.process.kill('SIGTERM');
      }
      await Promise.allSettled(hosts.map((h) => h.exited));
      rmSync(sudoers, { force: true });
      await execa('userdel', ['--force', user], { reject: false });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const [i, name] of names.entries()) {
      const hostDir = join(dir, name);
      mkdirSync(hostDir, { recursive: true });
      const keyPath = join(hostDir, 'ssh_host_ed25519_key');
      await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', keyPath]);
      writeFileSync(join(hostDir, 'authorized_keys'), clientPublic, { mode: 0o644 });
      const address = `127.0.${subnet}.${i + 1}`;
      const configPath = join(hostDir, 'sshd_config');
      writeFileSync(
        configPath,
        sshdConfig(address, port, hostDir, [
          ...(options.sshdConfig ?? []),
          ...(options.hostConfig?.[name] ?? []),
        ]),
      );
      // -D keeps sshd our child, so we stop it by handle, never by a PID read back from a file. -E keeps
      // what sshd says when it drops a connection (bad key permissions, MaxStartups) in the host's directory.
      const child = execa(SSHD, ['-D', '-E', join(hostDir, 'sshd.log'), '-f', configPath], {
        reject: false,
        stdio: 'ignore',
      });
      hosts.push({
        name,
        address,
        port,
        dir: hostDir,
        hostKeyPublic: readFileSync(`${keyPath}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' '),
        process: child,
        exited: child.then(() => undefined),
      });
    }
    await Promise.all(hosts.map((h) => waitListening(h.address, h.port, 5000)));
    writeFileSync(
      lab.knownHostsPath,
      hosts.map((h) => `[${h.address}]:${h.port} ${h.hostKeyPublic}\n`).join(''),
      { mode: 0o600 },
    );
    return lab;
  } catch (err) {
    await lab.stop();
    throw err;
  }
}

function sshdConfig(address: string, port: number, dir: string, extra: string[]): string {
  return [
    // sshd keeps the first value it reads for a keyword: the caller's lines go first to win.
    ...extra,
    `ListenAddress ${address}:${port}`,
    `HostKey ${join(dir, 'ssh_host_ed25519_key')}`,
    'PidFile none',
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    // The lab lives under a world-writable temp dir, which StrictModes would reject.
    'StrictModes no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'MaxStartups 100:30:200',
    'ClientAliveInterval 5',
    'LogLevel ERROR',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

/** Every descendant of a process, children first, read from /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 is the parent PID; the command name (field 2) may contain spaces, so split after ')'.
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const walk = (p: number): number[] => (children.get(p) ?? []).flatMap((c) => [...walk(c), c]);
  return walk(pid);
}
