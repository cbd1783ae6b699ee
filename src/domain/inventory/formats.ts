// Which format an inventory file is in, and what every format's reader shares. No reader is imported
// here, so a caller can load only the one a file needs (workflows/load-inventory.ts): mc's own format
// validates with zod, which an Ansible inventory never needs.
import { isMap, parseDocument } from 'yaml';
import type { Environment } from './env.js';
import { IssueList } from './issues.js';
import type { Inventory, InventoryFormat, InventoryResult, InventorySources } from './types.js';
import { keyText } from './yaml-source.js';

/** One format's parser: the inventory, every problem found added to `issues`. */
export type InventoryReader = (
  sources: InventorySources,
  env: Environment,
  issues: IssueList,
) => Inventory | undefined;

const MC_TOP_LEVEL_KEYS = new Set(['hosts', 'defaults', 'cluster', 'groups']);

/**
 * Which reader a file needs. `.ini` is INI. Other files that do not parse as a YAML map are INI too
 * (`[web]` or `node1 ansible_host=...` never do), except `.yml`/`.yaml`/`.json`, which stay YAML so a
 * YAML mistake is reported as one. A YAML map with `hosts`/`defaults`/`cluster`/`groups` at the top
 * and no `all` is mc's format; any other YAML map is an Ansible YAML inventory.
 */
export function detectFormat(path: string, text: string): InventoryFormat {
  const extension = /\.([^./\\]+)$/.exec(path)?.[1]?.toLowerCase() ?? '';
  if (extension === 'ini') return 'ansible-ini';
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, logLevel: 'error' });
  const root = doc.contents;
  const isYamlFile = ['yml', 'yaml', 'json'].includes(extension);
  if (!isYamlFile && (doc.errors.length > 0 || !isMap(root))) return 'ansible-ini';
  if (!isMap(root)) return 'ansible-yaml';
  const keys = new Set(root.items.map((pair) => keyText(pair.key)));
  if (keys.has('all')) return 'ansible-yaml';
  return [...MC_TOP_LEVEL_KEYS].some((key) => keys.has(key)) ? 'mc' : 'ansible-yaml';
}

/**
 * Reads `sources` in `format` with that format's reader, then checks what every format must hold.
 * Either a complete inventory, or every issue found, sorted by file and position.
 */
export function readInventory(
  sources: InventorySources,
  env: Environment,
  format: InventoryFormat,
  reader: InventoryReader,
): InventoryResult {
  const issues = new IssueList();
  const { path } = sources.main;
  const inventory = reader(sources, env, issues);
  if (inventory !== undefined && inventory.hosts.length === 0 && issues.size === 0) {
    issues.add({ file: path, line: 1, col: 1 }, `the inventory defines no hosts (${NO_HOSTS_HINT[format]})`);
  }
  if (inventory === undefined || issues.size > 0) return { ok: false, issues: issues.sorted() };
  const warnings = issues.warnings();
  return warnings.length > 0 ? { ok: true, inventory, warnings } : { ok: true, inventory };
}

const NO_HOSTS_HINT: Record<InventoryFormat, string> = {
  mc: 'add them under hosts:',
  'ansible-yaml': 'add them under all: hosts:',
  'ansible-ini': 'add one host name per line, under a [group] header or before any',
};
