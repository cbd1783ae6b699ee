// One typed event stream: workflows emit, renderers and the log file consume. A workflow never
// formats output itself.
import { EventEmitter } from 'node:events';
import { escapeControl, showValue } from '../domain/input/echo.js';
import type { Redactor } from './redact.js';

export type Stream = 'stdout' | 'stderr';
export type HostStatus = 'ok' | 'changed' | 'failed' | 'unreachable' | 'skipped';

export type McEvent =
  | { type: 'run-start'; command: string; hosts: string[] }
  /** A named stage of a multi-phase run (deploy): its steps follow until phase-done. */
  | { type: 'phase-start'; phase: string; title: string; hosts: string[] }
  | { type: 'phase-done'; phase: string; ok: boolean; changed: number; ms: number }
  | { type: 'host-connecting'; host: string; attempt: number }
  | { type: 'host-connected'; host: string; ms: number }
  | { type: 'host-unreachable'; host: string; reason: string; hint?: string }
  | { type: 'step-start'; host?: string; step: string; title: string }
  | { type: 'line'; host: string; step: string; stream: Stream; text: string }
  | { type: 'step-done'; host?: string; step: string; changed?: boolean; summary?: string; ms: number }
  | { type: 'step-failed'; host?: string; step: string; error: string; hint?: string; ms: number }
  | { type: 'step-skipped'; host?: string; step: string; reason: string }
  /** A remote command that failed, as mc ran it (a script, often): for the log file only, never the screen. */
  | { type: 'command'; host: string; step: string; command: string }
  | { type: 'warning'; host?: string; message: string }
  /** mc playbook: a play begins on its hosts. */
  | { type: 'play-start'; play: string; hosts: string[] }
  /** mc playbook: a task (or handler) begins on every host of the batch. */
  | { type: 'task-start'; task: string; handler?: boolean }
  /** mc playbook: one host's (or one loop item's) result of a task, as Ansible's default callback reports it. */
  | {
      type: 'task-result';
      host: string;
      task: string;
      status: TaskStatus;
      item?: string;
      ignored?: boolean;
      message?: string;
      ms: number;
    }
  /**
   * mc playbook: an `until` that did not hold yet; the task runs again after its delay. `retriesLeft` is
   * as Ansible's "FAILED - RETRYING" line counts it.
   */
  | { type: 'task-retry'; host: string; task: string; retriesLeft: number; item?: string }
  | { type: 'recap'; hosts: HostRecap[] }
  | { type: 'run-end'; ok: boolean; ms: number; logFile?: string };

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

/** Ansible's PLAY RECAP counts for one host. */
export interface PlaybookCounts {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export interface HostRecap {
  host: string;
  status: HostStatus;
  message?: string;
  ms?: number;
  /** mc playbook: the host's counts, printed as Ansible's recap line. */
  counts?: PlaybookCounts;
}

export type TimedEvent = McEvent & { time: number };
export type Listener = (event: TimedEvent) => void;

/** Synchronous fan-out with redaction applied once, before any listener sees the event. */
export class EventBus {
  private readonly emitter = new EventEmitter();
  constructor(
    private readonly redactor: Redactor,
    private readonly now: () => number = Date.now,
  ) {
    this.emitter.setMaxListeners(0);
  }

  on(listener: Listener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** A secret learnt during the run (a join token): masked in every event from now on. */
  addSecret(secret: string): void {
    this.redactor.add(secret);
  }

  /** The run's secrets masked in text that leaves mc other than as an event (mc collect's archive). */
  redact(text: string): string {
    return this.redactor.redact(text);
  }

  emit(event: McEvent): void {
    const redacted = redactEvent(event, this.redactor);
    this.emitter.emit('event', { ...(sanitizeValue(redacted, '') as McEvent), time: this.now() });
  }
}

/** Fields that are one line on every renderer: names, titles, a line of remote output. */
const ONE_LINE_FIELDS = new Set(['host', 'hosts', 'step', 'title', 'phase', 'text', 'command']);

/** A remote line longer than this is cut (its size shown): a host cannot flood the screen or the log. */
export const MAX_LINE_LENGTH = 16_384;

/**
 * Every string of an event made safe for a terminal, once, for every sink (tty, plain, NDJSON, log
 * file): control characters and escape sequences escaped, so a host's output or a hostile host name
 * cannot move the cursor or retitle the terminal. Messages keep their line breaks.
 */
function sanitizeValue(value: unknown, key: string): unknown {
  if (typeof value === 'string') {
    if (key === 'text') return showValue(value, MAX_LINE_LENGTH);
    return escapeControl(value, { keepNewlines: !ONE_LINE_FIELDS.has(key) });
  }
  if (Array.isArray(value)) return value.map((item) => sanitizeValue(item, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === 'type' ? v : sanitizeValue(v, k)]),
    );
  }
  return value;
}

function redactEvent(event: McEvent, redactor: Redactor): McEvent {
  return redactor.size === 0 ? event : (redactValue(event, redactor) as McEvent);
}

function redactValue(value: unknown, redactor: Redactor): unknown {
  if (typeof value === 'string') return redactor.redact(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, redactor));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === 'type' ? v : redactValue(v, redactor)]),
    );
  }
  return value;
}
