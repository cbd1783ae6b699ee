import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  SECRET_MASK,
  detectFormat,
  formatIssue,
  inventoryGraph,
  inventoryList,
  parseInventory,
} from '../../../src/domain/inventory/index.js';
import { lines, parseValid, sources } from './helpers.js';

describe('detectFormat', () => {
  const cases: [string, string, string][] = [
    ['hosts.ini', 'all:\n  hosts:\n    h1:\n', 'ansible-ini'],
    ['hosts', '[web]\nweb1\n', 'ansible-ini'],
    ['hosts', 'web1 ansible_host=10.0.0.1\nweb2\n', 'ansible-ini'],
    ['inventory.d/hosts', 'web1:2222\n', 'ansible-ini'],
    ['hosts', '', 'ansible-ini'],
    ['hosts.txt', 'a: [unclosed\n', 'ansible-ini'],
    ['inventory', 'all:\n  hosts:\n    h1:\n', 'ansible-yaml'],
    ['hosts.yml', 'web:\n  hosts:\n    web1:\n', 'ansible-yaml'],
    ['hosts.yml', 'all:\n  hosts: {}\ngroups: {}\n', 'ansible-yaml'],
    ['hosts.json', '{"all": {"hosts": {"h1": null}}}', 'ansible-yaml'],
    ['hosts.yaml', '[web]\nweb1\n', 'ansible-yaml'],
    ['hosts.YAML', 'hosts:\n  node1:\n', 'mc'],
    ['hosts.yml', 'defaults: {}\n', 'mc'],
    ['cluster.cfg', 'cluster: {}\nhosts:\n  node1:\n', 'mc'],
    ['hosts.yaml', 'groups: {}\nhosts: [unclosed\n', 'mc'],
  ];
  for (const [path, text, expected] of cases) {
    it(`reads ${JSON.stringify(text.split('\n')[0])} in ${path} as ${expected}`, () => {
      assert.equal(detectFormat(path, text), expected);
    });
  }
});

describe('inventoryList', () => {
  it('shapes an mc inventory like ansible-inventory --list, secrets masked, keys sorted', () => {
    const inventory = parseValid(
      'hosts.yaml',
      lines(
        'defaults:',
        '  user: ubuntu',
        '  password: ${PW}',
        '  become: true',
        '  become_password: ${BPW}',
        'groups:',
        '  storage:',
        '    hosts: [node2, node1]',
        '  rack:',
        '    children: [storage]',
        '  empty: {}',
        'hosts:',
        '  node2:',
        '    address: 10.0.0.2',
        '    vars:',
        '      db: { password: nested, user: app }',
        '  node1:',
        '    address: 10.0.0.1',
        '    port: 2222',
        '    jump: bastion',
        '    ssh_options: { Compression: "yes" }',
        '  node3:',
      ),
      { PW: 'ssh-secret', BPW: 'sudo-secret' },
    );
    const listing = inventoryList(inventory);
    assert.deepEqual(listing, {
      _meta: {
        hostvars: {
          node1: {
            address: '10.0.0.1',
            become: true,
            become_password: SECRET_MASK,
            jump: 'bastion',
            password: SECRET_MASK,
            port: 2222,
            ssh_options: { Compression: 'yes' },
            user: 'ubuntu',
          },
          node2: {
            address: '10.0.0.2',
            become: true,
            become_password: SECRET_MASK,
            password: SECRET_MASK,
            user: 'ubuntu',
            vars: { db: { password: SECRET_MASK, user: 'app' } },
          },
          node3: {
            address: 'node3',
            become: true,
            become_password: SECRET_MASK,
            password: SECRET_MASK,
            user: 'ubuntu',
          },
        },
      },
      all: { children: ['empty', 'rack', 'ungrouped'] },
      rack: { children: ['storage'] },
      storage: { hosts: ['node1', 'node2'] },
      ungrouped: { hosts: ['node3'] },
    });
    assert.deepEqual(Object.keys(listing), ['_meta', 'all', 'rack', 'storage', 'ungrouped']);
    assert.doesNotMatch(JSON.stringify(listing), /secret/);
  });

  it('uses Ansible variable names for Ansible inventories, and masks secret-looking variables', () => {
    const inventory = parseValid(
      'hosts.ini',
      lines(
        '[web]',
        'web1 ansible_host=10.0.0.1 ansible_ssh_pass=pw ansible_ssh_common_args=\'-J b -o "SetEnv A=1 B=2"\'',
        'web2 ansible_become=true ansible_become_user=root ansible_become_pass=x app_password=x app_user=kept',
      ),
    );
    assert.deepEqual(inventoryList(inventory), {
      _meta: {
        hostvars: {
          web1: {
            ansible_host: '10.0.0.1',
            ansible_password: SECRET_MASK,
            ansible_ssh_common_args: "-o ProxyJump=b -o 'SetEnv=A=1 B=2'",
          },
          web2: {
            ansible_become: true,
            ansible_become_password: SECRET_MASK,
            ansible_become_user: 'root',
            app_password: SECRET_MASK,
            app_user: 'kept',
          },
        },
      },
      all: { children: ['ungrouped', 'web'] },
      web: { hosts: ['web1', 'web2'] },
    });
  });
});

describe('inventoryGraph', () => {
  const inventory = parseValid(
    'hosts.ini',
    lines(
      'solo ansible_password=secret',
      '[storage]',
      'node2',
      'node1',
      '[rack:children]',
      'storage',
      '[rack]',
      'node3 ansible_user=admin',
      '[rack:vars]',
      'site=lab',
      'ansible_become_password=group-secret',
    ),
  );

  it('draws the tree like ansible-inventory --graph, sorted by name', () => {
    assert.equal(
      inventoryGraph(inventory),
      [
        '@all:',
        '  |--@rack:',
        '  |  |--@storage:',
        '  |  |  |--node1',
        '  |  |  |--node2',
        '  |  |--node3',
        '  |--@ungrouped:',
        '  |  |--solo',
      ].join('\n'),
    );
  });

  it('shows settings and group variables with --vars, secrets masked', () => {
    assert.equal(
      inventoryGraph(inventory, { vars: true }),
      [
        '@all:',
        '  |--@rack:',
        '  |  |--@storage:',
        '  |  |  |--node1',
        '  |  |  |  |--{ansible_become_password = ********}',
        '  |  |  |  |--{site = lab}',
        '  |  |  |--node2',
        '  |  |  |  |--{ansible_become_password = ********}',
        '  |  |  |  |--{site = lab}',
        '  |  |--node3',
        '  |  |  |--{ansible_become_password = ********}',
        '  |  |  |--{ansible_user = admin}',
        '  |  |  |--{site = lab}',
        '  |  |--{ansible_become_password = ********}',
        '  |  |--{site = lab}',
        '  |--@ungrouped:',
        '  |  |--solo',
        '  |  |  |--{ansible_password = ********}',
      ].join('\n'),
    );
  });
});

describe('parseInventory and formatIssue', () => {
  it('sorts issues by file, then line and column', () => {
    const result = parseInventory(
      sources(
        'hosts.yml',
        lines('all:', '  hosts:', '    h1:', '      ansible_port: x', '    h2:', '      ansible_port: y'),
        {
          groupVars: [{ group: 'all', path: 'group_vars/all.yml', text: 'ansible_become: maybe\n' }],
        },
      ),
      {},
    );
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.issues.map(formatIssue), [
      'hosts.yml:4:21: ansible_port must be an integer from 1 to 65535, got "x"',
      'hosts.yml:6:21: ansible_port must be an integer from 1 to 65535, got "y"',
      'group_vars/all.yml:1:17: ansible_become: "maybe" is not a boolean (use true or false)',
    ]);
  });

  it('prints whole-file issues without a position', () => {
    assert.equal(
      formatIssue({ file: 'x.yaml', line: 0, col: 0, message: 'inventory file not found: x.yaml' }),
      'inventory file not found: x.yaml',
    );
    assert.equal(formatIssue({ file: 'x.yaml', line: 3, col: 7, message: 'bad' }), 'x.yaml:3:7: bad');
  });
});
