// What `mc collect` gathers and how it masks secrets, on fixtures: tokens as LXD and microcluster encode
// them (base64 JSON with a secret), private keys, cephx keys, secret-named fields; what stays readable.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  REDACTED,
  archiveName,
  collectItems,
  formatIndex,
  redactReport,
  tailLines,
} from '../../../src/domain/day2/collect.js';

const b64 = (value: unknown, encoding: BufferEncoding = 'base64'): string =>
  Buffer.from(JSON.stringify(value)).toString(encoding);

describe('collect: the commands', () => {
  it('asks every service for its view, the journal for N hours, and bounds every command', () => {
    const items = collectItems({ journalHours: 6 });
    const commands = items.map((i) => i.command);
    for (const expected of [
      'snap list',
      'microcloud status',
      'microcloud cluster list',
      'lxc cluster list',
      'lxc info',
      'microceph status',
      'microceph.ceph -s',
      'microovn status',
      'dmesg',
      'ip address show',
    ]) {
      assert.ok(commands.includes(expected), expected);
    }
    const journal = items.find((i) => i.file === 'journal.txt');
    assert.match(
      journal?.command ?? '',
      /--since '6 hours ago' -n 5000 -u 'snap\.lxd\.\*' -u 'snap\.microcloud\.\*'/,
    );
    assert.ok(items.every((i) => i.timeoutMs > 0 && i.timeoutMs <= 60_000));
    assert.equal(new Set(items.map((i) => i.file)).size, items.length, 'one file per command');
    assert.equal(items.find((i) => i.file === 'dmesg.txt')?.tailLines, 300);
  });
});

describe('collect: redaction', () => {
  it('masks LXD and microcluster join tokens and leaves other base64 alone', () => {
    const lxd = b64({
      server_name: 'micro2',
      fingerprint: 'a'.repeat(64),
      addresses: ['10.1.123.11:8443'],
      secret: 'f'.repeat(64),
      expires_at: '0001-01-01T00:00:00Z',
    });
    const microcluster = b64(
      { secret: 's'.repeat(32), fingerprint: 'b'.repeat(64), join_addresses: [] },
      'base64url',
    );
    const harmless = Buffer.from('x'.repeat(80)).toString('base64');
    const text = `token ${lxd}\njoin with ${microcluster} please\ndata ${harmless}\n`;
    const out = redactReport(text);
    assert.equal(out, `token ${REDACTED}\njoin with ${REDACTED} please\ndata ${harmless}\n`);
  });

  it('masks private keys but keeps certificates', () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    const key = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\nsecretbits\n-----END EC PRIVATE KEY-----';
    const out = redactReport(`${cert}\n${key}\n`);
    assert.equal(out, `${cert}\n-----BEGIN EC PRIVATE KEY-----\n${REDACTED}\n-----END EC PRIVATE KEY-----\n`);
  });

  it('masks the values of secret-named fields in YAML, JSON and key=value, and cephx keys', () => {
    const text = [
      'config:',
      '  core.trust_password: hunter2',
      '  core.https_address: 10.1.123.11:8443',
      '{"join_token": "abc\\"def", "name": "micro1"}',
      'microcloud preseed --passphrase=correct-horse',
      '[client.admin]',
      '\tkey = AQBkZ2VtAAAAABAAyJ3l0Y2ZmZmZmZmZmZmZmZ==',
      'secret_key: "x y z"',
    ].join('\n');
    const out = redactReport(text);
    assert.equal(
      out,
      [
        'config:',
        `  core.trust_password: ${REDACTED}`,
        '  core.https_address: 10.1.123.11:8443',
        `{"join_token": ${REDACTED}, "name": "micro1"}`,
        `microcloud preseed --passphrase=${REDACTED}`,
        '[client.admin]',
        `\tkey = ${REDACTED}`,
        `secret_key: ${REDACTED}`,
      ].join('\n'),
    );
    assert.ok(!out.includes('hunter2') && !out.includes('correct-horse') && !out.includes('abc'));
  });

  it('leaves a report without secrets unchanged', () => {
    const status = [
      '┌─────────┬──────────────┬───────┬──────────┐',
      '│  Name   │   Address    │  OSDs │   Status │',
      '│ micro1  │ 10.1.123.11  │ 1     │ ONLINE   │',
      'Jan 01 snap.lxd.daemon[1]: Starting LXD (version 5.21.3)',
    ].join('\n');
    assert.equal(redactReport(status), status);
  });
});

describe('collect: archive layout', () => {
  it('keeps the tail of long output and says how much was left out', () => {
    assert.equal(tailLines('a\nb\nc\nd\n', 2), '[2 earlier lines left out]\nc\nd\n');
    assert.equal(tailLines('a\nb\n', 2), 'a\nb\n');
  });

  it('indexes each command with its status and names archives by UTC time', () => {
    const [first, second] = collectItems({ journalHours: 24 });
    const index = formatIndex('micro1', [
      { item: first!, exitCode: 0, ms: 12 },
      { item: second!, exitCode: null, ms: 30_000, error: 'timed out after 30 s' },
    ]);
    assert.equal(
      index,
      '# micro1: file, status, duration, command (run with sudo)\n' +
        'snap-list.txt\texit 0\t12 ms\tsnap list\n' +
        'microcloud-status.txt\tnot finished: timed out after 30 s\t30000 ms\tmicrocloud status\n',
    );
    assert.equal(archiveName(new Date('2026-12-07T17:15:03.250Z')), 'mc-collect-20261207T171503Z');
  });
});
