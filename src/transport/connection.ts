// One SSH connection per host for a whole run, reused for every command.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import pLimit from 'p-limit';
import type { AuthenticationType, ClientChannel, ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import type { Credentials } from './credentials.js';
import {
  AuthenticationError,
  BecomeError,
  CommandStoppedError,
  CommandTimeoutError,
  ConnectionLostError,
  HostKeyError,
  NetworkError,
  TransportError,
  classifySocketError,
} from './errors.js';
import { LineSplitter } from './lines.js';
import { keyTypeFromBlob, preferredHostKeyAlgorithms } from './known-hosts.js';
import { ProcessGroupCommand } from './process-group.js';
import { quoteArg } from './quote.js';
import { Client } from './ssh2-client.js';

type SshClient = InstanceType<typeof Client>;

/** Everything needed to reach one SSH endpoint, already merged from inventory, ssh_config and defaults. */
export interface Endpoint {
  /** Name for messages: the inventory host name, or the jump host as written. */
  label: string;
  address: string;
  port: number;
  user: string;
  /** Name under which the host key is looked up (HostKeyAlias, else the address). */
  hostKeyName: string;
  identityFiles: { path: string; explicit: boolean }[];
  /** Agent socket to offer, unless IdentitiesOnly or IdentityAgent none turned it off. */
  agentSocket?: string;
  password?: string;
}

export interface ConnectTarget extends Endpoint {
  /** Hops to go through first, in order (ProxyJump). */
  jumps: Endpoint[];
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** Handshake plus authentication. */
  readyTimeoutMs: number;
  becomePassword?: string;
}

/** Checks a presented host key; throws HostKeyError to refuse. Accepting unknown keys is its policy. */
export interface HostKeyVerifier {
  verify(endpoint: Endpoint, keyType: string, keyBlob: Buffer): Promise<void>;
  /** Key types already known for this endpoint, to prefer them in negotiation. */
  knownKeyTypes(endpoint: Endpoint): string[];
}

export interface ExecOptions {
  timeoutMs: number;
  stdin?: string | Buffer;
  become?: boolean;
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Stops the command (its process group, as a timeout does) and rejects with CommandStoppedError. */
  signal?: AbortSignal;
  /** How errors name the command when its line is a wrapper around it (a recorded pid): never the wrapper. */
  shownAs?: string;
}

export interface ExecResult {
  command: string;
  /** null when the command ended on a signal. */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** OpenSSH allows 10 sessions per connection (MaxSessions); keep headroom for sftp and probes. */
export const MAX_CHANNELS_PER_CONNECTION = 8;
/** Tries to open a channel the server refused for lack of session slots (about 1.5 s in all). */
const CHANNEL_OPEN_ATTEMPTS = 12;
/** How long a timed-out command gets to end after TERM before its process group is killed. */
const KILL_GRACE_MS = 2000;
/** Output beyond this is dropped from the result (still streamed to onLine), to bound memory. */
const MAX_CAPTURE_BYTES = 16 * 1024 * 1024;
/** How long a closing connection waits for the host to acknowledge before its socket is destroyed. */
const CLOSE_GRACE_MS = 2000;

export class Connection {
  private readonly channelLimit = pLimit(MAX_CHANNELS_PER_CONNECTION);
  private lost: TransportError | undefined;
  private readonly onLost = new Set<(err: TransportError) => void>();
  /** Commands with an open channel, to stop them on timeout or Ctrl-C. */
  private readonly running = new Map<ProcessGroupCommand, { channel: ClientChannel; become: boolean }>();
  /** Timed-out commands being stopped (TERM, then KILL): close() waits for them. */
  private readonly stopping = new Set<Promise<void>>();
  private closedByUs = false;
  /** Settles once the connection's socket is closed, whichever side closed it. */
  readonly closed: Promise<void>;

  private constructor(
    readonly target: ConnectTarget,
    private readonly client: SshClient,
    private readonly hops: SshClient[],
  ) {
    this.closed = new Promise((resolve) => client.once('close', () => resolve()));
    client.on('close', () => this.markLost('connection closed by the remote host'));
    client.on('end', () => this.markLost('connection closed by the remote host'));
    client.on('error', (err: Error & { level?: string; code?: string }) =>
      this.markLost(
        err.level === 'client-timeout'
          ? `${err.message} (no answer to keepalives)`
          : // sshd killed mid-write: the kernel resets the connection rather than closing it.
            err.code === 'ECONNRESET' || err.code === 'EPIPE'
            ? `connection closed by the remote host (${err.code})`
            : err.message,
      ),
    );
  }

  static async open(
    target: ConnectTarget,
    verifier: HostKeyVerifier,
    credentials: Credentials,
  ): Promise<Connection> {
    const hops: SshClient[] = [];
    try {
      let sock: Duplex | undefined;
      for (const [index, hop] of target.jumps.entries()) {
        const client = await handshake(hop, target, verifier, credentials, sock);
        hops.push(client);
        const next = target.jumps[index + 1] ?? target;
        sock = await forward(client, next, hop);
      }
      const client = await handshake(target, target, verifier, credentials, sock);
      return new Connection(target, client, hops);
    } catch (err) {
      for (const hop of hops) hop.end();
      throw err;
    }
  }

  get isAlive(): boolean {
    return this.lost === undefined;
  }

  /** Runs a command through the user's login shell, as `ssh host command` would. */
  exec(command: string, options: ExecOptions): Promise<ExecResult> {
    return this.channelLimit(() => this.execOnChannel(command, options));
  }

  /** Ctrl-C: sends INT to every command still running here (their whole process groups), then closes. */
  async interrupt(): Promise<void> {
    await Promise.all(
      [...this.running.entries()].map(([group, { become }]) => this.signalGroup(group, become, 'INT')),
    );
    this.close();
  }

  /** Closes the connection once the commands being stopped are stopped. */
  close(): void {
    this.closedByUs = true;
    void Promise.allSettled([...this.stopping]).then(() => {
      this.client.end();
      for (const hop of this.hops) hop.end();
      // Nothing more is wanted from the host: mc may exit without waiting for sshd's half of the close (the
      // goodbye already written still goes out first: a pending write keeps the process alive).
      for (const client of [this.client, ...this.hops]) unrefSocket(client);
      // A host gone silent (a cut link) never acknowledges the end, and ssh2 stops its keepalives once the
      // socket is ended: the socket would keep mc alive until TCP gives up, many minutes later.
      setTimeout(() => {
        for (const client of [this.client, ...this.hops]) destroySocket(client);
      }, CLOSE_GRACE_MS).unref();
    });
  }

  private markLost(reason: string): void {
    if (this.lost !== undefined || this.closedByUs) return;
    this.lost = new ConnectionLostError(
      `${this.target.label}: ${reason}`,
      'the host went away; check it is up, then run the command again',
    );
    for (const listener of this.onLost) listener(this.lost);
  }

  /**
   * Signals a command's process group over a channel of its own: it must not wait behind the channel
   * limit that the stuck command may be holding.
   */
  private async signalGroup(
    group: ProcessGroupCommand,
    become: boolean,
    signal: 'INT' | 'TERM' | 'KILL',
  ): Promise<void> {
    const kill = group.killCommand(signal);
    if (kill === undefined || this.lost !== undefined) return;
    await this.execOnChannel(kill, { timeoutMs: 5000, become }, false).catch(() => undefined);
  }

  /**
   * Stops a command past its timeout: TERM to its process group, then KILL if its channel is still
   * open after a grace period.
   */
  private stopTimedOut(
    group: ProcessGroupCommand,
    become: boolean,
    channel: ClientChannel | undefined,
  ): void {
    const stopped = this.signalGroup(group, become, 'TERM').then(
      () =>
        new Promise<void>((resolve) => {
          if (channel === undefined) return resolve();
          const grace = setTimeout(() => {
            void this.signalGroup(group, become, 'KILL').then(() => {
              channel.close();
              resolve();
            });
          }, KILL_GRACE_MS);
          channel.once('close', () => {
            clearTimeout(grace);
            resolve();
          });
        }),
    );
    this.stopping.add(stopped);
    void stopped.finally(() => this.stopping.delete(stopped));
  }

  private execOnChannel(command: string, options: ExecOptions, inGroup = true): Promise<ExecResult> {
    if (this.lost !== undefined) return Promise.reject(this.lost);
    if (options.signal?.aborted === true) {
      return Promise.reject(
        new CommandStoppedError(
          `${this.target.label}: stopped before it ran: ${briefCommand(options.shownAs ?? command)}`,
        ),
      );
    }
    const becomeWanted = options.become === true && this.target.user !== 'root';
    const become = becomeWanted ? this.becomeMode() : undefined;
    const group = inGroup ? new ProcessGroupCommand(command) : undefined;
    const inner = group === undefined ? command : group.wire;
    const wire = become === undefined ? inner : become.wrap(inner);
    const started = Date.now();

    return new Promise<ExecResult>((resolve, reject) => {
      let settled = false;
      let channel: ClientChannel | undefined;
      const stdout: string[] = [];
      const stderr: string[] = [];
      let captured = 0;
      const capture = (into: string[], text: string): void => {
        if (captured >= MAX_CAPTURE_BYTES) return;
        captured += text.length;
        into.push(text);
      };
      const finish = (err: Error | undefined, result?: ExecResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.onLost.delete(onLost);
        if (group !== undefined) this.running.delete(group);
        if (err !== undefined) reject(err);
        else if (result !== undefined) resolve(result);
      };
      const onLost = (err: TransportError): void => finish(err);
      this.onLost.add(onLost);
      const onAbort = (): void => {
        if (group !== undefined) this.stopTimedOut(group, becomeWanted, channel);
        else channel?.close();
        finish(
          new CommandStoppedError(
            `${this.target.label}: stopped: ${briefCommand(options.shownAs ?? command)}`,
          ),
        );
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });

      const timer = setTimeout(() => {
        if (group !== undefined) this.stopTimedOut(group, becomeWanted, channel);
        else channel?.close();
        finish(
          new CommandTimeoutError(
            `${this.target.label}: command timed out after ${formatSeconds(options.timeoutMs)}: ${briefCommand(options.shownAs ?? command)}`,
            'raise the timeout, or check why the command hangs on that host',
          ),
        );
      }, options.timeoutMs);

      this.openChannel(wire, (opened) => {
        if ('error' in opened) {
          finish(classifyChannelError(opened.error, this.target.label));
          return;
        }
        const ch = opened.channel;
        if (settled) {
          ch.close();
          return;
        }
        channel = ch;
        if (group !== undefined) this.running.set(group, { channel: ch, become: becomeWanted });
        const outLines = new LineSplitter((line) => {
          if (become?.consumeStdoutLine(line) === true) {
            errLines.push(become.releaseStderr());
            writeStdin();
            return;
          }
          options.onLine?.('stdout', line);
        });
        const errLines = new LineSplitter((line) => {
          if (group?.consumeStderrLine(line) === true) return;
          options.onLine?.('stderr', line);
        });
        ch.setEncoding('utf8');
        ch.stderr.setEncoding('utf8');
        ch.on('data', (chunk: string) => {
          capture(stdout, chunk);
          outLines.push(chunk);
        });
        ch.stderr.on('data', (chunk: string) => {
          capture(stderr, chunk);
          if (become === undefined) {
            errLines.push(chunk);
            return;
          }
          const outcome = become.onStderr(chunk);
          if (outcome === 'send-password') ch.write(`${become.password ?? ''}\n`);
          if (outcome === 'rejected') {
            ch.close();
            finish(
              new BecomeError(
                `${this.target.label}: sudo rejected the become password`,
                'check the password (--ask-become-pass or MC_BECOME_PASSWORD)',
              ),
            );
            return;
          }
          if (outcome === 'pass') errLines.push(chunk);
        });
        const writeStdin = (): void => {
          if (options.stdin !== undefined) ch.write(options.stdin);
          ch.end();
        };
        if (become === undefined || !become.waitsForMarker) writeStdin();
        ch.on('close', (code: number | null | undefined, signal?: string) => {
          outLines.flush();
          if (become !== undefined) errLines.push(become.releaseStderr());
          errLines.flush();
          if (code === undefined && signal === undefined) {
            finish(
              this.lost ??
                new ConnectionLostError(`${this.target.label}: channel closed without exit status`),
            );
            return;
          }
          const cleanStderr = (text: string): string => {
            // sudo's prompt shares a line with what follows it: take it out first.
            const withoutPrompt = become === undefined ? text : become.cleanStderr(text);
            return group === undefined ? withoutPrompt : group.cleanStderr(withoutPrompt);
          };
          const result: ExecResult = {
            command,
            code: code ?? null,
            signal: signal ?? null,
            stdout: become === undefined ? stdout.join('') : become.cleanStdout(stdout.join('')),
            stderr: cleanStderr(stderr.join('')),
            durationMs: Date.now() - started,
          };
          const becomeFailure = become?.failure(result, this.target.label);
          finish(becomeFailure, result);
        });
      });
    });
  }

  /**
   * sshd frees a session slot a moment after the channel closes, so a burst can briefly hit its
   * MaxSessions: a refused open is back-pressure, retried with a short backoff before it is an error.
   */
  private openChannel(
    wire: string,
    done: (opened: { channel: ClientChannel } | { error: Error }) => void,
    attempt = 1,
  ): void {
    const callback = (err: Error | undefined, channel: ClientChannel): void => {
      if (err === undefined || err === null) {
        done({ channel });
        return;
      }
      if (
        /Channel open failure/i.test(err.message) &&
        attempt < CHANNEL_OPEN_ATTEMPTS &&
        this.lost === undefined
      ) {
        setTimeout(() => this.openChannel(wire, done, attempt + 1), 20 * attempt);
        return;
      }
      done({ error: err });
    };
    try {
      this.client.exec(wire, callback);
    } catch (err) {
      // ssh2 throws "Not connected" at once when the connection went away, which on a retry is inside a
      // timer: it must reach the caller as an error, not end the process as an uncaught exception.
      done({ error: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  private becomeMode(): BecomeSession {
    return new BecomeSession(this.target.becomePassword);
  }
}

/**
 * sudo without a password uses `-n` so it fails fast instead of prompting. With a password, sudo
 * gets `-S` and a unique prompt on stderr; the password is written to stdin only when that prompt
 * shows, and a marker on stdout tells when the command itself starts reading stdin. The password
 * never appears on a command line. Until the marker, stderr is held back so the prompt never
 * reaches the output.
 */
class BecomeSession {
  private readonly nonce = randomBytes(6).toString('hex');
  private readonly prompt = `[mc-sudo-${this.nonce}] password: `;
  private readonly marker = `MC-BECOME-OK-${this.nonce}`;
  private heldStderr = '';
  private promptsAnswered = 0;
  private started = false;

  constructor(readonly password: string | undefined) {}

  get waitsForMarker(): boolean {
    return this.password !== undefined;
  }

  wrap(command: string): string {
    if (this.password === undefined) return `sudo -n -- sh -c ${quoteArg(command)}`;
    return `sudo -S -p ${quoteArg(this.prompt)} -- sh -c ${quoteArg(`echo ${this.marker}; ${command}`)}`;
  }

  /** 'pass': forward the chunk; 'held': keep it until the command starts; the others act on the prompt. */
  onStderr(chunk: string): 'pass' | 'held' | 'send-password' | 'rejected' {
    if (this.password === undefined || this.started) return 'pass';
    this.heldStderr += chunk;
    const prompts = this.heldStderr.split(this.prompt).length - 1;
    if (prompts <= this.promptsAnswered) return 'held';
    this.promptsAnswered = prompts;
    return prompts === 1 ? 'send-password' : 'rejected';
  }

  consumeStdoutLine(line: string): boolean {
    if (this.password === undefined || this.started || line !== this.marker) return false;
    this.started = true;
    return true;
  }

  releaseStderr(): string {
    const held = this.cleanStderr(this.heldStderr);
    this.heldStderr = '';
    return held;
  }

  cleanStdout(text: string): string {
    return this.password === undefined ? text : text.replace(`${this.marker}\n`, '');
  }

  cleanStderr(text: string): string {
    return text
      .split(this.prompt)
      .join('')
      .replace(/^Sorry, try again\.\n/gm, '');
  }

  failure(result: ExecResult, label: string): BecomeError | undefined {
    if (this.started || result.code === 0) return undefined;
    const stderr = result.stderr;
    if (this.password === undefined && /a (terminal|password) is required/.test(stderr)) {
      return new BecomeError(
        `${label}: sudo needs a password`,
        'pass --ask-become-pass, or set MC_BECOME_PASSWORD, or give the user passwordless sudo',
      );
    }
    if (result.code === 127 && /sudo/.test(stderr)) {
      return new BecomeError(
        `${label}: sudo is not installed`,
        'install sudo on that host, or log in as root',
      );
    }
    if (/is not in the sudoers file|not allowed to execute/.test(stderr)) {
      return new BecomeError(`${label}: ${firstLine(stderr)}`, 'grant the user sudo rights on that host');
    }
    if (this.password !== undefined && /incorrect password|Sorry, try again/.test(stderr)) {
      return new BecomeError(`${label}: sudo rejected the become password`, 'check the become password');
    }
    return undefined;
  }
}

async function handshake(
  endpoint: Endpoint,
  target: ConnectTarget,
  verifier: HostKeyVerifier,
  credentials: Credentials,
  sock: Duplex | undefined,
): Promise<SshClient> {
  const client = new Client();
  const auth = await credentials.authMethods(endpoint);
  const tried: string[] = [];
  let hostKeyError: Error | undefined;
  let nextAuth = 0;

  const preferred = verifier.knownKeyTypes(endpoint);
  const config: ConnectConfig = {
    host: endpoint.address,
    port: endpoint.port,
    username: endpoint.user,
    readyTimeout: target.readyTimeoutMs,
    keepaliveInterval: target.keepaliveIntervalMs,
    keepaliveCountMax: target.keepaliveCountMax,
    ...(sock === undefined ? {} : { sock }),
    ...(preferred.length > 0
      ? {
          algorithms: {
            serverHostKey: {
              prepend: preferredHostKeyAlgorithms(preferred) as ServerHostKeyAlgorithm[],
              append: [],
              remove: [],
            },
          },
        }
      : {}),
    hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
      verifier.verify(endpoint, keyTypeFromBlob(key) ?? 'unknown', key).then(
        () => verify(true),
        (err: unknown) => {
          hostKeyError = err instanceof Error ? err : new HostKeyError(String(err));
          verify(false);
        },
      );
    },
    authHandler: (_methodsLeft, _partial, next) => {
      const method = auth[nextAuth];
      nextAuth += 1;
      if (method === undefined) {
        next(false as unknown as AuthenticationType);
        return;
      }
      tried.push(method.description);
      next(method.method);
    },
  };

  return new Promise<SshClient>((resolve, reject) => {
    const fail = (err: unknown): void => {
      // The server may still reset the socket after we gave up; that second error must not go unheard.
      client.on('error', () => undefined);
      client.removeAllListeners('ready');
      client.end();
      reject(err instanceof Error ? err : new TransportError(String(err)));
    };
    client.once('ready', () => {
      client.removeAllListeners('error');
      client.on('error', () => undefined); // replaced by Connection's own listener
      resolve(client);
    });
    client.once('error', (err: Error & { level?: string }) => {
      if (hostKeyError !== undefined) {
        fail(hostKeyError);
      } else if (err.level === 'client-authentication') {
        fail(
          new AuthenticationError(
            `${endpoint.label}: authentication failed for ${endpoint.user}@${endpoint.address}:${endpoint.port}; tried ${
              tried.length > 0 ? tried.join(', ') : 'nothing (no agent, no key file, no password)'
            }`,
            'check the user, add your key with ssh-copy-id, set the key in the inventory, or start ssh-agent',
          ),
        );
      } else {
        fail(
          classifySocketError(
            err,
            `${endpoint.label}: cannot connect to ${endpoint.address}:${endpoint.port}`,
          ),
        );
      }
    });
    client.connect(config);
    // ssh2 leaves Nagle's algorithm on: the handshake's small packets then wait ~40 ms for delayed ACKs.
    // A no-op through a jump host (the socket is a channel; the first hop's TCP socket has it set).
    client.setNoDelay(true);
  });
}

/** The socket ssh2 (1.x) reads and writes: its `_sock` field. */
function socketOf(client: SshClient): { unref?(): void; destroy(): void } | undefined {
  return (client as unknown as { _sock?: { unref?(): void; destroy(): void } })._sock;
}

/** Lets the process exit without waiting for the socket to close. */
function unrefSocket(client: SshClient): void {
  socketOf(client)?.unref?.();
}

/** Destroys the socket even after end(): ssh2's own destroy() does nothing once end() made it unwritable. */
function destroySocket(client: SshClient): void {
  socketOf(client)?.destroy();
}

function forward(client: SshClient, next: Endpoint, via: Endpoint): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, next.address, next.port, (err, stream) => {
      if (err !== undefined && err !== null) {
        reject(
          new NetworkError(
            `${next.label}: jump host ${via.label} cannot reach ${next.address}:${next.port}: ${err.message}`,
            'check that the jump host can reach the target, and its AllowTcpForwarding setting',
          ),
        );
      } else {
        resolve(stream);
      }
    });
  });
}

function classifyChannelError(err: Error, label: string): Error {
  if (/Channel open failure/i.test(err.message)) {
    return new TransportError(
      `${label}: the server refused a new session channel (${err.message})`,
      'the host limits sessions per connection (sshd MaxSessions); lower the number of parallel commands',
    );
  }
  if (/No response from server|Not connected/i.test(err.message)) {
    return new ConnectionLostError(`${label}: ${err.message}`);
  }
  return err;
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim().length > 0) ?? text;
}

/** A command as an error names it: one line of at most 100 characters; a script by its length only. */
export function briefCommand(command: string): string {
  const lines = command.trim().split('\n');
  if (lines.length > 1) return `a ${lines.length}-line script`;
  const line = lines[0] ?? '';
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}

export function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}
