// known_hosts handling checked against OpenSSH's own tools: keys made by ssh-keygen at test time, files
// hashed by `ssh-keygen -H`, lookups compared with `ssh-keygen -F`, fingerprints with `ssh-keygen -l`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  checkHostKey,
  findHostEntries,
  fingerprintSha256,
  formatKnownHostsLine,
  keyTypeFromBlob,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  removeHint,
} from '../../src/transport/known-hosts.js';
import type { KnownHostEntry } from '../../src/transport/known-hosts.js';

const TEMPLATE = fileURLToPath(new URL('../fixtures/ssh/known_hosts.template', import.meta.url));

interface TestKey {
  type: string;
  blob: Buffer;
  publicLine: string;
  publicPath: string;
}

let dir = '';
const keys = new Map<string, TestKey>();
let plainPath = '';
let hashedPath = '';

function key(name: string): TestKey {
  const found = keys.get(name);
  assert.ok(found, `no test key ${name}`);
  return found;
}

function sshKeygen(args: string[]): string {
  return execFileSync('ssh-keygen', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `ssh-keygen -F` exits 1 when nothing matches; that is an answer, not an error. */
function sshKeygenFind(name: string, file: string): { line: number; tag: string }[] {
  let output: string;
  try {
    output = sshKeygen(['-F', name, '-f', file]);
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 1) return [];
    throw err;
  }
  return output
    .split('\n')
    .map((line) => /^# Host .* found: line (\d+) ?(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ line: Number(match[1]), tag: (match[2] ?? '').trim() }));
}

function tagOf(entry: KnownHostEntry): string {
  if (entry.marker === 'revoked') return 'REVOKED';
  if (entry.marker === 'cert-authority') return 'CA';
  return '';
}

function entriesOf(path: string): KnownHostEntry[] {
  return parseKnownHosts(readFileSync(path, 'utf8'), path);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-known-hosts-'));
  const specs: [string, string[]][] = [
    ['A', ['-t', 'ed25519']],
    ['B', ['-t', 'ed25519']],
    ['C', ['-t', 'ecdsa', '-b', '256']],
    ['D', ['-t', 'rsa', '-b', '2048']],
  ];
  for (const [name, typeArgs] of specs) {
    const path = join(dir, `key_${name}`);
    sshKeygen(['-q', ...typeArgs, '-N', '', '-C', `test-${name}`, '-f', path]);
    const [type, base64] = readFileSync(`${path}.pub`, 'utf8').trim().split(' ');
    assert.ok(type !== undefined && base64 !== undefined);
    keys.set(name, {
      type,
      blob: Buffer.from(base64, 'base64'),
      publicLine: `${type} ${base64}`,
      publicPath: `${path}.pub`,
    });
  }
  const text = readFileSync(TEMPLATE, 'utf8').replace(
    /@KEY_([A-D])@/g,
    (_, name: string) => key(name).publicLine,
  );
  plainPath = join(dir, 'known_hosts');
  writeFileSync(plainPath, text);
  hashedPath = join(dir, 'known_hosts.hashed');
  writeFileSync(hashedPath, text);
  sshKeygen(['-H', '-f', hashedPath]);
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('parseKnownHosts', () => {
  it('keeps line numbers, markers, patterns and comments, and skips comment and blank lines', () => {
    const entries = entriesOf(plainPath);
    const byLine = new Map(entries.map((entry) => [entry.line, entry]));
    assert.equal(entries.length, 12);
    assert.equal(byLine.get(1), undefined, 'comment');
    assert.equal(byLine.get(2), undefined, 'blank');
    assert.equal(byLine.get(13), undefined, 'indented comment');
    assert.deepEqual(byLine.get(5)?.names, {
      kind: 'patterns',
      patterns: ['*.wild.example', '!bad.wild.example'],
    });
    assert.equal(byLine.get(8)?.marker, 'revoked');
    assert.equal(byLine.get(10)?.marker, 'cert-authority');
    assert.equal(byLine.get(11)?.comment, 'added by hand');
    assert.equal(byLine.get(3)?.keyType, 'ssh-ed25519');
    assert.deepEqual(byLine.get(3)?.keyBlob, key('A').blob);
    assert.equal(byLine.get(3)?.file, plainPath);
  });

  it('reads the |1|salt|hmac lines ssh-keygen -H writes', () => {
    const hashed = entriesOf(hashedPath).filter((entry) => entry.names.kind === 'hashed');
    assert.ok(hashed.length >= 8, 'every name without wildcards was hashed');
    for (const entry of hashed) {
      assert.equal(entry.names.kind === 'hashed' && entry.names.salt.length, 20);
    }
  });

  it('skips lines OpenSSH cannot use', () => {
    const a = key('A');
    const text = [
      `@unknown-marker host ${a.publicLine}`,
      `host ssh-rsa ${a.publicLine.split(' ')[1]}`, // type disagrees with the blob
      'host ssh-ed25519 not*base64',
      `|1|c2hvcnQ=|c2hvcnQ= ${a.publicLine}`, // salt and hash too short
      'host 2048 35 2267178127812', // SSH1 RSA
      `host ${a.publicLine}`,
      'host-without-key',
    ].join('\n');
    const entries = parseKnownHosts(text, 'mixed');
    assert.deepEqual(
      entries.map((entry) => entry.line),
      [6],
    );
  });

  it('accepts CRLF line endings', () => {
    const entries = parseKnownHosts(`# c\r\nhost ${key('A').publicLine}\r\n`, 'crlf');
    assert.equal(entries[0]?.line, 2);
    assert.deepEqual(entries[0]?.keyBlob, key('A').blob);
  });
});

describe('fingerprints', () => {
  it('match ssh-keygen -l for every key', () => {
    for (const name of ['A', 'B', 'C', 'D']) {
      const listed = sshKeygen(['-l', '-f', key(name).publicPath]).split(' ')[1];
      assert.equal(fingerprintSha256(key(name).blob), listed, name);
    }
  });

  it('match ssh-keygen -l over a whole known_hosts file, plain and hashed', () => {
    for (const path of [plainPath, hashedPath]) {
      // ssh-keygen -l lists plain entries only (no @revoked / @cert-authority), in file order.
      const listed = sshKeygen(['-l', '-f', path])
        .trim()
        .split('\n')
        .map((line) => line.split(' ')[1]);
      const ours = entriesOf(path)
        .filter((entry) => entry.marker === undefined)
        .map((entry) => fingerprintSha256(entry.keyBlob));
      assert.deepEqual(ours, listed, path);
    }
  });

  it('reads the key type out of a blob', () => {
    assert.equal(keyTypeFromBlob(key('C').blob), 'ecdsa-sha2-nistp256');
    assert.equal(keyTypeFromBlob(key('D').blob), 'ssh-rsa');
    assert.equal(keyTypeFromBlob(Buffer.from([0, 0, 0, 9, 1])), undefined);
  });
});

describe('findHostEntries agrees with ssh-keygen -F', () => {
  const lookups: [string, number][] = [
    ['plain.example', 22],
    ['plain.example', 2222],
    ['127.0.0.1', 2222],
    ['127.0.0.1', 22],
    ['x.wild.example', 22],
    ['bad.wild.example', 22],
    ['multi.example', 22],
    ['revokedhost.example', 22],
    ['a.ca.example', 22],
    ['alias1', 22],
    ['alias2', 22],
    ['ALIAS1', 22],
    ['node1.q.example', 22],
    ['node.q.example', 22],
    ['node12.q.example', 22],
    ['ecdsaonly.example', 22],
    ['a.ports.example', 2200],
    ['a.ports.example', 22],
    ['nothere.example', 22],
  ];
  for (const [host, port] of lookups) {
    const name = knownHostsName(host, port);
    it(`finds the same lines for ${name}, plain and hashed`, () => {
      for (const path of [plainPath, hashedPath]) {
        const ours = findHostEntries(entriesOf(path), host, port).map((entry) => ({
          line: entry.line,
          tag: tagOf(entry),
        }));
        assert.deepEqual(ours, sshKeygenFind(name, path), path);
      }
    });
  }
});

describe('checkHostKey', () => {
  function check(host: string, port: number, name: string): ReturnType<typeof checkHostKey>[] {
    const presented = key(name);
    return [plainPath, hashedPath].map((path) =>
      checkHostKey(entriesOf(path), host, port, presented.type, presented.blob),
    );
  }

  it('accepts a known key, plain, hashed and [host]:port', () => {
    for (const result of [...check('plain.example', 22, 'A'), ...check('127.0.0.1', 2222, 'A')]) {
      assert.deepEqual(result, { status: 'ok' });
    }
  });

  it('does not take a port-22 entry for another port, nor the reverse', () => {
    assert.deepEqual(check('plain.example', 2222, 'A'), [{ status: 'unknown' }, { status: 'unknown' }]);
    assert.deepEqual(check('127.0.0.1', 22, 'A'), [{ status: 'unknown' }, { status: 'unknown' }]);
  });

  it('honours wildcards, ? and negation', () => {
    assert.deepEqual(check('x.wild.example', 22, 'B')[0], { status: 'ok' });
    assert.deepEqual(check('bad.wild.example', 22, 'B')[0], { status: 'unknown' });
    assert.deepEqual(check('node1.q.example', 22, 'A')[0], { status: 'ok' });
    assert.deepEqual(check('node12.q.example', 22, 'A')[0], { status: 'unknown' });
    assert.deepEqual(check('a.ports.example', 2200, 'B')[0], { status: 'ok' });
  });

  it('accepts any of several key types for one host', () => {
    assert.deepEqual(check('multi.example', 22, 'A'), [{ status: 'ok' }, { status: 'ok' }]);
    assert.deepEqual(check('multi.example', 22, 'C'), [{ status: 'ok' }, { status: 'ok' }]);
  });

  it('reports a changed key with both fingerprints and where the old ones are', () => {
    const [plain, hashed] = check('multi.example', 22, 'B');
    const listed = sshKeygenFind('multi.example', plainPath).filter((found) => found.tag === '');
    assert.deepEqual(plain, {
      status: 'mismatch',
      expected: [
        {
          keyType: 'ssh-ed25519',
          fingerprint: fingerprintSha256(key('A').blob),
          file: plainPath,
          line: listed[0]?.line,
        },
        {
          keyType: key('C').type,
          fingerprint: fingerprintSha256(key('C').blob),
          file: plainPath,
          line: listed[1]?.line,
        },
      ],
      actualFingerprint: sshKeygen(['-l', '-f', key('B').publicPath]).split(' ')[1],
      presentedTypeKnown: true,
    });
    assert.equal(hashed?.status, 'mismatch');
  });

  it('treats a host known only with other key types as changed, as ssh 9.2 does', () => {
    const [result] = check('ecdsaonly.example', 22, 'A');
    assert.equal(result?.status, 'mismatch');
    assert.equal(result?.status === 'mismatch' && result.presentedTypeKnown, false);
  });

  it('refuses a revoked key wherever else it is listed', () => {
    const revokedLine = sshKeygenFind('revokedhost.example', plainPath).find(
      (found) => found.tag === 'REVOKED',
    )?.line;
    assert.deepEqual(check('revokedhost.example', 22, 'D')[0], {
      status: 'revoked',
      file: plainPath,
      line: revokedLine,
    });
    assert.equal(check('plain.example', 22, 'D')[0]?.status, 'revoked');
    assert.equal(check('nothere.example', 22, 'D')[1]?.status, 'revoked');
  });

  it('does not let @cert-authority vouch for a plain key', () => {
    assert.deepEqual(check('a.ca.example', 22, 'B'), [{ status: 'unknown' }, { status: 'unknown' }]);
  });

  it('says unknown for hosts it has never seen', () => {
    assert.deepEqual(check('nothere.example', 22, 'A'), [{ status: 'unknown' }, { status: 'unknown' }]);
  });

  it('lists the known key types so negotiation can prefer them', () => {
    assert.deepEqual(knownKeyTypes(entriesOf(hashedPath), 'multi.example', 22), [
      'ssh-ed25519',
      'ecdsa-sha2-nistp256',
    ]);
    assert.deepEqual(knownKeyTypes(entriesOf(plainPath), 'revokedhost.example', 22), ['ssh-rsa']);
    assert.deepEqual(knownKeyTypes(entriesOf(plainPath), 'a.ca.example', 22), []);
    assert.deepEqual(preferredHostKeyAlgorithms(['ssh-rsa', 'ssh-ed25519']), [
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ssh-ed25519',
    ]);
  });
});

describe('formatKnownHostsLine', () => {
  it('writes lines ssh-keygen -F finds, plain and hashed, on port 22 and others', () => {
    const cases: [string, number, string, boolean][] = [
      ['fresh.example', 22, 'A', false],
      ['fresh.example', 2222, 'C', false],
      ['10.9.8.7', 22, 'D', true],
      ['hashed.example', 2200, 'B', true],
    ];
    const path = join(dir, 'appended');
    const lines = cases.map(([host, port, name, hash]) =>
      formatKnownHostsLine(host, port, key(name).type, key(name).blob, { hash }),
    );
    writeFileSync(path, `${lines.join('\n')}\n`);
    cases.forEach(([host, port, name], index) => {
      assert.deepEqual(sshKeygenFind(knownHostsName(host, port), path), [{ line: index + 1, tag: '' }]);
      assert.deepEqual(checkHostKey(entriesOf(path), host, port, key(name).type, key(name).blob), {
        status: 'ok',
      });
    });
    assert.ok(lines[2]?.startsWith('|1|'));
    assert.ok(lines[1]?.startsWith('[fresh.example]:2222 ecdsa-sha2-nistp256 '));
  });

  it('hashes exactly as ssh-keygen -H does, given the same salt', () => {
    const entry = entriesOf(hashedPath).find(
      (candidate) =>
        candidate.names.kind === 'hashed' && findHostEntries([candidate], '127.0.0.1', 2222).length > 0,
    );
    assert.ok(entry !== undefined && entry.names.kind === 'hashed');
    const line = readFileSync(hashedPath, 'utf8').split('\n')[entry.line - 1];
    const a = key('A');
    assert.equal(
      formatKnownHostsLine('127.0.0.1', 2222, a.type, a.blob, { hash: true, salt: entry.names.salt }),
      line,
    );
  });

  it('refuses a key type that does not match the blob', () => {
    assert.throws(() => formatKnownHostsLine('h', 22, 'ssh-rsa', key('A').blob, { hash: false }));
  });
});

describe('removeHint', () => {
  it('gives a command that really removes the entry, even from an awkward path', () => {
    const path = join(dir, 'known hosts $HOME');
    copyFileSync(plainPath, path);
    const hint = removeHint(path, 4, '127.0.0.1', 2222);
    assert.match(hint, /:4\)/);
    assert.match(hint, /-R "\[127\.0\.0\.1\]:2222"/);
    const command = hint.slice(hint.indexOf('ssh-keygen '));
    execFileSync('sh', ['-c', command], { stdio: 'ignore' });
    assert.deepEqual(sshKeygenFind('[127.0.0.1]:2222', path), sshKeygenFind('127.0.0.1', path));
    assert.equal(
      findHostEntries(entriesOf(path), '127.0.0.1', 2222).filter((e) => e.marker === undefined).length,
      0,
    );
  });

  it("quotes like OpenSSH's own message for ordinary paths", () => {
    assert.match(
      removeHint('/root/.ssh/known_hosts', 7, 'node1', 22),
      /ssh-keygen -f "\/root\/\.ssh\/known_hosts" -R "node1"$/,
    );
  });
});
