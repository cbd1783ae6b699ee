// The bad inputs of issue 19, across every inventory format and the cluster section: each is refused
// with located issues inside the file, bounded and escaped, never a crash or a stack trace.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseClusterSpec } from '../../../src/domain/cluster/spec.js';
import { formatDeployIssue } from '../../../src/domain/cluster/validate.js';
import { formatIssue, parseInventory } from '../../../src/domain/inventory/index.js';
import type { InventoryIssue, InventorySources } from '../../../src/domain/inventory/types.js';

interface BadInput {
  name: string;
  path: string;
  text: string;
  /** Every issue printed must match; the first one is expected at this line (and column, if given). */
  expect: RegExp;
  line: number;
  col?: number;
  extra?: Partial<Pick<InventorySources, 'groupVars' | 'hostVars'>>;
}

/** Addresses that are not one IP literal or host name. */
const BAD_ADDRESSES: [string, RegExp][] = [
  ['192.0.2.1 -oProxyCommand=touch pwned', /holds whitespace|no spaces/],
  ['-oProxyCommand=touch pwned', /starts with '-'|no spaces, options/],
  ['-lroot', /starts with '-'|options/],
  ['node;rm -rf /', /./],
  ['$(touch /tmp/pwned)', /./],
  ['`touch /tmp/pwned`', /./],
  ['a|b', /./],
  ['a&&b', /./],
  ['a>b', /./],
  ['host\tname', /./],
  ['10.0.0.1:22', /./],
  ['root@10.0.0.1', /./],
  ['[::1]', /./],
  ['01.2.3.4', /./],
  ['1.2.3', /./],
  ['256.1.1.1', /./],
  ['host..name', /./],
  ['-host', /./],
  ['host-', /./],
  [`${'a'.repeat(64)}.example.com`, /./],
  ['x'.repeat(300), /…/],
  ["'quoted'", /./],
  ['h\u001b[2Jx', /\\x1b/],
  ['h\u001b]0;pwned\u0007x', /\\x1b/],
  ['héllo.example.com', /./],
  ['*', /./],
  ['host/path', /./],
  ['ssh://host', /./],
  ['host,other', /./],
  ['fe80::1 %eth0', /./],
];

const BAD_NAMES_MC = ['node 1', 'node;1', '-node', 'node$(x)', 'nöde', '.node', 'node\u001b[2J'];

function yamlString(value: string): string {
  return JSON.stringify(value);
}

function cases(): BadInput[] {
  const all: BadInput[] = [];
  for (const [address, detail] of BAD_ADDRESSES) {
    all.push({
      name: `mc address ${JSON.stringify(address).slice(0, 40)}`,
      path: 'hosts.yaml',
      text: `hosts:\n  node1:\n    address: ${yamlString(address)}\n`,
      expect: /^hosts\.yaml:3:14: hosts\.node1\.address: must be one IPv4 or IPv6 address or host name/,
      line: 3,
      col: 14,
    });
    all.push({
      name: `Ansible YAML ansible_host ${JSON.stringify(address).slice(0, 40)}`,
      path: 'hosts.yml',
      text: `all:\n  hosts:\n    node1:\n      ansible_host: ${yamlString(address)}\n`,
      expect: new RegExp(`^hosts\\.yml:4:21: ansible_host: .*${detail.source}`),
      line: 4,
      col: 21,
    });
    if (!address.includes("'") && !/[\t\n]/.test(address)) {
      all.push({
        name: `INI ansible_host ${JSON.stringify(address).slice(0, 40)}`,
        path: 'hosts.ini',
        text: `[web]\nnode1 ansible_host='${address}'\n`,
        expect: /^hosts\.ini:2:\d+: ansible_host: /,
        line: 2,
      });
    }
  }
  all.push({
    name: 'group_vars address',
    path: 'hosts.yml',
    text: 'all:\n  hosts:\n    node1:\n',
    extra: {
      groupVars: [{ group: 'all', path: 'group_vars/all.yml', text: 'ansible_host: "-oProxyCommand=x"\n' }],
    },
    expect: /^group_vars\/all\.yml:1:15: ansible_host: "-oProxyCommand=x" starts with '-'/,
    line: 1,
  });
  for (const name of BAD_NAMES_MC) {
    all.push({
      name: `mc host name ${JSON.stringify(name)}`,
      path: 'hosts.yaml',
      text: `hosts:\n  ${yamlString(name)}:\n    address: 10.0.0.1\n`,
      expect: /^hosts\.yaml:2:3: /,
      line: 2,
      col: 3,
    });
  }
  const limitCases: [string, string, RegExp, number, number][] = [
    [
      'alias bomb',
      `hosts:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
      /alias \*c takes the document over 1000 alias expansions/,
      5,
      38,
    ],
    ['deep flow nesting', `hosts: ${'['.repeat(100)}${']'.repeat(100)}\n`, /nests deeper than 64/, 1, 71],
    [
      'very deep flow nesting',
      `hosts: ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
      /nests deeper than 64/,
      1,
      0,
    ],
    ['second document', 'hosts:\n  node1:\n---\nhosts: {}\n', /YAML syntax error/, 3, 1],
    ['unclosed flow', 'hosts: [node1\n', /YAML syntax error/, 2, 0],
    ['tab indentation', 'hosts:\n\tnode1:\n', /YAML syntax error/, 2, 0],
    ['duplicate key', 'hosts:\n  node1:\n  node1:\n', /duplicate key 'node1'/, 3, 3],
    ['alias to nothing', 'hosts:\n  node1: *nothing\n', /alias \*nothing has no anchor/, 2, 10],
    [
      'vault value',
      'hosts:\n  node1:\n    password: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n',
      /ansible-vault/,
      3,
      15,
    ],
    ['unknown tag', 'hosts:\n  node1:\n    port: !!binary aGk=\n', /port: must be an integer/, 3, 0],
    ['port text', 'hosts:\n  node1:\n    port: twenty-two\n', /port: must be an integer/, 3, 11],
    ['port huge', `hosts:\n  node1:\n    port: ${'9'.repeat(400)}\n`, /port: must be an integer/, 3, 11],
    ['unknown key typo', 'hosts:\n  node1:\n    adress: 10.0.0.1\n', /did you mean 'address'/, 3, 5],
    ['hosts is a list', 'hosts:\n  - node1\n', /hosts: must be a map/, 2, 3],
    ['inventory is a string', '"just text"\n', /must be a map/, 1, 1],
    ['unset variable', 'hosts:\n  node1:\n    address: ${MC_UNSET_FOR_TEST}\n', /MC_UNSET_FOR_TEST/, 3, 14],
  ];
  for (const [name, text, expect, line, col] of limitCases) {
    all.push({ name: `mc ${name}`, path: 'hosts.yaml', text, expect, line, ...(col > 0 ? { col } : {}) });
  }
  const ansibleCases: [string, string, string, RegExp, number][] = [
    ['INI bad section type', 'hosts.ini', '[web:bogus]\nx\n', /unknown section type/, 1],
    ['INI key without value', 'hosts.ini', '[web]\nnode1 ansible_host\n', /expected key=value/, 2],
    ['INI unclosed section', 'hosts.ini', '[web\nnode1\n', /./, 1],
    ['INI bad port', 'hosts.ini', 'node1 ansible_port=http\n', /ansible_port must be an integer/, 1],
    ['INI bad range', 'hosts.ini', 'node[1:]\n', /./, 1],
    ['INI unterminated quote', 'hosts.ini', "node1 ansible_user='ubuntu\n", /./, 1],
    ['INI connection local', 'hosts.ini', 'node1 ansible_connection=local\n', /connects over SSH only/, 1],
    [
      'YAML alias bomb',
      'hosts.yml',
      'all:\n  vars:\n    a: &a [x, x, x, x, x, x, x, x, x, x]\n    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n    d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
      /alias \*c takes the document over/,
      6,
    ],
    ['YAML hosts as list', 'hosts.yml', 'all:\n  hosts:\n    - node1\n', /./, 3],
    [
      'YAML become not bool',
      'hosts.yml',
      'all:\n  hosts:\n    node1:\n      ansible_become: maybe\n',
      /not a boolean/,
      4,
    ],
    [
      'YAML jinja host',
      'hosts.yml',
      'all:\n  hosts:\n    node1:\n      ansible_host: "{{ ip }}"\n',
      /Jinja/,
      4,
    ],
    [
      'YAML port list',
      'hosts.yml',
      'all:\n  hosts:\n    node1:\n      ansible_port: [22]\n',
      /ansible_port must be an integer/,
      4,
    ],
    [
      'YAML deep vars',
      'hosts.yml',
      `all:\n  vars:\n    x: ${'{a: '.repeat(80)}1${'}'.repeat(80)}\n`,
      /nests deeper than 64/,
      3,
    ],
  ];
  for (const [name, path, text, expect, line] of ansibleCases) all.push({ name, path, text, expect, line });
  return all;
}

function check(issues: InventoryIssue[], input: BadInput, printed: string[]): void {
  const lineCount = input.text.split('\n').length;
  assert.ok(issues.length > 0, `${input.name}: no issue`);
  for (const [index, issue] of issues.entries()) {
    const text = printed[index] ?? '';
    assert.ok(
      issue.line >= 1 && issue.line <= lineCount,
      `${input.name}: line ${issue.line} outside the file: ${text}`,
    );
    assert.ok(issue.col >= 1, `${input.name}: column ${issue.col}: ${text}`);
    assert.ok(text.length <= 2048, `${input.name}: a ${text.length}-character message`);
    assert.doesNotMatch(
      text,
      // eslint-disable-next-line no-control-regex
      /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/,
      `${input.name}: raw control characters`,
    );
    assert.doesNotMatch(text, /\n\s+at /, `${input.name}: a stack trace`);
  }
  const first = issues[0];
  assert.match(printed[0] ?? '', input.expect, `${input.name}: ${printed.join(' | ')}`);
  assert.equal(first?.line, input.line, `${input.name}: ${printed[0]}`);
  if (input.col !== undefined) assert.equal(first?.col, input.col, `${input.name}: ${printed[0]}`);
}

describe('hostile and malformed inventories', () => {
  const inputs = cases();

  it(`holds at least 100 bad inputs (${inputs.length})`, () => {
    assert.ok(inputs.length >= 100, `only ${inputs.length}`);
  });

  for (const input of inputs) {
    it(`refuses ${input.name}`, () => {
      const result = parseInventory(
        {
          main: { path: input.path, text: input.text },
          groupVars: input.extra?.groupVars ?? [],
          hostVars: input.extra?.hostVars ?? [],
        },
        {},
      );
      if (result.ok) assert.fail(`${input.name}: accepted`);
      check(result.issues, input, result.issues.map(formatIssue));
    });
  }

  it('gives the alias bomb exactly one issue', () => {
    const bomb = cases().find((input) => input.name === 'mc alias bomb');
    const result =
      bomb && parseInventory({ main: { path: bomb.path, text: bomb.text }, groupVars: [], hostVars: [] }, {});
    assert.equal(result?.ok === false && result.issues.length, 1);
  });
});

describe('names a cluster needs', () => {
  const planIssues = (text: string, path = 'hosts.yml'): string[] => {
    const result = parseInventory({ main: { path, text }, groupVars: [], hostVars: [] }, {});
    if (!result.ok) assert.fail(result.issues.map(formatIssue).join('\n'));
    const parsed = parseClusterSpec(result.inventory, { forDeploy: true });
    return parsed.ok ? [] : parsed.issues.map(formatDeployIssue);
  };

  for (const name of ['node;rm -rf /', 'node 1', 'node_1', '-node', 'a'.repeat(65), 'node.', 'Ünicode']) {
    it(`accepts ${JSON.stringify(name.slice(0, 20))} as an Ansible host, refuses it as a system name at its line`, () => {
      const issues = planIssues(
        `all:\n  hosts:\n    ${JSON.stringify(name)}:\n      ansible_host: 10.0.0.1\n`,
      );
      assert.equal(issues.length, 1, issues.join('\n'));
      assert.match(
        issues[0] ?? '',
        /^hosts\.yml:3:5: host ".*" (is not a valid host name|is longer than 64)/,
      );
      assert.ok((issues[0] ?? '').length < 400);
    });
  }

  it('leaves loose Ansible names alone where no cluster is meant (inventory check of an Ansible file)', () => {
    const text = 'all:\n  hosts:\n    "node;rm -rf /":\n      ansible_host: 10.0.0.1\n';
    const result = parseInventory({ main: { path: 'hosts.yml', text }, groupVars: [], hostVars: [] }, {});
    assert.ok(result.ok);
    assert.equal(parseClusterSpec(result.inventory).ok, true);
  });

  it('accepts host names and FQDNs', () => {
    assert.deepEqual(planIssues('all:\n  hosts:\n    micro1:\n    micro-2.example.com:\n'), []);
  });
});

describe('unknown connection variables', () => {
  it('warns about a typo of ansible_port at its place, and accepts the inventory', () => {
    for (const [path, text, line] of [
      ['hosts.yml', 'all:\n  hosts:\n    node1:\n      ansible_prot: 22\n', 4],
      ['hosts.ini', '[web]\nnode1 ansible_prot=22\n', 2],
      ['hosts.ini', '[web]\nnode1\n[web:vars]\nansible_prot=22\n', 4],
    ] as const) {
      const result = parseInventory({ main: { path, text }, groupVars: [], hostVars: [] }, {});
      assert.ok(result.ok);
      assert.deepEqual(
        (result.warnings ?? []).map((warning) => [warning.line, warning.message]),
        [[line, "unknown connection variable 'ansible_prot' is ignored (did you mean 'ansible_port'?)"]],
        path,
      );
    }
  });

  it('does not warn about Ansible variables mc does not need, nor about free-form ones', () => {
    const text =
      'all:\n  hosts:\n    node1:\n      ansible_python_interpreter: /usr/bin/python3\n      ansible_timeout: 10\n      app_port: 80\n';
    const result = parseInventory({ main: { path: 'hosts.yml', text }, groupVars: [], hostVars: [] }, {});
    assert.ok(result.ok);
    assert.equal(result.warnings, undefined);
  });
});
