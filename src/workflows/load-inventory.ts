// The inventory layer's only I/O: read the inventory file and, for Ansible inventories, the
// group_vars/ and host_vars/ directories beside it; then hand the text to the pure parser.
import { readdirSync, type Dirent } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Environment } from '../domain/inventory/env.js';
import { detectFormat, readInventory, type InventoryReader } from '../domain/inventory/formats.js';
import type {
  InventoryFormat,
  InventoryIssue,
  InventoryResult,
  InventorySources,
} from '../domain/inventory/types.js';
import { readInputFile } from './read-input.js';

/** Extensions Ansible's host_group_vars plugin loads; '' is a file without extension. */
const VARS_FILE_EXTENSIONS = new Set(['', '.yml', '.yaml', '.json']);

interface VarsFile {
  entity: string;
  path: string;
  text: string;
}

export type SourcesResult =
  { ok: true; format: InventoryFormat; sources: InventorySources } | { ok: false; issues: InventoryIssue[] };

/**
 * Each format's reader, loaded when an inventory needs it: mc's format validates with zod, whose
 * loading alone (~60 ms) was a quarter of `mc run`'s start-up with an Ansible inventory.
 */
const READERS: Record<InventoryFormat, () => Promise<InventoryReader>> = {
  mc: async () => (await import('../domain/inventory/mc-format.js')).parseMcInventory,
  'ansible-yaml': async () => (await import('../domain/inventory/ansible-yaml.js')).parseAnsibleYamlInventory,
  'ansible-ini': async () => (await import('../domain/inventory/ansible-ini.js')).parseAnsibleIniInventory,
};

function fileIssue(file: string, message: string): InventoryIssue {
  // Line 0: the issue is about the file as a whole; formatIssue prints just the message.
  return { file, line: 0, col: 0, message };
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/**
 * Loads and validates the inventory at `path`, with only its format's reader; `env` is used for
 * `${VAR}` substitution. It runs once at startup, before anything else can happen concurrently.
 */
export async function loadInventory(path: string, env: Environment): Promise<InventoryResult> {
  const read = readInventorySources(path);
  if (!read.ok) return read;
  return readInventory(read.sources, env, read.format, await READERS[read.format]());
}

/**
 * Reads the inventory file and, when it is an Ansible inventory, every group_vars/host_vars file
 * beside it (`<name>`, `<name>.yml|.yaml|.json`, or `<name>/` with such files, sorted, so later files
 * win as in Ansible). mc's own format keeps all settings in one file and ignores those directories,
 * so an Ansible layout next to it does not leak in.
 */
export function readInventorySources(path: string): SourcesResult {
  const read = readInputFile(path, { what: 'inventory file' });
  if (!read.ok) {
    const message =
      read.reason === 'missing'
        ? `inventory file not found: ${path} (pass -i with the path to your hosts.yaml)`
        : read.reason === 'directory'
          ? `inventory path is a directory: ${path} (pass -i with the inventory file itself, e.g. ${join(path, 'hosts.yaml')})`
          : undefined;
    return { ok: false, issues: [message === undefined ? read.issue : fileIssue(path, message)] };
  }
  const text = read.text;
  const main = { path, text };
  const format = detectFormat(path, text);
  if (format === 'mc') return { ok: true, format, sources: { main, groupVars: [], hostVars: [] } };

  const issues: InventoryIssue[] = [];
  const directory = dirname(path);
  const groupVars = readVarsDirectory(join(directory, 'group_vars'), issues);
  const hostVars = readVarsDirectory(join(directory, 'host_vars'), issues);
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    format,
    sources: {
      main,
      groupVars: groupVars.map(({ entity, path: file, text: content }) => ({
        group: entity,
        path: file,
        text: content,
      })),
      hostVars: hostVars.map(({ entity, path: file, text: content }) => ({
        host: entity,
        path: file,
        text: content,
      })),
    },
  };
}

/** One entry per variables file, named after its group or host; a missing directory is no error. */
function readVarsDirectory(directory: string, issues: InventoryIssue[]): VarsFile[] {
  const entries = listDirectory(directory, issues);
  const files: VarsFile[] = [];
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      for (const file of readTree(path, issues))
        files.push({ entity: entry.name, path: file.path, text: file.text });
    } else if (entry.isFile() && VARS_FILE_EXTENSIONS.has(extname(entry.name))) {
      const text = readText(path, issues);
      if (text !== undefined) files.push({ entity: basename(entry.name, extname(entry.name)), path, text });
    }
  }
  return files;
}

/** Every variables file under a `<name>/` directory, depth first, sorted by name. */
function readTree(directory: string, issues: InventoryIssue[]): { path: string; text: string }[] {
  const files: { path: string; text: string }[] = [];
  for (const entry of listDirectory(directory, issues)) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...readTree(path, issues));
    else if (entry.isFile() && VARS_FILE_EXTENSIONS.has(extname(entry.name))) {
      const text = readText(path, issues);
      if (text !== undefined) files.push({ path, text });
    }
  }
  return files;
}

function listDirectory(directory: string, issues: InventoryIssue[]): Dirent[] {
  try {
    const entries = readdirSync(directory, { withFileTypes: true });
    // Hidden files are editor swap files and the like, which Ansible skips too.
    return entries.filter((entry) => !entry.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch (error) {
    if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') {
      issues.push(fileIssue(directory, `cannot read ${directory}: ${(error as Error).message}`));
    }
    return [];
  }
}

function readText(path: string, issues: InventoryIssue[]): string | undefined {
  const read = readInputFile(path, { what: 'variables file' });
  if (read.ok) return read.text;
  issues.push(read.issue);
  return undefined;
}
