// mc run: the same command on every selected host, output streamed line by line.
import { runPerHost } from './per-host.js';
import type { Session } from './session.js';

export interface AdHocOptions {
  command: string;
  become: (host: string) => boolean;
  timeoutMs: number;
}

export async function runAdHoc(session: Session, options: AdHocOptions): Promise<void> {
  await runPerHost(session, 'run', options.command, async (host, connection) => {
    const result = await connection.exec(options.command, {
      timeoutMs: options.timeoutMs,
      become: options.become(host),
      onLine: (stream, text) => session.bus.emit({ type: 'line', host, step: 'run', stream, text }),
    });
    if (result.code === 0) return { summary: 'exit 0' };
    const why = result.code === null ? `killed by ${result.signal ?? 'a signal'}` : `exit ${result.code}`;
    return { failed: why };
  });
}
