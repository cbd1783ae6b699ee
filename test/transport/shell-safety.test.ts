// Hostile inventory and cluster values against a real sshd: every command mc builds from values goes
// through src/transport/quote.ts, and the remote shell then sees exactly the intended argv. A canary file
// that any injection would create must never appear.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startLoopbackLab } from '../../src/lab/openssh.js';
import type { LoopbackLab } from '../../src/lab/openssh.js';
import { Redactor } from '../../src/output/redact.js';
import { Connection } from '../../src/transport/connection.js';
import { Credentials } from '../../src/transport/credentials.js';
import { KnownHostsVerifier } from '../../src/transport/host-keys.js';
import { posixShell, quoteArg, shellJoin } from '../../src/transport/quote.js';
import { tempDir, uniqueSuffix } from '../support/system.js';

const readFile = (path: string): Buffer | undefined => {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
};

/** World-writable, so the lab's login user (not root) could create it if an injection ran. */
const CANARY = `/tmp/mc-canary-${uniqueSuffix()}`;

const HOSTILE: string[] = [
  `; touch ${CANARY}`,
  `$(touch ${CANARY})`,
  `\`touch ${CANARY}\``,
  `x\ntouch ${CANARY}`,
  `x\rtouch ${CANARY}`,
  `' ; touch ${CANARY} ; '`,
  `" ; touch ${CANARY} ; "`,
  `\\'; touch ${CANARY}; echo \\'`,
  `-oProxyCommand=touch ${CANARY}`,
  '--help',
  '-',
  `| touch ${CANARY}`,
  `&& touch ${CANARY}`,
  `> ${CANARY}`,
  `$(<${CANARY})`,
  '$HOME ${PATH} $0 $@',
  '* ? [a-z] ~root {a,b}',
  '!! !-1 %s %n \\ \\\\',
  'tab\there',
  'ünïcødé 🚀 \u202e',
  '',
  ' ',
  `${'x'.repeat(100_000)}$(touch ${CANARY})`,
];

describe('shell safety over real sshd', { concurrency: false }, () => {
  let lab: LoopbackLab;
  let scratch: ReturnType<typeof tempDir>;
  let connection: Connection;

  before(async () => {
    scratch = tempDir('mc-shell-safety');
    chmodSync(scratch.path, 0o755); // sshd's StrictModes: the lab's files must not be writable by others
    lab = await startLoopbackLab({ count: 1, baseDir: scratch.path, names: ['node1'], subnet: 9 });
    const host = lab.hosts[0];
    assert.ok(host);
    connection = await Connection.open(
      {
        label: host.name,
        address: host.address,
        port: host.port,
        user: lab.user,
        hostKeyName: host.address,
        identityFiles: [{ path: lab.clientKeyPath, explicit: true }],
        jumps: [],
        keepaliveIntervalMs: 2000,
        keepaliveCountMax: 2,
        readyTimeoutMs: 10_000,
      },
      new KnownHostsVerifier({ files: [lab.knownHostsPath], policy: 'strict', readFile }),
      new Credentials({ readFile, redactor: new Redactor() }),
    );
  });
  after(async () => {
    connection.close();
    await lab.stop();
    scratch.remove();
    rmSync(CANARY, { force: true });
  });

  /** The argv the remote side received, one NUL-terminated word each. */
  const received = (stdout: string): string[] => stdout.split('\0').slice(0, -1);

  it('passes each hostile value as one argument, as the login user and through sudo', async () => {
    for (const value of HOSTILE) {
      const argv = ['printf', '%s\\0', 'disk', value, '--wipe'];
      for (const become of [false, true]) {
        const result = await connection.exec(shellJoin(argv), { timeoutMs: 30_000, become });
        assert.equal(result.code, 0, `${JSON.stringify(value.slice(0, 60))}: ${result.stderr.slice(0, 200)}`);
        assert.deepEqual(
          received(result.stdout),
          ['disk', value, '--wipe'],
          JSON.stringify(value.slice(0, 60)),
        );
      }
      // posixShell wraps a script for login shells that are not POSIX (fish, csh).
      const wrapped = await connection.exec(posixShell(shellJoin(argv)), { timeoutMs: 30_000 });
      assert.deepEqual(received(wrapped.stdout), ['disk', value, '--wipe']);
    }
    assert.equal(existsSync(CANARY), false, 'an injected command ran');
  });

  it('passes all of them in one command line, in order', async () => {
    const result = await connection.exec(shellJoin(['printf', '%s\\0', ...HOSTILE]), { timeoutMs: 30_000 });
    assert.deepEqual(received(result.stdout), HOSTILE);
    assert.equal(existsSync(CANARY), false, 'an injected command ran');
  });

  it('refuses a NUL character before anything is sent: no shell word can hold one', () => {
    assert.throws(() => quoteArg(`a\0; touch ${CANARY}`), /NUL/);
    assert.throws(() => shellJoin(['printf', 'x\0y']), /NUL/);
  });
});
