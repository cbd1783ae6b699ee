// One embedded lab host: an ssh2 Server on a loopback address that runs each command in a real bash,
// with the host's simulated programs first on PATH. No root, nothing beyond npm.
import { spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Connection as ServerConnection, ParsedKey } from 'ssh2';
import { syncShims } from '../shims.js';

const { Server } = ssh2;

/** What the embedded host needs from the simulator. */
export interface ProgramRunner {
  /** Programs that exist on the host right now (a snap's commands appear when it is installed). */
  programs(host: string): string[];
  /** Whether this call reads its standard input (only then is it collected from the shell). */
  readsStdin(host: string, argv: readonly string[]): boolean;
  run(host: string, argv: readonly string[], stdin: string, call: ProgramCall): Promise<ProgramOutcome>;
}

export interface ProgramCall {
  /** 0 under the lab's sudo, the login user's uid otherwise. */
  uid: number;
  /** Aborted when the calling shell goes away (the SSH channel closed or timed out). */
  signal: AbortSignal;
}

/** The uid the simulated login user has; the lab's sudo makes it 0. */
export const LAB_LOGIN_UID = 1000;

export interface ProgramOutcome {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** A fault that cuts the host's SSH connections. */
  dropConnection?: boolean;
}

export interface EmbeddedHostOptions {
  name: string;
  address: string;
  port: number;
  dir: string;
  /** OpenSSH-format private host key. */
  hostKey: string;
  /** The only key allowed to log in. */
  authorizedKey: ParsedKey;
  socketPath: string;
}

export class EmbeddedHost {
  private readonly server: InstanceType<typeof Server>;
  private readonly clients = new Set<ServerConnection>();
  readonly binDir: string;
  readonly homeDir: string;

  constructor(private readonly options: EmbeddedHostOptions) {
    this.binDir = join(options.dir, 'bin');
    this.homeDir = join(options.dir, 'home');
    mkdirSync(this.binDir, { recursive: true });
    mkdirSync(this.homeDir, { recursive: true });
    writeSudoShim(this.binDir);
    this.server = new Server({ hostKeys: [options.hostKey] }, (client) => this.accept(client));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.address, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** Makes PATH show exactly the programs the host has now. */
  syncPrograms(programs: readonly string[]): void {
    syncShims(this.binDir, programs, ['sudo']);
  }

  /** Cuts every SSH connection of this host, as a network failure would. */
  dropConnections(): void {
    for (const client of this.clients) client.end();
  }

  close(): Promise<void> {
    this.dropConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: ServerConnection): void {
    this.clients.add(client);
    client.on('close', () => this.clients.delete(client));
    client.on('error', () => this.clients.delete(client));
    // The model's uid follows the login name: root is root, anyone else is the image's ordinary user.
    let uid = LAB_LOGIN_UID;
    client.on('authentication', (ctx) => {
      uid = ctx.username === 'root' ? 0 : LAB_LOGIN_UID;
      if (ctx.method !== 'publickey' || !this.isAuthorized(ctx.key.algo, ctx.key.data)) {
        ctx.reject(['publickey']);
        return;
      }
      // Without a signature the client only asks whether the key would do; with one, check it.
      if (
        ctx.signature === undefined ||
        this.options.authorizedKey.verify(ctx.blob ?? Buffer.alloc(0), ctx.signature, ctx.hashAlgo)
      ) {
        ctx.accept();
      } else {
        ctx.reject(['publickey']);
      }
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (acceptExec, _reject, info) => {
          const channel = acceptExec();
          const child = spawn('bash', ['-c', info.command], {
            cwd: this.homeDir,
            env: {
              PATH: `${this.binDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
              HOME: this.homeDir,
              // sshd sets SHELL to the login shell; commands run through it.
              SHELL: '/bin/bash',
              LANG: 'C.UTF-8',
              MC_LAB_HOST: this.options.name,
              MC_LAB_UID: String(uid),
              MC_LAB_SOCKET: this.options.socketPath,
              // Lab hosts share one filesystem: each keeps its deploy lock (a /run/lock file) in its own dir.
              MC_LOCK_DIR: this.homeDir,
              // ... and mc's record of the snaps it installed (/var/lib/mc on a real host).
              MC_STATE_DIR: join(this.homeDir, 'mc-state'),
            },
            stdio: ['pipe', 'pipe', 'pipe'],
          });
          child.stdout.pipe(channel, { end: false });
          child.stderr.pipe(channel.stderr, { end: false });
          channel.pipe(child.stdin);
          channel.on('close', () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          });
          session.on('signal', (_accept, _reject, signal: { name: string }) => {
            child.kill(`SIG${signal.name}` as NodeJS.Signals);
          });
          child.on('close', (code, signal) => {
            if (signal !== null) channel.exit(signal.replace(/^SIG/, ''), false, '');
            else channel.exit(code ?? 255);
            channel.end();
          });
        });
      });
    });
  }

  private isAuthorized(algo: string, data: Buffer): boolean {
    const allowed = this.options.authorizedKey;
    const expected = allowed.getPublicSSH();
    return algo === allowed.type && data.length === expected.length && timingSafeEqual(data, expected);
  }
}

/**
 * The lab's sudo: every host runs as the user who started the lab, so sudo strips its own options and
 * runs the command with MC_LAB_UID=0, which the simulated programs take as root. It accepts what mc
 * sends (-n, -S, -p PROMPT, -H, -u root, --) and nothing else.
 */
function writeSudoShim(binDir: string): void {
  const path = join(binDir, 'sudo');
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      'while [ $# -gt 0 ]; do',
      '  case "$1" in',
      '    -n|-S|-H|-E) shift ;;',
      '    -p) shift 2 ;;',
      '    -u) [ "$2" = root ] || { echo "sudo: unknown user $2" >&2; exit 1; }; shift 2 ;;',
      '    --) shift; break ;;',
      '    -*) echo "sudo: unsupported option $1 in the mc lab" >&2; exit 1 ;;',
      '    *) break ;;',
      '  esac',
      'done',
      'MC_LAB_UID=0 exec "$@"',
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
}
