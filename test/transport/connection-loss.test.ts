// Ways a connection ends that real sshd produces only by chance of timing, made exact by ssh2's own server:
// a session channel refused (MaxSessions) and the connection gone before the retry; a connection reset
// (sshd killed while it writes). Each must fail the command as a lost connection, in words, and never
// throw out of a timer and end mc.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import type { Connection as ServerConnection, ServerChannel } from 'ssh2';
import { generateEd25519 } from '../../src/lab/keys.js';
import { Redactor } from '../../src/output/redact.js';
import { Connection } from '../../src/transport/connection.js';
import type { ConnectTarget, HostKeyVerifier } from '../../src/transport/connection.js';
import { Credentials } from '../../src/transport/credentials.js';
import { ConnectionLostError, HostKeyError } from '../../src/transport/errors.js';
import { tempDir } from '../support/system.js';

const { Server, utils } = ssh2;

type SessionHandler = (
  client: ServerConnection,
  accept: () => { on: (event: 'exec', listener: (accept: () => ServerChannel) => void) => void },
  reject: () => void,
) => void;

describe('a connection that ends under a command', () => {
  const scratch = tempDir('mc-loss');
  const hostKey = generateEd25519('host');
  const clientKey = generateEd25519('client');
  const clientKeyPath = join(scratch.path, 'id_ed25519');
  let server: InstanceType<typeof Server>;
  let port = 0;
  let onSession: SessionHandler = (_client, _accept, reject) => reject();

  before(async () => {
    writeFileSync(clientKeyPath, clientKey.privateKey, { mode: 0o600 });
    server = new Server({ hostKeys: [hostKey.privateKey] }, (client) => {
      client.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject()));
      client.on('session', (accept, reject) => onSession(client, accept, reject));
      client.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    scratch.remove();
  });

  /** Runs `true` on a new connection; its outcome, and any exception thrown meanwhile outside it. */
  async function runTrue(): Promise<{ outcome: unknown; uncaught: string[] }> {
    const serverBlob = (utils.parseKey(hostKey.publicKey) as ssh2.ParsedKey).getPublicSSH();
    const verifier: HostKeyVerifier = {
      verify: (_endpoint, _type, blob) =>
        blob.equals(serverBlob) ? Promise.resolve() : Promise.reject(new HostKeyError('not the test server')),
      knownKeyTypes: () => ['ssh-ed25519'],
    };
    const target: ConnectTarget = {
      label: 'flaky',
      address: '127.0.0.1',
      port,
      user: 'test',
      hostKeyName: '127.0.0.1',
      identityFiles: [{ path: clientKeyPath, explicit: true }],
      jumps: [],
      keepaliveIntervalMs: 2000,
      keepaliveCountMax: 2,
      readyTimeoutMs: 5000,
    };
    const credentials = new Credentials({ readFile: (path) => readFileSync(path), redactor: new Redactor() });
    const connection = await Connection.open(target, verifier, credentials);
    const uncaught: string[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(String(err));
    process.on('uncaughtException', onUncaught);
    try {
      const outcome = await connection.exec('true', { timeoutMs: 5000 }).then(
        () => undefined,
        (err: unknown) => err,
      );
      // Past the channel retry's timer (20 ms): it must find the connection gone without throwing.
      await new Promise((resolve) => setTimeout(resolve, 200));
      return { outcome, uncaught };
    } finally {
      process.off('uncaughtException', onUncaught);
      connection.close();
    }
  }

  it('a refused channel whose connection is lost before the retry fails as a lost connection', async () => {
    let refused = 0;
    onSession = (client, _accept, reject) => {
      refused += 1;
      reject();
      setImmediate(() => client.end());
    };
    const { outcome, uncaught } = await runTrue();
    assert.ok(outcome instanceof ConnectionLostError, String(outcome));
    assert.equal(refused, 1);
    assert.deepEqual(uncaught, []);
  });

  it('a reset connection is a lost connection, said in words', async () => {
    onSession = (client, accept) => {
      accept().on('exec', () => {
        // What a killed sshd's kernel does to a connection with unread data: RST, not FIN.
        (client as unknown as { _sock: Socket })._sock.resetAndDestroy();
      });
    };
    const { outcome, uncaught } = await runTrue();
    assert.ok(outcome instanceof ConnectionLostError, String(outcome));
    assert.match(String(outcome), /flaky: connection closed by the remote host \(ECONNRESET\)/);
    assert.deepEqual(uncaught, []);
  });
});
