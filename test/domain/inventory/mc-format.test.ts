import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { connection, hostNamed, lines, parseIssues, parseValid } from './helpers.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/inventory/${name}`, import.meta.url), 'utf8');

describe('mc format: features', () => {
  const inventory = parseValid('mc-full.yaml', fixture('mc-full.yaml'), { MC_SSH_PASSWORD: 'pw' });

  it('is detected as mc and keeps hosts in file order, numeric names included', () => {
    assert.equal(inventory.format, 'mc');
    assert.equal(inventory.source, 'mc-full.yaml');
    assert.deepEqual(
      inventory.hosts.map((host) => host.name),
      ['node1', 'node2', 'node3', '10', 'standalone'],
    );
  });

  it('applies defaults < groups in file order < host', () => {
    // node1: storage sets port 2200, then rack1 (storage's parent) sets the user, then late sets port 2201.
    assert.deepEqual(connection(hostNamed(inventory, 'node1')), {
      address: '10.0.0.11',
      port: 2201,
      user: 'rack-user',
      keyFile: '~/.ssh/id_ed25519',
      password: 'pw',
      proxyJump: 'admin@bastion:2222,jump2',
      sshOptions: { ServerAliveInterval: '5', Compression: 'yes' },
      become: true,
    });
    // node2: its own port, become and an extra ssh option on top of the group's.
    assert.deepEqual(connection(hostNamed(inventory, 'node2')), {
      address: '10.0.0.12',
      port: 2022,
      user: 'rack-user',
      keyFile: '~/.ssh/id_ed25519',
      password: 'pw',
      proxyJump: 'admin@bastion:2222,jump2',
      sshOptions: { ServerAliveInterval: '5', Compression: 'yes', StrictHostKeyChecking: 'accept-new' },
      become: false,
    });
  });

  it('merges vars key by key, defaults first', () => {
    assert.deepEqual(hostNamed(inventory, 'node1').vars, { site: 'lab', tier: 'storage', rack: 'r1' });
    assert.deepEqual(hostNamed(inventory, 'node3').vars, { site: 'lab', tier: 'default', rack: 'r1' });
  });

  it('defaults the address to the name and fills a host without settings from defaults', () => {
    const standalone = hostNamed(inventory, 'standalone');
    assert.equal(standalone.address, 'standalone');
    assert.equal(standalone.user, 'ubuntu');
    assert.equal(standalone.port, 22);
    assert.deepEqual(standalone.groups, ['all', 'ungrouped']);
  });

  it('reads YAML merge keys, explicit keys winning', () => {
    const merged = hostNamed(inventory, '10');
    assert.deepEqual([merged.address, merged.proxyJump, merged.becomeUser], ['10.0.0.10', 'none', 'root']);
  });

  it('treats an empty secret as no secret', () => {
    assert.equal(hostNamed(inventory, 'node1').becomePassword, undefined);
  });

  it('lists group membership through children, all first', () => {
    assert.deepEqual(hostNamed(inventory, 'node1').groups, ['all', 'storage', 'rack1', 'late']);
    assert.deepEqual(hostNamed(inventory, 'node3').groups, ['all', 'rack1']);
  });

  it('builds all, ungrouped and the declared groups', () => {
    assert.deepEqual(inventory.groups, [
      {
        name: 'all',
        hosts: [],
        children: ['ungrouped', 'rack1', 'late'],
        vars: { site: 'lab', tier: 'default' },
      },
      { name: 'ungrouped', hosts: ['10', 'standalone'], children: [], vars: {} },
      { name: 'storage', hosts: ['node1', 'node2'], children: [], vars: { tier: 'storage' } },
      { name: 'rack1', hosts: ['node3'], children: ['storage'], vars: { rack: 'r1' } },
      { name: 'late', hosts: ['node1'], children: [], vars: {} },
    ]);
  });

  it('keeps the cluster section raw, with the position of its key, of every value and of every key under it', () => {
    const at = (line: number, col: number) => ({ file: 'mc-full.yaml', line, col });
    assert.deepEqual(inventory.cluster, {
      value: { name: 'lab', members: ['node1', 'node2', 'node3'] },
      origin: at(50, 1),
      positions: {
        name: at(51, 9),
        members: at(52, 3),
        'members.0': at(52, 13),
        'members.1': at(52, 20),
        'members.2': at(52, 27),
      },
      keys: { name: at(51, 3), members: at(52, 3) },
    });
  });

  it('records where each host is defined', () => {
    assert.deepEqual(hostNamed(inventory, 'node2').origin, { file: 'mc-full.yaml', line: 36, col: 3 });
  });

  it('accepts a port given as digits (from an environment variable)', () => {
    const parsed = parseValid('hosts.yaml', lines('hosts:', '  node1:', '    port: ${SSH_PORT}'), {
      SSH_PORT: '2222',
    });
    assert.equal(hostNamed(parsed, 'node1').port, 2222);
  });

  it('leaves settings unset when nothing sets them', () => {
    const parsed = parseValid('hosts.yaml', lines('hosts:', '  node1:'));
    assert.deepEqual(connection(hostNamed(parsed, 'node1')), {
      address: 'node1',
      sshOptions: {},
      become: false,
    });
    assert.equal(parsed.cluster, undefined);
  });
});

describe('mc format: errors', () => {
  const issues = (...content: string[]): string[] => parseIssues('hosts.yaml', lines(...content));

  it('reports unknown keys with the closest valid key, at every level', () => {
    assert.deepEqual(
      issues(
        'defaults:',
        '  uesr: ubuntu',
        'groups:',
        '  web:',
        '    host: [node1]',
        'hosts:',
        '  node1:',
        '    adress: 10.0.0.1',
        '    Port: 22',
        'cluser: {}',
      ),
      [
        "hosts.yaml:2:3: unknown key 'uesr' (did you mean 'user'?)",
        "hosts.yaml:5:5: unknown key 'host' (did you mean 'hosts'?)",
        "hosts.yaml:8:5: unknown key 'adress' (did you mean 'address'?)",
        "hosts.yaml:9:5: unknown key 'Port' (did you mean 'port'?)",
        "hosts.yaml:10:1: unknown key 'cluser' (did you mean 'cluster'?)",
      ],
    );
  });

  it('suggests mc names for Ansible and ssh_config names, or lists the allowed keys', () => {
    assert.deepEqual(
      issues(
        'hosts:',
        '  node1:',
        '    ansible_host: 10.0.0.1',
        '    IdentityFile: ~/.ssh/id',
        '    colour: red',
      ),
      [
        "hosts.yaml:3:5: unknown key 'ansible_host' (did you mean 'address'?)",
        "hosts.yaml:4:5: unknown key 'IdentityFile' (did you mean 'key'?)",
        "hosts.yaml:5:5: unknown key 'colour' (allowed: address, user, port, key, password, jump, become, become_user, become_password, ssh_options, vars)",
      ],
    );
  });

  it('reports wrong types at the value', () => {
    assert.deepEqual(
      issues(
        'defaults:',
        '  user: 42',
        '  become: yes',
        '  ssh_options: [a, b]',
        '  vars: 5',
        'hosts:',
        '  node1:',
        '    key: ""',
        '    password: 1234',
        '  node2: just-a-string',
      ),
      [
        'hosts.yaml:2:9: defaults.user: must be a user name, got 42',
        'hosts.yaml:3:11: defaults.become: must be true or false, got "yes" (YAML 1.2: write true or false)',
        'hosts.yaml:4:16: defaults.ssh_options: must be a map of OpenSSH option names to values, got a list',
        'hosts.yaml:5:9: defaults.vars: must be a map of variable names to values, got 5',
        'hosts.yaml:8:10: hosts.node1.key: must be the path of a private key file, got ""',
        'hosts.yaml:9:15: hosts.node1.password: must be a string, got 1234',
        'hosts.yaml:10:10: hosts.node2: must be a map of connection settings (or empty), got "just-a-string"',
      ],
    );
  });

  it('cuts long values quoted in messages, so each issue stays one line', () => {
    assert.deepEqual(issues('hosts:', '  node1:', `    port: "${'9'.repeat(30)}x${'9'.repeat(30)}"`), [
      `hosts.yaml:3:11: hosts.node1.port: must be an integer from 1 to 65535, got "${'9'.repeat(30)}x${'9'.repeat(29)}… (61 bytes)"`,
    ]);
  });

  it('checks the port range, and points at the key when the value is missing', () => {
    assert.deepEqual(
      issues(
        'hosts:',
        '  node1:',
        '    port: 0',
        '  node2:',
        '    port: 65536',
        '  node3:',
        '    port: 22.5',
        '  node4:',
        '    port: ssh',
        '  node5:',
        '    port:',
      ),
      [
        'hosts.yaml:3:11: hosts.node1.port: must be an integer from 1 to 65535, got 0',
        'hosts.yaml:5:11: hosts.node2.port: must be an integer from 1 to 65535, got 65536',
        'hosts.yaml:7:11: hosts.node3.port: must be an integer from 1 to 65535, got 22.5',
        'hosts.yaml:9:11: hosts.node4.port: must be an integer from 1 to 65535, got "ssh"',
        'hosts.yaml:11:5: hosts.node5.port: must be an integer from 1 to 65535, got nothing',
      ],
    );
  });

  it('checks host, group and ssh option names', () => {
    assert.deepEqual(
      issues(
        'groups:',
        '  "web servers":',
        '    hosts: [node1]',
        'hosts:',
        '  node1:',
        '    ssh_options:',
        '      "Server Alive": 10',
        '  -node2:',
        '  "node 3":',
      ),
      [
        "hosts.yaml:2:3: invalid group name 'web servers': use letters, digits, '-', '.' and '_', starting with a letter or digit",
        "hosts.yaml:7:7: invalid ssh option name 'Server Alive': use OpenSSH option names such as ServerAliveInterval",
        "hosts.yaml:8:3: invalid host name '-node2': use letters, digits, '-', '.' and '_', starting with a letter or digit",
        "hosts.yaml:9:3: invalid host name 'node 3': use letters, digits, '-', '.' and '_', starting with a letter or digit",
      ],
    );
  });

  it('reports a host defined twice (a duplicate YAML key)', () => {
    assert.deepEqual(issues('hosts:', '  node1:', '    port: 22', '  node2:', '  node1:'), [
      "hosts.yaml:5:3: duplicate key 'node1' (already defined at line 2; YAML keys must be unique)",
    ]);
  });

  it('reports two hosts with the same address and port, counting the port settings that apply', () => {
    assert.deepEqual(
      issues(
        'defaults:',
        '  port: 2222',
        'groups:',
        '  other-port:',
        '    hosts: [node4]',
        '    port: 22',
        'hosts:',
        '  node1:',
        '    address: 10.0.0.1',
        '  node2:',
        '    address: 10.0.0.1',
        '  node3:',
        '    address: 10.0.0.1',
        '    port: 22',
        '  node4:',
        '    address: 10.0.0.1',
        '  10.0.0.1:',
      ),
      [
        "hosts.yaml:11:14: host 'node2' has the same address and port as host 'node1' (10.0.0.1:2222, line 9); give each machine one entry",
        "hosts.yaml:16:14: host 'node4' has the same address and port as host 'node3' (10.0.0.1:22, line 13); give each machine one entry",
        "hosts.yaml:17:3: host '10.0.0.1' has the same address and port as host 'node1' (10.0.0.1:2222, line 9); give each machine one entry",
      ],
    );
  });

  it('reports groups that list undefined hosts or child groups', () => {
    assert.deepEqual(
      issues(
        'groups:',
        '  storage:',
        '    hosts: [node1, node9]',
        '    children:',
        '      - rack',
        '      - ghost',
        '  rack: {}',
        'hosts:',
        '  node1:',
      ),
      [
        "hosts.yaml:3:20: group 'storage' lists undefined host 'node9' (define it under hosts:)",
        "hosts.yaml:6:9: group 'storage' lists undefined child group 'ghost' (define it under groups:)",
      ],
    );
  });

  it('reports cycles in children, a group listing itself included', () => {
    assert.deepEqual(
      issues(
        'groups:',
        '  a:',
        '    children: [b]',
        '  b:',
        '    children: [c]',
        '  c:',
        '    children: [a]',
        '  d:',
        '    children: [d]',
        'hosts:',
        '  node1:',
      ),
      [
        'hosts.yaml:7:16: children cycle: a -> b -> c -> a (a group cannot contain itself; remove one of these children entries)',
        'hosts.yaml:9:16: children cycle: d -> d (a group cannot contain itself; remove one of these children entries)',
      ],
    );
  });

  it('reserves all and ungrouped, and refuses a group named like a host', () => {
    assert.deepEqual(issues('groups:', '  all: {}', '  ungrouped: {}', '  node1: {}', 'hosts:', '  node1:'), [
      "hosts.yaml:2:3: group name 'all' is reserved (settings for every host go under defaults:)",
      "hosts.yaml:3:3: group name 'ungrouped' is reserved (it holds the hosts that are in no group)",
      "hosts.yaml:4:3: group 'node1' has the same name as a host (rename one, so --limit node1 is not ambiguous)",
    ]);
  });

  it('refuses ProxyCommand and ProxyJump in ssh_options, and checks the jump syntax', () => {
    assert.deepEqual(
      issues(
        'defaults:',
        '  ssh_options:',
        '    ProxyCommand: ssh -W %h:%p bastion',
        'groups:',
        '  g:',
        '    hosts: [node1]',
        '    ssh_options: { proxyjump: bastion }',
        'hosts:',
        '  node1:',
        '    jump: "admin@@bastion"',
        '  node2:',
        '    jump: bastion:99999',
        '  node3:',
        '    jump: ssh://admin@bastion:2222,[fe80::1]:22,jump3',
      ),
      [
        'hosts.yaml:3:5: ProxyCommand is not supported, use ProxyJump (the jump: setting)',
        'hosts.yaml:7:20: set ProxyJump with the jump: setting, not in ssh_options',
        'hosts.yaml:10:11: hosts.node1.jump: must be [user@]host[:port], comma-separated for several hops, got "admin@@bastion"',
        'hosts.yaml:12:11: hosts.node2.jump: must be [user@]host[:port], comma-separated for several hops, got "bastion:99999"',
      ],
    );
  });

  it('requires a non-empty hosts map', () => {
    assert.deepEqual(issues('defaults:', '  user: ubuntu'), [
      "hosts.yaml:1:1: missing required key 'hosts' (a map of host name to connection settings)",
    ]);
    assert.deepEqual(issues('defaults: {}', 'hosts: {}'), [
      'hosts.yaml:2:1: hosts: is empty (add at least one host)',
    ]);
    assert.deepEqual(issues('hosts:', '  - node1'), [
      'hosts.yaml:2:3: hosts: must be a map of host names to settings, got a list',
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    assert.deepEqual(issues('hosts:', '  node1:', '    port: [22', '  node2:'), [
      'hosts.yaml:4:3: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });

  it('reports every problem of a file at once', () => {
    assert.deepEqual(parseIssues('mc-many-errors.yaml', fixture('mc-many-errors.yaml')), [
      "mc-many-errors.yaml:3:3: unknown key 'usr' (did you mean 'user'?)",
      'mc-many-errors.yaml:4:9: defaults.port: must be an integer from 1 to 65535, got "22x"',
      "mc-many-errors.yaml:7:20: group 'storage' lists undefined host 'nodeX' (define it under hosts:)",
      "mc-many-errors.yaml:8:16: group 'storage' lists undefined child group 'ghost' (define it under groups:)",
      "mc-many-errors.yaml:9:3: group name 'all' is reserved (settings for every host go under defaults:)",
      "mc-many-errors.yaml:13:5: unknown key 'adress' (did you mean 'address'?)",
      'mc-many-errors.yaml:14:13: hosts.node1.become: must be true or false, got "yes" (YAML 1.2: write true or false)',
      "mc-many-errors.yaml:15:3: invalid host name 'node_2!': use letters, digits, '-', '.' and '_', starting with a letter or digit",
      "mc-many-errors.yaml:18:14: host 'node3' has the same address and port as host 'node_2!' (10.0.0.2:22, line 16); give each machine one entry",
      'mc-many-errors.yaml:19:15: environment variable MC_SSH_PASSWORD is not set (export it, or give a default: ${MC_SSH_PASSWORD:-value})',
      "mc-many-errors.yaml:21:3: duplicate key 'node4' (already defined at line 20; YAML keys must be unique)",
      'mc-many-errors.yaml:22:11: hosts.node4.port: must be an integer from 1 to 65535, got 0',
      "mc-many-errors.yaml:24:1: unknown key 'extra' (allowed: defaults, groups, hosts, cluster)",
    ]);
  });
});
