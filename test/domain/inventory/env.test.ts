import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { substituteEnv } from '../../../src/domain/inventory/env.js';
import { hostNamed, lines, parseIssues, parseValid } from './helpers.js';

describe('substituteEnv', () => {
  const env = { USER_NAME: 'ubuntu', EMPTY: '', PORT: '2222' };

  it('replaces ${NAME} with the variable', () => {
    assert.deepEqual(substituteEnv('${USER_NAME}@host:${PORT}', env), {
      value: 'ubuntu@host:2222',
      problems: [],
    });
  });

  it('uses the default when the variable is unset or empty, as sh does for :-', () => {
    assert.equal(substituteEnv('${MISSING:-fallback}', env).value, 'fallback');
    assert.equal(substituteEnv('${EMPTY:-fallback}', env).value, 'fallback');
    assert.equal(substituteEnv('${USER_NAME:-fallback}', env).value, 'ubuntu');
    assert.equal(substituteEnv('${MISSING:-}', env).value, '');
    assert.equal(substituteEnv('${MISSING:-a:b-c}', env).value, 'a:b-c');
  });

  it('keeps an empty variable empty when there is no default', () => {
    assert.deepEqual(substituteEnv('[${EMPTY}]', env), { value: '[]', problems: [] });
  });

  it('reads $${ as a literal ${ and leaves other dollars alone', () => {
    assert.equal(substituteEnv('$${USER_NAME}', env).value, '${USER_NAME}');
    assert.equal(substituteEnv('cost: $5, $USER_NAME, $', env).value, 'cost: $5, $USER_NAME, $');
    assert.equal(substituteEnv('$$${USER_NAME}', env).value, '$${USER_NAME}');
  });

  it('reports an unset variable without default and keeps the reference', () => {
    assert.deepEqual(substituteEnv('pw=${MC_SSH_PASSWORD}', env), {
      value: 'pw=${MC_SSH_PASSWORD}',
      problems: [
        'environment variable MC_SSH_PASSWORD is not set (export it, or give a default: ${MC_SSH_PASSWORD:-value})',
      ],
    });
  });

  it('reports an unterminated reference and an invalid name', () => {
    assert.deepEqual(substituteEnv('a${OPEN', env).problems, [
      'unterminated ${ in "a${OPEN": close it with } or write $${ for a literal ${',
    ]);
    assert.deepEqual(substituteEnv('${NOT-A-NAME}', env).problems, [
      'invalid environment variable name "NOT-A-NAME" in ${NOT-A-NAME}: use letters, digits and _ (write $${ for a literal ${)',
    ]);
  });
});

describe('environment substitution in inventories', () => {
  it('applies to string values of mc inventories, not to keys', () => {
    const inventory = parseValid(
      'hosts.yaml',
      lines(
        'defaults:',
        '  user: ${SSH_USER}',
        '  port: ${SSH_PORT:-2222}',
        '  password: "${MC_SSH_PASSWORD}"',
        'hosts:',
        '  node1:',
        '    address: ${ADDRESS:-10.0.0.1}',
        '    vars:',
        '      ${NOT_A_VARIABLE}: kept',
      ),
      { SSH_USER: 'admin', MC_SSH_PASSWORD: 's3cret' },
    );
    const host = hostNamed(inventory, 'node1');
    assert.deepEqual(host.vars, { '${NOT_A_VARIABLE}': 'kept' });
    assert.equal(host.user, 'admin');
    assert.equal(host.port, 2222);
    assert.equal(host.password, 's3cret');
    assert.equal(host.address, '10.0.0.1');
  });

  it('locates an unset variable at its scalar, and reports nothing else about that value', () => {
    assert.deepEqual(
      parseIssues(
        'hosts.yaml',
        lines('hosts:', '  node1:', '    port: ${SSH_PORT}', '    password: pre-${MC_SSH_PASSWORD}-post'),
      ),
      [
        'hosts.yaml:3:11: environment variable SSH_PORT is not set (export it, or give a default: ${SSH_PORT:-value})',
        'hosts.yaml:4:15: environment variable MC_SSH_PASSWORD is not set (export it, or give a default: ${MC_SSH_PASSWORD:-value})',
      ],
    );
  });

  it('applies to Ansible YAML inventories and their group_vars files', () => {
    const text = lines('all:', '  hosts:', '    node1:', '      ansible_user: ${SSH_USER}');
    const inventory = parseValid(
      'hosts.yml',
      text,
      { SSH_USER: 'admin', BECOME: 'pw' },
      {
        groupVars: [
          { group: 'all', path: 'group_vars/all.yml', text: 'ansible_become_password: ${BECOME}\n' },
        ],
      },
    );
    assert.equal(hostNamed(inventory, 'node1').user, 'admin');
    assert.equal(hostNamed(inventory, 'node1').becomePassword, 'pw');
    assert.deepEqual(
      parseIssues(
        'hosts.yml',
        text,
        {},
        {
          groupVars: [
            { group: 'all', path: 'group_vars/all.yml', text: 'x: 1\nansible_become_password: ${BECOME}\n' },
          ],
        },
      ),
      [
        'hosts.yml:4:21: environment variable SSH_USER is not set (export it, or give a default: ${SSH_USER:-value})',
        'group_vars/all.yml:2:26: environment variable BECOME is not set (export it, or give a default: ${BECOME:-value})',
      ],
    );
  });

  it('applies to INI values, after Ansible has typed them', () => {
    const text = lines(
      'node1 ansible_port=${SSH_PORT:-2222} ansible_password="${PW}"',
      '[all:vars]',
      'ansible_user = ${SSH_USER}',
    );
    const inventory = parseValid('hosts.ini', text, { PW: 'a b', SSH_USER: 'admin' });
    const host = hostNamed(inventory, 'node1');
    assert.deepEqual([host.port, host.password, host.user], [2222, 'a b', 'admin']);
    assert.deepEqual(parseIssues('hosts.ini', text, { SSH_USER: 'admin' }), [
      'hosts.ini:1:55: environment variable PW is not set (export it, or give a default: ${PW:-value})',
    ]);
  });

  it('reports a variable used by many hosts once, at its definition', () => {
    const text = lines('[all:vars]', 'ansible_password=${PW}', '[nodes]', 'node[1:5]');
    assert.deepEqual(parseIssues('hosts.ini', text), [
      'hosts.ini:2:18: environment variable PW is not set (export it, or give a default: ${PW:-value})',
    ]);
  });
});
