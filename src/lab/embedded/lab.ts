// The embedded lab: N simulated hosts on loopback, each an ssh2 server, sharing one simulator that
// serves their programs over a unix socket. Needs no root and nothing beyond npm.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { freePort } from '../ports.js';
import { startProgramServer } from '../program-server.js';
import type { ProgramServer } from '../program-server.js';
import { generateEd25519 } from '../keys.js';
import { EmbeddedHost } from './ssh-host.js';
import type { ProgramRunner } from './ssh-host.js';

const { utils } = ssh2;

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
  const client = generateEd25519('mc-lab-client');
  const clientKeyPath = join(options.dir, 'id_ed25519');
  writeFileSync(clientKeyPath, client.privateKey, { mode: 0o600 });
  writeFileSync(`${clientKeyPath}.pub`, `${client.publicKey}\n`);
  const authorizedKey = utils.parseKey(client.publicKey);
  if (authorizedKey instanceof Error || Array.isArray(authorizedKey))
    throw new Error('cannot parse the lab client key');

  const port = options.port ?? (await freePort());
  const subnet = options.subnet ?? 1;
  const hosts = new Map<string, EmbeddedHost>();
  const described: EmbeddedLab['hosts'] = [];
  for (const [i, name] of options.names.entries()) {
    const key = generateEd25519(name);
    const address = `127.0.${subnet}.${i + 1}`;
    const host = new EmbeddedHost({
      name,
      address,
      port,
      dir: join(options.dir, 'hosts', name),
      hostKey: key.privateKey,
      authorizedKey,
      socketPath,
    });
    host.syncPrograms(options.runner.programs(name));
    hosts.set(name, host);
    described.push({ name, address, port, publicKey: key.publicKey });
  }

  const programServer = await startProgramServer(socketPath, options.runner, {
    afterCall: (host) => hosts.get(host)?.syncPrograms(options.runner.programs(host)),
    dropConnections: (host) => hosts.get(host)?.dropConnections(),
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

async function closeAll(programServer: ProgramServer, hosts: Map<string, EmbeddedHost>): Promise<void> {
  await Promise.all([...hosts.values()].map((h) => h.close()));
  await programServer.close();
}
