// The microcluster control API over SSH on the embedded lab: `curl` and `ss` are shims like the other
// simulated programs, and the JSON body reaches the simulator through stdin, as a deploy sends it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEmbeddedLab } from '../../src/lab/embedded/lab.js';
import type { EmbeddedLab } from '../../src/lab/embedded/lab.js';
import {
  createProgramRunner,
  createSimLab,
  getMachine,
  preinstallSnap,
  realClock,
} from '../../src/lab/sim/index.js';
import { Redactor } from '../../src/output/redact.js';
import { Connection } from '../../src/transport/connection.js';
import { Credentials } from '../../src/transport/credentials.js';
import { KnownHostsVerifier } from '../../src/transport/host-keys.js';
import { tempDir } from '../support/system.js';

const readFile = (path: string): Buffer | undefined => {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
};

const CONTROL =
  "curl -sS --unix-socket /var/snap/microovn/common/state/control.socket -X POST -H 'Content-Type: application/json' --data-binary @- http://control/core/control";

describe('microcluster control API over SSH (embedded lab)', { concurrency: false }, () => {
  let scratch: ReturnType<typeof tempDir>;
  let lab: EmbeddedLab;
  let conn: Connection;

  before(async () => {
    scratch = tempDir('mc-control-api');
    const world = createSimLab({ hosts: ['node1'], clock: realClock() });
    preinstallSnap(world, getMachine(world, 'node1'), 'microovn', '24.03/stable');
    lab = await startEmbeddedLab({
      names: ['node1'],
      dir: join(scratch.path, 'lab'),
      runner: createProgramRunner(world),
      subnet: 12,
    });
    const host = lab.hosts[0];
    if (host === undefined) throw new Error('no lab host');
    conn = await Connection.open(
      {
        label: host.name,
        address: host.address,
        port: host.port,
        user: 'ubuntu',
        hostKeyName: host.address,
        identityFiles: [{ path: lab.clientKeyPath, explicit: true }],
        jumps: [],
        keepaliveIntervalMs: 2000,
        keepaliveCountMax: 2,
        readyTimeoutMs: 5000,
      },
      new KnownHostsVerifier({ files: [lab.knownHostsPath], policy: 'strict', readFile }),
      new Credentials({ readFile, redactor: new Redactor() }),
    );
  });
  after(async () => {
    conn.close();
    await lab.stop();
    scratch.remove();
  });

  it('bootstraps through the socket with the body on stdin, refusing the login user', async () => {
    const body = JSON.stringify({ bootstrap: true, name: 'node1', address: '10.1.123.11:6443', config: {} });
    const user = await conn.exec(CONTROL, { timeoutMs: 10_000, stdin: body });
    assert.equal(user.code, 7);
    assert.equal(
      user.stderr,
      "curl: (7) Failed to connect to control port 80 after 0 ms: Couldn't connect to server\n",
    );
    const root = await conn.exec(`sudo -n -- ${CONTROL}`, { timeoutMs: 10_000, stdin: body });
    assert.equal(root.code, 0, root.stderr);
    assert.equal(
      root.stdout,
      '{"type":"sync","status":"Success","status_code":200,"operation":"","error_code":0,"error":"","metadata":{}}\n',
    );
    const ss = await conn.exec('ss -Hltn', { timeoutMs: 10_000 });
    assert.match(ss.stdout, /^LISTEN 0 +4096 +10\.1\.123\.11:6443 /m);
    const list = await conn.exec('sudo -n -- microovn cluster list -f csv', { timeoutMs: 10_000 });
    assert.match(list.stdout, /^node1,10\.1\.123\.11:6443,voter,/);
  });
});
