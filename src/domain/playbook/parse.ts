// Reads Ansible playbooks as they are and checks everything that can be checked before a host is touched:
// YAML, keywords, modules and their parameters, templates (syntax, filters, tests), loops, handlers.
// Every problem is located (file:line:col of the value) and reported at once. Pure: files come through `read`.
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq } from 'yaml';
import type { Node, YAMLMap } from 'yaml';
import { checkYamlLimits } from '../input/index.js';
import { IssueList, closestMatch, describeValue } from '../inventory/issues.js';
import type { InventoryIssue, SourcePosition } from '../inventory/types.js';
import { mapEntries, parseYamlFile, positionOf, toPlain, valuePosition } from '../inventory/yaml-source.js';
import type { MapEntry, YamlFile } from '../inventory/yaml-source.js';
import { FREE_KEYS_MODULES, MODULES, MODULE_NAMES } from './modules.js';
import { checkTemplate } from './template.js';
import type { Block, LoopControl, Play, Playbook, Task, TaskItem, TaskOptions } from './types.js';

/** Reads a file the playbook names; undefined when it cannot be read. */
export type ReadFile = (path: string) => string | undefined;

export type PlaybookResult = { ok: true; playbook: Playbook } | { ok: false; issues: InventoryIssue[] };

const PLAY_KEYS = [
  'name',
  'hosts',
  'vars',
  'vars_files',
  'become',
  'become_user',
  'gather_facts',
  'serial',
  'max_fail_percentage',
  'any_errors_fatal',
  'environment',
  'pre_tasks',
  'tasks',
  'post_tasks',
  'handlers',
  'tags',
] as const;
const COMMON_TASK_KEYS = [
  'name',
  'when',
  'tags',
  'become',
  'become_user',
  'ignore_errors',
  'no_log',
  'check_mode',
  'run_once',
  'timeout',
  'delegate_to',
  'environment',
  'vars',
] as const;
const TASK_KEYS = [
  ...COMMON_TASK_KEYS,
  'loop',
  'with_items',
  'loop_control',
  'register',
  'changed_when',
  'failed_when',
  'until',
  'retries',
  'delay',
  'notify',
  'args',
] as const;
const HANDLER_KEYS = [...TASK_KEYS, 'listen'] as const;
const BLOCK_KEYS = [...COMMON_TASK_KEYS, 'block', 'rescue', 'always'] as const;
const INCLUDE_NAMES = [
  'include_tasks',
  'import_tasks',
  'ansible.builtin.include_tasks',
  'ansible.builtin.import_tasks',
];
const LOOP_CONTROL_KEYS = ['loop_var', 'index_var', 'label', 'pause'];
/** include_tasks runs its file once per item; import_tasks is read once, before the run, and cannot loop. */
const INCLUDE_LOOP_KEYS = ['loop', 'with_items', 'loop_control'];

/** Ansible keywords mc knows and does not run: refused with that reason, not a "did you mean". */
const UNSUPPORTED = new Set([
  'roles',
  'strategy',
  'connection',
  'remote_user',
  'vars_prompt',
  'order',
  'throttle',
  'async',
  'poll',
  'module_defaults',
  'collections',
  'debugger',
  'force_handlers',
  'ignore_unreachable',
  'become_method',
  'become_flags',
  'port',
  'fact_path',
  'gather_subset',
  'gather_timeout',
  // On tasks and blocks mc runs it; on a play it is still refused.
  'timeout',
  'with_dict',
  'with_list',
  'with_together',
  'with_nested',
  'with_fileglob',
  'with_sequence',
  'with_subelements',
  'local_action',
  'action',
  'include_role',
  'import_role',
  'include_vars',
  'include',
  'meta',
]);

const MAX_IMPORT_DEPTH = 16;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A template as written, kept so the variables it reads can be checked once the inventory is known. */
export interface TemplateUse {
  at: SourcePosition;
  text: string;
  /** A bare expression (when:, changed_when:, assert's that:), not a `{{ }}` template. */
  expression: boolean;
}

interface Context {
  issues: IssueList;
  /** The templates of the play being read. */
  templates: TemplateUse[];
  read: ReadFile;
  /** Files being imported, to refuse cycles. */
  stack: string[];
}

class FileReader {
  constructor(
    readonly source: YamlFile,
    readonly ctx: Context,
  ) {}

  get issues(): IssueList {
    return this.ctx.issues;
  }

  at(node: Node | null | undefined): SourcePosition {
    return positionOf(this.source, node);
  }

  plain(node: Node | null): unknown {
    return toPlain(this.source, node, this.issues);
  }

  entries(map: YAMLMap): MapEntry[] {
    return mapEntries(this.source, map, this.issues);
  }

  dir(): string {
    return dirname(this.source.file);
  }
}

function loadYaml(path: string, ctx: Context, from: SourcePosition | undefined): FileReader | undefined {
  const text = ctx.read(path);
  if (text === undefined) {
    if (from === undefined) ctx.issues.add({ file: path, line: 0, col: 0 }, `${path}: cannot read the file`);
    else ctx.issues.add(from, `cannot read ${path}`);
    return undefined;
  }
  const source = parseYamlFile(path, text, '1.1', ctx.issues);
  if (!source.syntaxOk) return undefined;
  // The bounded reader's limits on nodes, depth and aliases: a huge or "billion laughs" file stops here.
  const limit = checkYamlLimits(path, source.doc, source.lineCounter);
  if (limit !== undefined) {
    ctx.issues.add({ file: limit.file, line: limit.line, col: limit.col }, limit.message);
    return undefined;
  }
  return new FileReader(source, ctx);
}

function checkString(r: FileReader, at: SourcePosition, v: string): void {
  if (v.includes('{{') || v.includes('{%')) r.ctx.templates.push({ at, text: v, expression: false });
  for (const problem of checkTemplate(v, closestMatch)) r.issues.add(at, problem);
  for (const problem of hostileAttributes(v)) r.issues.add(at, problem);
}

/** Checks every template-bearing string under a node, each where it was written. */
function checkValueTemplates(r: FileReader, node: Node | null, value: unknown): void {
  if (isMap(node)) {
    for (const entry of r.entries(node)) {
      checkString(r, r.at(entry.keyNode), entry.key);
      checkValueTemplates(r, entry.value, r.plain(entry.value));
    }
  } else if (isSeq(node)) {
    for (const item of node.items) checkValueTemplates(r, item as Node, r.plain(item as Node));
  } else if (isScalar(node) || node === null) {
    const at = r.at(node);
    const visit = (v: unknown): void => {
      if (typeof v === 'string') checkString(r, at, v);
      else if (Array.isArray(v)) v.forEach(visit);
      else if (v !== null && typeof v === 'object')
        for (const [k, item] of Object.entries(v)) {
          visit(k);
          visit(item);
        }
    };
    visit(value);
  }
}

/** Python's private attributes are how Jinja2 templates escape into the interpreter; none is ever needed. */
function hostileAttributes(text: string): string[] {
  if (!text.includes('{{') && !text.includes('{%')) return [];
  const match = /(?:\.|\[\s*['"])(__\w*)/.exec(text);
  return match === null
    ? []
    : [`template reaches for '${match[1]}': attributes starting with '_' are not allowed`];
}

function checkExpressions(r: FileReader, node: Node | null, values: string[]): void {
  const at = r.at(node);
  for (const v of values) {
    r.ctx.templates.push({ at, text: v.trim().replace(/^\{\{([\s\S]*)\}\}$/, '$1'), expression: true });
    for (const problem of checkTemplate(v.trim().replace(/^\{\{([\s\S]*)\}\}$/, '$1'), closestMatch, true))
      r.issues.add(at, problem);
    for (const problem of hostileAttributes(`{{ ${v} }}`)) r.issues.add(at, problem);
  }
}

function unknownKeyMessage(key: string, allowed: readonly string[], what: string): string {
  if (UNSUPPORTED.has(key)) return `'${key}' is an Ansible keyword mc does not support (in ${what})`;
  const near = closestMatch(key, allowed);
  return `unknown keyword '${key}' in ${what}${near === undefined ? '' : ` (did you mean '${near}'?)`}`;
}

function asBool(r: FileReader, entry: MapEntry): boolean | undefined {
  const v = r.plain(entry.value);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    if (/^(yes|true|on|1)$/i.test(v)) return true;
    if (/^(no|false|off|0)$/i.test(v)) return false;
  }
  r.issues.add(
    valuePosition(r.source, entry),
    `'${entry.key}' must be true or false, got ${describeValue(v)}`,
  );
  return undefined;
}

function asString(r: FileReader, entry: MapEntry): string | undefined {
  const v = r.plain(entry.value);
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  r.issues.add(valuePosition(r.source, entry), `'${entry.key}' must be a string, got ${describeValue(v)}`);
  return undefined;
}

function asStringList(r: FileReader, entry: MapEntry): string[] {
  const v = r.plain(entry.value);
  if (typeof v === 'string') return [v];
  if (typeof v === 'boolean' || typeof v === 'number') return [String(v)];
  if (Array.isArray(v) && v.every((x) => ['string', 'number', 'boolean'].includes(typeof x)))
    return v.map(String);
  r.issues.add(
    valuePosition(r.source, entry),
    `'${entry.key}' must be a string or a list of strings, got ${describeValue(v)}`,
  );
  return [];
}

/** `when:` may hold a boolean; kept as the text Jinja2 reads. */
function asConditions(r: FileReader, entry: MapEntry): string[] {
  const v = r.plain(entry.value);
  const items = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  for (const item of items) {
    if (typeof item === 'boolean') out.push(item ? 'True' : 'False');
    else if (typeof item === 'string' || typeof item === 'number') out.push(String(item));
    else {
      r.issues.add(
        valuePosition(r.source, entry),
        `'${entry.key}' must be an expression or a list of them, got ${describeValue(item)}`,
      );
    }
  }
  checkExpressions(r, entry.value, out);
  return out;
}

function asMap(r: FileReader, entry: MapEntry): Record<string, unknown> | undefined {
  if (entry.value === null || (isScalar(entry.value) && entry.value.value === null)) return {};
  if (!isMap(entry.value)) {
    r.issues.add(
      valuePosition(r.source, entry),
      `'${entry.key}' must be a map, got ${describeValue(r.plain(entry.value))}`,
    );
    return undefined;
  }
  const value = r.plain(entry.value) as Record<string, unknown>;
  checkValueTemplates(r, entry.value, value);
  return value;
}

function checkVarNames(r: FileReader, node: Node | null, vars: Record<string, unknown>): void {
  if (!isMap(node)) return;
  for (const entry of r.entries(node)) {
    if (!IDENTIFIER.test(entry.key))
      r.issues.add(
        r.at(entry.keyNode),
        `'${describeValue(entry.key).slice(1, -1)}' is not a valid variable name`,
      );
  }
  void vars;
}

/** `key=value key2="a b"` as Ansible's parse_kv reads a module's one-line arguments. */
export function parseKeyValues(text: string): {
  params: Record<string, string>;
  rest: string[];
  /** Every word in order, as written (quotes kept). */
  words: string[];
} {
  const params: Record<string, string> = {};
  const rest: string[] = [];
  const words: string[] = [];
  let current = '';
  let quote: string | undefined;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote !== undefined) {
      if (ch === '\\' && i + 1 < text.length && text[i + 1] === quote) {
        current += ch + quote;
        i++;
        continue;
      }
      if (ch === quote) quote = undefined;
      current += ch;
      continue;
    }
    if (text.startsWith('{{', i) || text.startsWith('{%', i)) depth++;
    if ((text.startsWith('}}', i) || text.startsWith('%}', i)) && depth > 0) depth--;
    if ((ch === '"' || ch === "'") && depth === 0) {
      quote = ch;
      current += ch;
      continue;
    }
    if (/\s/.test(ch) && depth === 0) {
      if (current !== '') words.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (current !== '') words.push(current);
  const unquote = (s: string): string =>
    s.length >= 2 && (s[0] === '"' || s[0] === "'") && s.at(-1) === s[0]
      ? s.slice(1, -1).replace(/\\(["'])/g, '$1')
      : s;
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq > 0 && /^[A-Za-z_][\w-]*$/.test(word.slice(0, eq)))
      params[word.slice(0, eq)] = unquote(word.slice(eq + 1));
    else rest.push(word);
  }
  return { params, rest, words };
}

function parseModuleArgs(
  r: FileReader,
  module: string,
  entry: MapEntry,
  argsEntry: MapEntry | undefined,
): Record<string, unknown> {
  const spec = MODULES[module];
  const raw = r.plain(entry.value);
  let args: Record<string, unknown> = {};
  const at = valuePosition(r.source, entry);
  if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') {
    const text = String(raw);
    if (spec?.freeForm === true) {
      // command/shell/raw: the words that are not one of the module's own key=value options are the command.
      const { params, words } = parseKeyValues(text);
      const own = new Set(
        Object.keys(params).filter((k) => spec.params.includes(k) && k !== '_raw_params' && module !== 'raw'),
      );
      for (const key of own) args[key] = params[key];
      // The command is the other words, split as Ansible's split_args does (a `{{ ... }}` is one word).
      const ownWord = (word: string): boolean => own.has(word.slice(0, Math.max(0, word.indexOf('='))));
      args._raw_params = own.size === 0 ? text.trim() : words.filter((w) => !ownWord(w)).join(' ');
    } else {
      const { params, rest } = parseKeyValues(text);
      if (rest.length > 0)
        r.issues.add(
          at,
          `${module}: unexpected word ${describeValue(rest[0])}: this module takes key=value options`,
        );
      args = { ...params };
    }
  } else if (raw === null) {
    args = {};
  } else if (isMap(entry.value)) {
    args = raw as Record<string, unknown>;
  } else {
    r.issues.add(at, `${module}: its options must be a map or key=value text, got ${describeValue(raw)}`);
  }
  if (argsEntry !== undefined) {
    const extra = asMap(r, argsEntry);
    if (extra !== undefined) args = { ...extra, ...args };
  }
  checkValueTemplates(r, entry.value, args);
  if (spec === undefined) return args;
  if (FREE_KEYS_MODULES.has(module)) {
    for (const key of Object.keys(args)) {
      if (key !== 'cacheable' && !IDENTIFIER.test(key))
        r.issues.add(at, `set_fact: '${describeValue(key).slice(1, -1)}' is not a valid variable name`);
    }
    return args;
  }
  const normalized: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    const name = spec.aliases?.[key] ?? key;
    if (!spec.params.includes(name)) {
      const near = closestMatch(
        key,
        spec.params.filter((p) => p !== '_raw_params'),
      );
      const shown = describeValue(key).slice(1, -1);
      r.issues.add(
        at,
        `${module}: unsupported parameter '${shown}'${near === undefined ? `; supported: ${spec.params.filter((p) => p !== '_raw_params').join(', ')}` : ` (did you mean '${near}'?)`}`,
      );
      continue;
    }
    normalized[name] = value;
  }
  for (const required of spec.required ?? []) {
    if (!(required in normalized)) {
      const what = required === '_raw_params' ? 'a command' : `'${required}'`;
      r.issues.add(at, `${module}: missing required parameter ${what}`);
    }
  }
  if (
    (module === 'command' || module === 'shell') &&
    normalized._raw_params === '' &&
    normalized.cmd === undefined &&
    normalized.argv === undefined
  ) {
    r.issues.add(at, `${module}: no command given`);
  }
  if (module === 'copy' && normalized.content === undefined && normalized.src === undefined)
    r.issues.add(at, `copy: give 'content' or 'src'`);
  return normalized;
}

function parseLoopControl(r: FileReader, entry: MapEntry): LoopControl | undefined {
  if (!isMap(entry.value)) {
    r.issues.add(valuePosition(r.source, entry), `'loop_control' must be a map`);
    return undefined;
  }
  const control: LoopControl = { loopVar: 'item' };
  for (const e of r.entries(entry.value)) {
    if (!LOOP_CONTROL_KEYS.includes(e.key)) {
      r.issues.add(r.at(e.keyNode), unknownKeyMessage(e.key, LOOP_CONTROL_KEYS, 'loop_control'));
      continue;
    }
    const v = r.plain(e.value);
    if (e.key === 'loop_var' || e.key === 'index_var') {
      if (typeof v !== 'string' || !IDENTIFIER.test(v)) {
        r.issues.add(
          valuePosition(r.source, e),
          `'${e.key}' must be a variable name, got ${describeValue(v)}`,
        );
        continue;
      }
      if (e.key === 'loop_var') control.loopVar = v;
      else control.indexVar = v;
    } else if (e.key === 'label') {
      const label = asString(r, e);
      if (label !== undefined) {
        control.label = label;
        checkValueTemplates(r, e.value, label);
      }
    } else if (e.key === 'pause') {
      if (typeof v !== 'number' || v < 0)
        r.issues.add(valuePosition(r.source, e), `'pause' must be a number of seconds`);
      else control.pause = v;
    }
  }
  return control;
}

function checkLoop(r: FileReader, entry: MapEntry): unknown {
  const v = r.plain(entry.value);
  if (Array.isArray(v)) {
    checkValueTemplates(r, entry.value, v);
    return v;
  }
  if (typeof v === 'string' && /^\s*\{\{[\s\S]*\}\}\s*$/.test(v)) {
    checkValueTemplates(r, entry.value, v);
    return v;
  }
  r.issues.add(
    valuePosition(r.source, entry),
    `'${entry.key}' must be a list or a template that gives one ("{{ my_list }}"), got ${describeValue(v)}`,
  );
  return undefined;
}

function commonOptions(r: FileReader, entries: MapEntry[]): TaskOptions {
  const options: TaskOptions = { when: [], tags: [] };
  for (const entry of entries) {
    switch (entry.key) {
      case 'when':
        options.when = asConditions(r, entry);
        break;
      case 'tags':
        options.tags = asStringList(r, entry);
        break;
      case 'become': {
        const b = asBool(r, entry);
        if (b !== undefined) options.become = b;
        break;
      }
      case 'become_user': {
        const s = asString(r, entry);
        if (s !== undefined) options.becomeUser = s;
        break;
      }
      case 'ignore_errors': {
        const b = asBool(r, entry);
        if (b !== undefined) options.ignoreErrors = b;
        break;
      }
      case 'no_log': {
        const b = asBool(r, entry);
        if (b !== undefined) options.noLog = b;
        break;
      }
      case 'check_mode': {
        const b = asBool(r, entry);
        if (b !== undefined) options.checkMode = b;
        break;
      }
      case 'run_once': {
        const b = asBool(r, entry);
        if (b !== undefined) options.runOnce = b;
        break;
      }
      case 'timeout': {
        const v = r.plain(entry.value);
        const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number.parseInt(v, 10) : v;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
          r.issues.add(
            valuePosition(r.source, entry),
            `'timeout' must be a whole number of seconds (0 for none), got ${describeValue(v)}`,
          );
        else options.timeout = n;
        break;
      }
      case 'delegate_to': {
        const s = asString(r, entry);
        if (s !== undefined && s !== 'localhost' && s !== '127.0.0.1')
          r.issues.add(
            valuePosition(r.source, entry),
            `delegate_to: mc delegates only to localhost, got ${describeValue(s)}`,
          );
        else if (s !== undefined) options.delegateTo = 'localhost';
        break;
      }
      case 'environment': {
        const m = asMap(r, entry);
        if (m !== undefined) {
          for (const key of Object.keys(m))
            if (!IDENTIFIER.test(key))
              r.issues.add(
                valuePosition(r.source, entry),
                `environment: '${describeValue(key).slice(1, -1)}' is not a valid variable name`,
              );
          options.environment = m;
        }
        break;
      }
      case 'vars': {
        const m = asMap(r, entry);
        if (m !== undefined) {
          checkVarNames(r, entry.value, m);
          options.vars = m;
        }
        break;
      }
    }
  }
  return options;
}

function parseTaskList(r: FileReader, entry: MapEntry, handlers: boolean): TaskItem[] {
  if (entry.value === null || (isScalar(entry.value) && entry.value.value === null)) return [];
  if (!isSeq(entry.value)) {
    r.issues.add(
      valuePosition(r.source, entry),
      `'${entry.key}' must be a list of tasks, got ${describeValue(r.plain(entry.value))}`,
    );
    return [];
  }
  const out: TaskItem[] = [];
  for (const item of entry.value.items) {
    const parsed = parseTaskItem(r, item as Node, handlers);
    if (parsed !== undefined) out.push(parsed);
  }
  return out;
}

function parseTaskItem(r: FileReader, node: Node, handler: boolean): TaskItem | undefined {
  if (!isMap(node)) {
    r.issues.add(
      r.at(node),
      `a task must be a map (name, module, keywords), got ${describeValue(r.plain(node))}`,
    );
    return undefined;
  }
  const entries = r.entries(node);
  const keys = entries.map((e) => e.key);
  const at = r.at(node);
  const name = entries.find((e) => e.key === 'name');
  const nameText = name === undefined ? undefined : asString(r, name);
  if (name !== undefined && nameText !== undefined) checkValueTemplates(r, name.value, nameText);

  if (keys.includes('block')) {
    if (handler) r.issues.add(at, 'a handler cannot be a block');
    const block: Block = {
      kind: 'block',
      at,
      ...commonOptions(r, entries),
      block: [],
      rescue: [],
      always: [],
    };
    if (nameText !== undefined) block.name = nameText;
    for (const entry of entries) {
      if (!(BLOCK_KEYS as readonly string[]).includes(entry.key)) {
        r.issues.add(r.at(entry.keyNode), unknownKeyMessage(entry.key, BLOCK_KEYS, 'a block'));
        continue;
      }
      if (entry.key === 'block' || entry.key === 'rescue' || entry.key === 'always')
        block[entry.key] = parseTaskList(r, entry, false);
    }
    return block;
  }

  const include = entries.find((e) => INCLUDE_NAMES.includes(e.key));
  if (include !== undefined) return parseInclude(r, node, include, entries, nameText);

  const allowed: readonly string[] = handler ? HANDLER_KEYS : TASK_KEYS;
  const moduleEntries: MapEntry[] = [];
  let broken = false;
  for (const entry of entries) {
    if (allowed.includes(entry.key)) continue;
    if (MODULE_NAMES.has(entry.key)) {
      moduleEntries.push(entry);
      continue;
    }
    if (UNSUPPORTED.has(entry.key)) {
      r.issues.add(
        r.at(entry.keyNode),
        unknownKeyMessage(entry.key, allowed, handler ? 'a handler' : 'a task'),
      );
      continue;
    }
    const near = closestMatch(entry.key, [...MODULE_NAMES.keys(), ...allowed]);
    const what = /^[\w.]+$/.test(entry.key) && entry.key.includes('.') ? 'module' : 'module or keyword';
    r.issues.add(
      r.at(entry.keyNode),
      `unknown ${what} '${describeValue(entry.key).slice(1, -1)}'${near === undefined ? '' : ` (did you mean '${near}'?)`}`,
    );
    broken = true;
  }
  if (broken) {
    // The rest of the task is still checked, so that every problem is reported at once.
    for (const entry of moduleEntries)
      parseModuleArgs(r, MODULE_NAMES.get(entry.key) as string, entry, undefined);
    commonOptions(r, entries);
    return undefined;
  }
  if (moduleEntries.length === 0) {
    r.issues.add(
      at,
      `no module in this task${nameText === undefined ? '' : ` '${describeValue(nameText).slice(1, -1)}'`}: give one, such as 'command' or 'copy'`,
    );
    return undefined;
  }
  if (moduleEntries.length > 1) {
    const second = moduleEntries[1] as MapEntry;
    r.issues.add(
      r.at(second.keyNode),
      `a task runs one module: '${moduleEntries[0]?.key}' and '${second.key}' given`,
    );
    return undefined;
  }
  const moduleEntry = moduleEntries[0] as MapEntry;
  const module = MODULE_NAMES.get(moduleEntry.key) as string;
  const argsEntry = entries.find((e) => e.key === 'args');
  const task: Task = {
    kind: 'task',
    at,
    module,
    moduleAs: moduleEntry.key,
    args: parseModuleArgs(r, module, moduleEntry, argsEntry),
    ...commonOptions(r, entries),
    notify: [],
    listen: [],
  };
  if (nameText !== undefined) task.name = nameText;
  Object.assign(task, parseLoop(r, entries, at));
  for (const entry of entries) {
    switch (entry.key) {
      case 'register': {
        const name = r.plain(entry.value);
        if (typeof name !== 'string' || !IDENTIFIER.test(name))
          r.issues.add(
            valuePosition(r.source, entry),
            `'register' must be a variable name, got ${describeValue(name)}`,
          );
        else task.register = name;
        break;
      }
      case 'changed_when':
        task.changedWhen = asConditions(r, entry);
        break;
      case 'until':
        task.until = asConditions(r, entry);
        break;
      case 'retries':
      case 'delay': {
        const count = asCount(r, entry);
        if (count !== undefined) task[entry.key] = count;
        break;
      }
      case 'failed_when':
        task.failedWhen = asConditions(r, entry);
        break;
      case 'notify':
        task.notify = asStringList(r, entry);
        break;
      case 'listen':
        task.listen = asStringList(r, entry);
        break;
    }
  }
  return task;
}

/** `retries:` and `delay:`: a whole number, or a template that gives one when the task runs. */
function asCount(r: FileReader, entry: MapEntry): number | string | undefined {
  const v = r.plain(entry.value);
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number.parseInt(v, 10);
  if (typeof v === 'string' && /^\s*\{\{[\s\S]*\}\}\s*$/.test(v)) {
    checkValueTemplates(r, entry.value, v);
    return v;
  }
  r.issues.add(
    valuePosition(r.source, entry),
    `'${entry.key}' must be a whole number, got ${describeValue(v)}`,
  );
  return undefined;
}

/** The loop of the task or include in `entries`, if any (both `loop` and `with_items` is refused). */
function parseLoop(
  r: FileReader,
  entries: MapEntry[],
  at: SourcePosition,
): { loop?: unknown; loopFlatten?: boolean; loopControl?: LoopControl } {
  const out: { loop?: unknown; loopFlatten?: boolean; loopControl?: LoopControl } = {};
  const loops = entries.filter((e) => e.key === 'loop' || e.key === 'with_items');
  if (loops.length > 1) r.issues.add(r.at(loops[1]?.keyNode), `give 'loop' or 'with_items', not both`);
  for (const entry of entries) {
    if (entry.key === 'loop' || entry.key === 'with_items') {
      const loop = checkLoop(r, entry);
      if (loop !== undefined) {
        out.loop = loop;
        out.loopFlatten = entry.key === 'with_items';
      }
    } else if (entry.key === 'loop_control') {
      const control = parseLoopControl(r, entry);
      if (control !== undefined) out.loopControl = control;
    }
  }
  if (out.loopControl !== undefined && out.loop === undefined)
    r.issues.add(at, `'loop_control' without 'loop'`);
  return out;
}

function parseInclude(
  r: FileReader,
  node: Node,
  include: MapEntry,
  entries: MapEntry[],
  nameText: string | undefined,
): TaskItem | undefined {
  const at = r.at(node);
  const dynamic = include.key.endsWith('include_tasks');
  const allowed: readonly string[] = dynamic ? [...COMMON_TASK_KEYS, ...INCLUDE_LOOP_KEYS] : COMMON_TASK_KEYS;
  for (const entry of entries) {
    if (entry === include || allowed.includes(entry.key)) continue;
    const message = INCLUDE_LOOP_KEYS.includes(entry.key)
      ? `'${entry.key}' cannot be used on ${include.key}, which is read before the run: use include_tasks`
      : unknownKeyMessage(entry.key, allowed, include.key);
    r.issues.add(r.at(entry.keyNode), message);
  }
  let file = r.plain(include.value);
  if (file !== null && typeof file === 'object' && !Array.isArray(file))
    file = (file as Record<string, unknown>).file;
  if (typeof file !== 'string' || file === '') {
    r.issues.add(valuePosition(r.source, include), `${include.key}: give the file to read`);
    return undefined;
  }
  if (file.includes('{{') || file.includes('{%')) {
    r.issues.add(
      valuePosition(r.source, include),
      `${include.key}: mc reads task files when it checks the playbook, so the file name cannot be a template`,
    );
    return undefined;
  }
  const path = isAbsolute(file) ? file : resolve(r.dir(), file);
  const tasks = loadTaskFile(path, r.ctx, valuePosition(r.source, include));
  const block: Block = {
    kind: 'block',
    at,
    ...commonOptions(r, entries),
    block: tasks ?? [],
    rescue: [],
    always: [],
  };
  if (nameText !== undefined) block.name = nameText;
  if (dynamic) {
    block.include = include.key;
    Object.assign(block, parseLoop(r, entries, at));
  }
  return block;
}

function loadTaskFile(path: string, ctx: Context, from: SourcePosition): TaskItem[] | undefined {
  if (ctx.stack.includes(path) || ctx.stack.length > MAX_IMPORT_DEPTH) {
    ctx.issues.add(from, `${path} includes itself (through ${ctx.stack.length} files)`);
    return undefined;
  }
  const r = loadYaml(path, ctx, from);
  if (r === undefined) return undefined;
  const contents = r.source.doc.contents as Node | null;
  if (contents === null) return [];
  if (!isSeq(contents)) {
    r.issues.add(r.at(contents), 'a task file must be a list of tasks');
    return undefined;
  }
  ctx.stack.push(path);
  const out: TaskItem[] = [];
  for (const item of contents.items) {
    const parsed = parseTaskItem(r, item as Node, false);
    if (parsed !== undefined) out.push(parsed);
  }
  ctx.stack.pop();
  return out;
}

function parseVarsFile(r: FileReader, node: Node, path: string): Record<string, unknown> | undefined {
  const file = loadYaml(path, r.ctx, r.at(node));
  if (file === undefined) return undefined;
  const contents = file.source.doc.contents as Node | null;
  if (contents === null) return {};
  if (!isMap(contents)) {
    file.issues.add(file.at(contents), 'a vars file must be a map of variables');
    return undefined;
  }
  const vars = file.plain(contents) as Record<string, unknown>;
  checkVarNames(file, contents, vars);
  checkValueTemplates(file, contents, vars);
  return vars;
}

function parseSerial(r: FileReader, entry: MapEntry): (number | string)[] {
  const v = r.plain(entry.value);
  const items = Array.isArray(v) ? v : [v];
  const out: (number | string)[] = [];
  for (const item of items) {
    if (typeof item === 'number' && Number.isInteger(item) && item > 0) out.push(item);
    else if (
      typeof item === 'string' &&
      /^\d+%$/.test(item) &&
      Number.parseInt(item, 10) > 0 &&
      Number.parseInt(item, 10) <= 100
    )
      out.push(item);
    else if (typeof item === 'string' && /^\d+$/.test(item) && Number(item) > 0) out.push(Number(item));
    else
      r.issues.add(
        valuePosition(r.source, entry),
        `'serial' takes numbers above 0 and percentages ("30%"), got ${describeValue(item)}`,
      );
  }
  return out;
}

function parsePlay(r: FileReader, node: Node): Play | undefined {
  if (!isMap(node)) {
    r.issues.add(
      r.at(node),
      `a play must be a map with 'hosts' and 'tasks', got ${describeValue(r.plain(node))}`,
    );
    return undefined;
  }
  const entries = r.entries(node);
  const play: Play = {
    at: r.at(node),
    hosts: '',
    vars: {},
    varsFiles: [],
    gatherFacts: true,
    serial: [],
    anyErrorsFatal: false,
    preTasks: [],
    tasks: [],
    postTasks: [],
    handlers: [],
    tags: [],
    templates: [],
    definedNames: [],
  };
  const firstTemplate = r.ctx.templates.length;
  let hasHosts = false;
  for (const entry of entries) {
    if (!(PLAY_KEYS as readonly string[]).includes(entry.key)) {
      r.issues.add(r.at(entry.keyNode), unknownKeyMessage(entry.key, PLAY_KEYS, 'a play'));
      continue;
    }
    switch (entry.key) {
      case 'name': {
        const s = asString(r, entry);
        if (s !== undefined) {
          play.name = s;
          checkValueTemplates(r, entry.value, s);
        }
        break;
      }
      case 'hosts': {
        const v = r.plain(entry.value);
        if (typeof v === 'string' && v.trim() !== '') play.hosts = v.trim();
        else if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'))
          play.hosts = v.join(',');
        else
          r.issues.add(
            valuePosition(r.source, entry),
            `'hosts' must be a host pattern, got ${describeValue(v)}`,
          );
        if (play.hosts.includes('{{'))
          r.issues.add(
            valuePosition(r.source, entry),
            `'hosts' cannot be a template in mc; use -e and --limit`,
          );
        hasHosts = true;
        break;
      }
      case 'vars': {
        const m = asMap(r, entry);
        if (m !== undefined) {
          checkVarNames(r, entry.value, m);
          play.vars = m;
        }
        break;
      }
      case 'vars_files': {
        const paths = asStringList(r, entry);
        for (const p of paths) {
          if (p.includes('{{')) {
            r.issues.add(
              valuePosition(r.source, entry),
              `vars_files: mc reads them when it checks the playbook, so a file name cannot be a template`,
            );
            continue;
          }
          const vars = parseVarsFile(r, entry.value as Node, isAbsolute(p) ? p : resolve(r.dir(), p));
          if (vars !== undefined) play.varsFiles.push(vars);
        }
        break;
      }
      case 'become': {
        const b = asBool(r, entry);
        if (b !== undefined) play.become = b;
        break;
      }
      case 'become_user': {
        const s = asString(r, entry);
        if (s !== undefined) play.becomeUser = s;
        break;
      }
      case 'gather_facts': {
        const b = asBool(r, entry);
        if (b !== undefined) play.gatherFacts = b;
        break;
      }
      case 'serial':
        play.serial = parseSerial(r, entry);
        break;
      case 'max_fail_percentage': {
        const v = r.plain(entry.value);
        const n = typeof v === 'string' ? Number(v.replace(/%$/, '')) : v;
        if (typeof n !== 'number' || Number.isNaN(n) || n < 0 || n > 100)
          r.issues.add(
            valuePosition(r.source, entry),
            `'max_fail_percentage' must be a number from 0 to 100, got ${describeValue(v)}`,
          );
        else play.maxFailPercentage = n;
        break;
      }
      case 'any_errors_fatal': {
        const b = asBool(r, entry);
        if (b !== undefined) play.anyErrorsFatal = b;
        break;
      }
      case 'environment': {
        const m = asMap(r, entry);
        if (m !== undefined) play.environment = m;
        break;
      }
      case 'tags':
        play.tags = asStringList(r, entry);
        break;
      case 'pre_tasks':
        play.preTasks = parseTaskList(r, entry, false);
        break;
      case 'tasks':
        play.tasks = parseTaskList(r, entry, false);
        break;
      case 'post_tasks':
        play.postTasks = parseTaskList(r, entry, false);
        break;
      case 'handlers':
        play.handlers = parseTaskList(r, entry, true).filter((t): t is Task => t.kind === 'task');
        break;
    }
  }
  if (!hasHosts) r.issues.add(play.at, `a play needs 'hosts' (a host pattern such as all or a group name)`);
  checkNotify(r, play);
  play.templates = r.ctx.templates.splice(firstTemplate);
  play.definedNames = [...definedNames(play)];
  return play;
}

function* allTasks(items: TaskItem[]): Generator<Task> {
  for (const item of items) {
    if (item.kind === 'task') yield item;
    else {
      yield* allTasks(item.block);
      yield* allTasks(item.rescue);
      yield* allTasks(item.always);
    }
  }
}

function* itemVars(items: TaskItem[]): Generator<string> {
  for (const item of items) {
    yield* Object.keys(item.vars ?? {});
    if (item.loop !== undefined) yield item.loopControl?.loopVar ?? 'item';
    if (item.loopControl?.indexVar !== undefined) yield item.loopControl.indexVar;
    if (item.kind === 'block') {
      yield* itemVars([...item.block, ...item.rescue, ...item.always]);
      continue;
    }
    if (item.register !== undefined) yield item.register;
    if (item.module === 'set_fact') yield* Object.keys(item.args).filter((k) => k !== 'cacheable');
  }
}

function definedNames(play: Play): Set<string> {
  return new Set(itemVars([...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers]));
}

/** A notify that no handler answers is refused, as ansible-playbook does before it starts. */
function checkNotify(r: FileReader, play: Play): void {
  const topics = new Set(
    play.handlers.flatMap((h) => [...(h.name === undefined ? [] : [h.name]), ...h.listen]),
  );
  const names = [...topics];
  for (const task of [
    ...allTasks(play.preTasks),
    ...allTasks(play.tasks),
    ...allTasks(play.postTasks),
    ...play.handlers,
  ]) {
    for (const topic of task.notify) {
      if (topics.has(topic)) continue;
      const near = closestMatch(topic, names);
      r.issues.add(
        task.at,
        `notify: no handler named ${describeValue(topic)} in this play${near === undefined ? '' : ` (did you mean '${near}'?)`}`,
      );
    }
  }
}

function parsePlaybookFile(path: string, ctx: Context, from: SourcePosition | undefined): Play[] {
  if (ctx.stack.includes(path) || ctx.stack.length > MAX_IMPORT_DEPTH) {
    ctx.issues.add(from ?? { file: path, line: 0, col: 0 }, `${path} imports itself`);
    return [];
  }
  const r = loadYaml(path, ctx, from);
  if (r === undefined) return [];
  const contents = r.source.doc.contents as Node | null;
  if (contents === null || !isSeq(contents)) {
    r.issues.add(
      contents === null ? { file: path, line: 1, col: 1 } : r.at(contents),
      'a playbook must be a list of plays',
    );
    return [];
  }
  ctx.stack.push(path);
  const plays: Play[] = [];
  for (const item of contents.items) {
    const node = item as Node;
    if (
      isMap(node) &&
      node.items.some(
        (p) =>
          isScalar(p.key) &&
          ['import_playbook', 'ansible.builtin.import_playbook'].includes(String(p.key.value)),
      )
    ) {
      const entries = r.entries(node);
      const entry = entries.find((e) => e.key.endsWith('import_playbook')) as MapEntry;
      for (const other of entries)
        if (other !== entry && other.key !== 'name')
          r.issues.add(r.at(other.keyNode), unknownKeyMessage(other.key, ['name'], 'import_playbook'));
      const file = r.plain(entry.value);
      if (typeof file !== 'string' || file.includes('{{')) {
        r.issues.add(valuePosition(r.source, entry), `import_playbook: give a file name (not a template)`);
        continue;
      }
      plays.push(
        ...parsePlaybookFile(
          isAbsolute(file) ? file : resolve(r.dir(), file),
          ctx,
          valuePosition(r.source, entry),
        ),
      );
      continue;
    }
    const play = parsePlay(r, node);
    if (play !== undefined) plays.push(play);
  }
  ctx.stack.pop();
  return plays;
}

/** Reads and checks a playbook and every file it names; nothing is run. */
export function loadPlaybook(path: string, read: ReadFile): PlaybookResult {
  const ctx: Context = { issues: new IssueList(), templates: [], read, stack: [] };
  const plays = parsePlaybookFile(path, ctx, undefined);
  if (ctx.issues.size > 0) return { ok: false, issues: ctx.issues.sorted() };
  return { ok: true, playbook: { file: path, plays } };
}
