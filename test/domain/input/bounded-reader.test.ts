import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  DEFAULT_INPUT_LIMITS,
  decodeInput,
  escapeControl,
  parseBoundedYaml,
  quoteValue,
  showValue,
  toPlainYaml,
} from '../../../src/domain/input/index.js';
import { readInputFile } from '../../../src/workflows/read-input.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('showValue and escapeControl', () => {
  it('cuts a long value after 60 characters and gives its size', () => {
    const value = 'x'.repeat(20 * 1024 * 1024);
    assert.equal(showValue(value), `${'x'.repeat(60)}… (20 MiB)`);
    assert.equal(quoteValue('a"b'), '"a\\"b"');
    assert.equal(showValue('short'), 'short');
  });

  it('escapes terminal escapes and control characters, keeps tabs and Unicode', () => {
    assert.equal(escapeControl('\x1b]0;pwned\x07\x1b[2J'), '\\x1b]0;pwned\\x07\\x1b[2J');
    assert.equal(escapeControl('a\r\nb\x9bc\u202ed'), 'a\\r\\nb\\x9bc\\u202ed');
    assert.equal(escapeControl('tab\there ünïcødé 🚀'), 'tab\there ünïcødé 🚀');
    assert.equal(escapeControl('lone \ud800 surrogate'), 'lone \\ud800 surrogate');
  });

  it('never cuts a surrogate pair in half', () => {
    const shown = showValue(`${'a'.repeat(59)}🚀${'b'.repeat(10)}`);
    assert.ok(shown.startsWith(`${'a'.repeat(59)}…`), shown);
  });
});

describe('decodeInput', () => {
  it('drops a BOM and keeps CRLF', () => {
    assert.deepEqual(decodeInput('f', bytes('\ufeffa: 1\r\n')), { ok: true, text: 'a: 1\r\n' });
  });

  it('locates the character where a file goes over the size limit', () => {
    const result = decodeInput('f', bytes('ab\ncdef'), { maxBytes: 5 });
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && [result.issue.line, result.issue.col], [2, 3]);
    assert.match(!result.ok ? result.issue.message : '', /larger than 5 bytes/);
  });

  it('locates invalid UTF-8 and NUL characters', () => {
    const latin1 = decodeInput('f', new Uint8Array([0x61, 0x0a, 0x62, 0xe9, 0x0a]));
    assert.deepEqual(!latin1.ok && [latin1.issue.line, latin1.issue.col], [2, 2]);
    assert.match(!latin1.ok ? latin1.issue.message : '', /not UTF-8 .*0xe9/);
    const nul = decodeInput('f', bytes('abc\0'));
    assert.deepEqual(!nul.ok && [nul.issue.line, nul.issue.col], [1, 4]);
    // Surrogates encoded in UTF-8 (CESU) and overlong forms are not UTF-8.
    assert.equal(decodeInput('f', new Uint8Array([0xed, 0xa0, 0x80])).ok, false);
    assert.equal(decodeInput('f', new Uint8Array([0xc0, 0xaf])).ok, false);
    assert.equal(decodeInput('f', bytes('ü🚀')).ok, true);
  });
});

describe('parseBoundedYaml', () => {
  const bomb = [
    'a: &a [x, x, x, x, x, x, x, x, x]',
    'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
    'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
    'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
    'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
    'f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]',
  ].join('\n');

  it('gives one issue at the alias that takes a "billion laughs" document over the limit', () => {
    const parsed = parseBoundedYaml('bomb.yaml', bomb);
    assert.equal(parsed.ok, false);
    assert.equal(parsed.issues.length, 1);
    // 9 + 90 + 819 = 918 alias expansions up to line 4; the first *d on line 5 (820 more) crosses 1000.
    assert.deepEqual(
      parsed.issues.map((issue) => [issue.line, issue.col]),
      [[5, 8]],
    );
    assert.match(parsed.issues[0]?.message ?? '', /alias \*d .* 1000 alias expansions/);
  });

  it('accepts a document with a few aliases and builds it', () => {
    const parsed = parseBoundedYaml('ok.yaml', 'base: &b {port: 22}\nweb: *b\ndb: *b\n');
    assert.ok(parsed.ok);
    assert.deepEqual(toPlainYaml(parsed.doc), { base: { port: 22 }, web: { port: 22 }, db: { port: 22 } });
  });

  it('refuses nesting deeper than the limit, at the first node too deep', () => {
    const depth = DEFAULT_INPUT_LIMITS.maxDepth;
    const parsed = parseBoundedYaml('deep.yaml', `${'['.repeat(depth + 1)}${']'.repeat(depth + 1)}`);
    assert.deepEqual(
      parsed.issues.map((issue) => [issue.line, issue.col]),
      [[1, depth + 1]],
    );
    assert.ok(parseBoundedYaml('ok.yaml', `${'['.repeat(depth)}${']'.repeat(depth)}`).ok);
    // Deep enough to exhaust the parser's own stack: still one located issue, no crash.
    const abyss = parseBoundedYaml('abyss.yaml', `${'['.repeat(20_000)}${']'.repeat(20_000)}`);
    assert.equal(abyss.ok, false);
    assert.match(abyss.issues[0]?.message ?? '', /nests deeper than 64 levels/);
  });

  it('refuses more nodes than the limit at the node that goes over', () => {
    const parsed = parseBoundedYaml(
      'many.yaml',
      'a: [1, 2, 3]\nb: [4, 5]\n',
      {},
      { ...DEFAULT_INPUT_LIMITS, maxNodes: 6 },
    );
    // map, a, [..], 1, 2, 3 = 6; b is the seventh.
    assert.deepEqual(
      parsed.issues.map((issue) => [issue.line, issue.col]),
      [[2, 1]],
    );
  });
});

describe('readInputFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-input-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file, and says why it cannot', () => {
    writeFileSync(join(dir, 'ok.yaml'), '\ufeffa: 1\n');
    assert.deepEqual(readInputFile(join(dir, 'ok.yaml')), {
      ok: true,
      path: join(dir, 'ok.yaml'),
      text: 'a: 1\n',
    });
    const missing = readInputFile(join(dir, 'nope.yaml'), { what: 'inventory' });
    assert.equal(!missing.ok && missing.reason, 'missing');
    assert.match(!missing.ok ? missing.issue.message : '', /^inventory not found: /);
    mkdirSync(join(dir, 'sub'));
    assert.equal(!readInputFile(join(dir, 'sub')).ok && 'directory', 'directory');
  });

  it('stops reading at the limit and locates where the file went over', () => {
    writeFileSync(join(dir, 'big.yaml'), `a: 1\n${'b'.repeat(100)}\n`);
    const read = readInputFile(join(dir, 'big.yaml'), { limits: { maxBytes: 50 } });
    assert.equal(!read.ok && read.reason, 'invalid');
    assert.deepEqual(!read.ok && [read.issue.line, read.issue.col], [2, 46]);
  });

  it('reads a device that never ends only up to the limit', () => {
    const read = readInputFile('/dev/zero', { limits: { maxBytes: 1000 } });
    assert.equal(!read.ok && read.reason, 'invalid');
    assert.match(!read.ok ? read.issue.message : '', /NUL/);
  });
});
