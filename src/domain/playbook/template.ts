// Jinja2 templating as ansible-core 2.14 does it, on @huggingface/jinja: an interpreter over its own value
// types, so a template reaches nothing of JavaScript (no constructors, no prototypes, no globals), with
// Ansible's filters and tests, Python's printing of values, Ansible's undefined-variable errors and its
// rule that a rendered "[...]", "{...}", "True" or "False" becomes that value again.
import * as jinja from '@huggingface/jinja';
import { parsePythonLiteral } from '../inventory/python-literal.js';
import { FILTERS, pyEqual, REFUSED_FUNCTIONS, TESTS, TemplateError, UNDEFINED } from './filters.js';
import type { Kwargs, Value } from './filters.js';
import { pyStr, pyTruthy } from './python-repr.js';

export { TemplateError, UNDEFINED } from './filters.js';

/** The library's API as mc uses it: its .d.ts files import without extensions, which NodeNext cannot follow. */
interface Environment {
  set(name: string, value: unknown): unknown;
  lookupVariable(name: string): unknown;
}
interface Program {
  body: unknown[];
}
interface JinjaModule {
  Environment: new () => Environment;
  Interpreter: new (env: Environment) => object;
  tokenize: (source: string, options?: { trim_blocks?: boolean; lstrip_blocks?: boolean }) => unknown[];
  parse: (tokens: unknown[]) => Program;
}
const { Environment, Interpreter, parse, tokenize } = jinja as unknown as JinjaModule;

/** The parts of @huggingface/jinja's AST and values this module reads (its .d.ts keeps them private). */
interface Node {
  type: string;
  value?: unknown;
  operand?: Node;
  filter?: Node;
  callee?: Node;
  args?: Node[];
  key?: Node;
  test?: Node;
  negate?: boolean;
  object?: Node;
  property?: Node;
  computed?: boolean;
  operator?: Node;
  left?: Node;
  right?: Node;
}
interface RuntimeValue {
  type: string;
  value: unknown;
}
interface InterpreterInternals {
  evaluate(node: unknown, environment: Environment): RuntimeValue;
  renderIf(node: unknown, environment: Environment): string;
  renderFor(node: unknown, environment: Environment): string;
  executeSet(node: unknown, environment: Environment): void;
}
// The interpreter's internals are typed private; mc relies on them at an exact, pinned version (package.json).
const BaseInterpreter = Interpreter as unknown as new (env: Environment) => InterpreterInternals;

const STRING_TYPE_FILTERS = new Set(['string', 'to_json', 'to_nice_json', 'to_yaml', 'to_nice_yaml']);

/** A variable's value, or UNDEFINED. */
export type VariableLookup = (name: string) => Value;

/** Carries the message an undefined value reports if it is printed or used. */
const undefinedWhy = new WeakMap<object, string>();

function isTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('{%') || text.includes('{#');
}

const programs = new Map<string, Program>();
const MAX_CACHED_PROGRAMS = 2000;

/**
 * Ansible doubles every backslash in the string literals of `{{ }}` (templar's _escape_backslashes), so that
 * `regex_replace('(\\w+)', '\\1')` in YAML means what it says: inside `{{ }}` a backslash is itself.
 */
function escapeBackslashes(text: string): string {
  if (!text.includes('\\') || !text.includes('{{')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) break;
    out += text.slice(i, open + 2);
    let j = open + 2;
    let quote: string | undefined;
    for (; j < text.length; j++) {
      const ch = text[j] as string;
      if (quote === undefined && text.startsWith('}}', j)) break;
      if (quote !== undefined && ch === '\\') {
        out += '\\\\';
        continue;
      }
      if (quote === undefined && (ch === "'" || ch === '"')) quote = ch;
      else if (ch === quote) quote = undefined;
      out += ch;
    }
    i = j;
  }
  return out + text.slice(i);
}

function compile(text: string): Program {
  let program = programs.get(text);
  if (program === undefined) {
    try {
      program = parse(tokenize(escapeBackslashes(text), { trim_blocks: true }));
    } catch (err) {
      throw new TemplateError(`template error while templating string: ${(err as Error).message}`);
    }
    if (programs.size >= MAX_CACHED_PROGRAMS) programs.clear();
    programs.set(text, program);
  }
  return program;
}

function toPlain(v: RuntimeValue): Value {
  switch (v.type) {
    case 'IntegerValue':
    case 'FloatValue':
    case 'StringValue':
    case 'BooleanValue':
      return v.value;
    case 'NullValue':
      return null;
    case 'UndefinedValue':
      return UNDEFINED;
    case 'ArrayValue':
    case 'TupleValue':
      return (v.value as RuntimeValue[]).map(toPlain);
    case 'ObjectValue':
    case 'KeywordArgumentsValue':
    case 'NamespaceValue': {
      const out: Record<string, Value> = {};
      for (const [k, item] of v.value as Map<string, RuntimeValue>)
        Object.defineProperty(out, k, { value: toPlain(item), enumerable: true, writable: true });
      return out;
    }
    default:
      throw new TemplateError(`a ${v.type.replace(/Value$/, '').toLowerCase()} cannot be used as a value`);
  }
}

function withoutUndefined(v: Value): unknown {
  if (v === UNDEFINED) return undefined;
  if (Array.isArray(v)) return v.map(withoutUndefined);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v))
      Object.defineProperty(out, k, { value: withoutUndefined(item), enumerable: true, writable: true });
    return out;
  }
  return v;
}

function toRuntime(v: Value): RuntimeValue {
  return new Environment().set('value', withoutUndefined(v)) as RuntimeValue;
}

function undefinedMessage(v: RuntimeValue): string {
  return undefinedWhy.get(v) ?? 'a variable is undefined';
}

function nameOf(node: Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (node.type === 'Identifier') return node.value as string;
  if (node.type === 'CallExpression') return nameOf(node.callee);
  return undefined;
}

class AnsibleInterpreter extends BaseInterpreter {
  constructor(
    env: Environment,
    private readonly lookup: VariableLookup,
  ) {
    super(env);
  }

  private undefinedValue(why: string): RuntimeValue {
    const value = toRuntime(UNDEFINED);
    undefinedWhy.set(value, why);
    return value;
  }

  private callArguments(nodes: Node[], environment: Environment): { args: Value[]; kwargs: Kwargs } {
    const args: Value[] = [];
    const kwargs: Kwargs = {};
    for (const node of nodes) {
      if (node.type === 'KeywordArgumentExpression') {
        kwargs[(node.key as Node).value as string] = toPlain(this.evaluate(node.value, environment));
      } else args.push(toPlain(this.evaluate(node, environment)));
    }
    return { args, kwargs };
  }

  override evaluate(statement: unknown, environment: Environment): RuntimeValue {
    const node = statement as Node;
    switch (node.type) {
      case 'Identifier': {
        const name = node.value as string;
        const local = environment.lookupVariable(name) as RuntimeValue;
        if (local.type !== 'UndefinedValue') return local;
        const found = this.lookup(name);
        return found === UNDEFINED ? this.undefinedValue(`'${name}' is undefined`) : toRuntime(found);
      }
      case 'MemberExpression': {
        const object = this.evaluate(node.object, environment);
        if (object.type === 'UndefinedValue') return object;
        const result = super.evaluate(statement, environment);
        if (result.type === 'UndefinedValue') {
          const property = node.computed ? '' : String((node.property as Node).value);
          const kind = object.type === 'ObjectValue' ? 'dict object' : pyStr(toPlain(object)).slice(0, 40);
          undefinedWhy.set(result, `'${kind}' has no attribute '${property}'`);
        }
        return result;
      }
      case 'FilterExpression': {
        const name = nameOf(node.filter) as string;
        const filter = FILTERS[name];
        if (filter === undefined) throw new TemplateError(`no filter named '${name}'`);
        const operand = toPlain(this.evaluate(node.operand, environment));
        if (operand === UNDEFINED && name !== 'default' && name !== 'd' && name !== 'mandatory')
          throw new TemplateError(undefinedMessage(this.evaluate(node.operand, environment)));
        const call = node.filter?.type === 'CallExpression' ? (node.filter.args ?? []) : [];
        const { args, kwargs } = this.callArguments(call, environment);
        return toRuntime(filter(operand, args, kwargs));
      }
      case 'TestExpression': {
        const name = nameOf(node.test) as string;
        const test = TESTS[name];
        if (test === undefined) throw new TemplateError(`no test named '${name}'`);
        const operand = this.evaluate(node.operand, environment);
        if (operand.type === 'UndefinedValue' && name !== 'defined' && name !== 'undefined')
          throw new TemplateError(undefinedMessage(operand));
        const result = test(toPlain(operand), []);
        return toRuntime(node.negate === true ? !result : result);
      }
      case 'BinaryExpression': {
        // The library compares with JavaScript's == (1 == "1", [1] != [1]); Jinja2 uses Python's.
        const operator = (node.operator as Node).value as string;
        if (!['==', '!=', 'in', 'not in'].includes(operator)) return super.evaluate(statement, environment);
        const left = this.evaluate(node.left, environment);
        const right = this.evaluate(node.right, environment);
        if (left.type === 'UndefinedValue' || right.type === 'UndefinedValue')
          return super.evaluate(statement, environment);
        if (operator === '==' || operator === '!=') {
          const equal = pyEqual(toPlain(left), toPlain(right));
          return toRuntime(operator === '==' ? equal : !equal);
        }
        if (right.type !== 'ArrayValue') return super.evaluate(statement, environment);
        const item = toPlain(left);
        const member = (toPlain(right) as Value[]).some((x) => pyEqual(item, x));
        return toRuntime(operator === 'in' ? member : !member);
      }
      case 'CallExpression': {
        const name = nameOf(node.callee);
        if (name !== undefined && Object.hasOwn(REFUSED_FUNCTIONS, name))
          throw new TemplateError(`${name}(): ${REFUSED_FUNCTIONS[name]}`);
        return super.evaluate(statement, environment);
      }
      default:
        return super.evaluate(statement, environment);
    }
  }

  /** Jinja2's output: Python's str() of each value; an undefined value is an error, as under Ansible. */
  renderBlock(statements: Node[], environment: Environment): string {
    let out = '';
    for (const statement of statements) {
      switch (statement.type) {
        case 'If':
          out += this.renderIf(statement, environment);
          break;
        case 'For':
          out += this.renderFor(statement, environment);
          break;
        case 'Set':
          this.executeSet(statement, environment);
          break;
        case 'Comment':
          break;
        case 'Macro':
          this.evaluate(statement, environment);
          break;
        default: {
          const value = this.evaluate(statement, environment);
          if (value.type === 'UndefinedValue') throw new TemplateError(undefinedMessage(value));
          // Ansible's finalize: None prints as nothing.
          if (value.type !== 'NullValue') out += pyStr(toPlain(value));
        }
      }
    }
    return out;
  }

  renderProgram(program: Program): string {
    return this.renderBlock((program as unknown as { body: Node[] }).body, this.globalEnvironment());
  }

  private globalEnvironment(): Environment {
    return (this as unknown as { global: Environment }).global;
  }
}

function newEnvironment(): Environment {
  const env = new Environment();
  for (const [name, value] of [
    ['true', true],
    ['false', false],
    ['none', null],
    ['True', true],
    ['False', false],
    ['None', null],
  ] as const)
    env.set(name, value);
  env.set('range', (start: number, stop?: number, step = 1): number[] => {
    const [from, to] = stop === undefined ? [0, start] : [start, stop];
    if (!Number.isInteger(from) || !Number.isInteger(to) || !Number.isInteger(step) || step === 0)
      throw new TemplateError('range() takes integers and a non-zero step');
    if (Math.abs((to - from) / step) > 100_000) throw new TemplateError('range() too large');
    const out: number[] = [];
    for (let i = from; step > 0 ? i < to : i > to; i += step) out.push(i);
    return out;
  });
  return env;
}

function trailingNewlines(text: string): number {
  return text.length - text.replace(/\n+$/, '').length;
}

/** out with the trailing newlines the template had and Jinja2 dropped. */
function withNewlinesOf(template: string, out: string): string {
  const missing = trailingNewlines(template) - trailingNewlines(out);
  return missing > 0 ? out + '\n'.repeat(missing) : out;
}

/** Renders templates against one set of variables. */
export class Templar {
  constructor(private readonly lookup: VariableLookup) {}

  /**
   * A string through Jinja2, as Ansible's templar does: text without template syntax is returned as it is;
   * a result that reads as a Python list, dict or boolean becomes that value.
   */
  render(text: string): Value {
    if (!isTemplate(text)) return text;
    // Templar's SINGLE_VAR shortcut: "{{ name }}" of a boolean, number or None is that value, not its text.
    const single = /^\{\{\s*(\w*)\s*\}\}$/.exec(text);
    if (single !== null) {
      const value = this.lookup(single[1] as string);
      if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
    }
    // Jinja2 has dropped one trailing newline; the text is read back as a value before Ansible's do_template
    // (preserve_trailing_newlines) puts back the newlines of a string result: "{{ true }}\n" is True.
    const out = this.renderJinja(text);
    const body = compile(text).body as Node[];
    const only = body.length === 1 ? body[0] : undefined;
    // Ansible's C.STRING_TYPE_FILTERS: their text is what the user asked for, never read back.
    if (only?.type === 'FilterExpression' && STRING_TYPE_FILTERS.has(nameOf(only.filter) ?? ''))
      return withNewlinesOf(text, out);
    if (out.startsWith('[') || out.startsWith('{') || out === 'True' || out === 'False') {
      const literal = parsePythonLiteral(out);
      if (literal.ok) return literal.value;
      // ansible_eval_concat also reads JSON's true/false/null.
      try {
        return JSON.parse(out) as Value;
      } catch {
        return withNewlinesOf(text, out);
      }
    }
    return withNewlinesOf(text, out);
  }

  /** The text of a template file (the template module): always a string. */
  renderText(text: string): string {
    return withNewlinesOf(text, this.renderJinja(text));
  }

  /** Jinja2's own output: without the template's last trailing newline. */
  private renderJinja(text: string): string {
    const program = compile(text);
    const interpreter = new AnsibleInterpreter(newEnvironment(), this.lookup);
    try {
      return interpreter.renderProgram(program);
    } catch (err) {
      if (err instanceof TemplateError) throw err;
      // The library's own errors (a bad operand type) carry no JavaScript internals worth showing.
      throw new TemplateError((err as Error).message);
    }
  }

  /** Every string inside a value rendered; maps and lists rebuilt, keys rendered too. */
  renderDeep(value: Value): Value {
    if (typeof value === 'string') return this.render(value);
    if (Array.isArray(value)) return value.map((v) => this.renderDeep(v));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, Value> = {};
      for (const [k, v] of Object.entries(value)) {
        Object.defineProperty(out, pyStr(this.render(k)), {
          value: this.renderDeep(v),
          enumerable: true,
          writable: true,
        });
      }
      return out;
    }
    return value;
  }

  /** A `when:`/`failed_when:`/`changed_when:`/`assert` expression: a bare Jinja2 expression, true or false. */
  condition(expression: Value): boolean {
    if (typeof expression === 'boolean') return expression;
    if (expression === null || expression === undefined) return false;
    if (typeof expression === 'number') return expression !== 0;
    const text = (typeof expression === 'string' ? expression : pyStr(expression)).trim();
    const bare = text.startsWith('{{') && text.endsWith('}}') ? text.slice(2, -2) : text;
    const program = compile(`{{ ${bare} }}`);
    const interpreter = new AnsibleInterpreter(newEnvironment(), this.lookup);
    const body = (program as unknown as { body: Node[] }).body;
    const environment = (interpreter as unknown as { global: Environment }).global;
    let value: RuntimeValue;
    try {
      value = interpreter.evaluate(body[0], environment);
    } catch (err) {
      if (err instanceof TemplateError) throw err;
      throw new TemplateError((err as Error).message);
    }
    if (value.type === 'UndefinedValue') throw new TemplateError(undefinedMessage(value));
    const plain = toPlain(value);
    // Ansible reads the rendered text back: the string "False" is false.
    if (typeof plain === 'string')
      return !['false', 'no', 'off', '0', ''].includes(plain.trim().toLowerCase());
    return pyTruthy(plain);
  }
}

// ---- static checks, before any host is touched ----

export interface TemplateProblem {
  message: string;
}

function walk(node: unknown, visit: (n: Node) => void): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  const n = node as Node;
  if (typeof n.type === 'string') visit(n);
  // An operator is a token, not a name: `'b' in words` reads only `words`.
  for (const [key, child] of Object.entries(n)) if (key !== 'type' && key !== 'operator') walk(child, visit);
}

/**
 * The problems a template has before it runs: syntax, filters, tests and functions mc does not have.
 * `suggest` names the closest supported one.
 */
export function checkTemplate(
  text: string,
  suggest: (word: string, candidates: readonly string[]) => string | undefined,
  expression = false,
): string[] {
  const source = expression ? `{{ ${text} }}` : text;
  if (!expression && !isTemplate(text)) return [];
  let program: Program;
  try {
    program = compile(source);
  } catch (err) {
    return [(err as Error).message.replace(/^template error while templating string: /, 'template syntax: ')];
  }
  const problems: string[] = [];
  const hint = (word: string, candidates: readonly string[]): string => {
    const near = suggest(word, candidates);
    return near === undefined ? '' : ` (did you mean '${near}'?)`;
  };
  walk(program, (node) => {
    if (node.type === 'FilterExpression') {
      const name = nameOf(node.filter);
      if (name !== undefined && !Object.hasOwn(FILTERS, name))
        problems.push(`unknown filter '${name}'${hint(name, Object.keys(FILTERS))}`);
    } else if (node.type === 'TestExpression') {
      const name = nameOf(node.test);
      if (name !== undefined && !Object.hasOwn(TESTS, name))
        problems.push(`unknown test '${name}'${hint(name, Object.keys(TESTS))}`);
    } else if (node.type === 'CallExpression' && node.callee?.type === 'Identifier') {
      const name = node.callee.value as string;
      if (Object.hasOwn(REFUSED_FUNCTIONS, name)) problems.push(`${name}(): ${REFUSED_FUNCTIONS[name]}`);
    }
  });
  return problems;
}

/**
 * The variables a template reads from outside itself: its own `set`, `for` and macro names left out, and
 * so are names it guards with `is defined`, `is undefined`, `default` or `mandatory`.
 */
export function templateVariables(text: string, expression: boolean): string[] {
  let program: Program;
  try {
    program = compile(expression ? `{{ ${text} }}` : text);
  } catch {
    return [];
  }
  const locals = new Set<string>([
    'loop',
    'range',
    'true',
    'false',
    'none',
    'True',
    'False',
    'None',
    'varargs',
    'kwargs',
  ]);
  const guarded = new Set<string>();
  const read = new Set<string>();
  const rootName = (node: Node | undefined): string | undefined => {
    let n = node;
    while (n?.type === 'MemberExpression') n = n.object;
    return n?.type === 'Identifier' ? (n.value as string) : undefined;
  };
  const bind = (node: unknown): void =>
    walk(node, (n) => {
      if (n.type === 'Identifier') locals.add(n.value as string);
    });
  walk(program, (node) => {
    const any = node as Node & { loopvar?: unknown; assignee?: unknown; name?: Node };
    if (any.type === 'For') bind(any.loopvar);
    else if (any.type === 'Set') bind(any.assignee);
    else if (any.type === 'Macro') {
      if (any.name !== undefined) locals.add(any.name.value as string);
      bind(any.args);
    } else if (any.type === 'TestExpression' && ['defined', 'undefined'].includes(nameOf(any.test) ?? '')) {
      const root = rootName(any.operand);
      if (root !== undefined) guarded.add(root);
    } else if (
      any.type === 'FilterExpression' &&
      ['default', 'd', 'mandatory'].includes(nameOf(any.filter) ?? '')
    ) {
      const root = rootName(any.operand);
      if (root !== undefined) guarded.add(root);
    } else if (any.type === 'KeywordArgumentExpression' && any.key !== undefined) {
      locals.add(any.key.value as string);
    }
  });
  walk(program, (node) => {
    if (node.type === 'FilterExpression' || node.type === 'TestExpression') {
      // The filter's or test's own name is not a variable.
      const fn = node.type === 'FilterExpression' ? node.filter : node.test;
      if (fn?.type === 'Identifier') (fn as Node & { skip?: boolean }).skip = true;
      if (fn?.type === 'CallExpression' && fn.callee !== undefined)
        (fn.callee as Node & { skip?: boolean }).skip = true;
    }
    if (node.type === 'MemberExpression' && node.computed !== true && node.property !== undefined)
      (node.property as Node & { skip?: boolean }).skip = true;
    if (node.type === 'KeywordArgumentExpression' && node.key !== undefined)
      (node.key as Node & { skip?: boolean }).skip = true;
  });
  walk(program, (node) => {
    if (node.type !== 'Identifier' || (node as Node & { skip?: boolean }).skip === true) return;
    const name = node.value as string;
    if (!locals.has(name) && !guarded.has(name)) read.add(name);
  });
  return [...read];
}
