// Transport failures, typed so callers decide retry and wording without parsing messages.

/** Base class: `hint` is the next step for the user, shown after the message. */
export class TransportError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
  }
}

/** Network-level failure: refused, timed out, reset, unreachable. The only kind worth retrying. */
export class NetworkError extends TransportError {}

/** The server rejected every credential we offered. Retrying cannot help. */
export class AuthenticationError extends TransportError {}

/** The host key is unknown (and unknown keys are not accepted), changed, or revoked. Never retried. */
export class HostKeyError extends TransportError {}

/** A connection that was up went away (peer closed, keepalive timeout). */
export class ConnectionLostError extends TransportError {}

/** A remote command ran past its timeout; it was signalled and its channel closed. */
export class CommandTimeoutError extends TransportError {}

/**
 * mc stopped a command itself (its ExecOptions.signal fired): TERM to its process group, then KILL. Not a
 * transport failure: the host is fine; the caller says why it stopped the command.
 */
export class CommandStoppedError extends Error {}

/** sudo refused: no password given where one is needed, or the password was wrong. */
export class BecomeError extends TransportError {}

/** Bad local settings discovered while connecting (unreadable key file, unsupported key format...). */
export class ConfigurationError extends TransportError {}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** Maps an error from ssh2 or node:net to a NetworkError when it is one, else returns it unchanged. */
export function classifySocketError(err: unknown, where: string): unknown {
  if (err instanceof TransportError) return err;
  const e = err as { code?: string; level?: string; message?: string };
  const message = e.message ?? String(err);
  if ((e.code !== undefined && NETWORK_CODES.has(e.code)) || e.level === 'client-timeout') {
    return new NetworkError(
      `${where}: ${message}`,
      'check that the host is up and that its SSH port is reachable',
    );
  }
  if (e.level === 'client-socket' || /Connection lost before handshake/i.test(message)) {
    return new NetworkError(
      `${where}: ${message}`,
      'check that the host is up and that its SSH port is reachable',
    );
  }
  return err;
}

export function isRetryable(err: unknown): boolean {
  return err instanceof NetworkError;
}
