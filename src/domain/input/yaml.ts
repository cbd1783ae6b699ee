// YAML within limits: parse one document, then measure it as it would be built (aliases expanded)
// before anything builds it. A document over a limit gets one issue, at the node where it went over.
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, DocumentOptions, Node, ParseOptions, SchemaOptions } from 'yaml';
import { DEFAULT_INPUT_LIMITS, type InputLimits } from './limits.js';
import type { InputIssue } from './types.js';

export type YamlParseOptions = ParseOptions & DocumentOptions & SchemaOptions;

export interface BoundedYaml {
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** Syntax errors first (the first line of each), or the one limit issue. */
  issues: InputIssue[];
  /** No syntax error and within every limit: safe to build (doc.toJS / toPlainYaml). */
  ok: boolean;
  /**
   * Over a limit (or an alias without its anchor): `issues` holds that one issue, and the document
   * must not even be walked.
   */
  overLimit: boolean;
}

interface Measure {
  /** Nodes in the subtree, aliases expanded, saturating just above the limit. */
  nodes: number;
  /** Alias expansions in the subtree, nested ones included, saturating. */
  aliases: number;
  /** Levels of maps and lists below and including this node, aliases expanded. */
  depth: number;
}

const LEAF: Measure = { nodes: 1, aliases: 0, depth: 0 };

function childrenOf(node: unknown): unknown[] {
  if (isMap(node) || isSeq(node)) return node.items as unknown[];
  if (isPair(node)) return [node.key, node.value];
  return [];
}

/**
 * Measures `doc` against `limits` in document order, the order building follows: the first node at
 * which the running count of nodes or alias expansions, or the depth, exceeds a limit is reported.
 * An alias without an anchor before it is reported too: building would fail there.
 * Returns undefined when the document is within every limit.
 */
export function checkYamlLimits(
  file: string,
  doc: Document.Parsed,
  lineCounter: LineCounter,
  limits: InputLimits = DEFAULT_INPUT_LIMITS,
): InputIssue | undefined {
  const cap = (n: number, limit: number): number => Math.min(n, limit + 1);
  const memo = new Map<unknown, Measure>();
  const inProgress = new Set<unknown>();

  // The whole subtree of an anchored node, for the aliases that repeat it. Nesting is bounded by the
  // parser (it reports a stack overflow as a syntax error), so recursion here is safe.
  const measure = (node: unknown): Measure => {
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (target === undefined || inProgress.has(target)) return { nodes: 1, aliases: 1, depth: 0 };
      const inner = measure(target);
      return {
        nodes: inner.nodes,
        aliases: cap(inner.aliases + 1, limits.maxAliasCount),
        depth: inner.depth,
      };
    }
    const known = memo.get(node);
    if (known !== undefined) return known;
    if (!isMap(node) && !isSeq(node) && !isPair(node)) return LEAF;
    inProgress.add(node);
    const total: Measure = { nodes: isPair(node) ? 0 : 1, aliases: 0, depth: 0 };
    for (const child of childrenOf(node)) {
      if (child === null || child === undefined) continue;
      const inner = measure(child);
      total.nodes = cap(total.nodes + inner.nodes, limits.maxNodes);
      total.aliases = cap(total.aliases + inner.aliases, limits.maxAliasCount);
      total.depth = Math.max(total.depth, inner.depth);
    }
    if (!isPair(node)) total.depth += 1;
    inProgress.delete(node);
    memo.set(node, total);
    return total;
  };

  const at = (node: Node, message: string): InputIssue => {
    const { line, col } = lineCounter.linePos(node.range?.[0] ?? 0);
    return { file, line, col, message };
  };

  let nodes = 0;
  let aliases = 0;
  // Document order with an explicit stack: [node, depth of the collection holding it].
  const stack: [unknown, number][] = [[doc.contents, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() ?? [null, 0];
    if (node === null || node === undefined) continue;
    if (isPair(node)) {
      stack.push([node.value, depth], [node.key, depth]);
      continue;
    }
    if (!isAlias(node) && !isScalar(node) && !isMap(node) && !isSeq(node)) continue;
    if (isAlias(node)) {
      if (node.resolve(doc) === undefined) {
        return at(
          node,
          `YAML alias *${node.source} has no anchor &${node.source} before it (define the anchor first)`,
        );
      }
      const expanded = measure(node);
      aliases += expanded.aliases;
      nodes += expanded.nodes;
      if (aliases > limits.maxAliasCount) {
        return at(
          node,
          `YAML alias *${node.source} takes the document over ${limits.maxAliasCount} alias expansions, the limit (a "billion laughs" document? use fewer aliases)`,
        );
      }
      if (nodes > limits.maxNodes) {
        return at(
          node,
          `YAML alias *${node.source} expands the document to more than ${limits.maxNodes} values, the limit (use fewer aliases)`,
        );
      }
      if (depth + expanded.depth > limits.maxDepth) {
        return at(
          node,
          `YAML alias *${node.source} nests the document deeper than ${limits.maxDepth} levels, the limit`,
        );
      }
      continue;
    }
    nodes += 1;
    if (nodes > limits.maxNodes) {
      return at(
        node,
        `the document holds more than ${limits.maxNodes} values, the limit (split it into smaller files)`,
      );
    }
    if (isMap(node) || isSeq(node)) {
      if (depth + 1 > limits.maxDepth) {
        return at(node, `the document nests deeper than ${limits.maxDepth} levels, the limit`);
      }
      const items = node.items as unknown[];
      for (let index = items.length - 1; index >= 0; index--) stack.push([items[index], depth + 1]);
    }
  }
  return undefined;
}

/**
 * Parses one YAML document (a second document in the file is a syntax error) and checks it against
 * `limits`. `options` go to the yaml package as they are (version, schema, customTags...); limits
 * override nothing in them but maxAliasCount, which building (toJS) must then use too.
 */
export function parseBoundedYaml(
  file: string,
  text: string,
  options: YamlParseOptions = {},
  limits: InputLimits = DEFAULT_INPUT_LIMITS,
): BoundedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    prettyErrors: false,
    // The library would otherwise print its warnings to stderr.
    logLevel: 'error',
    ...options,
    lineCounter,
  });
  let overLimit = false;
  const issues: InputIssue[] = doc.errors.map((error) => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const first = error.message.split('\n')[0] ?? error.message;
    // The parser recurses per nesting level and reports running out of stack as an error.
    if (!/Maximum call stack size exceeded/.test(first))
      return { file, line, col, message: `YAML syntax error: ${first}` };
    overLimit = true;
    return {
      file,
      line,
      col,
      message: `the document nests deeper than ${limits.maxDepth} levels, the limit`,
    };
  });
  if (overLimit)
    return {
      doc,
      lineCounter,
      issues: issues.filter((issue) => !issue.message.startsWith('YAML')),
      ok: false,
      overLimit,
    };
  if (issues.length > 0) return { doc, lineCounter, issues, ok: false, overLimit };
  const limitIssue = checkYamlLimits(file, doc, lineCounter, limits);
  return limitIssue === undefined
    ? { doc, lineCounter, issues, ok: true, overLimit: false }
    : { doc, lineCounter, issues: [limitIssue], ok: false, overLimit: true };
}

/**
 * The plain value of a document parseBoundedYaml found ok (with the same limits); an alias to a
 * missing anchor, which only building finds, throws a ReferenceError with yaml's message.
 */
export function toPlainYaml(doc: Document.Parsed, limits: InputLimits = DEFAULT_INPUT_LIMITS): unknown {
  return doc.toJS({ maxAliasCount: limits.maxAliasCount }) as unknown;
}
