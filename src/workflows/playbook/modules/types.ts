// What a module gets to do its work on one host, and what it reports back (Ansible's result keys).
import type { Templar } from '../../../domain/playbook/template.js';
import type { ExecResult } from '../../../transport/connection.js';

export interface RunOptions {
  stdin?: string | Buffer;
  /** Stream each output line live to the renderers (command, shell, raw). */
  stream?: boolean;
  timeoutMs?: number;
}

export interface ModuleContext {
  host: string;
  check: boolean;
  diff: boolean;
  /** Runs a shell command on the host (become and environment applied); resolves on any exit status. */
  run(command: string, options?: RunOptions): Promise<ExecResult>;
  /** A file on the controller, relative to the playbook's directory (copy src, template src). */
  readController(path: string): Buffer;
  /** Writes a file on the controller (fetch). */
  writeController(path: string, data: Buffer): void;
  /** The host's variables, for the template module. */
  templar: Templar;
  sleep(ms: number): Promise<void>;
}

export type ModuleResult = Record<string, unknown> & {
  changed?: boolean;
  failed?: boolean;
  skipped?: boolean;
  /** Text for most modules; debug's msg may be any value. */
  msg?: unknown;
};

export type Module = (ctx: ModuleContext, args: Record<string, unknown>) => Promise<ModuleResult>;

/** A module argument as text, the way Ansible's argument spec turns a scalar into a str. */
export function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False'; // Python's str(True)
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

export function bool(value: unknown, fallback = false): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  return ['yes', 'true', 'on', '1', 'y'].includes(text(value).toLowerCase());
}

/** A module's refusal of its arguments, reported as the task's failure. */
export class ModuleError extends Error {}

export function lines(output: string): string[] {
  if (output === '') return [];
  return output.replace(/\n$/, '').split('\n');
}
