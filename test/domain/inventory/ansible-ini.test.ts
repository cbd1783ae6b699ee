import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parsePythonLiteral } from '../../../src/domain/inventory/python-literal.js';
import { splitShellWords } from '../../../src/domain/inventory/shell-words.js';
import { connection, hostNamed, lines, parseIssues, parseValid } from './helpers.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/inventory/${name}`, import.meta.url), 'utf8');

describe('Ansible INI: features', () => {
  const inventory = parseValid('ansible-full.ini', fixture('ansible-full.ini'));

  it('is detected as INI and reads ungrouped hosts, sections and ranges in order', () => {
    assert.equal(inventory.format, 'ansible-ini');
    assert.deepEqual(
      inventory.hosts.map((host) => host.name),
      ['bastion.example.com', 'lonely', 'node1', 'node2', 'node3', 'node01', 'node02'],
    );
    assert.deepEqual(hostNamed(inventory, 'lonely').groups, ['all', 'ungrouped']);
  });

  it('reads inline host variables, host:port and quoted ssh arguments', () => {
    assert.deepEqual(connection(hostNamed(inventory, 'bastion.example.com')), {
      address: 'bastion.example.com',
      port: 2222,
      user: 'jump',
      sshOptions: {},
      become: false,
    });
    assert.deepEqual(connection(hostNamed(inventory, 'node1')), {
      address: '10.0.0.1',
      user: 'admin',
      proxyJump: 'admin@bastion:2222',
      sshOptions: { ServerAliveInterval: '5' },
      become: false,
    });
    assert.deepEqual(connection(hostNamed(inventory, 'node01')), {
      address: 'node01',
      port: 2200,
      user: 'admin',
      sshOptions: {},
      become: true,
    });
  });

  it('types values with Python literal rules, in host lines and in :vars sections', () => {
    assert.deepEqual(hostNamed(inventory, 'lonely').vars, {
      level: 'all',
      count: 3,
      ratio: 1.5,
      enabled: true,
      name: 'quoted # not a comment',
      raw: 'plain text # kept, as Ansible keeps it',
      list: [1, 'two'],
      mapping: { a: 1 },
      octal: '0755',
    });
  });

  it('links children declared before their group, and merges all < parent < child < host', () => {
    assert.deepEqual(hostNamed(inventory, 'node1').groups, ['all', 'storage', 'rack1', 'fast']);
    assert.equal(hostNamed(inventory, 'node1').vars.level, 'host');
    assert.equal(hostNamed(inventory, 'node2').vars.level, 'storage');
    assert.deepEqual(
      inventory.groups.map((group) => [group.name, group.children]),
      [
        ['all', ['ungrouped', 'rack1']],
        ['ungrouped', []],
        ['storage', []],
        ['rack1', ['storage', 'fast']],
        ['fast', []],
      ],
    );
  });

  it('records the line and column of each host', () => {
    assert.deepEqual(hostNamed(inventory, 'node02').origin, { file: 'ansible-full.ini', line: 8, col: 1 });
  });

  it('types quoted host-line values as Ansible does: quotes only group words', () => {
    const parsed = parseValid('hosts', lines("h1 a='x y' b=\"5\" c=\"'5'\" d=a\\ b e='' f=ab#comment"));
    assert.deepEqual(hostNamed(parsed, 'h1').vars, { a: 'x y', b: 5, c: '5', d: 'a b', e: '', f: 'ab' });
  });

  it('lets a later line override a host variable, and an IPv6 address carry a port', () => {
    const parsed = parseValid('hosts.ini', lines('h1 x=1', '[g]', 'h1 x=2', '[fe80::1]:2222'));
    assert.equal(hostNamed(parsed, 'h1').vars.x, 2);
    assert.deepEqual(hostNamed(parsed, 'h1').groups, ['all', 'g']);
    assert.equal(hostNamed(parsed, 'fe80::1').port, 2222);
  });
});

describe('Ansible INI: errors', () => {
  const issues = (...content: string[]): string[] => parseIssues('hosts.ini', lines(...content));

  it('reports malformed sections and lines with their position', () => {
    assert.deepEqual(
      issues(
        'h0',
        '[web servers]',
        'ignored-host',
        '[web:hosts]',
        'also-ignored',
        '[web]',
        'web1 ansible_port=22 oops',
        '  web2 "unclosed=1',
        'web3:',
        '---',
        '[web:vars]',
        'no_equals_sign',
        '=value',
        '[web:children]',
        'two names',
      ),
      [
        "hosts.ini:2:1: invalid section header '[web servers]': a group name cannot contain spaces, ':' or ']' (e.g. [web_servers])",
        "hosts.ini:4:6: unknown section type ':hosts' in [web:hosts] (use [web], [web:vars] or [web:children])",
        "hosts.ini:7:22: expected key=value after the host name, got 'oops' (quote values that contain spaces)",
        'hosts.ini:8:8: unclosed " quote in host line (close it, or escape it with \\)',
        "hosts.ini:9:1: invalid host 'web3:': a trailing ':' must be followed by a port (node1:2222)",
        "hosts.ini:10:1: '---' is not a host: this file looks like YAML (give it a .yml extension)",
        "hosts.ini:12:1: expected key=value in [web:vars], got 'no_equals_sign'",
        "hosts.ini:13:1: expected key=value in [web:vars], got '=value'",
        "hosts.ini:15:1: expected one group name per line in [web:children], got 'two names'",
      ],
    );
  });

  it('reports undefined groups in :children and :vars sections', () => {
    assert.deepEqual(
      issues('[app:children]', 'web', 'db', '[other:children]', 'db', '[ghost:vars]', 'x=1', '[web]', 'web1'),
      [
        "hosts.ini:3:1: [app:children] lists undefined group 'db' (add a [db] section)",
        "hosts.ini:5:1: [other:children] lists undefined group 'db' (add a [db] section)",
        "hosts.ini:6:1: [ghost:vars] is for undefined group 'ghost' (add a [ghost] section, or list ghost in a [parent:children] section)",
      ],
    );
  });

  it('accepts [group:vars] for a group declared later or only as a child', () => {
    const parsed = parseValid(
      'hosts.ini',
      lines('[web:vars]', 'x=1', '[app:children]', 'web', '[web]', 'web1'),
    );
    assert.equal(hostNamed(parsed, 'web1').vars.x, 1);
  });

  it('reports a children cycle, range errors and connection variables at their value', () => {
    assert.deepEqual(
      issues(
        '[a:children]',
        'b',
        '[b:children]',
        'a',
        '[b]',
        'node[5:1]',
        'h1 ansible_port=0 ansible_become=maybe',
        "h2 ansible_ssh_extra_args='-o ProxyCommand=nc'",
      ),
      [
        'hosts.ini:4:1: children cycle: b -> a -> b (a group cannot contain itself; remove one of these children entries)',
        "hosts.ini:6:1: host range 'node[5:1]' must have begin <= end",
        'hosts.ini:7:17: ansible_port must be an integer from 1 to 65535, got 0',
        'hosts.ini:7:34: ansible_become: "maybe" is not a boolean (use true or false)',
        'hosts.ini:8:27: ansible_ssh_extra_args: ProxyCommand is not supported, use ProxyJump (-o ProxyJump=[user@]bastion[:port] or -J bastion)',
      ],
    );
  });

  it('reports an inventory without hosts', () => {
    assert.deepEqual(issues('# just a comment', '[all:vars]', 'x=1'), [
      'hosts.ini:1:1: the inventory defines no hosts (add one host name per line, under a [group] header or before any)',
    ]);
  });
});

describe('parsePythonLiteral', () => {
  const value = (text: string): unknown => {
    const result = parsePythonLiteral(text);
    return result.ok ? result.value : 'NOT A LITERAL';
  };

  it('reads numbers as Python does', () => {
    assert.equal(value('42'), 42);
    assert.equal(value('-7'), -7);
    assert.equal(value('+ 3'), 3);
    assert.equal(value('1_000'), 1000);
    assert.equal(value('0x1F'), 31);
    assert.equal(value('0o17'), 15);
    assert.equal(value('0b101'), 5);
    assert.equal(value('0'), 0);
    assert.equal(value('1.5'), 1.5);
    assert.equal(value('.5'), 0.5);
    assert.equal(value('1e3'), 1000);
    assert.equal(value('22  # comment'), 22);
  });

  it('reads strings with prefixes, escapes and implicit concatenation', () => {
    assert.equal(value("'a b'"), 'a b');
    assert.equal(value('"it\'s"'), "it's");
    assert.equal(value("'tab\\there'"), 'tab\there');
    assert.equal(value("'\\x41\\u00e9\\101'"), 'Aé' + 'A');
    assert.equal(value("r'C:\\new'"), 'C:\\new');
    assert.equal(value('u\'x\' "y"'), 'xy');
    assert.equal(value("b'bytes'"), 'bytes');
    assert.equal(value("'''triple'''"), 'triple');
    assert.equal(value("'\\d'"), '\\d');
  });

  it('reads constants and containers', () => {
    assert.equal(value('True'), true);
    assert.equal(value('False'), false);
    assert.equal(value('None'), null);
    assert.equal(value('...'), '...');
    assert.deepEqual(value("[1, 'a', [2]]"), [1, 'a', [2]]);
    assert.deepEqual(value('(1, 2,)'), [1, 2]);
    assert.deepEqual(value('(1)'), 1);
    assert.deepEqual(value('()'), []);
    assert.deepEqual(value("{'k': 1, 2: 'two', None: True,}"), { k: 1, 2: 'two', None: true });
    assert.deepEqual(value('{1, 2}'), [1, 2]);
    assert.deepEqual(value('{}'), {});
    assert.deepEqual(value("{'__proto__': 1}"), JSON.parse('{"__proto__": 1}'));
  });

  it('refuses what literal_eval refuses, so the text stays a string', () => {
    for (const text of [
      'true',
      'yes',
      '0755',
      '10.0.0.1',
      '1j',
      '1+2j',
      'f"x"',
      "'unclosed",
      '[1, 2',
      '[1 2]',
      '{[1]: 2}',
      "'\\N{BULLET}'",
      '9007199254740993',
      'a b',
      '',
      '--1',
    ]) {
      assert.equal(value(text), 'NOT A LITERAL', text);
    }
  });
});

describe('splitShellWords', () => {
  const words = (text: string): string[] | string => {
    const result = splitShellWords(text);
    return result.ok ? result.words.map((word) => word.text) : `${result.error} at ${result.index}`;
  };

  it('splits like Python shlex.split(comments=True)', () => {
    assert.deepEqual(words(`a 'b c' "d \\" e" f\\ g h#comment`), ['a', 'b c', 'd " e', 'f g', 'h']);
    assert.deepEqual(words(`"back\\slash" 'single\\'`), ['back\\slash', 'single\\']);
    assert.deepEqual(words(`x='' y`), ['x=', 'y']);
    assert.deepEqual(words('  # only a comment'), []);
  });

  it('reports unclosed quotes and a trailing backslash', () => {
    assert.equal(words(`a "b`), 'unclosed " quote at 2');
    assert.equal(words('a\\'), 'a trailing backslash escapes nothing at 1');
  });

  it('maps each character back to its position in the line', () => {
    const result = splitShellWords(`k='v w'`);
    assert.ok(result.ok);
    assert.deepEqual(result.words[0]?.sourceIndex, [0, 1, 3, 4, 5]);
  });
});
