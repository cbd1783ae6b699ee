import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPlaybook } from '../../src/domain/playbook/parse.js';
import type { Task } from '../../src/domain/playbook/types.js';
import { undefinedVariableIssues } from '../../src/domain/playbook/variables.js';

/** Loads `main.yml` from in-memory files; returns the issues as `line:col: message` (file name stripped). */
function issuesOf(files: Record<string, string>, known: string[] = []): string[] {
  const result = loadPlaybook('/pb/main.yml', (path) => files[path.replace(/^\/pb\//, '')]);
  if (!result.ok)
    return result.issues.map((i) => `${i.file.replace(/^\/pb\//, '')}:${i.line}:${i.col}: ${i.message}`);
  return result.playbook.plays.flatMap((play) =>
    undefinedVariableIssues(play, new Set(known)).map(
      (i) => `${i.file.replace(/^\/pb\//, '')}:${i.line}:${i.col}: ${i.message}`,
    ),
  );
}

const play = (tasks: string, extra = ''): string =>
  `- hosts: all\n  gather_facts: false\n${extra}  tasks:\n${tasks}`;

// Each bad playbook: what it holds, and the first issue expected (file:line:col: start of the message).
const BAD: [string, Record<string, string>, string][] = [
  [
    'an unknown module',
    { 'main.yml': play('    - commnd: echo hi\n') },
    "main.yml:4:7: unknown module or keyword 'commnd' (did you mean 'command'?)",
  ],
  [
    'an unknown FQCN module',
    { 'main.yml': play('    - ansible.builtin.coppy: {dest: /tmp/x, content: x}\n') },
    "main.yml:4:7: unknown module 'ansible.builtin.coppy' (did you mean 'ansible.builtin.copy'?)",
  ],
  [
    'a misspelt task keyword',
    { 'main.yml': play('    - command: echo hi\n      whne: true\n') },
    "main.yml:5:7: unknown module or keyword 'whne' (did you mean 'when'?)",
  ],
  [
    'a misspelt play keyword',
    { 'main.yml': '- hosts: all\n  gather_fact: false\n  tasks: []\n' },
    "main.yml:2:3: unknown keyword 'gather_fact' in a play (did you mean 'gather_facts'?)",
  ],
  ['bad YAML', { 'main.yml': '- hosts: all\n  tasks: [\n' }, 'main.yml:3:1: YAML syntax error'],
  [
    'retries that are not a number',
    {
      'main.yml': play(
        '    - command: "true"\n      register: r\n      until: r is succeeded\n      retries: many\n',
      ),
    },
    'main.yml:7:16: \'retries\' must be a whole number, got "many"',
  ],
  [
    'a timeout on a play',
    { 'main.yml': play('    - command: "true"\n', '  timeout: 5\n') },
    "main.yml:3:3: 'timeout' is an Ansible keyword mc does not support (in a play)",
  ],
  [
    'a negative timeout',
    { 'main.yml': play('    - command: "true"\n      timeout: -1\n') },
    "main.yml:5:16: 'timeout' must be a whole number of seconds (0 for none), got -1",
  ],
  [
    'an unknown filter',
    { 'main.yml': play('    - debug:\n        msg: "{{ inventory_hostname | upperr }}"\n') },
    "main.yml:5:14: unknown filter 'upperr' (did you mean 'upper'?)",
  ],
  [
    'an unknown test',
    {
      'main.yml': play(
        '    - command: "true"\n      register: r\n    - debug: {msg: hi}\n      when: r is faild\n',
      ),
    },
    "main.yml:7:13: unknown test 'faild' (did you mean 'failed'?)",
  ],
  [
    'a template syntax error',
    { 'main.yml': play('    - debug:\n        msg: "{{ inventory_hostname | }}"\n') },
    'main.yml:5:14: template syntax:',
  ],
  [
    'an undefined variable',
    { 'main.yml': play('    - debug:\n        msg: "{{ nosuch_var }}"\n') },
    "main.yml:5:14: 'nosuch_var' is undefined",
  ],
  [
    'a misspelt variable',
    { 'main.yml': play('    - debug:\n        msg: "{{ packges }}"\n', '  vars:\n    packages: [a]\n') },
    "main.yml:7:14: 'packges' is undefined: no play var, vars_files, inventory var, -e, register, set_fact or fact defines it (did you mean 'packages'?)",
  ],
  [
    'a loop over a number',
    { 'main.yml': play('    - debug: {msg: hi}\n      loop: 5\n') },
    "main.yml:5:13: 'loop' must be a list or a template that gives one",
  ],
  [
    'a loop over plain text',
    { 'main.yml': play('    - debug: {msg: hi}\n      loop: my_list\n') },
    "main.yml:5:13: 'loop' must be a list",
  ],
  [
    'a missing handler',
    {
      'main.yml':
        play('    - command: "true"\n      notify: restart nginx\n', '') +
        '  handlers:\n    - name: restart nginxx\n      command: "true"\n',
    },
    'main.yml:4:7: notify: no handler named "restart nginx" in this play (did you mean \'restart nginxx\'?)',
  ],
  [
    'a template reaching for Python internals',
    { 'main.yml': play('    - debug:\n        msg: "{{ \'\'.__class__.__mro__ }}"\n') },
    "main.yml:5:14: template reaches for '__class__'",
  ],
  [
    'a lookup running a command on the controller',
    { 'main.yml': play("    - debug:\n        msg: \"{{ lookup('pipe', 'id') }}\"\n") },
    'main.yml:5:14: lookup(): lookups read the controller',
  ],
  [
    'a hostile task name',
    { 'main.yml': play('    - name: "{{ range.__init__.__globals__ }}"\n      debug: {msg: hi}\n') },
    "main.yml:4:13: template reaches for '__init__'",
  ],
  [
    'a huge unknown module name',
    { 'main.yml': play(`    - ${'x'.repeat(900)}: hi\n`) },
    `main.yml:4:7: unknown module or keyword '${'x'.repeat(60)}… (900 bytes)'`,
  ],
  [
    'a huge value',
    { 'main.yml': play(`    - command: "true"\n      register: "${'y-'.repeat(50_000)}"\n`) },
    `main.yml:5:17: 'register' must be a variable name, got "${'y-'.repeat(30)}… (97.7 KiB)"`,
  ],
  [
    'a billion-laughs document',
    {
      'main.yml':
        '- hosts: all\n  vars:\n    a: &a [x, x, x, x, x, x, x, x, x, x]\n    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n    d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n    e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n  tasks: []\n',
    },
    'main.yml:6:40: YAML alias *c takes the document over 1000 alias expansions',
  ],
  [
    'an unsupported parameter',
    { 'main.yml': play('    - copy: {content: x, dst: /tmp/x}\n') },
    "main.yml:4:13: copy: unsupported parameter 'dst' (did you mean 'dest'?)",
  ],
  [
    'a missing required parameter',
    { 'main.yml': play('    - copy: {content: x}\n') },
    "main.yml:4:13: copy: missing required parameter 'dest'",
  ],
  [
    'two modules in one task',
    { 'main.yml': play('    - command: "true"\n      shell: "true"\n') },
    "main.yml:5:7: a task runs one module: 'command' and 'shell' given",
  ],
  [
    'a register that is no variable name',
    { 'main.yml': play('    - command: "true"\n      register: my-var\n') },
    'main.yml:5:17: \'register\' must be a variable name, got "my-var"',
  ],
  [
    'serial 0',
    { 'main.yml': '- hosts: all\n  serial: 0\n  tasks: []\n' },
    "main.yml:2:11: 'serial' takes numbers above 0",
  ],
  [
    'become that is no boolean',
    { 'main.yml': '- hosts: all\n  become: maybe\n  tasks: []\n' },
    'main.yml:2:11: \'become\' must be true or false, got "maybe"',
  ],
  [
    'include_tasks of a missing file',
    { 'main.yml': play('    - include_tasks: nothere.yml\n') },
    'main.yml:4:22: cannot read /pb/nothere.yml',
  ],
  [
    'a task file with a bad task',
    { 'main.yml': play('    - import_tasks: more.yml\n'), 'more.yml': '- name: x\n  debugg: {msg: hi}\n' },
    "more.yml:2:3: unknown module or keyword 'debugg' (did you mean 'debug'?)",
  ],
  [
    'an import_playbook cycle',
    { 'main.yml': '- import_playbook: other.yml\n', 'other.yml': '- import_playbook: main.yml\n' },
    'other.yml:1:20: /pb/main.yml imports itself',
  ],
  [
    'a keyword mc does not support',
    { 'main.yml': '- hosts: all\n  roles: [web]\n' },
    "main.yml:2:3: 'roles' is an Ansible keyword mc does not support (in a play)",
  ],
  [
    'delegate_to another host',
    { 'main.yml': play('    - command: "true"\n      delegate_to: node2\n') },
    'main.yml:5:20: delegate_to: mc delegates only to localhost, got "node2"',
  ],
  [
    'a play without hosts',
    { 'main.yml': '- name: no hosts\n  tasks: []\n' },
    "main.yml:1:3: a play needs 'hosts'",
  ],
  [
    'a variable name with a space',
    { 'main.yml': '- hosts: all\n  vars:\n    "my var": 1\n  tasks: []\n' },
    "main.yml:3:5: 'my var' is not a valid variable name",
  ],
  [
    'key=value arguments with a stray word',
    { 'main.yml': play('    - debug: msg=hi extra\n') },
    'main.yml:4:14: debug: unexpected word "extra"',
  ],
  [
    'a vars_files file that does not exist',
    { 'main.yml': '- hosts: all\n  vars_files: [vars/missing.yml]\n  tasks: []\n' },
    'main.yml:2:15: cannot read /pb/vars/missing.yml',
  ],
];

describe('mc playbook: bad playbooks are refused with file:line:col', () => {
  for (const [what, files, expected] of BAD) {
    it(`refuses ${what}`, () => {
      const issues = issuesOf(files);
      assert.ok(issues.length > 0, 'expected an issue');
      assert.ok(
        issues.some((i) => i.startsWith(expected)),
        `expected an issue starting with:\n  ${expected}\ngot:\n  ${issues.join('\n  ')}`,
      );
      for (const issue of issues)
        assert.ok(issue.length < 400, `an issue is one short line: ${issue.slice(0, 100)}`);
    });
  }

  it('reports every problem at once, in file order', () => {
    const issues = issuesOf({
      'main.yml': play('    - commnd: x\n    - debug: {msg: "{{ x | nope }}"}\n      whne: 1\n'),
    });
    assert.equal(issues.length, 3, issues.join('\n'));
    assert.deepEqual(
      issues.map((i) => i.split(': ')[0]),
      ['main.yml:4:7', 'main.yml:5:20', 'main.yml:6:7'],
    );
  });
});

describe('mc playbook: good playbooks', () => {
  const files = {
    'main.yml': `- name: first
  hosts: web:&prod
  become: true
  serial: [1, "50%"]
  vars: {greeting: hello}
  vars_files: [vars.yml]
  tasks:
    - name: say {{ greeting }}
      ansible.builtin.command: echo {{ greeting }} chdir=/tmp creates=/tmp/x
      register: out
      changed_when: false
    - debug: msg="{{ out.stdout }} and {{ item }}"
      loop: "{{ packages }}"
      loop_control: {loop_var: pkg_item, label: "{{ pkg_item }}"}
      when:
        - out is succeeded
        - pkg_item is defined
    - block:
        - command: "false"
      rescue:
        - set_fact: {recovered: true}
      always:
        - ping:
    - import_tasks: more.yml
  handlers:
    - name: restart
      listen: restarts
      service: {name: nginx, state: restarted}
- import_playbook: second.yml
`,
    'vars.yml': 'packages: [a, b]\n',
    'more.yml':
      '- community.general.snap: {name: lxd, channel: 5.21/stable, hold: true}\n  notify: restarts\n',
    'second.yml':
      '- hosts: all\n  gather_facts: no\n  tasks:\n    - shell: echo $HOME | tr a-z A-Z\n    - command: touch {{ inventory_hostname }} creates={{ base }}/x chdir={{ base }}/{{ inventory_hostname }}\n',
  };

  it('reads plays, tasks, blocks, includes and imports', () => {
    const result = loadPlaybook(
      '/pb/main.yml',
      (path) => files[path.replace(/^\/pb\//, '') as keyof typeof files],
    );
    assert.ok(
      result.ok,
      result.ok ? '' : result.issues.map((i) => `${i.line}:${i.col}: ${i.message}`).join('\n'),
    );
    const [first, second] = result.playbook.plays;
    assert.equal(result.playbook.plays.length, 2);
    assert.equal(first?.hosts, 'web:&prod');
    assert.deepEqual(first?.serial, [1, '50%']);
    assert.deepEqual(first?.varsFiles, [{ packages: ['a', 'b'] }]);
    const command = first?.tasks[0] as Task;
    assert.equal(command.module, 'command');
    assert.deepEqual(command.args, { chdir: '/tmp', creates: '/tmp/x', _raw_params: 'echo {{ greeting }}' });
    assert.deepEqual(command.changedWhen, ['False']);
    const debug = first?.tasks[1] as Task;
    assert.deepEqual(debug.args, { msg: '{{ out.stdout }} and {{ item }}' });
    assert.equal(debug.loopControl?.loopVar, 'pkg_item');
    assert.deepEqual(debug.when, ['out is succeeded', 'pkg_item is defined']);
    assert.equal(first?.tasks[2]?.kind, 'block');
    const imported = first?.tasks[3];
    assert.equal(imported?.kind === 'block' ? (imported.block[0] as Task).module : '', 'snap');
    assert.deepEqual(first?.handlers[0]?.listen, ['restarts']);
    assert.equal(second?.gatherFacts, false);
    assert.equal((second?.tasks[0] as Task).args._raw_params, 'echo $HOME | tr a-z A-Z');
    // An option's value with a template in it (spaces inside `{{ }}`) is one word, as in Ansible's split_args.
    assert.deepEqual((second?.tasks[1] as Task).args, {
      creates: '{{ base }}/x',
      chdir: '{{ base }}/{{ inventory_hostname }}',
      _raw_params: 'touch {{ inventory_hostname }}',
    });
    // `item` is read but only pkg_item is the loop variable: that is an undefined variable.
    const undefinedIssues = undefinedVariableIssues(first, new Set());
    assert.deepEqual(
      undefinedIssues.map((i) => i.message.split(':')[0]),
      ["'item' is undefined"],
    );
  });
});
