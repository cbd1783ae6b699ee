// mc playbook on the command line: a bad playbook is refused before any host is touched (exit 2, the
// problems on stderr as file:line:col), and a host that cannot be reached gives Ansible's exit status 4.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { MC } from '../support/mc-bin.js';
import { tempDir } from '../support/system.js';

describe('mc playbook on the command line', () => {
  let scratch: { path: string; remove: () => void };
  let inventory: string;
  before(() => {
    scratch = tempDir('mc-playbook-cli');
    inventory = join(scratch.path, 'hosts.ini');
    // Nothing listens on port 1: touching the host would make it unreachable.
    writeFileSync(inventory, 'down ansible_host=127.0.1.254 ansible_port=1 ansible_user=nobody\n');
  });
  after(() => scratch.remove());

  const mc = (...args: string[]) =>
    execa(
      process.execPath,
      [
        MC,
        'playbook',
        '-i',
        inventory,
        '--ssh-config',
        'none',
        '--log-file',
        join(scratch.path, 'mc.log'),
        '-o',
        'plain',
        ...args,
      ],
      {
        reject: false,
        cwd: new URL('../..', import.meta.url).pathname,
      },
    );

  it('refuses a bad playbook before touching any host, with every problem located', async () => {
    const playbook = join(scratch.path, 'bad.yml');
    writeFileSync(
      playbook,
      '- hosts: all\n  tasks:\n    - commnd: echo hi\n    - debug: {msg: "{{ x | upperr }}"}\n      vars: {x: 1}\n    - debug: {msg: "{{ lookup(\'pipe\', \'id\') }}"}\n',
    );
    const run = await mc(playbook);
    assert.equal(run.exitCode, 2, run.stderr);
    assert.deepEqual(run.stderr.trim().split('\n'), [
      `mc: ${playbook}:3:7: unknown module or keyword 'commnd' (did you mean 'command'?)`,
      `mc: ${playbook}:4:20: unknown filter 'upperr' (did you mean 'upper'?)`,
      `mc: ${playbook}:6:20: lookup(): lookups read the controller; mc does not run them (pass the value with -e or vars_files)`,
    ]);
    assert.equal(run.stdout, '', 'nothing ran');
  });

  it('refuses a template naming an undefined variable', async () => {
    const playbook = join(scratch.path, 'undefined.yml');
    writeFileSync(
      playbook,
      '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: {msg: "{{ colour }}"}\n    - command: echo {{ colour }}\n',
    );
    const run = await mc(playbook);
    assert.equal(run.exitCode, 2);
    assert.match(run.stderr, /undefined\.yml:4:20: 'colour' is undefined/);
    // The same variable given with -e is fine; then the host is tried, and it is down: Ansible's 4.
    const down = await mc(playbook, '-e', 'colour=red', '--connect-retries', '1', '--connect-timeout', '3');
    assert.equal(down.exitCode, 4, down.stdout + down.stderr);
    assert.match(down.stdout, /down\s+: ok=1\s+changed=0\s+unreachable=1\s+failed=0/);
  });
});
