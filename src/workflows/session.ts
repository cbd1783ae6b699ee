// A run's shared state: the selected hosts, their connections, the event bus and each host's outcome.
import type { HostRecap } from '../output/events.js';
import type { EventBus } from '../output/events.js';
import { TransportError } from '../transport/errors.js';
import type { ConnectionPool } from '../transport/pool.js';

export interface SessionOptions {
  forks: number;
  commandTimeoutMs: number;
  becomePassword?: string;
}

interface HostOutcome {
  status: HostRecap['status'];
  message?: string;
  ms?: number;
}

type Counts = NonNullable<HostRecap['counts']>;

export class Session {
  private readonly outcomes = new Map<string, HostOutcome>();
  private readonly counts = new Map<string, Counts>();

  constructor(
    readonly bus: EventBus,
    readonly pool: ConnectionPool,
    readonly hosts: readonly string[],
    readonly options: SessionOptions,
    /** The address each host is reached on, after ssh_config. */
    private readonly addresses: ReadonlyMap<string, string> = new Map(),
  ) {}

  addressOf(host: string): string {
    return this.addresses.get(host) ?? host;
  }

  /** Hosts still in the run: a host that failed or went unreachable is dropped, as Ansible does. */
  activeHosts(): string[] {
    return this.hosts.filter((h) => {
      const status = this.outcomes.get(h)?.status;
      return status !== 'failed' && status !== 'unreachable';
    });
  }

  recordSuccess(host: string, changed: boolean, ms: number): void {
    const previous = this.outcomes.get(host);
    const status = changed || previous?.status === 'changed' ? 'changed' : 'ok';
    this.outcomes.set(host, { status, ms: (previous?.ms ?? 0) + ms });
  }

  recordFailure(host: string, message: string): void {
    this.outcomes.set(host, { status: 'failed', message });
  }

  recordUnreachable(host: string, err: unknown): void {
    if (this.outcomes.get(host)?.status === 'unreachable') return;
    const reason = withoutHostPrefix(host, err instanceof Error ? err.message : String(err));
    const hint = err instanceof TransportError ? err.hint : undefined;
    this.outcomes.set(host, { status: 'unreachable', message: reason });
    this.bus.emit({ type: 'host-unreachable', host, reason, ...(hint === undefined ? {} : { hint }) });
  }

  /** mc playbook: the host's Ansible recap counts, shown in the recap. */
  recordCounts(host: string, counts: Counts): void {
    this.counts.set(host, { ...counts });
  }

  recap(): HostRecap[] {
    return this.hosts.map((host) => {
      const outcome = this.outcomes.get(host) ?? { status: 'skipped' as const, message: 'not run' };
      const counts = this.counts.get(host);
      return {
        host,
        status: outcome.status,
        ...(outcome.message === undefined ? {} : { message: outcome.message }),
        ...(outcome.ms === undefined ? {} : { ms: outcome.ms }),
        ...(counts === undefined ? {} : { counts }),
      };
    });
  }

  get ok(): boolean {
    return this.recap().every((r) => r.status === 'ok' || r.status === 'changed');
  }

  async close(): Promise<void> {
    await this.pool.closeAll();
  }
}

/** Transport errors start with the host's name; next to the host's own line that is noise. */
export function withoutHostPrefix(host: string, message: string): string {
  return message.startsWith(`${host}: `) ? message.slice(host.length + 2) : message;
}
