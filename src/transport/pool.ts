// Connects lazily, once per host, with bounded parallelism; retries only what a retry can fix.
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { Connection } from './connection.js';
import type { ConnectTarget, HostKeyVerifier } from './connection.js';
import type { Credentials } from './credentials.js';
import { TransportError, isRetryable } from './errors.js';

export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  /** Delay before the second attempt; doubles each time. */
  baseDelayMs: number;
}

export interface PoolHooks {
  connecting?: (host: string, attempt: number) => void;
  connected?: (host: string, ms: number) => void;
  unreachable?: (host: string, error: TransportError) => void;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 500 };

export class ConnectionPool {
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly open = new Set<Connection>();
  private readonly connectLimit: ReturnType<typeof pLimit>;

  constructor(
    private readonly targets: ReadonlyMap<string, ConnectTarget>,
    private readonly verifierFor: (host: string) => HostKeyVerifier,
    private readonly credentials: Credentials,
    private readonly options: { forks: number; retry: RetryPolicy; hooks?: PoolHooks },
  ) {
    this.connectLimit = pLimit(options.forks);
  }

  /** The host's connection, opened on first use and shared afterwards. */
  get(host: string): Promise<Connection> {
    let pending = this.connections.get(host);
    if (pending === undefined) {
      pending = this.connectLimit(() => this.connectWithRetry(host)).then((connection) => {
        this.open.add(connection);
        return connection;
      });
      this.connections.set(host, pending);
      pending.catch(() => undefined); // observed by the caller; avoid an unhandled rejection here
    }
    return pending;
  }

  /** Interrupts every command still running, on every host, and closes the connections. */
  async interruptAll(): Promise<void> {
    await Promise.all([...this.open].map((connection) => connection.interrupt()));
  }

  async closeAll(): Promise<void> {
    const all = await Promise.allSettled(this.connections.values());
    for (const result of all) if (result.status === 'fulfilled') result.value.close();
    this.connections.clear();
    this.open.clear();
  }

  private async connectWithRetry(host: string): Promise<Connection> {
    const target = this.targets.get(host);
    if (target === undefined) throw new TransportError(`${host}: not in the inventory`);
    const { attempts, baseDelayMs } = this.options.retry;
    const started = Date.now();
    for (let attempt = 1; ; attempt += 1) {
      this.options.hooks?.connecting?.(host, attempt);
      try {
        const connection = await Connection.open(target, this.verifierFor(host), this.credentials);
        this.options.hooks?.connected?.(host, Date.now() - started);
        return connection;
      } catch (err) {
        if (!isRetryable(err) || attempt >= attempts) {
          const error = err instanceof TransportError ? err : new TransportError(`${host}: ${String(err)}`);
          this.options.hooks?.unreachable?.(host, error);
          throw error;
        }
        await sleep(baseDelayMs * 2 ** (attempt - 1));
      }
    }
  }
}

/** Runs fn for every host with at most `forks` at once; one host's failure never stops the others. */
export async function forEachHost<T>(
  hosts: readonly string[],
  forks: number,
  fn: (host: string) => Promise<T>,
): Promise<Map<string, PromiseSettledResult<T>>> {
  const limit = pLimit(forks);
  const settled = await Promise.allSettled(hosts.map((host) => limit(() => fn(host))));
  return new Map(hosts.map((host, i) => [host, settled[i] as PromiseSettledResult<T>]));
}
