// Every parser of a file mc reads, as a fuzz target: valid seed documents, randomly mutated, must each be
// accepted or refused with located, bounded, escaped issues, in bounded time, never a crash.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseClusterSpec } from '../../src/domain/cluster/spec.js';
import { formatDeployIssue } from '../../src/domain/cluster/validate.js';
import { decodeInput, parseBoundedYaml } from '../../src/domain/input/index.js';
import { formatIssue, parseInventory } from '../../src/domain/inventory/index.js';
import type { InventoryIssue } from '../../src/domain/inventory/types.js';
import { ConfigurationError } from '../../src/transport/errors.js';
import { parseKnownHosts } from '../../src/transport/known-hosts.js';
import { resolveSshConfig } from '../../src/transport/ssh-config.js';

const root = new URL('../../', import.meta.url).pathname;
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** What a parser said about one document: nothing (accepted) or its printed issues, located. */
export interface Verdict {
  issues: { line: number; col: number; printed: string }[];
}

export interface FuzzTarget {
  name: string;
  seeds: string[];
  /**
   * Cases per CI run, chosen so that all targets take about a minute of CPU: the inventory and YAML
   * readers cost 10-30 ms a case (zod, two YAML parses), the line-based ones well under 5 ms.
   */
  ciRuns: number;
  /** Parses `text`; throws only on a bug (the property fails then). */
  parse(text: string): Verdict;
}

const located = (issues: InventoryIssue[], format: (issue: InventoryIssue) => string): Verdict => ({
  issues: issues.map((issue) => ({ line: issue.line, col: issue.col, printed: format(issue) })),
});

function inventory(path: string, text: string, extra: { groupVars?: string } = {}): Verdict {
  const groupVars =
    extra.groupVars === undefined
      ? []
      : [{ group: 'all', path: 'group_vars/all.yml', text: extra.groupVars }];
  const result = parseInventory({ main: { path, text }, groupVars, hostVars: [] }, { MC_SSH_PASSWORD: 'pw' });
  return result.ok ? { issues: [] } : located(result.issues, formatIssue);
}

const SSH_CONFIG_DIR = 'test/fixtures/ssh/config';
const sshConfigSeeds = readdirSync(join(root, SSH_CONFIG_DIR))
  .filter((name) => name.endsWith('.conf'))
  .map((name) => read(join(SSH_CONFIG_DIR, name)));

const knownHostsSeed = [
  '# comment',
  '10.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
  '[10.0.0.2]:2222,node2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl comment',
  '@cert-authority *.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
  '|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
  '',
].join('\n');

export const FUZZ_TARGETS: FuzzTarget[] = [
  {
    name: 'mc inventory',
    ciRuns: 400,
    seeds: [read('inventories/example.yaml'), read('test/fixtures/inventory/mc-full.yaml')],
    parse: (text) => inventory('hosts.yaml', text),
  },
  {
    name: 'Ansible YAML inventory',
    ciRuns: 400,
    seeds: [read('inventories/ansible-example.yml'), read('test/fixtures/inventory/ansible-full.yml')],
    parse: (text) => inventory('hosts.yml', text),
  },
  {
    name: 'Ansible INI inventory',
    ciRuns: 2000,
    seeds: [read('inventories/ansible-example.ini'), read('test/fixtures/inventory/ansible-full.ini')],
    parse: (text) => inventory('hosts.ini', text),
  },
  {
    name: 'group_vars file',
    ciRuns: 400,
    seeds: [
      'ansible_user: ubuntu\nansible_port: 2222\nansible_become: true\nntp: [a, b]\nlimits: {nofile: 1024}\n',
    ],
    parse: (text) => inventory('hosts.yml', 'all:\n  hosts:\n    node1:\n', { groupVars: text }),
  },
  {
    name: 'cluster section',
    ciRuns: 400,
    seeds: [read('test/fixtures/cluster/full.yaml')],
    parse: (text) => {
      const result = parseInventory({ main: { path: 'hosts.yaml', text }, groupVars: [], hostVars: [] }, {});
      if (!result.ok) return located(result.issues, formatIssue);
      const spec = parseClusterSpec(result.inventory);
      if (spec.ok) return { issues: [] };
      // Issues about a host as a whole have no position; the rest must be located.
      return {
        issues: spec.issues
          .filter((issue) => issue.position !== undefined)
          .map((issue) => ({
            line: issue.position?.line ?? 0,
            col: issue.position?.col ?? 0,
            printed: formatDeployIssue(issue),
          })),
      };
    },
  },
  {
    name: 'YAML (bounded reader)',
    ciRuns: 400,
    seeds: [read('test/fixtures/cluster/full.yaml'), 'a: &a [1, 2]\nb: [*a, *a]\nc: {<<: {x: 1}}\n'],
    parse: (text) => {
      const parsed = parseBoundedYaml('file.yaml', text);
      return located(parsed.issues, formatIssue);
    },
  },
  {
    name: 'ssh_config',
    ciRuns: 2000,
    seeds: sshConfigSeeds,
    parse: (text) => {
      try {
        resolveSshConfig('node1', {
          configPath: '/home/u/.ssh/config',
          configText: text,
          readFile: () => undefined,
          listDir: () => [],
          homeDir: '/home/u',
          localUser: 'u',
        });
        return { issues: [] };
      } catch (error) {
        // A bad ssh_config is refused as OpenSSH refuses it: a ConfigurationError naming the file.
        if (!(error instanceof ConfigurationError)) throw error;
        const line = /:(\d+):/.exec(error.message);
        return {
          issues: [
            {
              line: line ? Number(line[1]) : 1,
              col: 1,
              printed: formatIssue({ file: '', line: 0, col: 0, message: error.message }),
            },
          ],
        };
      }
    },
  },
  {
    name: 'known_hosts',
    ciRuns: 2000,
    seeds: [knownHostsSeed],
    parse: (text) => {
      const lines = text.split('\n').length;
      for (const entry of parseKnownHosts(text, 'known_hosts')) {
        if (entry.line < 1 || entry.line > lines) throw new Error(`entry at line ${entry.line} of ${lines}`);
      }
      return { issues: [] };
    },
  },
  {
    name: 'file bytes (UTF-8, size)',
    ciRuns: 2000,
    seeds: [read('inventories/example.yaml')],
    parse: (text) => {
      const result = decodeInput('file', new TextEncoder().encode(text), { maxBytes: 64 * 1024 });
      return result.ok ? { issues: [] } : located([result.issue], formatIssue);
    },
  },
];

// ---- mutations ----------------------------------------------------------------------------------

type Mutation = (lines: string[]) => string[];

const lineIndex = fc.nat();
const at = (lines: string[], index: number): number => (lines.length === 0 ? 0 : index % lines.length);

/** Far past the 60 characters a message shows and the few KiB an issue may take. */
const HUGE = 'x'.repeat(8_000);
const nasty = fc.constantFrom(
  HUGE,
  '\u001b]0;pwned\u0007',
  '\u001b[2J',
  '"; rm -rf / #',
  '$(touch /tmp/pwned)',
  '`id`',
  '-oProxyCommand=touch pwned',
  '\u0000',
  '\ufeff',
  '\u202e',
  '\ud800',
  '&a',
  '*a',
  '<<: *a',
  '!!binary',
  '!vault',
  '{{ x }}',
  '${UNSET_VAR}',
  '[',
  '{',
  '- ',
  ': ',
  '#',
  '\t',
  '\r',
  '...',
  '---',
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  lineIndex.map(
    (i): Mutation =>
      (lines) =>
        lines.filter((_, k) => k !== at(lines, i)),
  ),
  lineIndex.map((i): Mutation => (lines) => {
    const k = at(lines, i);
    return [...lines.slice(0, k + 1), lines[k] ?? '', ...lines.slice(k + 1)];
  }),
  fc
    .tuple(lineIndex, fc.nat(), fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), nasty))
    .map(([i, p, insert]): Mutation => (lines) => {
      const k = at(lines, i);
      const line = lines[k] ?? '';
      const pos = line.length === 0 ? 0 : p % (line.length + 1);
      return lines.map((l, n) => (n === k ? `${line.slice(0, pos)}${insert}${line.slice(pos)}` : l));
    }),
  // Swap a value's type: the text after the first ': ' becomes a list, a map, a number, a bool, null...
  fc
    .tuple(
      lineIndex,
      fc.constantFrom(
        '[]',
        '{}',
        '[1, [2, {a: b}]]',
        '12345678901234567890',
        'true',
        '~',
        '""',
        '-1',
        '0x1F',
        '1e999',
      ),
    )
    .map(([i, value]): Mutation => (lines) => {
      const k = at(lines, i);
      return lines.map((l, n) =>
        n === k && l.includes(': ') ? `${l.slice(0, l.indexOf(': ') + 2)}${value}` : l,
      );
    }),
  // Deep nesting and alias fan-out appended as a new key.
  fc
    .integer({ min: 10, max: 3000 })
    .map((depth): Mutation => (lines) => [...lines, `deep: ${'['.repeat(depth)}${']'.repeat(depth)}`]),
  fc
    .integer({ min: 2, max: 12 })
    .map((levels): Mutation => (lines) => [
      ...lines,
      'l0: &l0 [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: levels },
        (_, n) => `l${n + 1}: &l${n + 1} [${Array(10).fill(`*l${n}`).join(', ')}]`,
      ),
    ]),
  fc.constant<Mutation>((lines) =>
    lines.length === 0 ? ['\ufeff'] : [`\ufeff${lines[0]}`, ...lines.slice(1)],
  ),
  fc.constant<Mutation>((lines) => lines.map((l) => `${l}\r`)),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((s): Mutation => (lines) => [...lines, s]),
);

/** A seed document with 1 to 6 mutations. */
export function mutatedDocument(seeds: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 6 }))
    .map(([seed, mutations]) =>
      mutations.reduce((lines, mutate) => mutate(lines), seed.split('\n')).join('\n'),
    );
}

// ---- the property -------------------------------------------------------------------------------

/** A few KiB per error at most, whatever the input held. */
export const MAX_ISSUE_LENGTH = 4096;
/**
 * Per document. A case takes milliseconds; this is generous because the machine is shared (a GC pause
 * under load took seconds), and still catches what the limits exist for: exponential work.
 */
export const MAX_CASE_MS = 30_000;

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

/** Throws (failing the property) when a verdict breaks a rule; returns what happened for the counts. */
export function checkVerdict(target: FuzzTarget, text: string): 'accepted' | 'refused' {
  const started = performance.now();
  const verdict = target.parse(text);
  const ms = performance.now() - started;
  if (ms > MAX_CASE_MS) throw new Error(`${target.name}: ${Math.round(ms)} ms for one document`);
  // A lone CR ends a line for YAML and for Ansible's INI reader (Python's splitlines) alike.
  const lines = text.split(/\r\n|\n|\r/).length;
  for (const issue of verdict.issues) {
    if (issue.line < 1 || issue.line > lines || issue.col < 1)
      throw new Error(
        `${target.name}: issue at ${issue.line}:${issue.col}, outside the file (${lines} lines): ${issue.printed.slice(0, 200)}`,
      );
    if (issue.printed.length > MAX_ISSUE_LENGTH)
      throw new Error(
        `${target.name}: a ${issue.printed.length}-character issue: ${issue.printed.slice(0, 200)}`,
      );
    if (RAW_CONTROL.test(issue.printed))
      throw new Error(
        `${target.name}: raw control character in ${JSON.stringify(issue.printed.slice(0, 200))}`,
      );
  }
  return verdict.issues.length === 0 ? 'accepted' : 'refused';
}

export interface FuzzReport {
  name: string;
  cases: number;
  accepted: number;
  refused: number;
  ms: number;
}

/** Runs `runs` cases of one target with `seed`; fast-check's error (with seed and path) on a failure. */
export function fuzzTarget(target: FuzzTarget, runs: number, seed: number): FuzzReport {
  const report: FuzzReport = { name: target.name, cases: 0, accepted: 0, refused: 0, ms: 0 };
  const started = performance.now();
  fc.assert(
    fc.property(mutatedDocument(target.seeds), (text) => {
      report.cases += 1;
      report[checkVerdict(target, text)] += 1;
    }),
    { seed, numRuns: runs, endOnFailure: true },
  );
  report.ms = Math.round(performance.now() - started);
  return report;
}
