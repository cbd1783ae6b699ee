// The embedded lab's transport: ssh2 servers running a real bash, simulated programs reached through
// shims. The runner here is a small scripted one; the simulator has its own tests.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startEmbeddedLab } from '../../src/lab/embedded/lab.js';
import { generateEd25519 } from '../../src/lab/keys.js';
import ssh2 from 'ssh2';
import type { EmbeddedLab } from '../../src/lab/embedded/lab.js';
import type { ProgramCall, ProgramRunner } from '../../src/lab/embedded/ssh-host.js';
import { Redactor } from '../../src/output/redact.js';
import { Connection } from '../../src/transport/connection.js';
import { Credentials } from '../../src/transport/credentials.js';
import { ConnectionLostError } from '../../src/transport/errors.js';
import { KnownHostsVerifier } from '../../src/transport/host-keys.js';
import { tempDir } from '../support/system.js';

const readFile = (path: string): Buffer | undefined => {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
};

/** Each host has `tool`, which echoes its argv and stdin; `install extra` makes `extra` appear. */
class ScriptedRunner implements ProgramRunner {
  readonly calls: string[] = [];
  private readonly installed = new Map<string, Set<string>>();
  programs(host: string): string[] {
    return ['tool', 'install', ...(this.installed.get(host) ?? [])];
  }
  readsStdin(_host: string, argv: readonly string[]): boolean {
    return argv.includes('--stdin');
  }
  run(host: string, argv: readonly string[], stdin: string, call: ProgramCall) {
    this.calls.push(`${host}: ${argv.join(' ')}${call.uid === 0 ? ' (root)' : ''}`);
    if (argv[0] === 'install') {
      const set = this.installed.get(host) ?? new Set<string>();
      for (const name of argv.slice(1)) set.add(name);
      this.installed.set(host, set);
      return Promise.resolve({ stdout: '', stderr: '', exitCode: 0 });
    }
    if (argv.includes('--drop'))
      return Promise.resolve({ stdout: '', stderr: '', exitCode: 0, dropConnection: true });
    const code = Number(argv.find((a) => a.startsWith('--exit='))?.slice(7) ?? 0);
    return Promise.resolve({
      stdout: `${host} ${JSON.stringify(argv)} stdin=${JSON.stringify(stdin)}\n`,
      stderr: 'to stderr\n',
      exitCode: code,
    });
  }
}

describe('embedded lab hosts', { concurrency: false }, () => {
  let lab: EmbeddedLab;
  let scratch: ReturnType<typeof tempDir>;
  const runner = new ScriptedRunner();
  const open = (i: number, user = 'lab'): Promise<Connection> => {
    const host = lab.hosts[i]!;
    return Connection.open(
      {
        label: host.name,
        address: host.address,
        port: host.port,
        user,
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
  };

  before(async () => {
    scratch = tempDir('mc-embedded');
    lab = await startEmbeddedLab({ names: ['n1', 'n2'], dir: scratch.path, runner, subnet: 3 });
  });
  after(async () => {
    await lab.stop();
    scratch.remove();
  });

  it('runs commands in a real shell, with the simulated programs on PATH', async () => {
    const conn = await open(0);
    const result = await conn.exec(
      'echo "$((6 * 7))"; tool a "b c" --exit=3 | tr a-z A-Z; echo "rc=${PIPESTATUS[0]}"',
      {
        timeoutMs: 10000,
      },
    );
    assert.equal(result.stdout, `42\nN1 ["TOOL","A","B C","--EXIT=3"] STDIN=""\nrc=3\n`);
    assert.equal(result.stderr, 'to stderr\n');
    assert.ok(runner.calls.includes('n1: tool a b c --exit=3'));
    await conn.exec('sudo -n -- tool as-root', { timeoutMs: 10000 });
    conn.close();
    assert.ok(runner.calls.includes('n1: tool as-root (root)'));
  });

  it('is root for the simulated programs when the login is root, without sudo', async () => {
    const conn = await open(1, 'root');
    await conn.exec('tool as-root-login', { timeoutMs: 10000 });
    conn.close();
    assert.ok(runner.calls.includes('n2: tool as-root-login (root)'));
  });

  it('gives stdin only to the programs that read it', async () => {
    const conn = await open(1);
    const result = await conn.exec('tool first; tool --stdin', { timeoutMs: 10000, stdin: 'payload' });
    conn.close();
    assert.equal(result.stdout, 'n2 ["tool","first"] stdin=""\nn2 ["tool","--stdin"] stdin="payload"\n');
  });

  it('shows a program only once it is installed, as snap does with /snap/bin', async () => {
    const conn = await open(0);
    const before = await conn.exec('command -v extra || echo missing; extra', { timeoutMs: 10000 });
    await conn.exec('install extra', { timeoutMs: 10000 });
    const afterInstall = await conn.exec('extra --exit=0', { timeoutMs: 10000 });
    conn.close();
    assert.equal(before.stdout, 'missing\n');
    assert.equal(before.code, 127);
    assert.match(before.stderr, /extra: command not found/);
    assert.equal(afterInstall.code, 0);
  });

  it('drops the connection when the simulator says so', async () => {
    const conn = await open(1);
    await assert.rejects(conn.exec('tool --drop', { timeoutMs: 10000 }), ConnectionLostError);
  });

  it('refuses a key it does not know', async () => {
    const host = lab.hosts[0]!;
    const other = `${scratch.path}/other`;
    writeFileSync(other, generateEd25519('other').privateKey, { mode: 0o600 });
    await assert.rejects(
      Connection.open(
        {
          label: host.name,
          address: host.address,
          port: host.port,
          user: 'lab',
          hostKeyName: host.address,
          identityFiles: [{ path: other, explicit: true }],
          jumps: [],
          keepaliveIntervalMs: 2000,
          keepaliveCountMax: 2,
          readyTimeoutMs: 5000,
        },
        new KnownHostsVerifier({ files: [lab.knownHostsPath], policy: 'strict', readFile }),
        new Credentials({ readFile, redactor: new Redactor() }),
      ),
      /authentication failed/,
    );
  });
});

describe('lab keys', () => {
  it('are always readable by ssh2, whose keygen drops a leading zero byte one time in 256', () => {
    // 1500 pairs would include a bad one from ssh2 alone with probability ~1 - (255/256)^1500 > 99.7 %.
    for (let i = 0; i < 1500; i += 1) {
      const pair = generateEd25519(`k${i}`);
      assert.ok(!(ssh2.utils.parseKey(pair.privateKey) instanceof Error));
      assert.ok(!(ssh2.utils.parseKey(pair.publicKey) instanceof Error));
    }
  });
});
