// Host-key policy over known_hosts: verified by default; unknown keys are accepted only with
// --accept-new (trust on first use); a changed or revoked key is always refused.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Endpoint, HostKeyVerifier } from './connection.js';
import { HostKeyError } from './errors.js';
import {
  checkHostKey,
  fingerprintSha256,
  formatKnownHostsLine,
  knownKeyTypes,
  parseKnownHosts,
  removeHint,
} from './known-hosts.js';
import type { KnownHostEntry } from './known-hosts.js';

export type HostKeyPolicy = 'strict' | 'accept-new';

export interface KnownHostsOptions {
  /** Files to read, in order; new keys are appended to the first. */
  files: string[];
  policy: HostKeyPolicy;
  readFile: (path: string) => Buffer | undefined;
  /** Hash host names in lines we add (HashKnownHosts). */
  hashNew?: boolean;
  onAccepted?: (endpoint: Endpoint, fingerprint: string, file: string) => void;
}

export class KnownHostsVerifier implements HostKeyVerifier {
  private entries: KnownHostEntry[] | undefined;

  constructor(private readonly options: KnownHostsOptions) {}

  knownKeyTypes(endpoint: Endpoint): string[] {
    return knownKeyTypes(this.load(), endpoint.hostKeyName, endpoint.port);
  }

  verify(endpoint: Endpoint, keyType: string, keyBlob: Buffer): Promise<void> {
    const name = displayName(endpoint.hostKeyName, endpoint.port);
    const verdict = checkHostKey(this.load(), endpoint.hostKeyName, endpoint.port, keyType, keyBlob);
    const actual = fingerprintSha256(keyBlob);
    switch (verdict.status) {
      case 'ok':
        return Promise.resolve();
      case 'revoked':
        return Promise.reject(
          new HostKeyError(
            `${endpoint.label}: the host key of ${name} (${actual}) is marked @revoked in ${verdict.file}:${verdict.line}`,
            'do not connect until the host has a new key; then update known_hosts',
          ),
        );
      case 'mismatch': {
        const expected = verdict.expected.map((e) => `${e.fingerprint} (${e.file}:${e.line})`).join(', ');
        const first = verdict.expected[0];
        return Promise.reject(
          new HostKeyError(
            `${endpoint.label}: HOST KEY CHANGED for ${name}: known_hosts has ${expected}, the host presented ${actual} (${keyType})`,
            first === undefined
              ? 'check with the host owner before trusting the new key'
              : `if the change is expected, ${removeHint(first.file, first.line, endpoint.hostKeyName, endpoint.port)}`,
          ),
        );
      }
      case 'unknown':
        if (this.options.policy === 'accept-new') {
          this.accept(endpoint, keyType, keyBlob, actual);
          return Promise.resolve();
        }
        return Promise.reject(
          new HostKeyError(
            `${endpoint.label}: the host key of ${name} is not known (${keyType} ${actual})`,
            `check the fingerprint, then run again with --accept-new to trust it, or add it: ssh-keyscan -p ${endpoint.port} ${endpoint.address} >> ~/.ssh/known_hosts`,
          ),
        );
    }
  }

  private accept(endpoint: Endpoint, keyType: string, keyBlob: Buffer, fingerprint: string): void {
    const file = this.options.files[0];
    if (file === undefined) return;
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const line = formatKnownHostsLine(endpoint.hostKeyName, endpoint.port, keyType, keyBlob, {
      hash: this.options.hashNew === true,
    });
    appendFileSync(file, `${line}\n`, { mode: 0o600 });
    this.entries = undefined; // re-read, so a second connection to the same host sees the new key
    this.options.onAccepted?.(endpoint, fingerprint, file);
  }

  private load(): KnownHostEntry[] {
    if (this.entries === undefined) {
      this.entries = this.options.files.flatMap((file) => {
        const text = this.options.readFile(file);
        return text === undefined ? [] : parseKnownHosts(text.toString('utf8'), file);
      });
    }
    return this.entries;
  }
}

function displayName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}
