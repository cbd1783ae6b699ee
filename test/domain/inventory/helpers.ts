// Shared helpers for the inventory tests: build sources from inline text, parse, and format issues.
import assert from 'node:assert/strict';
import { formatIssue, parseInventory } from '../../../src/domain/inventory/index.js';
import type { Environment } from '../../../src/domain/inventory/env.js';
import type { HostSpec, Inventory, InventorySources } from '../../../src/domain/inventory/types.js';

/** Joins lines with newlines, so a test's line numbers are the argument positions (1-based). */
export function lines(...content: string[]): string {
  return `${content.join('\n')}\n`;
}

export type ExtraSources = Partial<Pick<InventorySources, 'groupVars' | 'hostVars'>>;

export function sources(path: string, text: string, extra: ExtraSources = {}): InventorySources {
  return { main: { path, text }, groupVars: extra.groupVars ?? [], hostVars: extra.hostVars ?? [] };
}

/** Parses and fails the test, listing the issues, if the inventory is not valid. */
export function parseValid(
  path: string,
  text: string,
  env: Environment = {},
  extra: ExtraSources = {},
): Inventory {
  const result = parseInventory(sources(path, text, extra), env);
  if (!result.ok) assert.fail(`unexpected issues:\n${result.issues.map(formatIssue).join('\n')}`);
  return result.inventory;
}

/** Parses an invalid inventory and returns its issues as `file:line:col: message` lines. */
export function parseIssues(
  path: string,
  text: string,
  env: Environment = {},
  extra: ExtraSources = {},
): string[] {
  const result = parseInventory(sources(path, text, extra), env);
  if (result.ok) assert.fail('expected issues, but the inventory is valid');
  return result.issues.map(formatIssue);
}

export function hostNamed(inventory: Inventory, name: string): HostSpec {
  const host = inventory.hosts.find((candidate) => candidate.name === name);
  if (host === undefined)
    assert.fail(`no host '${name}' in ${inventory.hosts.map((h) => h.name).join(', ')}`);
  return host;
}

/** The connection-relevant part of a host, for compact deepEqual assertions. */
export function connection(host: HostSpec): Record<string, unknown> {
  const { name: _name, groups: _groups, vars: _vars, origin: _origin, ...rest } = host;
  return rest;
}
