// What the hosts of one MicroCloud formation share during a run: the session passphrase (random per run,
// registered with the redactor before any host sees it, sent only on stdin), the initiator's preseed while it
// runs, and the stop signal for the joiners when the initiator fails (MicroCloud's preseed does not stop
// them: each would wait for its session to time out, up to an hour).
import { randomBytes } from 'node:crypto';
import type { EventBus } from '../../output/events.js';

export class Formation {
  private passphrase: string | undefined;
  private readonly ended = new Set<string>();
  private readonly stopper = new AbortController();
  private stopReason: string | undefined;

  constructor(private readonly bus: EventBus) {}

  /** The run's session passphrase: 32 random bytes, a secret from the moment it exists. */
  sessionPassphrase(): string {
    if (this.passphrase === undefined) {
      this.passphrase = randomBytes(32).toString('base64url');
      this.bus.addSecret(this.passphrase);
    }
    return this.passphrase;
  }

  /** The initiator's preseed: once it has ended (either way), no joiner waits for its session any more. */
  initiatorRunning(host: string, run: Promise<unknown>): void {
    const ended = (): void => {
      this.ended.add(host);
    };
    run.then(ended, ended);
  }

  initiatorEnded(host: string): boolean {
    return this.ended.has(host);
  }

  /** Stops the joiners' preseeds still running. */
  stop(reason: string): void {
    this.stopReason ??= reason;
    this.stopper.abort();
  }

  get signal(): AbortSignal {
    return this.stopper.signal;
  }

  get stoppedBecause(): string | undefined {
    return this.stopReason;
  }
}
