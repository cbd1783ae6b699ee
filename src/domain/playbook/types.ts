// A playbook as mc runs it: plays, tasks and blocks with where each was written, values still raw
// (templates are rendered per host when the task runs).
import type { SourcePosition } from '../inventory/types.js';

export type { SourcePosition } from '../inventory/types.js';

/** The keywords a task, block or handler may carry besides its module. */
export interface TaskOptions {
  when: string[];
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  ignoreErrors?: boolean;
  noLog?: boolean;
  checkMode?: boolean;
  runOnce?: boolean;
  /** `timeout` (seconds): the task fails when its module runs longer, as Ansible's task timeout. */
  timeout?: number;
  delegateTo?: string;
  environment?: Record<string, unknown>;
  /** Raw `vars:` of a task or block. */
  vars?: Record<string, unknown>;
}

export interface LoopControl {
  loopVar: string;
  indexVar?: string;
  label?: string;
  pause?: number;
}

export interface Task extends TaskOptions {
  kind: 'task';
  at: SourcePosition;
  /** Raw name (may hold a template). */
  name?: string;
  /** Canonical short name: `command`, `snap` (community.general.snap), ... */
  module: string;
  /** The module key as written (ansible.builtin.copy), for messages. */
  moduleAs: string;
  args: Record<string, unknown>;
  loop?: unknown;
  /** `with_items` flattens one level, `loop` does not. */
  loopFlatten?: boolean;
  loopControl?: LoopControl;
  register?: string;
  changedWhen?: string[];
  failedWhen?: string[];
  /** `until`: the module runs again (after `delay` seconds) until these hold, at most `retries` more times. */
  until?: string[];
  /**
   * A number, or a template that renders to one (per host, when the task runs). Without `until` both are
   * ignored and the task runs once, as in ansible-core 2.14.
   */
  retries?: number | string;
  delay?: number | string;
  notify: string[];
  /** Handlers: the topics they listen to. */
  listen: string[];
}

export interface Block extends TaskOptions {
  kind: 'block';
  at: SourcePosition;
  name?: string;
  /**
   * Read from include_tasks: a task of its own ("included", counted per host), whose when and tags are its
   * own and not inherited by the tasks it reads, as in Ansible. import_tasks is a plain block.
   */
  include?: string;
  /** include_tasks with `loop`/`with_items`: the file's tasks run once per item, in order. */
  loop?: unknown;
  loopFlatten?: boolean;
  loopControl?: LoopControl;
  block: TaskItem[];
  rescue: TaskItem[];
  always: TaskItem[];
}

export type TaskItem = Task | Block;

export interface Play {
  at: SourcePosition;
  name?: string;
  hosts: string;
  vars: Record<string, unknown>;
  /** vars_files, read when the playbook was loaded, in order. */
  varsFiles: Record<string, unknown>[];
  become?: boolean;
  becomeUser?: string;
  gatherFacts: boolean;
  /** Batch sizes: numbers or "N%"; empty means all hosts at once. */
  serial: (number | string)[];
  maxFailPercentage?: number;
  anyErrorsFatal: boolean;
  environment?: Record<string, unknown>;
  preTasks: TaskItem[];
  tasks: TaskItem[];
  postTasks: TaskItem[];
  handlers: Task[];
  tags: string[];
  /** Every template in the play, where it was written: their variables are checked against the inventory. */
  templates: { at: SourcePosition; text: string; expression: boolean }[];
  /** Variables the play itself defines as it runs: register, set_fact, loop_var, index_var, task and block vars. */
  definedNames: string[];
}

export interface Playbook {
  file: string;
  plays: Play[];
}
