// Everything `mc playbook` reads before any host is touched: the playbooks (and the files they name), the
// extra vars, and the variable check against the inventory. Problems are InputErrors, all at once.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../../domain/input-error.js';
import { formatIssue } from '../../domain/inventory/issues.js';
import type { Inventory } from '../../domain/inventory/types.js';
import { loadPlaybook, parseKeyValues } from '../../domain/playbook/parse.js';
import type { Playbook } from '../../domain/playbook/types.js';
import { undefinedVariableIssues } from '../../domain/playbook/variables.js';

/** Playbooks, task files, vars files and templates are small; a larger file is a mistake. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

export function readSmallFile(path: string): string | undefined {
  try {
    if (statSync(path).size > MAX_FILE_BYTES) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function loadPlaybooks(paths: string[], cwd: string): Playbook[] {
  const playbooks: Playbook[] = [];
  const problems: string[] = [];
  for (const path of paths) {
    const result = loadPlaybook(resolve(cwd, path), readSmallFile);
    if (result.ok) playbooks.push(result.playbook);
    else problems.push(...result.issues.map(formatIssue));
  }
  if (problems.length > 0) throw new InputError(problems);
  return playbooks;
}

/** `-e KEY=VALUE ...`, `-e '{"json": true}'`, `-e @file.yml`, merged left to right. */
export function parseExtraVars(values: string[], cwd: string): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const value of values) {
    if (value.startsWith('@')) {
      const path = resolve(cwd, value.slice(1));
      const text = readSmallFile(path);
      if (text === undefined) throw new InputError([`-e ${value}: cannot read ${path}`]);
      let data: unknown;
      try {
        data = parseYaml(text, { maxAliasCount: 100 });
      } catch (err) {
        throw new InputError([`${path}: ${(err as Error).message.split('\n')[0] ?? ''}`]);
      }
      if (data === null || typeof data !== 'object' || Array.isArray(data))
        throw new InputError([`-e ${value}: the file must hold a map of variables`]);
      Object.assign(merged, data);
    } else if (value.trimStart().startsWith('{')) {
      try {
        Object.assign(merged, JSON.parse(value) as object);
      } catch (err) {
        throw new InputError([`-e: not valid JSON: ${(err as Error).message}`]);
      }
    } else {
      const { params, rest } = parseKeyValues(value);
      if (rest.length > 0)
        throw new InputError([`-e: expected KEY=VALUE, got '${(rest[0] ?? '').slice(0, 60)}'`]);
      Object.assign(merged, params);
    }
  }
  return merged;
}

/** Refuses templates that read variables nothing defines, before any host is touched. */
export function checkVariables(
  playbooks: Playbook[],
  inventory: Inventory,
  extraVars: Record<string, unknown>,
): void {
  const known = new Set<string>(Object.keys(extraVars));
  for (const host of inventory.hosts) for (const key of Object.keys(host.vars)) known.add(key);
  for (const group of inventory.groups) for (const key of Object.keys(group.vars)) known.add(key);
  // register and set_fact outlive their play: a later play may read them.
  for (const pb of playbooks) for (const play of pb.plays) for (const name of play.definedNames) known.add(name);
  const problems = playbooks.flatMap((pb) =>
    pb.plays.flatMap((play) => undefinedVariableIssues(play, known)),
  );
  if (problems.length > 0) throw new InputError(problems.map(formatIssue));
}
