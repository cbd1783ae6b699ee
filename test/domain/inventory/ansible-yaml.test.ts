import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { connection, hostNamed, lines, parseIssues, parseValid } from './helpers.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/inventory/${name}`, import.meta.url), 'utf8');

describe('Ansible YAML: features', () => {
  const inventory = parseValid('ansible-full.yml', fixture('ansible-full.yml'));

  it('is detected as Ansible YAML and expands ranges, in declaration order', () => {
    assert.equal(inventory.format, 'ansible-yaml');
    assert.deepEqual(
      inventory.hosts.map((host) => host.name),
      [
        'lonely',
        'bastion.example.com',
        'node1',
        'node2',
        'node3',
        'node01',
        'node02',
        'web1',
        'weba',
        'webb',
        'extra',
      ],
    );
  });

  it('maps connection variables, the last alias in Ansible order winning', () => {
    assert.deepEqual(connection(hostNamed(inventory, 'node1')), {
      address: '10.0.0.1',
      port: 2201,
      user: 'ubuntu',
      keyFile: '~/.ssh/new',
      password: 'wins',
      proxyJump: 'admin@bastion.example.com:2222',
      sshOptions: {
        ServerAliveInterval: '5',
        StrictHostKeyChecking: 'accept-new',
        Compression: 'yes',
        ConnectTimeout: '7',
      },
      become: true,
      becomeUser: 'root',
      becomePassword: 's{{e}}cret',
    });
  });

  it('reads host:port and legacy ansible_ssh_* names', () => {
    assert.deepEqual(connection(hostNamed(inventory, 'bastion.example.com')), {
      address: 'bastion.example.com',
      port: 2222,
      user: 'jump',
      sshOptions: {},
      become: true,
    });
  });

  it('reads booleans the way Ansible does: YAML 1.1 yes, and "off" as a string', () => {
    assert.equal(hostNamed(inventory, 'lonely').become, true);
    assert.equal(hostNamed(inventory, 'weba').become, false);
  });

  it('parses YAML 1.1 as PyYAML does: 0755 is octal, On is true, y stays a string', () => {
    assert.equal(hostNamed(inventory, 'lonely').vars.mode, 493);
    const parsed = parseValid(
      'hosts.yml',
      lines('all:', '  hosts:', '    h1:', '      a: y', '      b: On', '      c: 1.10'),
    );
    assert.deepEqual(hostNamed(parsed, 'h1').vars, { a: 'y', b: true, c: 1.1 });
  });

  it('merges variables all < parent group < child group < host', () => {
    assert.equal(hostNamed(inventory, 'lonely').vars.level, 'all');
    assert.equal(hostNamed(inventory, 'node2').vars.level, 'storage');
    assert.equal(hostNamed(inventory, 'node1').vars.level, 'host');
    assert.equal(hostNamed(inventory, 'weba').vars.level, 'edge');
    assert.deepEqual(hostNamed(inventory, 'node01').vars, {
      ntp: 'pool.ntp.org',
      mode: 493,
      level: 'storage',
      disk: 'nvme',
    });
  });

  it('keeps connection variables out of vars', () => {
    assert.deepEqual(Object.keys(hostNamed(inventory, 'node1').vars), ['ntp', 'mode', 'level']);
  });

  it('accepts hosts: and children: given as a single name', () => {
    assert.deepEqual(hostNamed(inventory, 'web1').groups, ['all', 'web']);
    assert.deepEqual(hostNamed(inventory, 'weba').groups, ['all', 'web', 'edge']);
  });

  it('puts hosts of no group in ungrouped, and parentless groups under all', () => {
    assert.deepEqual(hostNamed(inventory, 'lonely').groups, ['all', 'ungrouped']);
    assert.deepEqual(hostNamed(inventory, 'extra').groups, ['all', 'ungrouped']);
    assert.deepEqual(
      inventory.groups.map((group) => [group.name, group.hosts, group.children]),
      [
        ['all', [], ['ungrouped', 'storage', 'web', 'edge']],
        ['ungrouped', ['extra', 'lonely', 'bastion.example.com'], []],
        ['storage', ['node1', 'node2', 'node3', 'node01', 'node02'], ['fast']],
        ['fast', ['node1'], []],
        ['web', ['web1'], ['edge']],
        ['edge', ['weba', 'webb'], []],
      ],
    );
  });

  it('records where each host was first declared', () => {
    assert.deepEqual(hostNamed(inventory, 'node1').origin, { file: 'ansible-full.yml', line: 16, col: 9 });
    assert.deepEqual(hostNamed(inventory, 'web1').origin, { file: 'ansible-full.yml', line: 42, col: 14 });
  });

  it('reads top-level groups without all:', () => {
    const parsed = parseValid(
      'hosts.yml',
      lines('web:', '  hosts:', '    web1:', 'db:', '  hosts:', '    db1:'),
    );
    assert.deepEqual(
      parsed.hosts.map((host) => [host.name, host.groups]),
      [
        ['web1', ['all', 'web']],
        ['db1', ['all', 'db']],
      ],
    );
  });

  it('merges the variables of a host declared in several groups, later declarations winning', () => {
    const parsed = parseValid(
      'hosts.yml',
      lines(
        'a:',
        '  hosts:',
        '    h1:',
        '      x: 1',
        '      y: 1',
        'b:',
        '  hosts:',
        '    h1:',
        '      y: 2',
      ),
    );
    assert.deepEqual(hostNamed(parsed, 'h1').vars, { x: 1, y: 2 });
    assert.deepEqual(hostNamed(parsed, 'h1').origin, { file: 'hosts.yml', line: 3, col: 5 });
  });
});

describe('Ansible YAML: variable precedence', () => {
  const text = lines(
    'all:',
    '  vars:',
    '    shared: inline-all',
    '  children:',
    '    parent:',
    '      vars:',
    '        shared: inline-parent',
    '        from_parent: inline-parent',
    '      children:',
    '        child:',
    '          vars:',
    '            shared: inline-child',
    '          hosts:',
    '            h1:',
    '              shared: inline-host',
    '              own: inline-host',
    '            h2:',
    '    beta:',
    '      hosts:',
    '        h2:',
    '      vars:',
    '        sibling: beta',
    '    alpha:',
    '      hosts:',
    '        h2:',
    '      vars:',
    '        sibling: alpha',
  );

  it('ranks groups by depth, then by name', () => {
    const inventory = parseValid('hosts.yml', text);
    assert.equal(hostNamed(inventory, 'h2').vars.shared, 'inline-child');
    assert.equal(hostNamed(inventory, 'h1').vars.shared, 'inline-host');
    // alpha and beta are both children of all: the later name, beta, wins.
    assert.equal(hostNamed(inventory, 'h2').vars.sibling, 'beta');
  });

  it('lets ansible_group_priority reorder groups of the same depth', () => {
    const withPriority = text.replace(
      '        sibling: alpha',
      '        sibling: alpha\n        ansible_group_priority: 10',
    );
    const inventory = parseValid('hosts.yml', withPriority);
    assert.equal(hostNamed(inventory, 'h2').vars.sibling, 'alpha');
    assert.equal('ansible_group_priority' in hostNamed(inventory, 'h2').vars, false);
  });

  it('ranks group_vars files above every inline group variable, and host_vars above inline host variables', () => {
    const inventory = parseValid(
      'hosts.yml',
      text,
      {},
      {
        groupVars: [
          { group: 'all', path: 'group_vars/all.yml', text: 'shared: file-all\nfrom_parent: file-all\n' },
          { group: 'parent', path: 'group_vars/parent.yml', text: 'from_parent: file-parent\n' },
          { group: 'unknown', path: 'group_vars/unknown.yml', text: 'ignored: true\n' },
        ],
        hostVars: [{ host: 'h1', path: 'host_vars/h1.yml', text: 'own: file-host\n' }],
      },
    );
    // Ansible's documented surprise: group_vars/all.yml beats the child group's inline variable.
    assert.equal(hostNamed(inventory, 'h2').vars.shared, 'file-all');
    assert.equal(hostNamed(inventory, 'h2').vars.from_parent, 'file-parent');
    // Inline host variables still beat group_vars files.
    assert.equal(hostNamed(inventory, 'h1').vars.shared, 'inline-host');
    assert.equal(hostNamed(inventory, 'h1').vars.own, 'file-host');
    assert.equal('ignored' in hostNamed(inventory, 'h1').vars, false);
  });

  it('applies several files of one group in load order, JSON included', () => {
    const inventory = parseValid(
      'hosts.yml',
      text,
      {},
      {
        groupVars: [
          { group: 'child', path: 'group_vars/child/10-base.yml', text: 'shared: first\nkept: yes\n' },
          { group: 'child', path: 'group_vars/child/20-override.json', text: '{"shared": "second"}\n' },
        ],
      },
    );
    assert.equal(hostNamed(inventory, 'h2').vars.shared, 'second');
    assert.equal(hostNamed(inventory, 'h2').vars.kept, true);
    assert.deepEqual(inventory.groups.find((group) => group.name === 'child')?.vars, {
      shared: 'second',
      kept: true,
    });
  });
});

describe('Ansible YAML: ssh arguments', () => {
  const hostWith = (args: string): ReturnType<typeof connection> => {
    const inventory = parseValid(
      'hosts.yml',
      lines('all:', '  hosts:', '    h1:', `      ansible_ssh_common_args: ${JSON.stringify(args)}`),
    );
    return connection(hostNamed(inventory, 'h1'));
  };

  it('reads -o Key=Value, -o "Key Value", -oKey=Value, -J host and -Jhost', () => {
    assert.deepEqual(
      hostWith('-o User=x -o "IdentitiesOnly yes" -oPort=22 -o "Ciphers = aes128-ctr"').sshOptions,
      {
        User: 'x',
        IdentitiesOnly: 'yes',
        Port: '22',
        Ciphers: 'aes128-ctr',
      },
    );
    assert.equal(hostWith('-J admin@bastion:2222').proxyJump, 'admin@bastion:2222');
    assert.equal(hostWith('-Jbastion').proxyJump, 'bastion');
    assert.equal(hostWith("-o 'ProxyJump=a,b'").proxyJump, 'a,b');
  });

  it('keeps the first value of an option, as ssh does, whatever its case', () => {
    assert.deepEqual(hostWith('-o ServerAliveInterval=5 -o serveraliveinterval=9').sshOptions, {
      ServerAliveInterval: '5',
    });
    assert.equal(hostWith('-J first -o ProxyJump=second').proxyJump, 'first');
  });
});

describe('Ansible YAML: errors', () => {
  const issues = (...content: string[]): string[] => parseIssues('hosts.yml', lines(...content));

  it('reports malformed groups and sections', () => {
    assert.deepEqual(
      issues(
        'all:',
        '  children:',
        '    web:',
        '      host:',
        '        web1:',
        '      hostvars: {}',
        '    db:',
        '      hosts: [db1, db2]',
        '      vars: just-text',
        '      children: [x]',
        '    list: [1, 2]',
        '  hosts:',
        '    h1: not-a-map',
        '    h2:',
      ),
      [
        "hosts.yml:4:7: unexpected key 'host' in group 'web' (did you mean 'hosts'?): a group holds only hosts, vars and children",
        "hosts.yml:6:7: unexpected key 'hostvars' in group 'web': a group holds only hosts, vars and children",
        'hosts.yml:8:14: hosts of group \'db\' must be a map of host names, got a list (write "node1:" on its own line, not "- node1")',
        'hosts.yml:9:13: vars of group \'db\' must be a map of variable names to values, got "just-text"',
        'hosts.yml:10:17: children of group \'db\' must be a map of group names, got a list (write "web:" on its own line, not "- web")',
        "hosts.yml:11:11: group 'list' must be a map with hosts:, vars: or children:, got a list",
        'hosts.yml:13:9: host \'h1\' must be a map of variable names to values, got "not-a-map"',
      ],
    );
  });

  it('reports invalid host ranges and ports at the host', () => {
    assert.deepEqual(issues('all:', '  hosts:', '    node[1:]:', '    node[3:1]:', '    "node[01:100]":'), [
      "hosts.yml:3:5: host range 'node[1:]' has no end value",
      "hosts.yml:4:5: host range 'node[3:1]' must have begin <= end",
      "hosts.yml:5:5: host range 'node[01:100]' must give begin and end with the same number of digits",
    ]);
  });

  it('reports a group that contains itself', () => {
    assert.deepEqual(
      issues(
        'all:',
        '  children:',
        '    a:',
        '      children:',
        '        b:',
        '          children:',
        '            a:',
      ),
      [
        'hosts.yml:5:9: children cycle: a -> b -> a (a group cannot contain itself; remove one of these children entries)',
      ],
    );
  });

  it('reports invalid connection variables where they are defined', () => {
    assert.deepEqual(
      issues(
        'all:',
        '  vars:',
        '    ansible_become: maybe',
        '    ansible_become_method: su',
        '    ansible_connection: local',
        '  hosts:',
        '    h1:',
        '      ansible_port: 70000',
        '      ansible_host: ""',
        '      ansible_user: [root]',
        '      ansible_password: "{{ vault_password }}"',
        '    h2:',
        '      ansible_ssh_port: ssh',
        '      ansible_group_priority: 1',
      ),
      [
        'hosts.yml:3:21: ansible_become: "maybe" is not a boolean (use true or false)',
        'hosts.yml:4:28: ansible_become_method "su" is not supported: mc only uses sudo (remove it or set it to sudo)',
        'hosts.yml:5:25: ansible_connection "local" is not supported: mc connects over SSH only (remove it or set it to ssh)',
        'hosts.yml:8:21: ansible_port must be an integer from 1 to 65535, got 70000',
        'hosts.yml:9:21: ansible_host is empty (remove it or give it a value)',
        'hosts.yml:10:21: ansible_user must be a string, got a list',
        'hosts.yml:11:25: ansible_password: Jinja templates are not supported in connection variables (use a literal value or ${ENV_VAR})',
        'hosts.yml:13:25: ansible_ssh_port must be an integer from 1 to 65535, got "ssh"',
      ],
    );
  });

  it('reports ssh arguments mc cannot honour', () => {
    const args = (value: string): string[] =>
      issues('all:', '  hosts:', '    h1:', `      ansible_ssh_common_args: ${value}`);
    assert.deepEqual(args(`-o ProxyCommand="ssh -W %h:%p bastion"`), [
      'hosts.yml:4:32: ansible_ssh_common_args: ProxyCommand is not supported, use ProxyJump (-o ProxyJump=[user@]bastion[:port] or -J bastion)',
    ]);
    assert.deepEqual(args('-C -A -p 2222 -v stray'), [
      "hosts.yml:4:32: ansible_ssh_common_args: unsupported ssh argument '-C' (use -o Compression=yes instead)",
      "hosts.yml:4:32: ansible_ssh_common_args: unsupported ssh argument '-A' (use -o ForwardAgent=yes instead)",
      "hosts.yml:4:32: ansible_ssh_common_args: unsupported ssh argument '-p' (use ansible_port instead)",
      "hosts.yml:4:32: ansible_ssh_common_args: unsupported ssh argument '-v' (mc understands -o Option=value and -J host)",
      "hosts.yml:4:32: ansible_ssh_common_args: unexpected argument 'stray' (mc understands -o Option=value and -J host)",
    ]);
    assert.deepEqual(args('-o NoValue -o'), [
      "hosts.yml:4:32: ansible_ssh_common_args: invalid ssh option 'NoValue' (expected -o Option=value)",
      'hosts.yml:4:32: ansible_ssh_common_args: -o needs a value (-o Option=value)',
    ]);
    assert.deepEqual(args(`"-o 'unclosed"`), ["hosts.yml:4:32: ansible_ssh_common_args: unclosed ' quote"]);
    assert.deepEqual(args('[-o, x]'), [
      'hosts.yml:4:32: ansible_ssh_common_args must be a string of ssh arguments, got a list',
    ]);
  });

  it('reports ansible-vault values and unknown tags, but accepts !unsafe', () => {
    assert.deepEqual(
      issues(
        'all:',
        '  vars:',
        '    ansible_become_password: !vault |',
        '      $ANSIBLE_VAULT;1.1;AES256',
        '      3863',
        '    other: !custom value',
        '    plain: !unsafe "{{ not a template }}"',
        '    typed: !!python/name:os.system x',
        '  hosts:',
        '    h1:',
      ),
      [
        'hosts.yml:3:30: ansible-vault values are not supported: mc cannot decrypt them (use ${ENV_VAR} substitution for secrets)',
        'hosts.yml:6:12: unsupported YAML tag !custom (remove the tag)',
        'hosts.yml:8:12: unsupported YAML tag !!python/name:os.system (remove the tag)',
      ],
    );
  });

  it('reports problems in group_vars and host_vars files at their own position', () => {
    const text = lines('all:', '  hosts:', '    h1:');
    assert.deepEqual(
      parseIssues(
        'hosts.yml',
        text,
        {},
        {
          groupVars: [
            { group: 'all', path: 'group_vars/all.yml', text: '- a list\n' },
            { group: 'all', path: 'group_vars/all/vault.yml', text: '$ANSIBLE_VAULT;1.1;AES256\n6162\n' },
            { group: 'all', path: 'group_vars/all/broken.yml', text: 'a: [1\n' },
          ],
          hostVars: [{ host: 'h1', path: 'host_vars/h1.yml', text: 'ansible_port: nope\n' }],
        },
      ),
      [
        'group_vars/all.yml:1:1: a variables file must contain a map of variable names to values, got a list',
        'group_vars/all/vault.yml:1:1: this file is encrypted with ansible-vault and mc cannot decrypt it (decrypt it, or use ${ENV_VAR} for secrets)',
        'group_vars/all/broken.yml:2:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
        'host_vars/h1.yml:1:15: ansible_port must be an integer from 1 to 65535, got "nope"',
      ],
    );
  });

  it('reports an invalid ansible_group_priority', () => {
    assert.deepEqual(
      issues(
        'all:',
        '  children:',
        '    g:',
        '      vars:',
        '        ansible_group_priority: high',
        '      hosts:',
        '        h1:',
      ),
      ['hosts.yml:5:33: ansible_group_priority must be an integer, got "high"'],
    );
  });

  it('reports duplicate keys, plugin configurations, empty files and non-map documents', () => {
    assert.deepEqual(issues('all:', '  hosts:', '    h1:', '    h1:'), [
      "hosts.yml:4:5: duplicate key 'h1' (already defined at line 3; YAML keys must be unique)",
    ]);
    assert.deepEqual(issues('plugin: amazon.aws.aws_ec2', 'regions: [eu-west-1]'), [
      'hosts.yml:1:1: this is an inventory plugin configuration (plugin:), not a static inventory; mc reads static YAML or INI inventories',
    ]);
    assert.deepEqual(parseIssues('hosts.yml', '# nothing here\n'), [
      'hosts.yml:1:1: the inventory is empty: add an all: group with hosts:',
    ]);
    assert.deepEqual(issues('- all', '- hosts'), [
      'hosts.yml:1:1: an Ansible YAML inventory must be a map of group names (all:, ...), got a list',
    ]);
    assert.deepEqual(issues('all:', '  vars:', '    x: 1'), [
      'hosts.yml:1:1: the inventory defines no hosts (add them under all: hosts:)',
    ]);
  });
});
