// The embedded lab: N simulated hosts on loopback, each an ssh2 server, sharing one simulator that
// serves their programs over a unix socket. Needs no root and nothing beyond npm.
import { createServer } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ssh2 from 'ssh2';
import { freePort } from '../ports.js';
import { EmbeddedHost, generateHostKey } from './ssh-host.js';
import type { ProgramOutcome, ProgramRunner } from './ssh-host.js';

const { utils } = ssh2;

export const SHIM_PATH = fileURLToPath(new URL('./shim.mjs', import.meta.url));

export interface EmbeddedLabOptions {
  names: string[];
  dir: string;
  runner: ProgramRunner;
  /** Loopback addresses are 127.0.<subnet>.<n>; default 1. */
  subnet?: number;
  /** Default: a free port. */
  port?: number;
}

export interface EmbeddedLab {
  dir: string;
  hosts: { name: string; address: string; port: number; publicKey: string }[];
  clientKeyPath: string;
  knownHostsPath: string;
  socketPath: string;
  stop(): Promise<void>;
}

export async function startEmbeddedLab(options: EmbeddedLabOptions): Promise<EmbeddedLab> {
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const socketPath = join(options.dir, 'programs.sock');
  rmSync(socketPath, { force: true });
  const client = utils.generateKeyPairSync('ed25519', { comment: 'mc-lab-client' });
  const clientKeyPath = join(options.dir, 'id_ed25519');
  writeFileSync(clientKeyPath, client.private, { mode: 0o600 });
  writeFileSync(`${clientKeyPath}.pub`, `${client.public}\n`);
  const authorizedKey = utils.parseKey(client.public);
  if (authorizedKey instanceof Error || Array.isArray(authorizedKey))
    throw new Error('cannot parse the lab client key');

  const port = options.port ?? (await freePort());
  const subnet = options.subnet ?? 1;
  const hosts = new Map<string, EmbeddedHost>();
  const described: EmbeddedLab['hosts'] = [];
  for (const [i, name] of options.names.entries()) {
    const key = generateHostKey(name);
    const address = `127.0.${subnet}.${i + 1}`;
    const host = new EmbeddedHost({
      name,
      address,
      port,
      dir: join(options.dir, 'hosts', name),
      hostKey: key.privateKey,
      authorizedKey,
      shimPath: SHIM_PATH,
      socketPath,
    });
    host.syncPrograms(options.runner.programs(name));
    hosts.set(name, host);
    described.push({ name, address, port, publicKey: key.publicKey });
  }

  const programServer = createServer((socket) => serveProgramCall(socket, options.runner, hosts));
  await new Promise<void>((resolve, reject) => {
    programServer.once('error', reject);
    programServer.listen(socketPath, () => resolve());
  });
  try {
    await Promise.all([...hosts.values()].map((h) => h.listen()));
  } catch (err) {
    await closeAll(programServer, hosts);
    throw err;
  }

  const knownHostsPath = join(options.dir, 'known_hosts');
  writeFileSync(knownHostsPath, described.map((h) => `[${h.address}]:${h.port} ${h.publicKey}\n`).join(''));
  return {
    dir: options.dir,
    hosts: described,
    clientKeyPath,
    knownHostsPath,
    socketPath,
    stop: () => closeAll(programServer, hosts),
  };
}

async function closeAll(programServer: NetServer, hosts: Map<string, EmbeddedHost>): Promise<void> {
  await Promise.all([...hosts.values()].map((h) => h.close()));
  await new Promise<void>((resolve) => programServer.close(() => resolve()));
}

interface ProgramRequest {
  host: string;
  argv: string[];
  uid: number;
}

/** One shim call: a request line, maybe a stdin line, then the result line. */
function serveProgramCall(socket: Socket, runner: ProgramRunner, hosts: Map<string, EmbeddedHost>): void {
  let buffer = '';
  let request: ProgramRequest | undefined;
  socket.setEncoding('utf8');
  // The shim dies with its shell; a simulated call still waiting (a hang fault) must end with it.
  const abort = new AbortController();
  socket.on('close', () => abort.abort());
  const run = async (stdin: string): Promise<void> => {
    if (request === undefined) return;
    const host = hosts.get(request.host);
    let outcome: ProgramOutcome;
    try {
      outcome = await runner.run(request.host, request.argv, stdin, {
        uid: request.uid,
        signal: abort.signal,
      });
    } catch (err) {
      if (abort.signal.aborted) return;
      // A simulator bug must show up as a failed command, not as a hung shell.
      const message = err instanceof Error ? err.message : String(err);
      outcome = {
        stdout: '',
        stderr: `mc lab: ${request.argv[0] ?? ''}: internal error: ${message}\n`,
        exitCode: 70,
      };
    }
    if (outcome.dropConnection === true && host !== undefined) {
      host.dropConnections();
      socket.destroy();
      return;
    }
    host?.syncPrograms(runner.programs(request.host));
    socket.end(`${JSON.stringify({ type: 'result', ...outcome })}\n`);
  };
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (request === undefined) {
        request = JSON.parse(line) as ProgramRequest;
        if (runner.readsStdin(request.host, request.argv))
          socket.write(`${JSON.stringify({ type: 'need-stdin' })}\n`);
        else void run('');
      } else {
        void run((JSON.parse(line) as { stdin: string }).stdin);
      }
    }
  });
  socket.on('error', () => socket.destroy());
}
