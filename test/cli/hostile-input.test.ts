// Bad input files through the real mc binary: exit 2, every problem located (file:line:col), no stack
// trace, and no connection to any host (a listener stands where the inventory's host would be).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { tempDir } from '../support/system.js';
import { MC } from '../support/mc-bin.js';

describe('mc with hostile input files', { concurrency: false }, () => {
  let scratch: ReturnType<typeof tempDir>;
  let server: Server;
  let port = 0;
  let connections = 0;

  before(async () => {
    scratch = tempDir('mc-hostile');
    server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    scratch.remove();
  });

  const file = (name: string, content: string | Buffer): string => {
    const path = join(scratch.path, name);
    writeFileSync(path, content);
    return path;
  };
  const host = (): string => `hosts:\n  node1:\n    address: 127.0.0.1\n    port: ${port}\n`;

  const mc = async (args: string[]) => {
    const result = await execa('node', [MC, ...args], {
      cwd: scratch.path,
      env: { PATH: process.env.PATH, HOME: scratch.path },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 60_000,
    });
    return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
  };

  const refused = async (args: string[], where: RegExp, lines = 1): Promise<string> => {
    const result = await mc([...args, '--ssh-config', 'none', '--connect-retries', '1']);
    assert.equal(result.code, 2, result.stderr);
    const printed = result.stderr.trimEnd().split('\n');
    assert.equal(printed.length, lines, result.stderr);
    assert.match(result.stderr, where);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
    assert.ok(result.stderr.length < 4096 * lines, `${result.stderr.length} characters`);
    assert.equal(connections, 0, 'mc connected to a host');
    return result.stderr;
  };

  it('a YAML alias bomb: one error, at the alias', async () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
    ].join('\n');
    await refused(
      ['ping', '-i', file('bomb.yaml', `${host()}x:\n${bomb.replace(/^/gm, '  ')}\n`)],
      /bomb\.yaml:9:38: YAML alias \*c/,
    );
  });

  it('an inventory too big, binary or not UTF-8', async () => {
    await refused(
      ['ping', '-i', file('big.yaml', `${host()}# ${'x'.repeat(5 * 1024 * 1024)}\n`)],
      /big\.yaml:5:\d+: the inventory file is larger than 4 MiB/,
    );
    await refused(['ping', '-i', file('nul.yaml', `${host()}\0`)], /nul\.yaml:5:1: .*NUL/);
    await refused(
      [
        'ping',
        '-i',
        file('latin1.yaml', Buffer.concat([Buffer.from(host()), Buffer.from([0x23, 0xe9, 0x0a])])),
      ],
      /latin1\.yaml:5:2: .*not UTF-8/,
    );
  });

  it('an address that is an option, and a 100 KiB value from the environment, cut', async () => {
    await refused(
      [
        'ping',
        '-i',
        file(
          'opt.yml',
          `all:\n  hosts:\n    node1:\n      ansible_host: "192.0.2.1 -oProxyCommand=touch pwned"\n`,
        ),
      ],
      /opt\.yml:4:21: ansible_host: /,
    );
    // One environment string may hold at most 128 KiB (Linux's MAX_ARG_STRLEN).
    const huge = 'x'.repeat(100 * 1024);
    file('env.yaml', 'hosts:\n  node1:\n    address: "${HUGE_ADDRESS}"\n');
    const viaEnv = await execa('node', [MC, 'inventory', 'check', '-i', join(scratch.path, 'env.yaml')], {
      env: { PATH: process.env.PATH, HOME: scratch.path, HUGE_ADDRESS: `a b${huge}` },
      extendEnv: false,
      reject: false,
    });
    assert.equal(viaEnv.exitCode, 2);
    assert.match(viaEnv.stderr, /env\.yaml:3:14: .*"a bx{57}… \(100\.0 KiB\)"/);
    assert.ok(viaEnv.stderr.length < 1024);
  });

  it('a mistyped ansible_* variable: a warning, exit 0; an error with --strict', async () => {
    const path = file('typo.yml', 'all:\n  hosts:\n    node1:\n      ansible_prot: 22\n');
    const warned = await mc(['inventory', 'check', '-i', path]);
    assert.equal(warned.code, 0);
    assert.match(warned.stderr, /typo\.yml:4:21: warning: .*did you mean 'ansible_port'\?/);
    await refused(['ping', '--strict', '-i', path], /typo\.yml:4:21: .*\(an error with --strict\)/);
  });

  it('a binary known_hosts or an ssh_config that is not UTF-8', async () => {
    const inventory = file('ok.yaml', host());
    const knownHosts = file('known_hosts', Buffer.from([0x31, 0x00, 0x0a]));
    await refused(
      ['ping', '-i', inventory, '--known-hosts', knownHosts],
      /known_hosts:1:2: the known_hosts file holds a NUL/,
    );
    const config = file('ssh_config', Buffer.from([0x48, 0x6f, 0x73, 0x74, 0x20, 0xff, 0x0a]));
    const result = await mc(['ping', '-i', inventory, '--ssh-config', config]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /ssh_config:1:6: the ssh_config is not UTF-8 .*--ssh-config none/);
    assert.equal(connections, 0);
  });
});
