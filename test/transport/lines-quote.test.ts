import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execaSync } from 'execa';
import { LineSplitter } from '../../src/transport/lines.js';
import { posixShell, quoteArg, shellJoin } from '../../src/transport/quote.js';

describe('LineSplitter', () => {
  it('joins lines split across chunks and strips CR', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l));
    for (const chunk of ['one\ntw', 'o\r\nthr', 'ee', '\n\nlast']) splitter.push(chunk);
    assert.deepEqual(lines, ['one', 'two', 'three', '']);
    splitter.flush();
    assert.deepEqual(lines, ['one', 'two', 'three', '', 'last']);
    splitter.flush();
    assert.equal(lines.length, 5);
  });
});

describe('shell quoting', () => {
  const awkward = [
    'plain',
    'two words',
    "it's",
    '$HOME',
    '`id`',
    'a\nb',
    '',
    '*',
    '\\',
    '!',
    '#x',
    '~',
    '--wipe',
    '"q"',
  ];

  it('round-trips every awkward argument through a real sh', () => {
    const script = `for a in ${shellJoin(awkward)}; do printf '%s\\0' "$a"; done`;
    const out = execaSync('sh', ['-c', script]).stdout;
    assert.deepEqual(out.split('\0').slice(0, -1), awkward);
  });

  it('keeps flags intact and quotes the empty string', () => {
    assert.equal(quoteArg('--wipe'), '--wipe');
    assert.equal(quoteArg(''), "''");
  });

  it('wraps a script for sh -c so the login shell does not parse it', () => {
    const out = execaSync('bash', ['-c', posixShell('a=1; echo "$a" $((a+1))')]).stdout;
    assert.equal(out, '1 2');
  });
});
