import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DeployIssues, formatDeployIssue, listWords } from '../../../src/domain/cluster/issues.js';

describe('formatDeployIssue', () => {
  const position = { file: 'hosts.yaml', line: 12, col: 7 };

  it('prints file:line:col, the host, the message and the hint, each only when present', () => {
    assert.equal(
      formatDeployIssue({
        message: 'disk /dev/sdz not found',
        position,
        host: 'micro1',
        hint: 'see mc probe',
      }),
      'hosts.yaml:12:7: micro1: disk /dev/sdz not found (see mc probe)',
    );
    assert.equal(formatDeployIssue({ message: 'm', position }), 'hosts.yaml:12:7: m');
    assert.equal(formatDeployIssue({ message: 'm', host: 'micro2' }), 'micro2: m');
    assert.equal(formatDeployIssue({ message: 'm', hint: 'h' }), 'm (h)');
    assert.equal(
      formatDeployIssue({ message: 'm', position: { file: 'inv.ini', line: 0, col: 0 } }),
      'inv.ini: m',
    );
  });
});

describe('DeployIssues', () => {
  it('keeps each issue once, in order, and sorts by position on request', () => {
    const issues = new DeployIssues();
    issues.add('b', { position: { file: 'f', line: 9, col: 1 } });
    issues.add('no position', { host: 'micro1' });
    issues.add('a', { position: { file: 'f', line: 2, col: 5 } });
    issues.add('b', { position: { file: 'f', line: 9, col: 1 } });
    assert.equal(issues.size, 3);
    assert.deepEqual(
      issues.list().map((issue) => issue.message),
      ['b', 'no position', 'a'],
    );
    assert.deepEqual(
      issues.sorted().map((issue) => issue.message),
      ['a', 'b', 'no position'],
    );
  });

  it('lists words', () => {
    assert.equal(listWords([]), '');
    assert.equal(listWords(['micro1']), 'micro1');
    assert.equal(listWords(['micro1', 'micro2', 'micro3']), 'micro1, micro2 and micro3');
  });
});
