// `mc inventory from-vagrant` as a user runs it, with a fake `vagrant` on PATH replaying recorded outputs
// of both providers (test/fixtures/vagrant): what it prints, what `mc inventory check` says of the result,
// and the one-line errors (exit status 2) of the broken cases.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { freePort } from '../../src/lab/ports.js';
import { tempDir } from '../support/system.js';
import { MC } from '../support/mc-bin.js';

const FAKE_VAGRANT_DIR = new URL('../support/fake-vagrant', import.meta.url).pathname;
const FIXTURES = new URL('../fixtures/vagrant', import.meta.url).pathname;

describe('mc inventory from-vagrant', () => {
  let scratch: ReturnType<typeof tempDir>;
  let project: string;
  let log: string;
  before(() => {
    scratch = tempDir('mc-from-vagrant-test');
    project = join(scratch.path, 'project');
    mkdirSync(project);
    log = join(scratch.path, 'vagrant-calls.log');
  });
  after(() => scratch.remove());

  const mc = async (
    args: string[],
    scenario: string,
    path = `${FAKE_VAGRANT_DIR}:${process.env.PATH ?? ''}`,
  ) => {
    const r = await execa('node', [MC, ...args], {
      cwd: scratch.path,
      reject: false,
      stdin: 'ignore',
      env: { PATH: path, FAKE_VAGRANT_SCENARIO: resolve(FIXTURES, scenario), FAKE_VAGRANT_LOG: log },
      extendEnv: false,
      timeout: 60_000,
    });
    return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  for (const scenario of ['libvirt-3', 'libvirt-5', 'virtualbox-3', 'virtualbox-5']) {
    it(`turns ${scenario} into an inventory that mc inventory check accepts`, async () => {
      writeFileSync(log, '');
      const r = await mc(['inventory', 'from-vagrant', '--dir', project], scenario);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      // vagrant ran once, in the project directory, and only ssh-config: nothing else is needed.
      assert.equal(readFileSync(log, 'utf8'), `${project}\tssh-config\n`);
      const file = join(scratch.path, `${scenario}.yaml`);
      writeFileSync(file, r.stdout);
      const check = await mc(['inventory', 'check', '-i', file], scenario);
      const count = scenario.endsWith('5') ? 5 : 3;
      assert.equal(check.code, 0, check.stderr);
      assert.equal(check.stdout, `${file}: ok (mc, ${count} hosts, 2 groups)`);
      const list = await mc(['inventory', 'list', '-i', file, '-o', 'json'], scenario);
      const hostvars = (
        JSON.parse(list.stdout) as { _meta: { hostvars: Record<string, Record<string, unknown>> } }
      )._meta.hostvars;
      assert.deepEqual(
        Object.keys(hostvars),
        Array.from({ length: count }, (_, i) => `node${i + 1}`),
      );
      const provider = scenario.split('-')[0] ?? '';
      assert.equal(hostvars['node2']?.['user'], 'vagrant');
      assert.equal(
        hostvars['node2']?.['key'],
        `/home/ana/mc/.vagrant/machines/node2/${provider}/private_key`,
      );
      assert.equal(hostvars['node2']?.['port'], provider === 'virtualbox' ? 2200 : 22);
    });
  }

  it('runs vagrant in the current directory without --dir', async () => {
    writeFileSync(log, '');
    const r = await mc(['inventory', 'from-vagrant'], 'libvirt-3');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(log, 'utf8'), `${scratch.path}\tssh-config\n`);
  });

  it('names the machine that is not created, and asks for vagrant up', async () => {
    writeFileSync(log, '');
    const r = await mc(['inventory', 'from-vagrant', '--dir', project], 'not-created');
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '', 'no partial inventory');
    assert.equal(
      r.stderr,
      `mc: vagrant ssh-config in ${project}: node3 is not created (libvirt): run \`vagrant up\` there, then this again`,
    );
    assert.equal(
      readFileSync(log, 'utf8'),
      `${project}\tssh-config\n${project}\tstatus --machine-readable\n`,
    );
  });

  it('names every machine when none is created (recorded from vagrant 2.3.4)', async () => {
    const r = await mc(['inventory', 'from-vagrant', '--dir', project], 'not-created-all');
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `mc: vagrant ssh-config in ${project}: node1 is not created (libvirt), node2 is not created (libvirt), node3 is not created (libvirt): run \`vagrant up\` there, then this again`,
    );
  });

  it('refuses two machines on one forwarded port, at the line and column of the port', async () => {
    const r = await mc(['inventory', 'from-vagrant', '--dir', project], 'port-collision');
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^mc: vagrant ssh-config:30:8: node3 has the same address and port as node1 \(127\.0\.0\.1:2222\): .*`vagrant reload node3`/,
    );
    assert.equal(r.stderr.split('\n').length, 1);
  });

  it("passes vagrant's own error on, on one line, when there is no Vagrantfile", async () => {
    const r = await mc(['inventory', 'from-vagrant', '--dir', project], 'no-vagrantfile');
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `mc: vagrant ssh-config in ${project} failed (exit status 1): A Vagrant environment or target machine is required to run this command. Run \`vagrant init\` to create a new Vagrant environment. Or, get an ID of a target machine from \`vagrant global-status\` to run this command on. A final option is to change to a directory with a Vagrantfile and to try again.`,
    );
  });

  it('reads the output through the bounded reader: bytes that are not UTF-8 are refused where they are', async () => {
    const scenario = join(scratch.path, 'binary');
    mkdirSync(scenario, { recursive: true });
    writeFileSync(
      join(scenario, 'ssh-config.stdout'),
      Buffer.concat([Buffer.from('Host node1\n  HostName 10.0.0.1\n  User va'), Buffer.from([0xff, 0xfe])]),
    );
    const r = await mc(['inventory', 'from-vagrant', '--dir', project], scenario);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      'mc: vagrant ssh-config:3:10: the output is not UTF-8 text (byte 0xff here; save it as UTF-8)',
    );
  });

  it('says how to install vagrant when it is not on PATH', async () => {
    const empty = join(scratch.path, 'empty-bin');
    mkdirSync(empty, { recursive: true });
    const node = process.execPath;
    const r = await execa(node, [MC, 'inventory', 'from-vagrant', '--dir', project], {
      reject: false,
      stdin: 'ignore',
      env: { PATH: empty },
      extendEnv: false,
    });
    assert.equal(r.exitCode, 2);
    assert.equal(
      r.stderr,
      'mc: vagrant is not installed (not found on PATH): install it (Debian, Ubuntu: apt-get install vagrant vagrant-libvirt), then run this again',
    );
  });

  it('refuses a --dir that does not exist and a bad uplink network before running vagrant', async () => {
    writeFileSync(log, '');
    const missing = await mc(['inventory', 'from-vagrant', '--dir', join(scratch.path, 'nope')], 'libvirt-3');
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, `mc: --dir ${join(scratch.path, 'nope')}: no such directory`);
    const gateway = await mc(
      ['inventory', 'from-vagrant', '--cluster', '--uplink-gateway', '192.168.57.1'],
      'libvirt-3',
    );
    assert.equal(gateway.code, 2);
    assert.equal(
      gateway.stderr,
      'mc: --uplink-gateway: not an IPv4 address with a prefix such as 192.168.57.1/24',
    );
    assert.equal(readFileSync(log, 'utf8'), '', 'vagrant ran');
  });

  it("reads the Ansible inventory Vagrant's ansible provisioner writes, as it is, with become beside it", async () => {
    // .vagrant/provisioners/ansible/inventory/vagrant_ansible_inventory, as vagrant 2.3.4 writes it
    // (plugins/provisioners/ansible/provisioner/host.rb); group_vars/all.yml is the user's: sudo.
    const file = join(FIXTURES, 'ansible-inventory', 'vagrant_ansible_inventory');
    const check = await mc(['inventory', 'check', '-i', file], 'libvirt-3');
    assert.equal(check.code, 0, check.stderr);
    assert.equal(check.stdout, `${file}: ok (ansible-ini, 3 hosts, 2 groups)`);
    const list = await mc(['inventory', 'list', '-i', file, '-o', 'json'], 'libvirt-3');
    const hostvars = (
      JSON.parse(list.stdout) as { _meta: { hostvars: Record<string, Record<string, unknown>> } }
    )._meta.hostvars;
    assert.deepEqual(hostvars['node2'], {
      ansible_become: true,
      ansible_host: '127.0.0.1',
      ansible_port: 2200,
      ansible_ssh_private_key_file: '/home/ana/mc/.vagrant/machines/node2/virtualbox/private_key',
      ansible_user: 'vagrant',
    });
  });

  it('writes nothing when a machine does not answer, and leaves recorded keys as they were', async () => {
    // A machine whose forwarded port nothing listens on (a VM that crashed after vagrant up).
    const port = await freePort();
    const scenario = join(scratch.path, 'unreachable');
    mkdirSync(scenario, { recursive: true });
    writeFileSync(
      join(scenario, 'ssh-config.stdout'),
      [
        'Host node1',
        '  HostName 127.0.0.1',
        '  User vagrant',
        `  Port ${port}`,
        '  StrictHostKeyChecking no',
        '',
        '',
      ].join('\n'),
    );
    const knownHosts = join(project, '.vagrant', 'mc_known_hosts');
    mkdirSync(join(project, '.vagrant'), { recursive: true });
    writeFileSync(knownHosts, 'old keys\n');
    const r = await mc(
      [
        'inventory',
        'from-vagrant',
        '--dir',
        project,
        '--record-host-keys',
        '-o',
        'plain',
        '--connect-timeout',
        '5',
      ],
      scenario,
    );
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '', 'an inventory was written');
    assert.match(r.stderr, /node1.*unreachable/);
    assert.match(r.stderr, /^error: not every machine answered \(see above\): no inventory written$/m);
    assert.equal(readFileSync(knownHosts, 'utf8'), 'old keys\n');
    assert.equal(existsSync(`${knownHosts}.new`), false, 'the half-recorded file was left behind');
  });
});
