// `vagrant ssh-config` and `vagrant status --machine-readable` outputs (test/fixtures/vagrant: rendered with
// Vagrant's own template, or recorded from Debian's vagrant 2.3.4) read into machines, and the inventories
// written from them, which the inventory parser must accept as they are.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { formatIssue } from '../../../src/domain/inventory/index.js';
import {
  parseVagrantSshConfig,
  parseVagrantStatus,
  vagrantInventory,
} from '../../../src/domain/inventory/vagrant-ssh-config.js';
import type { VagrantMachine } from '../../../src/domain/inventory/vagrant-ssh-config.js';
import { lines, parseValid } from './helpers.js';

const fixture = (scenario: string, file = 'ssh-config.stdout'): string =>
  readFileSync(new URL(`../../fixtures/vagrant/${scenario}/${file}`, import.meta.url), 'utf8');

function machinesOf(text: string): VagrantMachine[] {
  const result = parseVagrantSshConfig(text, 'vagrant ssh-config');
  if (!result.ok) assert.fail(result.issues.map(formatIssue).join('\n'));
  return result.machines;
}

function issuesOf(text: string): string[] {
  const result = parseVagrantSshConfig(text, 'vagrant ssh-config');
  if (result.ok) assert.fail('expected issues, but the output was accepted');
  return result.issues.map(formatIssue);
}

const KEY = (name: string, provider: string): string =>
  `/home/ana/mc/.vagrant/machines/${name}/${provider}/private_key`;

describe('vagrant ssh-config output', () => {
  for (const [scenario, provider, endpoints] of [
    ['libvirt-3', 'libvirt', ['192.168.121.23:22', '192.168.121.187:22', '192.168.121.94:22']],
    [
      'libvirt-5',
      'libvirt',
      [
        '192.168.121.23:22',
        '192.168.121.187:22',
        '192.168.121.94:22',
        '192.168.121.142:22',
        '192.168.121.61:22',
      ],
    ],
    ['virtualbox-3', 'virtualbox', ['127.0.0.1:2222', '127.0.0.1:2200', '127.0.0.1:2201']],
    [
      'virtualbox-5',
      'virtualbox',
      ['127.0.0.1:2222', '127.0.0.1:2200', '127.0.0.1:2201', '127.0.0.1:2202', '127.0.0.1:2203'],
    ],
  ] as const) {
    it(`reads ${scenario} and writes an inventory the parser accepts`, () => {
      const machines = machinesOf(fixture(scenario));
      assert.deepEqual(
        machines.map((m) => [m.name, `${m.hostName}:${m.port}`, m.user, m.identityFiles, m.identitiesOnly]),
        endpoints.map((endpoint, i) => [
          `node${i + 1}`,
          endpoint,
          'vagrant',
          [KEY(`node${i + 1}`, provider)],
          true,
        ]),
      );
      assert.deepEqual(
        machines.map((m) => [m.strictHostKeyChecking, m.userKnownHostsFile]),
        machines.map(() => ['no', '/dev/null']),
      );
      const inventory = parseValid('hosts.yaml', vagrantInventory(machines, { directory: '/home/ana/mc' }));
      assert.deepEqual(
        inventory.hosts.map((h) => [h.name, `${h.address}:${h.port}`, h.user, h.keyFile, h.become]),
        machines.map((m) => [m.name, `${m.hostName}:${m.port}`, 'vagrant', m.identityFiles[0], true]),
      );
      for (const host of inventory.hosts) {
        assert.deepEqual(host.sshOptions, {
          IdentitiesOnly: 'yes',
          StrictHostKeyChecking: 'no',
          UserKnownHostsFile: '/dev/null',
        });
      }
    });
  }

  it('writes this inventory for VirtualBox machines', () => {
    const text = vagrantInventory(machinesOf(fixture('virtualbox-3')), { directory: '/home/ana/mc' });
    assert.equal(
      text,
      lines(
        '# Written by `mc inventory from-vagrant` from `vagrant ssh-config` in /home/ana/mc.',
        '# Host keys are not checked, as Vagrant sets it (a re-created VM has a new key on the same address);',
        '# `mc inventory from-vagrant --record-host-keys` records them and checks them instead.',
        'defaults:',
        '  user: vagrant',
        '  become: true',
        '  ssh_options:',
        '    IdentitiesOnly: yes',
        '    StrictHostKeyChecking: no',
        '    UserKnownHostsFile: /dev/null',
        'hosts:',
        '  node1:',
        '    address: 127.0.0.1',
        '    port: 2222',
        `    key: ${KEY('node1', 'virtualbox')}`,
        '  node2:',
        '    address: 127.0.0.1',
        '    port: 2200',
        `    key: ${KEY('node2', 'virtualbox')}`,
        '  node3:',
        '    address: 127.0.0.1',
        '    port: 2201',
        `    key: ${KEY('node3', 'virtualbox')}`,
      ),
    );
  });

  it('checks recorded host keys strictly, and appends a cluster section as it is', () => {
    const machines = machinesOf(fixture('libvirt-3'));
    const text = vagrantInventory(machines, {
      directory: '/home/ana/mc',
      hostKeys: { file: '/home/ana/mc/.vagrant/mc_known_hosts', policy: 'yes' },
      cluster: lines('cluster:', '  systems:', '    node1:', '      ovn_uplink_interface: eth2'),
    });
    const inventory = parseValid('hosts.yaml', text);
    assert.deepEqual(inventory.hosts[0]?.sshOptions, {
      IdentitiesOnly: 'yes',
      StrictHostKeyChecking: 'yes',
      UserKnownHostsFile: '/home/ana/mc/.vagrant/mc_known_hosts',
    });
    assert.match(text, /^# Host keys are checked against \/home\/ana\/mc\/\.vagrant\/mc_known_hosts/m);
    assert.deepEqual(inventory.cluster?.value, { systems: { node1: { ovn_uplink_interface: 'eth2' } } });
  });

  it('puts the user on each host when the machines log in as different users', () => {
    const text = lines(
      'Host a',
      '  HostName 10.0.0.1',
      '  User vagrant',
      '  Port 22',
      '',
      'Host b',
      '  HostName 10.0.0.2',
      '  User ubuntu',
      '  Port 22',
    );
    const inventory = parseValid('hosts.yaml', vagrantInventory(machinesOf(text), { directory: '/p' }));
    assert.deepEqual(
      inventory.hosts.map((h) => [h.name, h.user, h.keyFile]),
      [
        ['a', 'vagrant', undefined],
        ['b', 'ubuntu', undefined],
      ],
    );
  });

  it('reads the machines printed before one that is not created (the workflow reports that one)', () => {
    assert.deepEqual(
      machinesOf(fixture('not-created')).map((m) => m.name),
      ['node1', 'node2'],
    );
  });

  it('refuses two machines on one forwarded port, at the later Port', () => {
    assert.deepEqual(issuesOf(fixture('port-collision')), [
      'vagrant ssh-config:30:8: node3 has the same address and port as node1 (127.0.0.1:2222): the forwarded port reaches one of them only; run `vagrant reload node3` so Vagrant gives it a free port (auto_correct), then try again',
    ]);
  });

  it('refuses an empty output with the next step', () => {
    assert.deepEqual(issuesOf(fixture('not-created-all')), [
      'vagrant ssh-config:1:1: no machine in the output: run `vagrant up` first, in the directory of the Vagrantfile',
    ]);
  });

  it('reports every broken block at once, each at its value', () => {
    const text = lines(
      'Port 22',
      'Host node1',
      '  HostName 192.168.121.5',
      '  User vagrant',
      '  Port 70000',
      'Host node2',
      '  User vagrant',
      'Host node3',
      '  HostName 10.0.0.3',
      '  User vagrant',
      '  ProxyCommand ssh -W %h:%p jumphost',
      'Host "bad name"',
      '  HostName 10.0.0.4',
      '  User vagrant',
      'Host node4',
      '  HostName 10.0.0.4',
      '  User vagrant',
      'Host node4',
      '  HostName 10.0.0.5',
      '  User vagrant',
    );
    assert.deepEqual(issuesOf(text), [
      'vagrant ssh-config:1:6: Port outside a Host block: this is not `vagrant ssh-config` output',
      'vagrant ssh-config:5:8: node1: bad Port "70000"',
      'vagrant ssh-config:6:6: node2: no HostName: Vagrant always writes one; is this its output?',
      'vagrant ssh-config:11:16: node3: Vagrant reaches this machine through a ProxyCommand, which mc cannot run; reach it with ProxyJump instead (an mc inventory `jump:`)',
      "vagrant ssh-config:12:6: machine name \"bad name\" cannot be an inventory host name (letters, digits, '-', '.', '_')",
      'vagrant ssh-config:18:6: machine node4 is listed twice (first at line 15)',
    ]);
  });

  it('keeps a quoted IdentityFile whole (a project path with a space)', () => {
    const machines = machinesOf(
      lines('Host node1', '  HostName 10.0.0.1', '  User vagrant', '  IdentityFile "/home/a b/.vagrant/key"'),
    );
    assert.deepEqual(machines[0]?.identityFiles, ['/home/a b/.vagrant/key']);
    assert.equal(machines[0]?.port, 22);
  });
});

describe('vagrant status --machine-readable output', () => {
  it('reads the states Debian vagrant 2.3.4 printed for machines not created yet', () => {
    assert.deepEqual(parseVagrantStatus(fixture('not-created-all', 'status.stdout')), [
      { name: 'node1', state: 'not_created', description: 'not created', provider: 'libvirt' },
      { name: 'node2', state: 'not_created', description: 'not created', provider: 'libvirt' },
      { name: 'node3', state: 'not_created', description: 'not created', provider: 'libvirt' },
    ]);
  });

  it('tells running machines from the others, and unescapes commas', () => {
    const states = parseVagrantStatus(fixture('not-created', 'status.stdout'));
    assert.deepEqual(
      states.map((s) => [s.name, s.state]),
      [
        ['node1', 'running'],
        ['node2', 'running'],
        ['node3', 'not_created'],
      ],
    );
    assert.deepEqual(
      parseVagrantStatus('1,web,state-human-short,saved%!(VAGRANT_COMMA) paused\n1,web,state,saved\n'),
      [{ name: 'web', state: 'saved', description: 'saved, paused', provider: 'unknown' }],
    );
  });
});
