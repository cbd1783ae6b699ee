// YAML parsing with positions, shared by the mc format, Ansible YAML and group_vars/host_vars files.
import { isAlias, isMap, isScalar, isSeq, visit } from 'yaml';
import type { Document, LineCounter, Node, Pair, ScalarTag, Tags, YAMLMap } from 'yaml';
import { DEFAULT_INPUT_LIMITS, parseBoundedYaml } from '../input/index.js';
import type { IssueList } from './issues.js';
import type { SourcePosition } from './types.js';

export interface YamlFile {
  file: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** False after a syntax error: the structure is then a guess, and validating it only adds noise. */
  syntaxOk: boolean;
}

/** One key of a map, with aliases resolved and `<<` merge keys expanded. */
export interface MapEntry {
  key: string;
  keyNode: Node;
  /** The value node, aliases resolved; null when the key has no value at all. */
  value: Node | null;
}

// PyYAML, which Ansible uses, reads yes/no/on/off/true/false as booleans but not y/n, unlike the
// yaml package's YAML 1.1 schema: `answer: y` must stay the string 'y'.
const PYYAML_TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const PYYAML_FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;

function withPyYamlBooleans(tags: Tags): Tags {
  return tags.map((tag): Tags[number] => {
    if (typeof tag === 'string' || tag.collection !== undefined || tag.tag !== 'tag:yaml.org,2002:bool')
      return tag;
    const scalarTag: ScalarTag = { ...tag, test: tag.identify?.(true) === true ? PYYAML_TRUE : PYYAML_FALSE };
    return scalarTag;
  });
}

/**
 * Parses one YAML document. `version` is '1.1' for Ansible files (PyYAML semantics: yes/no are
 * booleans, 0755 is octal) and '1.2' for mc's own format. Syntax errors, unsupported tags and
 * duplicate keys go to `issues`; the document is returned anyway so validation can go on.
 */
export function parseYamlFile(
  file: string,
  text: string,
  version: '1.1' | '1.2',
  issues: IssueList,
): YamlFile {
  const {
    doc,
    lineCounter,
    issues: parseIssues,
    ok,
    overLimit,
  } = parseBoundedYaml(file, text, {
    uniqueKeys: false,
    merge: true,
    version,
    ...(version === '1.1' ? { customTags: withPyYamlBooleans } : {}),
  });
  // Over a limit, the one issue is all there is to say: the rest of the document is not looked at.
  const source: YamlFile = { file, doc, lineCounter, syntaxOk: ok };
  for (const issue of parseIssues) issues.add(issue, issue.message);
  if (overLimit) return source;
  for (const warning of doc.warnings) {
    // Local tags (!vault, !unsafe, ...) are judged one by one below, where their value is known.
    if (warning.code === 'TAG_RESOLVE_FAILED' && warning.message.includes('Unresolved tag: !')) continue;
    const message = warning.message.replace(
      /^Unresolved tag: tag:yaml\.org,2002:(\S+)$/,
      'unsupported YAML tag !!$1 (remove the tag)',
    );
    issues.add(positionAt(source, warning.pos[0]), message);
  }
  visit(doc, {
    Node(_key, node) {
      if (node.tag === '!vault') {
        issues.settle(
          tagPosition(source, text, node),
          'ansible-vault values are not supported: mc cannot decrypt them (use ${ENV_VAR} substitution for secrets)',
        );
      } else if (node.tag?.startsWith('!') === true && !node.tag.startsWith('!!') && node.tag !== '!unsafe') {
        // !unsafe only switches off Jinja templating in Ansible; mc never templates, so it is harmless.
        issues.add(tagPosition(source, text, node), `unsupported YAML tag ${node.tag} (remove the tag)`);
      }
    },
    Map(_key, map) {
      reportDuplicateKeys(source, map, issues);
    },
  });
  return source;
}

/**
 * Where a node's local tag (`!vault`) is written. The node's own range starts after its tag, so look
 * back for the tag text; keeping the value's position when it is not found right before it.
 */
function tagPosition(source: YamlFile, text: string, node: Node): SourcePosition {
  const valueStart = node.range?.[0] ?? 0;
  const tagStart = node.tag === undefined ? -1 : text.lastIndexOf(node.tag, valueStart);
  const between = tagStart < 0 ? '' : text.slice(tagStart + (node.tag?.length ?? 0), valueStart);
  return positionAt(source, tagStart >= 0 && /^\s*$/.test(between) ? tagStart : valueStart);
}

function positionAt(source: YamlFile, offset: number): SourcePosition {
  const { line, col } = source.lineCounter.linePos(offset);
  return { file: source.file, line, col };
}

export function positionOf(source: YamlFile, node: Node | null | undefined): SourcePosition {
  return positionAt(source, node?.range?.[0] ?? 0);
}

/**
 * Where to point for a value: the value itself, or its key when the value is missing (`port:` with
 * nothing after it has a zero-width node at the end of the line, which is a confusing place to point).
 */
export function valuePosition(source: YamlFile, entry: MapEntry): SourcePosition {
  const missing = entry.value === null || (isScalar(entry.value) && entry.value.value === null);
  return positionOf(source, missing ? entry.keyNode : entry.value);
}

/** A key as the user wrote it: `yes:` or `0755:` stay text even where YAML 1.1 would retype them. */
export function keyText(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  if (typeof key.value === 'string') return key.value;
  if (typeof key.source === 'string' && key.source !== '') return key.source;
  return typeof key.value === 'number' || typeof key.value === 'boolean' ? String(key.value) : undefined;
}

function isMergePair(pair: Pair): boolean {
  if (!isScalar(pair.key)) return false;
  const value = pair.key.value;
  return (
    (typeof value === 'symbol' && value.description === '<<') || (value === '<<' && pair.key.type === 'PLAIN')
  );
}

function resolveNode(source: YamlFile, node: unknown): Node | null {
  if (isAlias(node)) return (node.resolve(source.doc) as Node | undefined) ?? null;
  if (isMap(node) || isSeq(node) || isScalar(node)) return node;
  return null;
}

/**
 * The entries of a map in document order, with `<<: *anchor` merges expanded in place (explicit keys
 * win over merged ones, earlier merge sources over later ones, as YAML's merge spec says).
 */
export function mapEntries(source: YamlFile, map: YAMLMap, issues: IssueList): MapEntry[] {
  return collectEntries(source, map, issues, new Set());
}

function collectEntries(
  source: YamlFile,
  map: YAMLMap,
  issues: IssueList,
  visiting: Set<YAMLMap>,
): MapEntry[] {
  if (visiting.has(map)) return [];
  visiting.add(map);
  const explicitKeys = new Set<string>();
  for (const pair of map.items) {
    const key = keyText(pair.key);
    if (!isMergePair(pair) && key !== undefined) explicitKeys.add(key);
  }
  const entries: MapEntry[] = [];
  const mergedKeys = new Set<string>();
  for (const pair of map.items) {
    if (isMergePair(pair)) {
      const target = resolveNode(source, pair.value);
      const sources = isSeq(target) ? target.items.map((item) => resolveNode(source, item)) : [target];
      for (const merged of sources) {
        if (!isMap(merged)) {
          issues.add(positionOf(source, pair.value as Node), 'a YAML merge key (<<) must refer to a map');
          continue;
        }
        for (const entry of collectEntries(source, merged, issues, visiting)) {
          if (explicitKeys.has(entry.key) || mergedKeys.has(entry.key)) continue;
          mergedKeys.add(entry.key);
          entries.push(entry);
        }
      }
      continue;
    }
    const key = keyText(pair.key);
    if (key === undefined) {
      issues.add(positionOf(source, pair.key as Node), 'map keys must be plain names, not lists or maps');
      continue;
    }
    entries.push({ key, keyNode: pair.key as Node, value: resolveNode(source, pair.value) });
  }
  visiting.delete(map);
  return entries;
}

/** Plain JavaScript value of a node; a bad alias or merge inside becomes an issue and `undefined`. */
export function toPlain(source: YamlFile, node: Node | null, issues: IssueList): unknown {
  if (node === null) return null;
  try {
    return node.toJS(source.doc, { maxAliasCount: DEFAULT_INPUT_LIMITS.maxAliasCount }) as unknown;
  } catch (error) {
    issues.add(positionOf(source, node), `invalid YAML value: ${(error as Error).message}`);
    return undefined;
  }
}

/** The node a data path (as zod reports it) points to, following aliases and merges; null if absent. */
export function nodeAtPath(
  source: YamlFile,
  path: readonly PropertyKey[],
  issues: IssueList,
): { node: Node | null; entry?: MapEntry } {
  let node = resolveNode(source, source.doc.contents);
  let entry: MapEntry | undefined;
  for (const segment of path) {
    if (isMap(node)) {
      entry = mapEntries(source, node, issues).findLast((candidate) => candidate.key === String(segment));
      node = entry?.value ?? null;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = resolveNode(source, node.items[segment]);
      entry = undefined;
    } else {
      node = null;
      entry = undefined;
    }
    if (node === null && entry === undefined) return { node: null };
  }
  return entry === undefined ? { node } : { node, entry };
}

function reportDuplicateKeys(source: YamlFile, map: YAMLMap, issues: IssueList): void {
  const firstSeen = new Map<string, Node>();
  for (const pair of map.items) {
    if (isMergePair(pair)) continue;
    const key = keyText(pair.key);
    if (key === undefined) continue;
    const first = firstSeen.get(key);
    if (first === undefined) {
      firstSeen.set(key, pair.key as Node);
      continue;
    }
    const firstLine = positionOf(source, first).line;
    issues.add(
      positionOf(source, pair.key as Node),
      `duplicate key '${key}' (already defined at line ${firstLine}; YAML keys must be unique)`,
    );
  }
}
