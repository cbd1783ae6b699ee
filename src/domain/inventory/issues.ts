// Collects located inventory issues so every parser can report all problems at once.
import { escapeControl, quoteValue, showValue } from '../input/index.js';
import type { InventoryIssue, SourcePosition } from './types.js';

function positionKey(position: SourcePosition): string {
  return `${position.file}\0${position.line}\0${position.col}`;
}

/** Characters of one issue's message. */
const MAX_MESSAGE_LENGTH = 1024;

/**
 * An ordered, de-duplicated list of issues. A position can be "settled": once a value is known to be
 * wrong at its source (an unset environment variable, say), later complaints about the same value are
 * consequences, not news, and are dropped.
 */
export class IssueList {
  readonly #issues: InventoryIssue[] = [];
  readonly #seen = new Set<string>();
  readonly #settled = new Set<string>();
  readonly #warnings: InventoryIssue[] = [];

  add(position: SourcePosition, rawMessage: string): void {
    // Every message quoting a value should cut it (quoteValue); this bounds any that does not.
    const message =
      rawMessage.length > MAX_MESSAGE_LENGTH ? showValue(rawMessage, MAX_MESSAGE_LENGTH) : rawMessage;
    const at = positionKey(position);
    if (this.#settled.has(at)) return;
    const key = `${at}\0${message}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.#issues.push({ file: position.file, line: position.line, col: position.col, message });
  }

  /** Adds the issue and silences any later one at the same position. */
  settle(position: SourcePosition, message: string): void {
    this.add(position, message);
    this.#settled.add(positionKey(position));
  }

  get size(): number {
    return this.#issues.length;
  }

  /**
   * Something mc accepts, as Ansible does, but that is likely a mistake (`ansible_prot`). Warnings
   * do not make the inventory invalid; `--strict` turns them into errors.
   */
  warn(position: SourcePosition, message: string): void {
    const key = `${positionKey(position)}\0${message}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.#warnings.push({ file: position.file, line: position.line, col: position.col, message });
  }

  /** Warnings, in the order sorted() uses. */
  warnings(): InventoryIssue[] {
    return sortIssues(this.#warnings);
  }

  /** Issues grouped by file (in order of first report), then by line and column. */
  sorted(): InventoryIssue[] {
    return sortIssues(this.#issues);
  }
}

function sortIssues(issues: InventoryIssue[]): InventoryIssue[] {
  const fileOrder = new Map<string, number>();
  for (const issue of issues) if (!fileOrder.has(issue.file)) fileOrder.set(issue.file, fileOrder.size);
  return [...issues].sort(
    (a, b) => (fileOrder.get(a.file) ?? 0) - (fileOrder.get(b.file) ?? 0) || a.line - b.line || a.col - b.col,
  );
}

/** `file:line:col: message`, or just the message for whole-file issues (it names the file itself). */
export function formatIssue(issue: InventoryIssue): string {
  // Messages quote what the file holds: escape it, so no issue can write a terminal escape.
  const message = escapeControl(issue.message);
  return issue.line === 0 ? message : `${escapeControl(issue.file)}:${issue.line}:${issue.col}: ${message}`;
}

/** `file:line:col: warning: message`, as compilers print a warning. */
export function formatWarning(warning: InventoryIssue): string {
  const message = escapeControl(warning.message);
  return warning.line === 0
    ? `warning: ${message}`
    : `${escapeControl(warning.file)}:${warning.line}:${warning.col}: warning: ${message}`;
}

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions ('uesr' is 1 from 'user'). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      const row = d[i];
      if (row) row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The closest candidate to a mistyped key, if one is close enough to be a likely typo. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    // The distance is at least the difference in length: a far longer word (a 20 MiB key) is no typo.
    if (Math.abs(candidate.length - word.length) > 2) continue;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  if (best === undefined) return undefined;
  // Short keys tolerate one edit, longer ones two: 'prot' -> 'port', 'adress' -> 'address'.
  const tolerance = word.length <= 4 ? 1 : 2;
  return best.distance <= tolerance ? best.candidate : undefined;
}

/** Short description of a value for "got ..." in messages: strings cut and escaped (quoteValue). */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (typeof value === 'string') return quoteValue(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return typeof value;
}
