// Ansible INI inventories (the ansible.builtin.ini plugin's format), read as Ansible reads them.
import { showValue } from '../input/index.js';
import { AnsibleInventoryDraft, resolveAnsibleInventory } from './ansible-model.js';
import { substituteEnvInValue, type Environment } from './env.js';
import { expandHostRange, splitHostPort } from './host-patterns.js';
import type { IssueList } from './issues.js';
import { parsePythonLiteral } from './python-literal.js';
import { splitShellWords } from './shell-words.js';
import type { Inventory, InventorySources, SourcePosition } from './types.js';

// Same patterns as Ansible's ini plugin: a group name is anything but whitespace, ':' and ']'.
const SECTION_HEADER = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME_LINE = /^([^:\]\s]+)\s*(?:#.*)?$/;

type SectionKind = 'hosts' | 'vars' | 'children';

/** A group used before it is declared; Ansible allows that, as long as a declaration follows. */
interface PendingDeclaration {
  kind: 'vars' | 'children';
  position: SourcePosition;
  /** For `children`: the groups that listed it, each with where it did. */
  parents: { name: string; position: SourcePosition }[];
}

/**
 * `[group]` sections list hosts (with inline `key=value` variables), `[group:vars]` one variable per
 * line, `[group:children]` one group name per line; hosts before any section are ungrouped. Values
 * are typed with Python literal rules, as Ansible does: `22` is an int, `True` a bool, `'22'` a string.
 */
export function parseAnsibleIniInventory(
  sources: InventorySources,
  env: Environment,
  issues: IssueList,
): Inventory {
  const { path, text } = sources.main;
  const draft = new AnsibleInventoryDraft();
  const pending = new Map<string, PendingDeclaration>();
  let group = 'ungrouped';
  let kind: SectionKind | 'skipped' = 'hosts';
  const at = (line: number, index: number): SourcePosition => ({ file: path, line, col: index + 1 });

  const resolvePendingChildren = (name: string): void => {
    const declaration = pending.get(name);
    if (declaration === undefined) return;
    pending.delete(name);
    for (const parent of declaration.parents) {
      draft.addChild(parent.name, name, parent.position, issues);
      if (pending.get(parent.name)?.kind === 'children') resolvePendingChildren(parent.name);
    }
  };

  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  lines.forEach((raw, lineIndex) => {
    const lineNumber = lineIndex + 1;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;

    const header = SECTION_HEADER.exec(line);
    if (header !== null) {
      const name = header[1] ?? '';
      const modifier = header[2];
      group = name;
      if (modifier !== undefined && modifier !== 'vars' && modifier !== 'children') {
        issues.add(
          at(lineNumber, indent + name.length + 2),
          `unknown section type ':${modifier}' in [${showValue(name)}:${modifier}] (use [${name}], [${showValue(name)}:vars] or [${showValue(name)}:children])`,
        );
        kind = 'skipped';
        return;
      }
      kind = modifier ?? 'hosts';
      if (!draft.groups.has(name)) {
        // [name:vars] alone does not declare a group: remember it and check a declaration follows.
        if (kind === 'vars' && !pending.has(name)) {
          pending.set(name, { kind: 'vars', position: at(lineNumber, indent), parents: [] });
        }
        draft.group(name);
      }
      if (kind !== 'vars') {
        if (pending.get(name)?.kind === 'children') resolvePendingChildren(name);
        else if (pending.get(name)?.kind === 'vars') pending.delete(name);
      }
      return;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      issues.add(
        at(lineNumber, indent),
        `invalid section header '${showValue(String(line))}': a group name cannot contain spaces, ':' or ']' (e.g. [web_servers])`,
      );
      kind = 'skipped';
      return;
    }

    if (kind === 'hosts') readHostLine(line, lineNumber, indent, group);
    else if (kind === 'vars') readVarLine(line, lineNumber, indent, group);
    else if (kind === 'children') readChildLine(line, lineNumber, indent, group);
  });

  function readHostLine(line: string, lineNumber: number, indent: number, groupName: string): void {
    const split = splitShellWords(line);
    if (!split.ok) {
      issues.add(
        at(lineNumber, indent + split.index),
        `${split.error} in host line (close it, or escape it with \\)`,
      );
      return;
    }
    const [hostWord, ...assignments] = split.words;
    if (hostWord === undefined) return;
    const origin = at(lineNumber, indent + hostWord.start);
    const pattern = hostWord.text;
    if (pattern === '---') {
      issues.add(origin, "'---' is not a host: this file looks like YAML (give it a .yml extension)");
      return;
    }
    const { host, port } = splitHostPort(pattern);
    if (port === undefined && pattern.endsWith(':')) {
      issues.add(
        origin,
        `invalid host '${showValue(String(pattern))}': a trailing ':' must be followed by a port (node1:2222)`,
      );
      return;
    }
    const vars = new Map<string, { value: unknown; origin: SourcePosition }>();
    if (port !== undefined) vars.set('ansible_port', { value: port, origin });
    for (const word of assignments) {
      const equals = word.text.indexOf('=');
      const wordStart = at(lineNumber, indent + word.start);
      if (equals <= 0) {
        issues.add(
          wordStart,
          `expected key=value after the host name, got '${showValue(String(word.text))}' (quote values that contain spaces)`,
        );
        continue;
      }
      // The value starts right after '=' in the line, at its opening quote if it has one.
      const valueIndex = (word.sourceIndex[equals] ?? word.start) + 1;
      const valueOrigin = at(lineNumber, indent + valueIndex);
      vars.set(word.text.slice(0, equals), {
        value: typedValue(word.text.slice(equals + 1), valueOrigin),
        origin: valueOrigin,
      });
    }
    const expansion = expandHostRange(host);
    if (!expansion.ok) {
      issues.add(origin, expansion.error);
      return;
    }
    for (const name of expansion.hosts) {
      const draftHost = draft.addHost(name, groupName, origin);
      for (const [key, value] of vars) draftHost.vars.set(key, value);
    }
  }

  function readVarLine(line: string, lineNumber: number, indent: number, groupName: string): void {
    const equals = line.indexOf('=');
    const key = line.slice(0, Math.max(equals, 0)).trim();
    if (equals < 0 || key === '') {
      issues.add(
        at(lineNumber, indent),
        `expected key=value in [${showValue(groupName)}:vars], got '${showValue(String(line))}'`,
      );
      return;
    }
    const afterEquals = line.slice(equals + 1);
    const valueText = afterEquals.trim();
    const leadingSpace = afterEquals.length - afterEquals.trimStart().length;
    const origin = at(lineNumber, indent + equals + 1 + (valueText === '' ? 0 : leadingSpace));
    draft.setGroupVar(groupName, key, { value: typedValue(valueText, origin), origin }, issues);
  }

  function readChildLine(line: string, lineNumber: number, indent: number, groupName: string): void {
    const child = GROUP_NAME_LINE.exec(line)?.[1];
    const position = at(lineNumber, indent);
    if (child === undefined) {
      issues.add(
        position,
        `expected one group name per line in [${showValue(groupName)}:children], got '${showValue(String(line))}'`,
      );
      return;
    }
    if (draft.groups.has(child)) {
      draft.addChild(groupName, child, position, issues);
      return;
    }
    const declaration = pending.get(child);
    if (declaration === undefined) {
      pending.set(child, { kind: 'children', position, parents: [{ name: groupName, position }] });
    } else {
      declaration.parents.push({ name: groupName, position });
    }
  }

  function typedValue(text: string, origin: SourcePosition): unknown {
    const literal = parsePythonLiteral(text);
    return substituteEnvInValue(literal.ok ? literal.value : text, env, origin, issues);
  }

  for (const [name, declaration] of pending) {
    if (declaration.kind === 'vars') {
      issues.add(
        declaration.position,
        `[${showValue(name)}:vars] is for undefined group '${showValue(String(name))}' (add a [${name}] section, or list ${name} in a [parent:children] section)`,
      );
      continue;
    }
    for (const parent of declaration.parents) {
      issues.add(
        parent.position,
        `[${showValue(parent.name)}:children] lists undefined group '${showValue(String(name))}' (add a [${name}] section)`,
      );
    }
  }

  return resolveAnsibleInventory(draft, { sources, env, format: 'ansible-ini' }, issues);
}
