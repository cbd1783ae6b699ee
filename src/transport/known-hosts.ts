// known_hosts parsing and host key verification with OpenSSH 9.2 semantics (hostfile.c, sshconnect.c).
// Pure: the caller reads the files and passes their text; nothing here touches the disk.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { matchesHostPatternList } from './ssh-config.js';

export type KnownHostMarker = 'cert-authority' | 'revoked';

/** The host field of a line: comma-separated patterns, or one hashed name (`|1|salt|hmac`). */
export type KnownHostNames =
  { kind: 'patterns'; patterns: string[] } | { kind: 'hashed'; salt: Buffer; hash: Buffer };

export interface KnownHostEntry {
  file: string;
  /** 1-based line number in `file`. */
  line: number;
  marker: KnownHostMarker | undefined;
  names: KnownHostNames;
  /** Key type as written, e.g. `ssh-ed25519`; always equal to the type inside the blob. */
  keyType: string;
  /** Decoded key field: the same bytes ssh2's hostVerifier receives. */
  keyBlob: Buffer;
  comment: string | undefined;
}

export interface ExpectedHostKey {
  keyType: string;
  fingerprint: string;
  file: string;
  line: number;
}

export type HostKeyCheck =
  | { status: 'ok' }
  | { status: 'unknown' }
  | {
      status: 'mismatch';
      /** Every key known for the host (all types): what OpenSSH lists as "Offending ... key". */
      expected: ExpectedHostKey[];
      actualFingerprint: string;
      /**
       * False when the host is known only with other key types. OpenSSH 9.2 still reports that as
       * "REMOTE HOST IDENTIFICATION HAS CHANGED" and refuses under yes/accept-new/ask; only the wording
       * should differ (likely a re-keyed host, or a server that stopped offering the known type).
       */
      presentedTypeKnown: boolean;
    }
  | { status: 'revoked'; file: string; line: number };

const HASH_MAGIC = '|1|';
/** HMAC-SHA1 salt and digest length; OpenSSH rejects hashed names with anything else. */
const SHA1_LENGTH = 20;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The name OpenSSH looks up and records: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * Parses known_hosts text. Lines OpenSSH would skip are skipped silently, as ssh does: comments, blank
 * lines, unknown markers, malformed hashes, bad base64, a key type that disagrees with the blob, and
 * legacy SSH1 `bits e n` keys.
 */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((rawLine, index) => {
    const entry = parseLine(rawLine.replace(/\r$/, ''), file, index + 1);
    if (entry !== undefined) entries.push(entry);
  });
  return entries;
}

function parseLine(line: string, file: string, lineNumber: number): KnownHostEntry | undefined {
  const fields = line.trim().split(/[ \t]+/);
  if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return undefined;
  let marker: KnownHostMarker | undefined;
  if (fields[0].startsWith('@')) {
    if (fields[0] === '@cert-authority') marker = 'cert-authority';
    else if (fields[0] === '@revoked') marker = 'revoked';
    else return undefined;
    fields.shift();
  }
  const [hostField, keyType, keyBase64, ...commentWords] = fields;
  if (hostField === undefined || keyType === undefined || keyBase64 === undefined) return undefined;
  if (!BASE64.test(keyBase64)) return undefined;
  const names = parseNames(hostField);
  const keyBlob = Buffer.from(keyBase64, 'base64');
  if (names === undefined || keyTypeFromBlob(keyBlob) !== keyType) return undefined;
  const comment = commentWords.length > 0 ? commentWords.join(' ') : undefined;
  return { file, line: lineNumber, marker, names, keyType, keyBlob, comment };
}

function parseNames(field: string): KnownHostNames | undefined {
  if (!field.startsWith(HASH_MAGIC)) return { kind: 'patterns', patterns: field.split(',') };
  const [saltBase64, hashBase64, ...rest] = field.slice(HASH_MAGIC.length).split('|');
  if (saltBase64 === undefined || hashBase64 === undefined || rest.length > 0) return undefined;
  if (!BASE64.test(saltBase64) || !BASE64.test(hashBase64)) return undefined;
  const salt = Buffer.from(saltBase64, 'base64');
  const hash = Buffer.from(hashBase64, 'base64');
  if (salt.length !== SHA1_LENGTH || hash.length !== SHA1_LENGTH) return undefined;
  return { kind: 'hashed', salt, hash };
}

/** The algorithm name embedded at the start of an SSH public key blob, or undefined if malformed. */
export function keyTypeFromBlob(keyBlob: Buffer): string | undefined {
  if (keyBlob.length < 4) return undefined;
  const length = keyBlob.readUInt32BE(0);
  if (length === 0 || length > keyBlob.length - 4) return undefined;
  return keyBlob.toString('latin1', 4, 4 + length);
}

function hashName(name: string, salt: Buffer): Buffer {
  return createHmac('sha1', salt).update(name).digest();
}

/**
 * Whether an entry's host field covers `host`:`port`. Plain patterns compare case-insensitively (OpenSSH
 * lowercases them); a hashed name must hash the exact lookup name, as `ssh-keygen -F` does.
 */
export function entryMatchesHost(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (entry.names.kind === 'hashed')
    return timingSafeEqual(hashName(name, entry.names.salt), entry.names.hash);
  return matchesHostPatternList(name, entry.names.patterns, { caseInsensitive: true });
}

/** Every entry that applies to the host, markers included, in file order (what `ssh-keygen -F` lists). */
export function findHostEntries(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
): KnownHostEntry[] {
  return entries.filter((entry) => entryMatchesHost(entry, host, port));
}

/**
 * Key types recorded for the host (plain entries only), in file order. Offer these host key algorithms
 * first, as OpenSSH does, so a server with several host keys presents one we know instead of tripping a
 * false mismatch; see preferredHostKeyAlgorithms.
 */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const types = findHostEntries(entries, host, port)
    .filter((entry) => entry.marker === undefined)
    .map((entry) => entry.keyType);
  return [...new Set(types)];
}

/** Negotiation names for known key types: an `ssh-rsa` key is used through rsa-sha2-512/256 too. */
export function preferredHostKeyAlgorithms(keyTypes: readonly string[]): string[] {
  const algorithms = keyTypes.flatMap((type) =>
    type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type],
  );
  return [...new Set(algorithms)];
}

/**
 * Verifies a presented host key the way OpenSSH 9.2 does (check_hostkeys_by_key_or_type):
 * - a matching `@revoked` line wins over everything, whatever StrictHostKeyChecking says;
 * - any plain entry with the same key is ok;
 * - otherwise any plain entry for the host, of any type, makes it a mismatch (verified against a real
 *   sshd: a host known only by RSA that presents ED25519 gets "REMOTE HOST IDENTIFICATION HAS CHANGED",
 *   and accept-new refuses it). Treating that as "unknown" would let an attacker bypass the check by
 *   offering a different key type;
 * - no plain entry at all is unknown. `@cert-authority` lines only vouch for host certificates, which
 *   ssh2 does not present, so they never make a plain key ok.
 * Pass the HostKeyAlias with port 22 when one is set: OpenSSH records and looks up the alias bare.
 */
export function checkHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
): HostKeyCheck {
  const applicable = findHostEntries(entries, host, port);
  const revoked = applicable.find((entry) => entry.marker === 'revoked' && entry.keyBlob.equals(keyBlob));
  if (revoked !== undefined) return { status: 'revoked', file: revoked.file, line: revoked.line };
  const plain = applicable.filter((entry) => entry.marker === undefined);
  if (plain.some((entry) => entry.keyBlob.equals(keyBlob))) return { status: 'ok' };
  if (plain.length === 0) return { status: 'unknown' };
  return {
    status: 'mismatch',
    expected: plain.map((entry) => ({
      keyType: entry.keyType,
      fingerprint: fingerprintSha256(entry.keyBlob),
      file: entry.file,
      line: entry.line,
    })),
    actualFingerprint: fingerprintSha256(keyBlob),
    presentedTypeKnown: plain.some((entry) => entry.keyType === keyType),
  };
}

/** OpenSSH's default fingerprint: `SHA256:` and the unpadded base64 of the blob's SHA-256. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

export interface FormatKnownHostsOptions {
  /** HashKnownHosts: record `|1|salt|hmac` instead of the name. */
  hash: boolean;
  /** 20 bytes; random when omitted. Only for reproducible output in tests. */
  salt?: Buffer;
}

/**
 * The line ssh appends for a newly accepted key (no trailing newline): `name type base64`, where name
 * is `host` or `[host]:port`, hashed when asked. The name is recorded as given: pass the lowercased
 * host name that resolveSshConfig produces (or the HostKeyAlias with port 22).
 */
export function formatKnownHostsLine(
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
  options: FormatKnownHostsOptions,
): string {
  const blobType = keyTypeFromBlob(keyBlob);
  if (blobType !== keyType) throw new Error(`key type ${keyType} does not match the key blob (${blobType})`);
  const name = knownHostsName(host, port);
  let hostField = name;
  if (options.hash) {
    const salt = options.salt ?? randomBytes(SHA1_LENGTH);
    if (salt.length !== SHA1_LENGTH) throw new Error(`known_hosts salt must be ${SHA1_LENGTH} bytes`);
    hostField = `${HASH_MAGIC}${salt.toString('base64')}|${hashName(name, salt).toString('base64')}`;
  }
  return `${hostField} ${keyType} ${keyBlob.toString('base64')}`;
}

/** What to tell the user about a stale entry, with OpenSSH's own removal command. */
export function removeHint(file: string, line: number, host: string, port: number): string {
  const name = knownHostsName(host, port);
  return `if the host was reinstalled, remove the old key (${file}:${line}) with: ssh-keygen -f ${shellDoubleQuote(file)} -R ${shellDoubleQuote(name)}`;
}

/** OpenSSH prints "..." around both arguments; fall back to single quotes where "..." would expand. */
function shellDoubleQuote(value: string): string {
  if (!/["$`\\!]/.test(value)) return `"${value}"`;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
