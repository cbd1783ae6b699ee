// Ansible YAML inventories (the ansible.builtin.yaml plugin's format), read as Ansible reads them.
import { showValue } from '../input/index.js';
import { isMap, isScalar, type Node } from 'yaml';
import {
  AnsibleInventoryDraft,
  locatedValue,
  resolveAnsibleInventory,
  type VarMap,
} from './ansible-model.js';
import { substituteEnvInYaml, type Environment } from './env.js';
import { expandHostRange, splitHostPort } from './host-patterns.js';
import { closestMatch, describeValue, type IssueList } from './issues.js';
import type { Inventory, InventorySources } from './types.js';
import {
  mapEntries,
  parseYamlFile,
  positionOf,
  toPlain,
  valuePosition,
  type MapEntry,
  type YamlFile,
} from './yaml-source.js';

const GROUP_SECTIONS = ['hosts', 'vars', 'children'] as const;

/**
 * Top-level keys are groups (usually just `all`); each group may have `hosts` (a map of host
 * patterns to host variables), `vars` and `children` (a map of nested groups). YAML 1.1, as PyYAML
 * parses it: `yes`/`no` are booleans and `0755` is octal, exactly what Ansible would see.
 */
export function parseAnsibleYamlInventory(
  sources: InventorySources,
  env: Environment,
  issues: IssueList,
): Inventory {
  const { path, text } = sources.main;
  const source = parseYamlFile(path, text, '1.1', issues);
  substituteEnvInYaml(source, env, issues);
  const draft = new AnsibleInventoryDraft();
  // After a syntax error the structure is a guess: the error is reported, the rest would be noise.
  if (source.syntaxOk) readRoot(source, new GroupReader(source, draft, issues), issues);
  return resolveAnsibleInventory(draft, { sources, env, format: 'ansible-yaml' }, issues);
}

function readRoot(source: YamlFile, reader: GroupReader, issues: IssueList): void {
  const root = source.doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    issues.add(
      { file: source.file, line: 1, col: 1 },
      'the inventory is empty: add an all: group with hosts:',
    );
    return;
  }
  if (!isMap(root)) {
    issues.add(
      positionOf(source, root),
      `an Ansible YAML inventory must be a map of group names (all:, ...), got ${describeValue(toPlain(source, root, issues))}`,
    );
    return;
  }
  const entries = mapEntries(source, root, issues);
  const plugin = entries.find((entry) => entry.key === 'plugin');
  if (plugin !== undefined) {
    issues.add(
      positionOf(source, plugin.keyNode),
      'this is an inventory plugin configuration (plugin:), not a static inventory; mc reads static YAML or INI inventories',
    );
    return;
  }
  for (const entry of entries) reader.readGroup(entry);
}

function isEmpty(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

class GroupReader {
  readonly #source: YamlFile;
  readonly #draft: AnsibleInventoryDraft;
  readonly #issues: IssueList;
  /** Group bodies being read: an alias can make a group its own descendant, which must not recurse forever. */
  readonly #reading = new Set<Node>();

  constructor(source: YamlFile, draft: AnsibleInventoryDraft, issues: IssueList) {
    this.#source = source;
    this.#draft = draft;
    this.#issues = issues;
  }

  readGroup(entry: MapEntry): void {
    const name = entry.key;
    const body = entry.value;
    if (!isEmpty(body) && !isMap(body)) {
      this.#issues.add(
        valuePosition(this.#source, entry),
        `group '${showValue(String(name))}' must be a map with hosts:, vars: or children:, got ${this.#describe(body)}`,
      );
      return;
    }
    this.#draft.group(name);
    if (!isMap(body) || this.#reading.has(body)) return;
    this.#reading.add(body);
    for (const section of mapEntries(this.#source, body, this.#issues)) {
      if (section.key === 'hosts') this.#readHosts(name, section);
      else if (section.key === 'vars') this.#readGroupVars(name, section);
      else if (section.key === 'children') this.#readChildren(name, section);
      else {
        const suggestion = closestMatch(section.key, GROUP_SECTIONS);
        this.#issues.add(
          positionOf(this.#source, section.keyNode),
          `unexpected key '${showValue(String(section.key))}' in group '${showValue(String(name))}'${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}: a group holds only hosts, vars and children`,
        );
      }
    }
    this.#reading.delete(body);
  }

  #readHosts(group: string, section: MapEntry): void {
    const body = section.value;
    if (isEmpty(body)) return;
    // Ansible accepts a single host name as a string: `hosts: node1`.
    if (isScalar(body) && typeof body.value === 'string') {
      this.#addHosts(group, body.value, body, new Map());
      return;
    }
    if (!isMap(body)) {
      this.#issues.add(
        valuePosition(this.#source, section),
        `hosts of group '${showValue(String(group))}' must be a map of host names, got ${this.#describe(body)} (write "node1:" on its own line, not "- node1")`,
      );
      return;
    }
    for (const hostEntry of mapEntries(this.#source, body, this.#issues)) {
      const vars = this.#readVars(hostEntry, `host '${showValue(String(hostEntry.key))}'`);
      if (vars !== undefined) this.#addHosts(group, hostEntry.key, hostEntry.keyNode, vars);
    }
  }

  #addHosts(group: string, pattern: string, node: Node, vars: VarMap): void {
    const origin = positionOf(this.#source, node);
    const { host, port } = splitHostPort(pattern);
    const expansion = expandHostRange(host);
    if (!expansion.ok) {
      this.#issues.add(origin, expansion.error);
      return;
    }
    for (const name of expansion.hosts) {
      const draft = this.#draft.addHost(name, group, origin);
      if (port !== undefined) draft.vars.set('ansible_port', { value: port, origin });
      for (const [key, value] of vars) draft.vars.set(key, value);
    }
  }

  #readGroupVars(group: string, section: MapEntry): void {
    const vars = this.#readVars(section, `vars of group '${showValue(String(group))}'`);
    for (const [key, value] of vars ?? []) this.#draft.setGroupVar(group, key, value, this.#issues);
  }

  /** A map of variables (or nothing); anything else is reported and yields undefined. */
  #readVars(entry: MapEntry, owner: string): VarMap | undefined {
    const vars: VarMap = new Map();
    if (isEmpty(entry.value)) return vars;
    if (!isMap(entry.value)) {
      this.#issues.add(
        valuePosition(this.#source, entry),
        `${owner} must be a map of variable names to values, got ${this.#describe(entry.value)}`,
      );
      return undefined;
    }
    for (const variable of mapEntries(this.#source, entry.value, this.#issues)) {
      vars.set(variable.key, locatedValue(this.#source, variable, this.#issues));
    }
    return vars;
  }

  #readChildren(group: string, section: MapEntry): void {
    const body = section.value;
    if (isEmpty(body)) return;
    if (isScalar(body) && typeof body.value === 'string') {
      this.#draft.group(body.value);
      this.#draft.addChild(group, body.value, positionOf(this.#source, body), this.#issues);
      return;
    }
    if (!isMap(body)) {
      this.#issues.add(
        valuePosition(this.#source, section),
        `children of group '${showValue(String(group))}' must be a map of group names, got ${this.#describe(body)} (write "web:" on its own line, not "- web")`,
      );
      return;
    }
    for (const child of mapEntries(this.#source, body, this.#issues)) {
      this.readGroup(child);
      this.#draft.addChild(group, child.key, positionOf(this.#source, child.keyNode), this.#issues);
    }
  }

  #describe(node: Node | null): string {
    return describeValue(toPlain(this.#source, node, this.#issues));
  }
}
