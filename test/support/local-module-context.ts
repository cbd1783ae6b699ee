// A playbook ModuleContext that runs module commands in this machine's own shell, with extra environment
// (e.g. a PATH that puts recording or racing stand-ins first): for module tests that need a real shell
// but no SSH host.
import { execa } from 'execa';
import type { Templar } from '../../src/domain/playbook/template.js';
import type { ModuleContext } from '../../src/workflows/playbook/modules/types.js';

export interface LocalShell {
  /** Prepended to every command, e.g. `umask 022;`. */
  prefix?: string;
  env?: Record<string, string>;
}

export function localModuleContext(shell: LocalShell = {}): ModuleContext {
  return {
    host: 'local',
    check: false,
    diff: false,
    async run(command, options) {
      const started = Date.now();
      const r = await execa('sh', ['-c', `${shell.prefix ?? ''}${command}`], {
        reject: false,
        input: options?.stdin ?? '',
        env: shell.env ?? {},
      });
      return {
        command,
        code: r.exitCode ?? null,
        signal: r.signal ?? null,
        stdout: r.stdout,
        stderr: r.stderr,
        durationMs: Date.now() - started,
      };
    },
    readController: () => Buffer.alloc(0),
    writeController: () => undefined,
    templar: {} as Templar,
    sleep: () => Promise.resolve(),
  };
}
