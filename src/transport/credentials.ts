// What we offer each server, in OpenSSH's order: agent keys, then identity files, then a password.
// Key files are read and decrypted once per run, so a passphrase is asked once for all hosts.
import type { AnyAuthMethod, ParsedKey } from 'ssh2';
import type { Redactor } from '../output/redact.js';
import type { Endpoint } from './connection.js';
import { ConfigurationError } from './errors.js';
import { parseKey } from './ssh2-client.js';

/** Asks the user for a secret; rejects when there is no terminal to ask on. */
export interface SecretPrompter {
  ask(question: string): Promise<string>;
}

export interface AuthAttempt {
  method: AnyAuthMethod;
  /** For the "tried ..." list of an authentication error; never contains a secret. */
  description: string;
}

export interface CredentialsOptions {
  readFile: (path: string) => Buffer | undefined;
  prompter?: SecretPrompter;
  /** From MC_KEY_PASSPHRASE: tried before asking. */
  keyPassphrase?: string;
  redactor: Redactor;
}

export class Credentials {
  private readonly keys = new Map<string, Promise<ParsedKey | undefined>>();

  constructor(private readonly options: CredentialsOptions) {}

  /**
   * Reads and decrypts the endpoints' key files now, asking for passphrases before any live output
   * starts (a prompt drawn under a redrawing task tree is invisible).
   */
  async preload(endpoints: readonly Endpoint[]): Promise<void> {
    for (const endpoint of endpoints) {
      for (const identity of endpoint.identityFiles) await this.loadKey(identity.path, identity.explicit);
    }
  }

  async authMethods(endpoint: Endpoint): Promise<AuthAttempt[]> {
    const username = endpoint.user;
    const attempts: AuthAttempt[] = [];
    if (endpoint.agentSocket !== undefined) {
      attempts.push({
        method: { type: 'agent', username, agent: endpoint.agentSocket },
        description: `the keys in ssh-agent (${endpoint.agentSocket})`,
      });
    }
    for (const identity of endpoint.identityFiles) {
      const key = await this.loadKey(identity.path, identity.explicit);
      if (key !== undefined) {
        attempts.push({ method: { type: 'publickey', username, key }, description: `key ${identity.path}` });
      }
    }
    if (endpoint.password !== undefined) {
      this.options.redactor.add(endpoint.password);
      attempts.push({
        method: { type: 'password', username, password: endpoint.password },
        description: 'password',
      });
    }
    return attempts;
  }

  private loadKey(path: string, explicit: boolean): Promise<ParsedKey | undefined> {
    let pending = this.keys.get(path);
    if (pending === undefined) {
      pending = this.readKey(path, explicit);
      this.keys.set(path, pending);
    }
    return pending;
  }

  private async readKey(path: string, explicit: boolean): Promise<ParsedKey | undefined> {
    const data = this.options.readFile(path);
    if (data === undefined) {
      // Default identities (~/.ssh/id_*) are optional, as in OpenSSH; one the user named is not.
      if (!explicit) return undefined;
      throw new ConfigurationError(
        `key file not found: ${path}`,
        'fix the key path in the inventory or ssh_config',
      );
    }
    let parsed: ParsedKey | ParsedKey[] | Error = parseKey(data);
    if (parsed instanceof Error && /no passphrase given/.test(parsed.message)) {
      parsed = await this.decrypt(path, data);
    }
    if (parsed instanceof Error) {
      if (/Unsupported key format/.test(parsed.message)) {
        throw new ConfigurationError(
          `unsupported key format in ${path} (PKCS#8 or a certificate)`,
          `convert it to OpenSSH format with: ssh-keygen -p -f ${path}`,
        );
      }
      throw new ConfigurationError(`cannot read key ${path}: ${parsed.message}`);
    }
    return Array.isArray(parsed) ? parsed[0] : parsed;
  }

  private async decrypt(path: string, data: Buffer): Promise<ParsedKey | ParsedKey[] | Error> {
    const fromEnv = this.options.keyPassphrase;
    if (fromEnv !== undefined) {
      this.options.redactor.add(fromEnv);
      const parsed = parseKey(data, fromEnv);
      if (!(parsed instanceof Error)) return parsed;
    }
    const prompter = this.options.prompter;
    if (prompter === undefined) {
      throw new ConfigurationError(
        `key ${path} is protected by a passphrase and there is no terminal to ask for it`,
        'add the key to ssh-agent (ssh-add), or set MC_KEY_PASSPHRASE',
      );
    }
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const passphrase = await prompter.ask(`Enter passphrase for key '${path}': `);
      this.options.redactor.add(passphrase);
      const parsed = parseKey(data, passphrase);
      if (!(parsed instanceof Error)) return parsed;
    }
    throw new ConfigurationError(
      `wrong passphrase for key ${path} (3 attempts)`,
      'run again with the right passphrase',
    );
  }
}
