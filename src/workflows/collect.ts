// mc collect: every selected host's bug-report material, masked, into one .tar.gz on the controller.
// Each command has its own timeout and its failure is recorded, not fatal; a host that fails or cannot be
// reached gets a note in its folder and the others go on. Nothing on the hosts changes.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create as createTar } from 'tar';
import {
  archiveName,
  formatIndex,
  redactReport,
  tailLines,
  type CollectItem,
  type CollectedFile,
} from '../domain/day2/collect.js';
import { TransportError } from '../transport/errors.js';
import { runPerHost } from './per-host.js';
import type { Session } from './session.js';

export interface CollectOptions {
  items: CollectItem[];
  outputDir: string;
  become: (host: string) => boolean;
  now?: Date;
}

export interface CollectOutcome {
  archive: string;
  /** Per host: how many commands exited 0, of how many. */
  hosts: { host: string; succeeded: number; total: number; reached: boolean }[];
}

export async function collectBugReport(session: Session, options: CollectOptions): Promise<CollectOutcome> {
  const name = archiveName(options.now ?? new Date());
  // Staged where only this user can read it: the material is masked, but it is still a host's inside.
  const staging = mkdtempSync(join(tmpdir(), 'mc-collect-'));
  const top = join(staging, name);
  mkdirSync(top, { mode: 0o700 });
  const write = (path: string, text: string): void => {
    writeFileSync(path, redactReport(session.bus.redact(text)), { mode: 0o600 });
  };
  const unreachable = new Map<string, string>();
  const stopListening = session.bus.on((event) => {
    if (event.type === 'host-unreachable') unreachable.set(event.host, event.reason);
  });
  const results = new Map<string, CollectedFile[]>();
  try {
    await runPerHost(session, 'collect', 'collect a bug report', async (host, connection) => {
      const dir = join(top, host);
      mkdirSync(dir, { mode: 0o700 });
      const files: CollectedFile[] = [];
      results.set(host, files);
      for (const [index, item] of options.items.entries()) {
        const started = Date.now();
        let collected: CollectedFile;
        try {
          const result = await connection.exec(item.command, {
            timeoutMs: item.timeoutMs,
            become: options.become(host),
          });
          const stdout =
            item.tailLines === undefined ? result.stdout : tailLines(result.stdout, item.tailLines);
          const stderr = result.stderr === '' ? '' : `\n--- stderr ---\n${result.stderr}`;
          write(join(dir, item.file), `${stdout}${stderr}`);
          collected = { item, exitCode: result.code, ms: Date.now() - started };
          if (result.code === null) collected.error = `killed by ${result.signal ?? 'a signal'}`;
        } catch (err) {
          // A lost connection ends this host's collection; a timeout only this command's.
          if (!(err instanceof TransportError)) throw err;
          const error = err.message;
          write(join(dir, item.file), `mc: ${error}\n`);
          collected = { item, exitCode: null, ms: Date.now() - started, error };
          files.push(collected);
          progress(session, host, index, options.items.length, collected);
          if (!connection.isAlive) {
            writeFileSync(join(dir, 'index.txt'), formatIndex(host, files), { mode: 0o600 });
            throw err;
          }
          continue;
        }
        files.push(collected);
        progress(session, host, index, options.items.length, collected);
      }
      writeFileSync(join(dir, 'index.txt'), formatIndex(host, files), { mode: 0o600 });
      const succeeded = files.filter((f) => f.exitCode === 0).length;
      return { summary: `${succeeded}/${files.length} commands exited 0` };
    });
    for (const host of session.hosts) {
      if (results.has(host)) continue;
      const dir = join(top, host);
      mkdirSync(dir, { mode: 0o700 });
      const reason = unreachable.get(host) ?? 'not collected';
      write(join(dir, 'not-collected.txt'), `mc could not collect from ${host}: ${reason}\n`);
    }
    mkdirSync(options.outputDir, { recursive: true });
    const archive = join(options.outputDir, `${name}.tar.gz`);
    await createTar({ gzip: true, file: archive, cwd: staging, portable: true }, [name]);
    chmodSync(archive, 0o600);
    return {
      archive,
      hosts: session.hosts.map((host) => {
        const files = results.get(host) ?? [];
        return {
          host,
          reached: results.has(host),
          succeeded: files.filter((f) => f.exitCode === 0).length,
          total: files.length,
        };
      }),
    };
  } finally {
    stopListening();
    rmSync(staging, { recursive: true, force: true });
  }
}

/** One line per finished command, `3/12 lxc-info.txt: exit 0 (85 ms)`: the host's progress. */
function progress(session: Session, host: string, index: number, total: number, file: CollectedFile): void {
  const status = file.exitCode === null ? (file.error ?? 'not finished') : `exit ${file.exitCode}`;
  session.bus.emit({
    type: 'line',
    host,
    step: 'collect',
    stream: 'stdout',
    text: `${index + 1}/${total} ${file.item.file}: ${status} (${file.ms} ms)`,
  });
}
