// ed25519 key pairs for lab hosts and clients, made with ssh2 alone (no ssh-keygen needed).
import ssh2 from 'ssh2';

const { utils } = ssh2;

export interface KeyPair {
  /** OpenSSH private key. */
  privateKey: string;
  /** `ssh-ed25519 AAAA... comment` */
  publicKey: string;
}

/**
 * ssh2 1.17 strips a leading zero byte from the public key, so about one pair in 256 cannot be read
 * back (mscdex/ssh2#1390, #1513): make another until ssh2 can parse both halves.
 */
export function generateEd25519(comment: string): KeyPair {
  for (;;) {
    const pair = utils.generateKeyPairSync('ed25519', { comment });
    if (!(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public) instanceof Error)) {
      return { privateKey: pair.private, publicKey: pair.public };
    }
  }
}
