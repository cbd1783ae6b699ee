// Deploy issues: collecting them (every problem at once, each once) and printing one per line.

import { escapeControl, showValue } from '../input/echo.js';
import type { SourcePosition } from '../inventory/types.js';
import type { DeployIssue } from './types.js';

/**
 * One line: `file:line:col: host: message (hint)`, each part only when the issue has it. A position on line 0
 * (the inventory as a whole) prints as `file: `.
 */
export function formatDeployIssue(issue: DeployIssue): string {
  const { position } = issue;
  const where =
    position === undefined
      ? ''
      : position.line === 0
        ? `${position.file}: `
        : `${position.file}:${position.line}:${position.col}: `;
  const host = issue.host === undefined ? '' : `${issue.host}: `;
  const hint = issue.hint === undefined ? '' : ` (${issue.hint})`;
  // Messages quote the inventory and hosts' facts: escaped, and bounded whatever they quote.
  return escapeControl(showValue(`${where}${host}${issue.message}${hint}`, MAX_ISSUE_LENGTH));
}

/** Characters of one printed issue. */
const MAX_ISSUE_LENGTH = 2048;

function keyOf(issue: DeployIssue): string {
  const at =
    issue.position === undefined ? '' : `${issue.position.file}:${issue.position.line}:${issue.position.col}`;
  return [at, issue.host ?? '', issue.message].join('\0');
}

/** Issues in the order they were found, without repeats. */
export class DeployIssues {
  readonly #issues: DeployIssue[] = [];
  readonly #seen = new Set<string>();

  add(message: string, where: { position?: SourcePosition; host?: string; hint?: string } = {}): void {
    const issue: DeployIssue = { message };
    if (where.position !== undefined) issue.position = where.position;
    if (where.host !== undefined) issue.host = where.host;
    if (where.hint !== undefined) issue.hint = where.hint;
    const key = keyOf(issue);
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.#issues.push(issue);
  }

  get size(): number {
    return this.#issues.length;
  }

  list(): DeployIssue[] {
    return [...this.#issues];
  }

  /** Issues with a position first, by line and column (a stable sort: equal positions keep their order). */
  sorted(): DeployIssue[] {
    const rank = (issue: DeployIssue): [number, number] =>
      issue.position === undefined ? [Number.MAX_SAFE_INTEGER, 0] : [issue.position.line, issue.position.col];
    return [...this.#issues].sort((a, b) => {
      const [lineA, colA] = rank(a);
      const [lineB, colB] = rank(b);
      return lineA - lineB || colA - colB;
    });
  }
}

/** `a, b and c`. */
export function listWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1) ?? ''}`;
}
