// Pure text formatting shared by the line-oriented sinks (plain renderer, log file).
import type { HostRecap, TimedEvent } from './events.js';

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

const WHO = (host: string | undefined): string => (host === undefined ? '' : `[${host}] `);

/** One event as plain lines (none for events that only matter to other sinks). */
export function plainLines(event: TimedEvent): string[] {
  switch (event.type) {
    case 'run-start':
      return [];
    case 'phase-start':
      return [`== ${event.title}`];
    case 'phase-done':
      return event.ok ? [] : [`== ${event.phase} stopped`];
    case 'host-connecting':
      return event.attempt > 1 ? [`${WHO(event.host)}connecting, attempt ${event.attempt}`] : [];
    case 'host-connected':
      return [];
    case 'host-unreachable':
      return [
        `${WHO(event.host)}UNREACHABLE: ${event.reason}${event.hint === undefined ? '' : ` (${event.hint})`}`,
      ];
    case 'step-start':
      return [`${WHO(event.host)}>> ${event.title}`];
    case 'line':
      return [`${WHO(event.host)}${event.text}`];
    case 'step-done':
      return [
        `${WHO(event.host)}${event.changed === true ? 'changed' : 'ok'}: ${event.summary ?? event.step} (${formatDuration(event.ms)})`,
      ];
    case 'step-failed':
      return [
        `${WHO(event.host)}FAILED: ${event.step}: ${event.error}${event.hint === undefined ? '' : ` (${event.hint})`}`,
      ];
    case 'step-skipped':
      return [`${WHO(event.host)}skipped: ${event.step}: ${event.reason}`];
    case 'command':
      return [];
    case 'warning':
      return [`${WHO(event.host)}WARNING: ${event.message}`];
    case 'play-start':
      return ['', `PLAY [${event.play}]`];
    case 'task-start':
      return ['', `${event.handler === true ? 'RUNNING HANDLER' : 'TASK'} [${event.task}]`];
    case 'task-result': {
      const word =
        event.status === 'failed'
          ? event.item === undefined
            ? 'fatal'
            : 'failed'
          : event.status === 'skipped'
            ? 'skipping'
            : event.status;
      const item = event.item === undefined ? '' : ` (item=${event.item})`;
      const failed = event.status === 'failed' ? ': FAILED!' : '';
      const message = event.message === undefined ? '' : ` => ${event.message}`;
      return [
        `${word}: [${event.host}]${item}${failed}${message}${event.ignored === true ? ' ...ignoring' : ''}`,
      ];
    }
    case 'task-retry':
      // Ansible's default callback names neither the item nor the result (unless -vv).
      return [`FAILED - RETRYING: [${event.host}]: ${event.task} (${event.retriesLeft} retries left).`];
    case 'recap':
      return formatRecap(event.hosts);
    case 'run-end':
      return event.ok || event.logFile === undefined ? [] : [`log file: ${event.logFile}`];
  }
}

export function formatRecap(hosts: HostRecap[]): string[] {
  if (hosts.length === 0) return [];
  if (hosts.some((h) => h.counts !== undefined)) return formatPlayRecap(hosts);
  const width = Math.max(...hosts.map((h) => h.host.length), 4);
  const counts = new Map<string, number>();
  for (const h of hosts) counts.set(h.status, (counts.get(h.status) ?? 0) + 1);
  const lines = hosts.map((h) => {
    const detail = [h.ms === undefined ? '' : formatDuration(h.ms), h.message ?? '']
      .filter((s) => s !== '')
      .join('  ');
    return `${h.host.padEnd(width)}  ${h.status.padEnd(11)}  ${detail}`.trimEnd();
  });
  const summary = [...counts].map(([status, n]) => `${status}=${n}`).join(' ');
  return ['', `RECAP ${summary}`, ...lines];
}

/**
 * Ansible's PLAY RECAP, column for column as its default callback writes it (without colour). A host no play
 * ran anything on has no counts and no line, as in Ansible.
 */
function formatPlayRecap(hosts: HostRecap[]): string[] {
  const field = (name: string, n: number): string => `${name}=${String(n).padEnd(4)}`;
  return [
    '',
    'PLAY RECAP',
    ...hosts.flatMap((h) => {
      const c = h.counts;
      if (c === undefined) return [];
      return [
        `${h.host.padEnd(26)} :`,
        field('ok', c.ok),
        field('changed', c.changed),
        field('unreachable', c.unreachable),
        field('failed', c.failed),
        field('skipped', c.skipped),
        field('rescued', c.rescued),
        field('ignored', c.ignored),
      ]
        .join(' ')
        .trimEnd();
    }),
  ];
}
