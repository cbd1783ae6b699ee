// Fault injection: per host (or every host) and per command pattern, a rule says what goes wrong and how
// often. The dispatcher asks the plan before running a command; programs never see faults.

export type FaultAction =
  /** The command does not run; the caller gets this result instead. */
  | { kind: 'fail'; exitCode: number; stdout: string; stderr: string }
  /** The command never returns; it ends only when the caller aborts (its SSH timeout). */
  | { kind: 'hang' }
  /** The command runs, `delayMs` of modelled time later than it otherwise would. */
  | { kind: 'slow'; delayMs: number }
  /**
   * The SSH connection drops. `before`: the command never ran. `after`: it ran (and changed state) but its
   * output was lost. Either way the caller sees `connectionDropped` and exit code 255, like ssh reports it.
   */
  | { kind: 'drop'; when: 'before' | 'after' };

/**
 * A command pattern: a string is a word prefix of the command line, compared word by word with the first
 * word matched by basename (`microceph cluster join` matches `/snap/bin/microceph cluster join TOKEN`);
 * a RegExp is tested against the whole command line joined with spaces.
 */
export type CommandPattern = string | RegExp;

export interface FaultRule {
  id: number;
  /** Host name the rule applies to; null for every host. */
  host: string | null;
  pattern: CommandPattern;
  action: FaultAction;
  /** Remaining number of applications; null means always. */
  remaining: number | null;
  /** How many times the rule applied so far. */
  hits: number;
}

export interface FaultOptions {
  /** How many times the fault applies before it is used up; default once for `fail`, always otherwise. */
  times?: number | 'always';
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function matchesPattern(pattern: CommandPattern, argv: readonly string[]): boolean {
  const words = argv.map((word, index) => (index === 0 ? basename(word) : word));
  if (pattern instanceof RegExp) return pattern.test(words.join(' '));
  const wanted = pattern.trim().split(/\s+/);
  return wanted.every((word, index) => words[index] === word);
}

export class FaultPlan {
  private readonly rules: FaultRule[] = [];
  private sequence = 0;

  add(
    host: string | null,
    pattern: CommandPattern,
    action: FaultAction,
    times: number | 'always',
  ): FaultRule {
    if (times !== 'always' && (!Number.isInteger(times) || times < 1)) {
      throw new RangeError(`fault times must be a positive integer or 'always', got ${String(times)}`);
    }
    const rule: FaultRule = {
      id: ++this.sequence,
      host,
      pattern,
      action,
      remaining: times === 'always' ? null : times,
      hits: 0,
    };
    this.rules.push(rule);
    return rule;
  }

  /** The command fails without running: exit 1 and `stderr` unless given otherwise. */
  failOnce(
    host: string | null,
    pattern: CommandPattern,
    result: Partial<Omit<FaultAction & { kind: 'fail' }, 'kind'>> = {},
  ): FaultRule {
    return this.add(host, pattern, failAction(result), 1);
  }

  failAlways(
    host: string | null,
    pattern: CommandPattern,
    result: Partial<Omit<FaultAction & { kind: 'fail' }, 'kind'>> = {},
  ): FaultRule {
    return this.add(host, pattern, failAction(result), 'always');
  }

  hang(host: string | null, pattern: CommandPattern, options: FaultOptions = {}): FaultRule {
    return this.add(host, pattern, { kind: 'hang' }, options.times ?? 'always');
  }

  slowDown(
    host: string | null,
    pattern: CommandPattern,
    delayMs: number,
    options: FaultOptions = {},
  ): FaultRule {
    if (!(delayMs >= 0)) throw new RangeError(`delay must be >= 0, got ${delayMs}`);
    return this.add(host, pattern, { kind: 'slow', delayMs }, options.times ?? 'always');
  }

  dropConnection(
    host: string | null,
    pattern: CommandPattern,
    options: FaultOptions & { when?: 'before' | 'after' } = {},
  ): FaultRule {
    return this.add(host, pattern, { kind: 'drop', when: options.when ?? 'before' }, options.times ?? 1);
  }

  remove(rule: FaultRule | number): void {
    const id = typeof rule === 'number' ? rule : rule.id;
    const index = this.rules.findIndex((r) => r.id === id);
    if (index >= 0) this.rules.splice(index, 1);
  }

  clear(): void {
    this.rules.length = 0;
  }

  list(): readonly FaultRule[] {
    return this.rules;
  }

  /** The actions that apply to this command, consuming one use of each matching rule. */
  take(host: string, argv: readonly string[]): FaultAction[] {
    const actions: FaultAction[] = [];
    for (const rule of [...this.rules]) {
      if (rule.host !== null && rule.host !== host) continue;
      if (!matchesPattern(rule.pattern, argv)) continue;
      rule.hits += 1;
      actions.push(rule.action);
      if (rule.remaining !== null) {
        rule.remaining -= 1;
        if (rule.remaining <= 0) this.remove(rule);
      }
    }
    return actions;
  }
}

function failAction(result: Partial<Omit<FaultAction & { kind: 'fail' }, 'kind'>>): FaultAction {
  return {
    kind: 'fail',
    exitCode: result.exitCode ?? 1,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? 'injected failure\n',
  };
}
