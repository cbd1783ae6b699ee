// Connection over real OpenSSH sshd processes on loopback: auth methods, jump hosts, channel limits,
// host loss, timeouts and sudo.
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { execa, execaSync } from 'execa';
import { descendants, startLoopbackLab } from '../../src/lab/openssh.js';
import type { LoopbackHost, LoopbackLab } from '../../src/lab/openssh.js';
import { Redactor } from '../../src/output/redact.js';
import { Connection } from '../../src/transport/connection.js';
import type { ConnectTarget, Endpoint } from '../../src/transport/connection.js';
import { Credentials } from '../../src/transport/credentials.js';
import { ConnectionPool } from '../../src/transport/pool.js';
import type { SecretPrompter } from '../../src/transport/credentials.js';
import {
  AuthenticationError,
  BecomeError,
  CommandStoppedError,
  CommandTimeoutError,
  ConfigurationError,
  ConnectionLostError,
  HostKeyError,
  NetworkError,
} from '../../src/transport/errors.js';
import { KnownHostsVerifier } from '../../src/transport/host-keys.js';
import { createUser, startAgent, tempDir } from '../support/system.js';
import type { TestUser } from '../support/system.js';

const readFile = (path: string): Buffer | undefined => {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
};

/** The login user of the lab these endpoints belong to (each lab makes its own). */
let labUser = '';

function endpoint(host: LoopbackHost, overrides: Partial<Endpoint> = {}): Endpoint {
  return {
    label: host.name,
    address: host.address,
    port: host.port,
    user: labUser,
    hostKeyName: host.address,
    identityFiles: [],
    ...overrides,
  };
}

function target(host: LoopbackHost, overrides: Partial<ConnectTarget> = {}): ConnectTarget {
  return {
    ...endpoint(host),
    jumps: [],
    keepaliveIntervalMs: 2000,
    keepaliveCountMax: 2,
    readyTimeoutMs: 5000,
    ...overrides,
  };
}

describe('Connection over real sshd', { concurrency: false }, () => {
  let lab: LoopbackLab;
  let scratch: ReturnType<typeof tempDir>;
  let verifier: KnownHostsVerifier;
  const credentials = (prompter?: SecretPrompter): Credentials =>
    new Credentials({ readFile, redactor: new Redactor(), ...(prompter === undefined ? {} : { prompter }) });
  const withKey = (host: LoopbackHost, more: Partial<ConnectTarget> = {}): ConnectTarget =>
    target(host, { identityFiles: [{ path: lab.clientKeyPath, explicit: true }], ...more });

  before(async () => {
    scratch = tempDir('mc-conn');
    chmodSync(scratch.path, 0o755); // the test users' sshd sessions read their authorized_keys below it
    lab = await startLoopbackLab({
      count: 4,
      baseDir: scratch.path,
      names: ['h1', 'h2', 'h3', 'nofwd'],
      // A jump host that refuses TCP forwarding, to prove the jump path is really taken.
      hostConfig: { nofwd: ['AllowTcpForwarding no'] },
    });
    labUser = lab.user;
    verifier = new KnownHostsVerifier({ files: [lab.knownHostsPath], policy: 'strict', readFile });
  });
  after(async () => {
    await lab.stop();
    scratch.remove();
  });

  it('runs a command with a key, keeping stdout, stderr and the exit code apart, line by line', async () => {
    const conn = await Connection.open(withKey(lab.hosts[0]!), verifier, credentials());
    const lines: string[] = [];
    const result = await conn.exec('echo one; echo two >&2; printf "three\\nfour"; exit 3', {
      timeoutMs: 5000,
      onLine: (stream, line) => lines.push(`${stream}:${line}`),
    });
    conn.close();
    assert.equal(result.code, 3);
    assert.equal(result.signal, null);
    assert.equal(result.stdout, 'one\nthree\nfour');
    assert.equal(result.stderr, 'two\n');
    assert.deepEqual(
      lines.filter((l) => l.startsWith('stdout')),
      ['stdout:one', 'stdout:three', 'stdout:four'],
    );
    assert.deepEqual(
      lines.filter((l) => l.startsWith('stderr')),
      ['stderr:two'],
    );
  });

  it('reports a signal that ended the command', async () => {
    const conn = await Connection.open(withKey(lab.hosts[0]!), verifier, credentials());
    const result = await conn.exec('kill -TERM $$', { timeoutMs: 5000 });
    conn.close();
    assert.equal(result.code, null);
    assert.equal(result.signal, 'SIGTERM');
  });

  it('passes stdin to the command', async () => {
    const conn = await Connection.open(withKey(lab.hosts[0]!), verifier, credentials());
    const result = await conn.exec('wc -c', { timeoutMs: 5000, stdin: 'x'.repeat(100_000) });
    conn.close();
    assert.equal(result.stdout.trim(), '100000');
  });

  it('authenticates with the keys of an ssh-agent', async () => {
    const agent = await startAgent(scratch.path, [lab.clientKeyPath]);
    try {
      const conn = await Connection.open(
        target(lab.hosts[1]!, { agentSocket: agent.socket }),
        verifier,
        credentials(),
      );
      const result = await conn.exec('echo via-agent', { timeoutMs: 5000 });
      conn.close();
      assert.equal(result.stdout, 'via-agent\n');
    } finally {
      await agent.stop();
    }
  });

  it('says which keys and which agent it tried when authentication fails', async () => {
    const other = `${scratch.path}/other_key`;
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const agent = await startAgent(scratch.path, [other]);
    try {
      await assert.rejects(
        Connection.open(
          target(lab.hosts[1]!, {
            agentSocket: agent.socket,
            identityFiles: [{ path: other, explicit: true }],
          }),
          verifier,
          credentials(),
        ),
        (err: unknown) => {
          assert.ok(err instanceof AuthenticationError);
          assert.match(err.message, new RegExp(`authentication failed for ${lab.user}@127\\.0\\.\\d+\\.2`));
          assert.match(err.message, new RegExp(`ssh-agent \\(${agent.socket.replace(/[.]/g, '\\.')}\\)`));
          assert.match(err.message, new RegExp(`key ${other}`));
          return true;
        },
      );
    } finally {
      await agent.stop();
    }
  });

  it('asks once for the passphrase of an encrypted key, for every host', async () => {
    const key = `${scratch.path}/encrypted_key`;
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret phrase', '-f', key]);
    for (const host of lab.hosts.slice(0, 3))
      appendFileSync(`${host.dir}/authorized_keys`, readFileSync(`${key}.pub`));
    const questions: string[] = [];
    const creds = credentials({
      ask: (question) => {
        questions.push(question);
        return Promise.resolve('secret phrase');
      },
    });
    const conns = await Promise.all(
      lab.hosts
        .slice(0, 3)
        .map((h) =>
          Connection.open(target(h, { identityFiles: [{ path: key, explicit: true }] }), verifier, creds),
        ),
    );
    const outputs = await Promise.all(
      conns.map((c) => c.exec('hostname -I >/dev/null; echo ok', { timeoutMs: 5000 })),
    );
    for (const c of conns) c.close();
    assert.deepEqual(
      outputs.map((o) => o.stdout),
      ['ok\n', 'ok\n', 'ok\n'],
    );
    assert.deepEqual(questions, [`Enter passphrase for key '${key}': `]);

    await assert.rejects(
      Connection.open(
        target(lab.hosts[0]!, { identityFiles: [{ path: key, explicit: true }] }),
        verifier,
        credentials(),
      ),
      (err: unknown) => err instanceof ConfigurationError && /ssh-add|MC_KEY_PASSPHRASE/.test(err.hint ?? ''),
    );
  });

  it('refuses a PKCS#8 key with the command that converts it', async () => {
    const key = `${scratch.path}/pkcs8_key`;
    await execa('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-m', 'PKCS8', '-N', '', '-f', key]);
    await assert.rejects(
      Connection.open(
        target(lab.hosts[0]!, { identityFiles: [{ path: key, explicit: true }] }),
        verifier,
        credentials(),
      ),
      (err: unknown) =>
        err instanceof ConfigurationError &&
        err.hint === `convert it to OpenSSH format with: ssh-keygen -p -f ${key}`,
    );
  });

  it('goes through a jump host (ProxyJump)', async () => {
    const [h1, h2] = [lab.hosts[0]!, lab.hosts[1]!];
    const key = [{ path: lab.clientKeyPath, explicit: true }];
    const conn = await Connection.open(
      withKey(h2, { jumps: [endpoint(h1, { identityFiles: key })] }),
      verifier,
      credentials(),
    );
    const result = await conn.exec('echo "$SSH_CONNECTION"', { timeoutMs: 5000 });
    conn.close();
    // sshd on h2 sees the connection arrive at its own address and port.
    assert.match(result.stdout, new RegExp(` ${h2.address.replace(/\./g, '\\.')} ${h2.port}\n$`));

    const nofwd = lab.hosts[3]!;
    await assert.rejects(
      Connection.open(
        withKey(h2, { jumps: [endpoint(nofwd, { identityFiles: key })] }),
        verifier,
        credentials(),
      ),
      (err: unknown) => err instanceof NetworkError && err.message.includes('jump host nofwd cannot reach'),
    );
  });

  it('goes through two jump hosts', async () => {
    const [h1, h2, h3] = [lab.hosts[0]!, lab.hosts[1]!, lab.hosts[2]!];
    const key = [{ path: lab.clientKeyPath, explicit: true }];
    const conn = await Connection.open(
      withKey(h3, { jumps: [endpoint(h1, { identityFiles: key }), endpoint(h2, { identityFiles: key })] }),
      verifier,
      credentials(),
    );
    const result = await conn.exec('echo hop', { timeoutMs: 5000 });
    conn.close();
    assert.equal(result.stdout, 'hop\n');
  });

  it('refuses a host whose key changed, showing both fingerprints and the line to remove', async () => {
    const h1 = lab.hosts[0]!;
    const forged = `${scratch.path}/forged_known_hosts`;
    const otherKey = `${scratch.path}/forged_host_key`;
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const forgedLine = readFileSync(`${otherKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    appendFileSync(forged, `# first line is a comment\n[${h1.address}]:${h1.port} ${forgedLine}\n`);
    const strict = new KnownHostsVerifier({ files: [forged], policy: 'accept-new', readFile });
    await assert.rejects(Connection.open(withKey(h1), strict, credentials()), (err: unknown) => {
      assert.ok(err instanceof HostKeyError);
      const expected = fingerprintOf(otherKey);
      const actual = fingerprintOf(`${h1.dir}/ssh_host_ed25519_key`);
      assert.ok(err.message.includes(expected), err.message);
      assert.ok(err.message.includes(actual), err.message);
      assert.ok(`${err.message} ${err.hint ?? ''}`.includes(`${forged}:2`), err.message);
      return true;
    });
  });

  it('runs 50 commands at once on one connection without exceeding MaxSessions', async () => {
    const conn = await Connection.open(withKey(lab.hosts[2]!), verifier, credentials());
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => conn.exec(`sleep 0.05; echo ${i}`, { timeoutMs: 20000 })),
    );
    conn.close();
    assert.deepEqual(
      results.map((r) => r.stdout),
      Array.from({ length: 50 }, (_, i) => `${i}\n`),
    );
  });

  it('stops a command that runs past its timeout, with everything it started', async () => {
    const conn = await Connection.open(withKey(lab.hosts[2]!), verifier, credentials());
    // A unique duration names the remote sleep itself; `; true` keeps the shell from exec'ing it,
    // so the sleep is a grandchild that only a process-group kill reaches.
    const seconds = `30.${process.pid}${Date.now() % 100000}`;
    const remote = async (): Promise<string> =>
      (await execa('pgrep', ['-f', `^sleep ${seconds}$`], { reject: false })).stdout.trim();
    await assert.rejects(
      conn.exec(`sleep ${seconds}; true`, { timeoutMs: 500 }),
      (err: unknown) => err instanceof CommandTimeoutError && err.message.includes('timed out after 0.5s'),
    );
    let remaining = await remote();
    for (let i = 0; i < 40 && remaining !== ''; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
      remaining = await remote();
    }
    // The connection stays usable.
    const after = await conn.exec('echo still-here', { timeoutMs: 5000 });
    conn.close();
    assert.equal(remaining, '');
    assert.equal(after.stdout, 'still-here\n');
  });

  it('names a wrapped command as shownAs when it times out or is stopped, never the wrapper', async () => {
    const conn = await Connection.open(withKey(lab.hosts[2]!), verifier, credentials());
    const wrapper = `sh -c 'echo $$ > /dev/null && exec sleep 7.${process.pid}'`;
    await assert.rejects(
      conn.exec(wrapper, { timeoutMs: 300, shownAs: 'lxd init --preseed' }),
      (err: unknown) =>
        err instanceof CommandTimeoutError &&
        err.message.endsWith('timed out after 0.3s: lxd init --preseed') &&
        !err.message.includes('echo'),
    );
    const stop = new AbortController();
    const stopped = conn.exec(wrapper, {
      timeoutMs: 5000,
      shownAs: 'microcloud preseed',
      signal: stop.signal,
    });
    setTimeout(() => stop.abort(), 200);
    await assert.rejects(
      stopped,
      (err: unknown) =>
        err instanceof CommandStoppedError && err.message.endsWith('stopped: microcloud preseed'),
    );
    conn.close();
  });

  it('escalates to KILL when the command ignores TERM', async () => {
    const conn = await Connection.open(withKey(lab.hosts[2]!), verifier, credentials());
    const seconds = `31.${process.pid}${Date.now() % 100000}`;
    const remote = async (): Promise<string> =>
      (await execa('pgrep', ['-f', `^sleep ${seconds}$`], { reject: false })).stdout.trim();
    await assert.rejects(
      conn.exec(`trap '' TERM; sleep ${seconds}; true`, { timeoutMs: 300 }),
      CommandTimeoutError,
    );
    await new Promise((r) => setTimeout(r, 1000));
    assert.notEqual(await remote(), '', 'TERM alone does not stop it');
    let remaining = await remote();
    for (let i = 0; i < 60 && remaining !== ''; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      remaining = await remote();
    }
    conn.close();
    assert.equal(remaining, '');
  });

  it('reports a host that dies mid-command as lost, quickly', async () => {
    const local = await startLoopbackLab({ count: 1, baseDir: scratch.path, names: ['doomed'], subnet: 2 });
    const localVerifier = new KnownHostsVerifier({
      files: [local.knownHostsPath],
      policy: 'strict',
      readFile,
    });
    try {
      const conn = await Connection.open(
        target(local.hosts[0]!, {
          user: local.user,
          identityFiles: [{ path: local.clientKeyPath, explicit: true }],
        }),
        localVerifier,
        credentials(),
      );
      const running = conn.exec('sleep 30', { timeoutMs: 60000 }).then(
        () => undefined,
        (err: unknown) => err,
      );
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      await local.kill('doomed');
      const outcome = await running;
      const detectedMs = Date.now() - started;
      assert.ok(outcome instanceof ConnectionLostError, String(outcome));
      assert.ok(detectedMs < 5000, `noticed after ${detectedMs} ms`);
      assert.equal(conn.isAlive, false);
      await assert.rejects(conn.exec('true', { timeoutMs: 1000 }), ConnectionLostError);
      conn.close();
    } finally {
      await local.stop();
    }
  });

  describe('a host that goes silent (its link cut: no answer, no reset)', () => {
    let local: LoopbackLab;
    let localVerifier: KnownHostsVerifier;
    /** Stops every process serving the host's connections, not its listener: TCP still acknowledges. */
    const silence = (signal: 'SIGSTOP' | 'SIGCONT'): void => {
      for (const pid of descendants(local.hosts[0]!.process.pid ?? 0)) {
        try {
          process.kill(pid, signal);
        } catch {
          // ended meanwhile
        }
      }
    };
    const open = (keepaliveIntervalMs: number): Promise<Connection> =>
      Connection.open(
        target(local.hosts[0]!, {
          user: local.user,
          identityFiles: [{ path: local.clientKeyPath, explicit: true }],
          keepaliveIntervalMs,
          keepaliveCountMax: 2,
        }),
        localVerifier,
        credentials(),
      );
    before(async () => {
      local = await startLoopbackLab({ count: 1, baseDir: scratch.path, names: ['mute'], subnet: 4 });
      localVerifier = new KnownHostsVerifier({ files: [local.knownHostsPath], policy: 'strict', readFile });
    });
    after(async () => {
      silence('SIGCONT');
      await local.stop();
    });

    it('is found lost mid-command by its keepalives, well before the command timeout', async () => {
      const conn = await open(500);
      try {
        const running = conn.exec('sleep 30', { timeoutMs: 60_000 }).then(
          () => undefined,
          (err: unknown) => err,
        );
        await new Promise((r) => setTimeout(r, 300));
        const started = Date.now();
        silence('SIGSTOP');
        const outcome = await running;
        const detectedMs = Date.now() - started;
        assert.ok(outcome instanceof ConnectionLostError, String(outcome));
        assert.match(String(outcome), /no answer to keepalives/);
        assert.ok(detectedMs < 5000, `noticed after ${detectedMs} ms`);
      } finally {
        conn.close();
        silence('SIGCONT');
      }
    });

    it('lets go of its socket when closed, instead of waiting for an answer that never comes', async () => {
      // Keepalives too far apart to notice: only close() can end this connection.
      const conn = await open(60_000);
      try {
        assert.equal((await conn.exec('echo up', { timeoutMs: 5000 })).stdout, 'up\n');
        silence('SIGSTOP');
        const started = Date.now();
        conn.close();
        let timer: NodeJS.Timeout | undefined;
        const ended = await Promise.race([
          conn.closed.then(() => Date.now() - started),
          new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 10_000))),
        ]);
        clearTimeout(timer);
        // Before: ssh2 ends the socket and stops its keepalives; it stays open until TCP gives up (minutes).
        assert.ok(ended !== undefined && ended < 5000, `socket still open after ${ended ?? '10000+'} ms`);
      } finally {
        silence('SIGCONT');
      }
    });
  });

  it('logs in with a password when the server allows it, and is not retried when it is wrong', async () => {
    const user = await createUser('none', { password: true });
    const local = await startLoopbackLab({
      count: 1,
      baseDir: scratch.path,
      names: ['pwhost'],
      subnet: 5,
      sshdConfig: ['PasswordAuthentication yes'],
    });
    const localVerifier = new KnownHostsVerifier({
      files: [local.knownHostsPath],
      policy: 'strict',
      readFile,
    });
    try {
      const host = local.hosts[0]!;
      const conn = await Connection.open(
        target(host, { user: user.name, password: user.password ?? '' }),
        localVerifier,
        credentials(),
      );
      assert.equal((await conn.exec('id -un', { timeoutMs: 5000 })).stdout, `${user.name}\n`);
      conn.close();

      const attempts: number[] = [];
      const pool = new ConnectionPool(
        new Map([['pwhost', target(host, { user: user.name, password: 'wrong' })]]),
        () => localVerifier,
        credentials(),
        {
          forks: 1,
          retry: { attempts: 3, baseDelayMs: 10 },
          hooks: { connecting: (_h, n) => attempts.push(n) },
        },
      );
      await assert.rejects(
        pool.get('pwhost'),
        (err: unknown) => err instanceof AuthenticationError && /tried password/.test(err.message),
      );
      assert.deepEqual(attempts, [1]);
    } finally {
      await local.stop();
      await user.remove();
    }
  });

  it('retries a refused connection with backoff, then reports it', async () => {
    const host = lab.hosts[0]!;
    const attempts: number[] = [];
    const started = Date.now();
    const pool = new ConnectionPool(
      new Map([
        [
          'closed',
          target({ ...host, port: 1 }, { identityFiles: [{ path: lab.clientKeyPath, explicit: true }] }),
        ],
      ]),
      () => verifier,
      credentials(),
      {
        forks: 1,
        retry: { attempts: 3, baseDelayMs: 50 },
        hooks: { connecting: (_h, n) => attempts.push(n) },
      },
    );
    await assert.rejects(
      pool.get('closed'),
      (err: unknown) => err instanceof NetworkError && /ECONNREFUSED/.test(err.message),
    );
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.ok(Date.now() - started >= 150, 'waited 50 + 100 ms between attempts');
  });

  describe('become (sudo)', () => {
    let nopasswd: TestUser;
    let withPassword: TestUser;
    let noSudo: TestUser;
    before(async () => {
      [nopasswd, withPassword, noSudo] = await Promise.all([
        createUser('nopasswd'),
        createUser('password'),
        createUser('none'),
      ]);
    });
    after(async () => {
      await Promise.all([nopasswd.remove(), withPassword.remove(), noSudo.remove()]);
    });

    it('uses sudo -n for a user with passwordless sudo', async () => {
      const conn = await Connection.open(
        withKey(lab.hosts[0]!, { user: nopasswd.name }),
        verifier,
        credentials(),
      );
      const plain = await conn.exec('id -un', { timeoutMs: 5000 });
      const root = await conn.exec('id -un', { timeoutMs: 5000, become: true });
      conn.close();
      assert.equal(plain.stdout, `${nopasswd.name}\n`);
      assert.equal(root.stdout, 'root\n');
    });

    it('writes the password to sudo on stdin, never on the command line, and keeps stdin for the command', async () => {
      const password = withPassword.password ?? '';
      const conn = await Connection.open(
        withKey(lab.hosts[0]!, { user: withPassword.name, becomePassword: password }),
        verifier,
        credentials(),
      );
      const lines: string[] = [];
      const result = await conn.exec('id -un; cat; echo done >&2', {
        timeoutMs: 10000,
        become: true,
        stdin: 'from-stdin\n',
        onLine: (stream, line) => lines.push(`${stream}:${line}`),
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'root\nfrom-stdin\n');
      assert.equal(result.stderr, 'done\n');
      // Neither sudo's prompt nor our start marker reaches the output.
      assert.deepEqual(lines.sort(), ['stderr:done', 'stdout:from-stdin', 'stdout:root']);

      // While sudo runs, every command line on the host is visible to ps: the password is on none.
      const ps = await conn.exec('ps -eo args', { timeoutMs: 10000, become: true });
      conn.close();
      assert.match(ps.stdout, /sudo -S -p/);
      assert.ok(!ps.stdout.includes(password));
    });

    it('fails with a clear error when sudo needs a password and none was given', async () => {
      const conn = await Connection.open(
        withKey(lab.hosts[0]!, { user: withPassword.name }),
        verifier,
        credentials(),
      );
      await assert.rejects(conn.exec('true', { timeoutMs: 5000, become: true }), (err: unknown) => {
        return (
          err instanceof BecomeError &&
          /needs a password/.test(err.message) &&
          /ask-become-pass/.test(err.hint ?? '')
        );
      });
      conn.close();
    });

    it('fails with a clear error when the become password is wrong', async () => {
      const conn = await Connection.open(
        withKey(lab.hosts[0]!, { user: withPassword.name, becomePassword: 'not-the-password' }),
        verifier,
        credentials(),
      );
      await assert.rejects(conn.exec('true', { timeoutMs: 15000, become: true }), (err: unknown) => {
        return err instanceof BecomeError && /rejected the become password/.test(err.message);
      });
      conn.close();
    });

    it('fails with a clear error for a user without sudo rights', async () => {
      const conn = await Connection.open(
        withKey(lab.hosts[0]!, { user: noSudo.name }),
        verifier,
        credentials(),
      );
      await assert.rejects(conn.exec('true', { timeoutMs: 5000, become: true }), BecomeError);
      conn.close();
    });
  });
});

/** `ssh-keygen -lf` is the oracle for fingerprints: "256 SHA256:... comment (ED25519)". */
function fingerprintOf(keyPath: string): string {
  const out = execaSync('ssh-keygen', ['-lf', `${keyPath}.pub`]).stdout;
  return out.split(' ')[1] ?? '';
}
