// The real mc binary against real sshd hosts: what a user sees, and the exit statuses.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { startLoopbackLab } from '../../src/lab/openssh.js';
import type { LoopbackLab } from '../../src/lab/openssh.js';
import { freePort } from '../../src/lab/ports.js';
import { createUser, tempDir } from '../support/system.js';
import type { TestUser } from '../support/system.js';
import { MC } from '../support/mc-bin.js';

interface McResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('mc command line', { concurrency: false }, () => {
  let lab: LoopbackLab;
  let scratch: ReturnType<typeof tempDir>;
  let env: NodeJS.ProcessEnv;

  const mc = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<McResult> => {
    const result = await execa('node', [MC, ...args], {
      cwd: scratch.path,
      env: { ...env, ...extraEnv },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 60_000,
    });
    return { code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
  };

  before(async () => {
    scratch = tempDir('mc-cli');
    chmodSync(scratch.path, 0o755);
    lab = await startLoopbackLab({
      count: 3,
      baseDir: scratch.path,
      names: ['node1', 'node2', 'node3'],
      subnet: 4,
    });
    // No ssh-agent, no ~/.ssh: the run sees only what the test gives it.
    env = {
      PATH: process.env.PATH,
      HOME: scratch.path,
      USER: 'root',
      XDG_CACHE_HOME: join(scratch.path, 'cache'),
    };
    const hostsYaml = lab.hosts
      .map(
        (h) =>
          `        ${h.name}:\n          ansible_host: ${h.address}\n          ansible_port: ${h.port}\n`,
      )
      .join('');
    writeFileSync(
      join(scratch.path, 'hosts.yml'),
      `all:\n  vars:\n    ansible_user: ${lab.user}\n    ansible_ssh_private_key_file: ${lab.clientKeyPath}\n  children:\n    lab:\n      hosts:\n${hostsYaml}    storage:\n      hosts:\n        node2:\n        node3:\n`,
    );
    writeFileSync(
      join(scratch.path, 'hosts.ini'),
      [
        '[lab]',
        ...lab.hosts.map((h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port}`),
        '',
        '[lab:vars]',
        `ansible_user=${lab.user}`,
        `ansible_ssh_private_key_file=${lab.clientKeyPath}`,
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await lab.stop();
    scratch.remove();
  });

  it('pings every host of an Ansible YAML inventory', async () => {
    const r = await mc(['ping', '-i', 'hosts.yml', '--known-hosts', lab.knownHostsPath]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const host of ['node1', 'node2', 'node3']) {
      assert.match(
        r.stdout,
        new RegExp(`^\\[${host}\\] ok: .+ x86_64, user ${lab.user}, sudo ok \\(\\d+ms\\)$`, 'm'),
      );
    }
    assert.match(r.stdout, /^RECAP ok=3$/m);
  });

  it('runs a command on an INI inventory, limited by a pattern, with [host] line output', async () => {
    const r = await mc([
      'run',
      '-i',
      'hosts.ini',
      '--known-hosts',
      lab.knownHostsPath,
      '--limit',
      'lab:!node2',
      '--',
      'echo out-$SSH_CONNECTION | cut -d" " -f1; echo err >&2',
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^\[node1\] out-127\.0\.0\.1$/m);
    assert.match(r.stdout, /^\[node3\] err$/m);
    assert.doesNotMatch(r.stdout, /node2/);
    assert.match(r.stdout, /^RECAP ok=2$/m);
  });

  it('exits 1 and names the failing host when a command fails on one host', async () => {
    const r = await mc([
      'run',
      '-i',
      'hosts.yml',
      '--known-hosts',
      lab.knownHostsPath,
      '--',
      'test "$(hostname -I)" && [ -e /nonexistent-$((1)) ] || exit 5',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^\[node1\] FAILED: run: exit 5$/m);
    assert.match(r.stdout, /^RECAP failed=3$/m);
    assert.match(r.stdout, /^log file: .+\.log$/m);
  });

  it('streams NDJSON events with --output json', async () => {
    const r = await mc([
      'run',
      '-i',
      'hosts.yml',
      '--known-hosts',
      lab.knownHostsPath,
      '-l',
      'storage',
      '-o',
      'json',
      '--',
      'echo x',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; host?: string; text?: string });
    assert.equal(events[0]?.type, 'run-start');
    assert.equal(events.at(-1)?.type, 'run-end');
    assert.deepEqual(
      events
        .filter((e) => e.type === 'line')
        .map((e) => `${e.host}:${e.text}`)
        .sort(),
      ['node2:x', 'node3:x'],
    );
  });

  it('refuses unknown host keys by default and records them with --accept-new', async () => {
    const knownHosts = join(scratch.path, 'fresh_known_hosts');
    const refused = await mc(['ping', '-i', 'hosts.yml', '-l', 'node1', '--known-hosts', knownHosts]);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /UNREACHABLE: the host key of \[127\.0\.4\.1\]:\d+ is not known/);
    const accepted = await mc([
      'ping',
      '-i',
      'hosts.yml',
      '-l',
      'node1',
      '--known-hosts',
      knownHosts,
      '--accept-new',
    ]);
    assert.equal(accepted.code, 0, accepted.stdout);
    assert.match(readFileSync(knownHosts, 'utf8'), /^\[127\.0\.4\.1\]:\d+ ssh-ed25519 /);
    const again = await mc(['ping', '-i', 'hosts.yml', '-l', 'node1', '--known-hosts', knownHosts]);
    assert.equal(again.code, 0, again.stdout);
  });

  it('reports a host that does not answer as unreachable while the others carry on', async () => {
    const port = await freePort();
    writeFileSync(
      join(scratch.path, 'partly-down.yml'),
      readFileSync(join(scratch.path, 'hosts.yml'), 'utf8').replace(
        /(node3:\n {10}ansible_host: [\d.]+\n {10}ansible_port: )\d+/,
        `$1${port}`,
      ),
    );
    const r = await mc([
      'run',
      '-i',
      'partly-down.yml',
      '--known-hosts',
      lab.knownHostsPath,
      '--connect-retries',
      '2',
      '--',
      'echo up',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^\[node3\] connecting, attempt 2$/m);
    assert.match(r.stdout, /^\[node3\] UNREACHABLE: .*ECONNREFUSED/m);
    assert.match(r.stdout, /^\[node1\] up$/m);
    assert.match(r.stdout, /^node3 +unreachable/m);
  });

  it('on Ctrl-C signals the running remote commands, leaves nothing running, and exits 130', async () => {
    // The marker is sleep's own argument (a unique duration), so it names the remote process itself;
    // the `; true` keeps bash from exec'ing sleep, as a real multi-step command would.
    const seconds = `40.${process.pid}${Date.now() % 100000}`;
    const child = execa(
      'node',
      [MC, 'run', '-i', 'hosts.yml', '--known-hosts', lab.knownHostsPath, '--', `sleep ${seconds}; true`],
      {
        cwd: scratch.path,
        env,
        extendEnv: false,
        reject: false,
        stdin: 'ignore',
      },
    );
    // Processes on the hosts: everything matching the marker but mc itself, whose argv holds it too.
    const remote = async (): Promise<string> =>
      (await execa('pgrep', ['-f', `^sleep ${seconds}$`], { reject: false })).stdout
        .split('\n')
        .filter((pid) => pid !== '' && Number(pid) !== child.pid)
        .join('\n');
    for (let i = 0; i < 100 && (await remote()).split('\n').filter(Boolean).length < 3; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(
      (await remote()).split('\n').filter(Boolean).length,
      3,
      'the command runs on the three hosts',
    );
    child.kill('SIGINT');
    const result = await child;
    assert.equal(result.exitCode, 130);
    assert.match(result.stderr, /interrupted/);
    let left = await remote();
    for (let i = 0; i < 40 && left !== ''; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
      left = await remote();
    }
    assert.equal(left, '');
  });

  describe('input errors', () => {
    let listener: Server;
    let connections = 0;
    let port = 0;
    before(async () => {
      port = await freePort();
      listener = createServer((socket) => {
        connections += 1;
        socket.destroy();
      });
      await new Promise<void>((resolve) => listener.listen(port, '127.0.0.1', () => resolve()));
    });
    after(() => new Promise<void>((resolve) => listener.close(() => resolve())));

    it('exits 2 with file:line:col for every problem, no stack trace, and contacts no host', async () => {
      writeFileSync(
        join(scratch.path, 'bad.yaml'),
        [
          'hosts:',
          '  good:',
          '    address: 127.0.0.1',
          `    port: ${port}`,
          '  bad:',
          '    adress: 127.0.0.1',
          '    port: seventy',
          '',
        ].join('\n'),
      );
      const r = await mc(['run', '-i', 'bad.yaml', '--', 'true']);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      assert.ok(lines.length >= 2, r.stderr);
      assert.ok(
        lines.every((l) => /^mc: .*bad\.yaml:\d+:\d+: /.test(l)),
        r.stderr,
      );
      assert.ok(
        lines.some((l) => l.includes('bad.yaml:6:5:') && l.includes("did you mean 'address'")),
        r.stderr,
      );
      assert.ok(
        lines.some((l) => l.includes('bad.yaml:7:11:')),
        r.stderr,
      );
      assert.doesNotMatch(r.stderr, /\bat .+:\d+:\d+\)?$/m); // no stack frames
      assert.equal(connections, 0);
    });

    it('mc inventory check reports the cluster section as mc plan does, pointing at the values', async () => {
      const file = join(scratch.path, 'cluster.yaml');
      writeFileSync(
        file,
        [
          'hosts:',
          '  micro1: {address: 127.0.0.1, port: ' + String(port) + '}',
          '  micro2: {address: 127.0.0.2, port: ' + String(port) + '}',
          'cluster:',
          '  initiator: mirco1',
          '  systems:',
          '    micro2: {address: 10.1.123.300}',
          '',
        ].join('\n'),
      );
      const check = await mc(['inventory', 'check', '-i', 'cluster.yaml']);
      const plan = await mc(['plan', '-i', 'cluster.yaml']);
      const expected = [
        `mc: ${file}:5:14: cluster.initiator: 'mirco1' is not an inventory host (did you mean 'micro1'? inventory hosts: micro1, micro2)`,
        `mc: ${file}:7:23: cluster.systems.micro2.address: "10.1.123.300" is not an IP address`,
      ];
      for (const r of [check, plan]) {
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.equal(r.stdout, '');
        assert.deepEqual(r.stderr.trimEnd().split('\n').slice(0, expected.length), expected);
      }
      assert.equal(connections, 0);
    });

    it('exits 2 for a missing inventory and for a --limit that matches nothing', async () => {
      const missing = await mc(['ping', '-i', 'nope.yaml']);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /inventory file not found/);
      const limit = await mc(['ping', '-i', 'hosts.yml', '--limit', 'nosuchgroup']);
      assert.equal(limit.code, 2);
      assert.match(limit.stderr, /nosuchgroup/);
    });

    it('exits 2 for a broken ssh_config, naming the file, the host and the way out', async () => {
      const config = join(scratch.path, 'broken_ssh_config');
      writeFileSync(config, 'Host *\n  IdentitiesOnly maybe\n');
      const r = await mc(['ping', '-i', 'hosts.yml', '--ssh-config', config]);
      assert.equal(r.code, 2);
      assert.equal(
        r.stderr.trim(),
        `mc: ${config}: node1: IdentitiesOnly must be yes or no, not "maybe" (fix that ssh_config line, or run with --ssh-config none)`,
      );
      assert.equal(connections, 0);
    });

    it('exits 2 for a bad flag, with the usage hint', async () => {
      const r = await mc(['run', '-i', 'hosts.yml', '--forks', 'zero', '--', 'true']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--forks must be a whole number/);
      assert.equal(connections, 0);
    });
  });

  describe('become', () => {
    let user: TestUser;
    before(async () => {
      user = await createUser('password');
    });
    after(async () => {
      await user.remove();
    });

    it('takes the sudo password from MC_BECOME_PASSWORD and never shows it', async () => {
      const password = user.password ?? '';
      const logFile = join(scratch.path, 'become.log');
      writeFileSync(
        join(scratch.path, 'become.yml'),
        readFileSync(join(scratch.path, 'hosts.yml'), 'utf8').replace(
          `ansible_user: ${lab.user}`,
          `ansible_user: ${user.name}`,
        ),
      );
      const r = await mc(
        [
          'run',
          '-i',
          'become.yml',
          '-l',
          'node1',
          '--known-hosts',
          lab.knownHostsPath,
          '--become',
          '--log-file',
          logFile,
          '--',
          `id -un; echo "the password is ${password}"`,
        ],
        { MC_BECOME_PASSWORD: password },
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^\[node1\] root$/m, r.stdout);
      assert.match(r.stdout, /^\[node1\] the password is \*{8}$/m, r.stdout);
      assert.ok(!r.stdout.includes(password) && !r.stderr.includes(password));
      assert.ok(!readFileSync(logFile, 'utf8').includes(password));
    });
  });
});
