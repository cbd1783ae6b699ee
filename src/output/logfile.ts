// Every run writes a log file: timestamps and the full remote output per host, already redacted by the bus.
import { createWriteStream, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { EventBus } from './events.js';
import { plainLines } from './format.js';

export function defaultLogPath(env: NodeJS.ProcessEnv, now: Date, pid: number): string {
  const cache = env.XDG_CACHE_HOME ?? join(env.HOME ?? homedir(), '.cache');
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return join(cache, 'mc', 'logs', `mc-${stamp}-${pid}.log`);
}

export interface LogFile {
  path: string;
  /** Detaches from the bus and flushes the file. */
  close(): Promise<void>;
}

export function attachLogFile(bus: EventBus, path: string, header: string): LogFile {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const out = createWriteStream(path, { flags: 'a', mode: 0o600 });
  out.write(`# ${header}\n`);
  const detach = bus.on((event) => {
    const stamp = new Date(event.time).toISOString();
    const lines =
      event.type === 'line'
        ? [`[${event.host}] ${event.stream}: ${event.text}`]
        : event.type === 'host-connected'
          ? [`[${event.host}] connected in ${event.ms}ms`]
          : event.type === 'command'
            ? [
                `[${event.host}] ${event.step}: the command that failed:`,
                ...event.command.split('\n').map((l) => `    ${l}`),
              ]
            : plainLines(event);
    if (lines.length > 0) out.write(lines.map((l) => `${stamp} ${l}\n`).join(''));
  });
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        detach();
        out.end(resolve);
      }),
  };
}
