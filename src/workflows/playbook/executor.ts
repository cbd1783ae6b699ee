// Runs a checked playbook the way ansible-playbook's linear strategy does: play by play, batch by batch
// (serial), task by task on every host of the batch at once (forks), blocks with rescue and always,
// handlers at the end of each section, loops, register, when, changed_when/failed_when, tags, check mode.
// Every result goes to the event bus; the recap counts are Ansible's.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { selectHosts } from '../../domain/inventory/host-patterns.js';
import type { HostSpec, Inventory } from '../../domain/inventory/types.js';
import { gatherFactsScript, parseGatheredFacts } from '../../domain/playbook/facts.js';
import { pyStr } from '../../domain/playbook/python-repr.js';
import { Templar, TemplateError, UNDEFINED } from '../../domain/playbook/template.js';
import type { Block, Play, Playbook, Task, TaskItem } from '../../domain/playbook/types.js';
import type { PlaybookCounts, TaskStatus } from '../../output/events.js';
import type { Connection, ExecResult } from '../../transport/connection.js';
import { quoteArg } from '../../transport/quote.js';
import { CommandTimeoutError, TransportError } from '../../transport/errors.js';
import { forEachHost } from '../../transport/pool.js';
import type { Session } from '../session.js';
import { withoutHostPrefix } from '../session.js';
import { IMPLEMENTATIONS } from './modules/index.js';
import { ModuleError } from './modules/types.js';
import type { ModuleContext, ModuleResult } from './modules/types.js';

export interface PlaybookOptions {
  check: boolean;
  diff: boolean;
  tags: string[];
  skipTags: string[];
  extraVars: Record<string, unknown>;
  /** Hosts --limit selected (all, without it). */
  limit: readonly string[];
  /** Per remote command. */
  timeoutMs: number;
  /** Become for every play, as `--become` does. */
  become: boolean;
}

const HIDDEN = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";
const MAX_MESSAGE = 300;

interface HostState {
  spec: HostSpec;
  /** Gathered facts (ansible_*, mc_facts). */
  facts: Record<string, unknown>;
  /** set_fact and register: they outlive the play, as in Ansible. */
  hostVars: Record<string, unknown>;
  counts: PlaybookCounts;
  failed: boolean;
  unreachable: boolean;
  notified: Set<string>;
}

/** What a task sees besides the host: the play, and the vars of the blocks around it. */
interface Scope {
  play: Play;
  vars: Record<string, unknown>[];
  /** The loop variables of the include_tasks around (already rendered: not templated again). */
  includeVars?: Record<string, unknown>[];
  tags: string[];
  when: string[];
  become?: boolean;
  ignoreErrors?: boolean;
  noLog?: boolean;
  checkMode?: boolean;
  /** Seconds a task's module may run (`timeout`, inherited from blocks); 0 or unset: no limit. */
  timeout?: number;
  environment: Record<string, unknown>[];
  /** Failures here go to a rescue section: Ansible counts them as rescued, not failed. */
  rescuable: boolean;
  handler: boolean;
  /** The serial batch being run (ansible_play_batch). */
  batch?: string[];
}

type Outcome = {
  status: TaskStatus;
  result: ModuleResult;
  ignored: boolean;
  /** The task timed out: Ansible returns that result as it is (no changed_when, failed_when or until). */
  timedOut?: boolean;
};

function emptyCounts(): PlaybookCounts {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}

function shortMessage(value: unknown): string {
  const text = typeof value === 'string' ? value : pyStr(value);
  const one = text.replace(/\s*\n\s*/g, ' | ');
  return one.length > MAX_MESSAGE ? `${one.slice(0, MAX_MESSAGE - 3)}...` : one;
}

export class PlaybookRun {
  private readonly hosts = new Map<string, HostState>();
  /** The directory of the playbook being run: copy/template sources and playbook_dir are relative to it. */
  private baseDir = '';
  /** Play-wide: when any_errors_fatal trips, or max_fail_percentage is passed. */
  private stopPlay = false;
  /** Hosts of the current serial batch already failed or unreachable when it started. */
  private batchFailedBefore = 0;

  constructor(
    private readonly session: Session,
    private readonly inventory: Inventory,
    private readonly playbooks: Playbook[],
    private readonly options: PlaybookOptions,
  ) {
    const limited = new Set(options.limit);
    for (const spec of inventory.hosts) {
      if (!limited.has(spec.name)) continue;
      this.hosts.set(spec.name, {
        spec,
        facts: {},
        hostVars: {},
        counts: emptyCounts(),
        failed: false,
        unreachable: false,
        notified: new Set(),
      });
    }
  }

  /** Runs every play; the recap counts are recorded in the session. */
  async run(): Promise<void> {
    // Several playbooks run as one, with one recap, as ansible-playbook a.yml b.yml does.
    run: for (const playbook of this.playbooks) {
      this.baseDir = dirname(playbook.file);
      for (const play of playbook.plays) {
        await this.runPlay(play);
        if (this.allDown()) break run;
      }
    }
    for (const [name, state] of this.hosts) {
      if (Object.values(state.counts).every((n) => n === 0)) continue;
      this.session.recordCounts(name, state.counts);
      if (state.unreachable) continue;
      if (state.failed) this.session.recordFailure(name, 'a task failed');
      else if (state.counts.ok + state.counts.changed + state.counts.skipped > 0)
        this.session.recordSuccess(name, state.counts.changed > 0, 0);
    }
  }

  private allDown(): boolean {
    return [...this.hosts.values()].every((h) => h.failed || h.unreachable);
  }

  private playHosts(play: Play): string[] {
    const selection = selectHosts(this.inventory, play.hosts);
    if (!selection.ok) return [];
    return selection.hosts.map((h) => h.name).filter((h) => this.hosts.has(h));
  }

  private batches(hosts: string[], serial: (number | string)[]): string[][] {
    if (serial.length === 0) return [hosts];
    const out: string[][] = [];
    let at = 0;
    let i = 0;
    while (at < hosts.length) {
      const size = serial[Math.min(i, serial.length - 1)] as number | string;
      const n =
        typeof size === 'number'
          ? size
          : Math.max(1, Math.floor((hosts.length * Number.parseInt(size, 10)) / 100));
      out.push(hosts.slice(at, at + n));
      at += n;
      i++;
    }
    return out;
  }

  private downIn(hosts: readonly string[]): number {
    return hosts.length - this.alive(hosts).length;
  }

  /**
   * max_fail_percentage, checked after every task as Ansible's linear strategy does: past it, the batch's
   * other hosts stop too (failed, though the recap counts no failure for them) and so does the playbook.
   */
  private checkMaxFail(play: Play, batch: string[]): void {
    if (play.maxFailPercentage === undefined || this.stopPlay) return;
    const failed = this.downIn(batch) - this.batchFailedBefore;
    if ((failed * 100) / batch.length <= play.maxFailPercentage) return;
    this.session.bus.emit({
      type: 'warning',
      message: `play '${play.name ?? play.hosts}': max_fail_percentage ${play.maxFailPercentage} exceeded; stopping`,
    });
    for (const h of this.alive(batch)) (this.hosts.get(h) as HostState).failed = true;
    this.stopPlay = true;
  }

  private alive(hosts: readonly string[]): string[] {
    return hosts.filter((h) => {
      const state = this.hosts.get(h);
      return state !== undefined && !state.failed && !state.unreachable;
    });
  }

  private async runPlay(play: Play): Promise<void> {
    const all = this.playHosts(play);
    const title = play.name ?? play.hosts;
    this.session.bus.emit({ type: 'play-start', play: title, hosts: all });
    if (all.length === 0) {
      this.session.bus.emit({ type: 'warning', message: `play '${title}': no hosts matched` });
      return;
    }
    this.stopPlay = false;
    const scope: Scope = {
      play,
      vars: [],
      tags: play.tags,
      when: [],
      ...(play.become === undefined ? {} : { become: play.become }),
      environment: play.environment === undefined ? [] : [play.environment],
      rescuable: false,
      handler: false,
    };
    for (const batch of this.batches(all, play.serial)) {
      if (this.stopPlay) break;
      this.batchFailedBefore = this.downIn(batch);
      if (play.gatherFacts) {
        await this.gatherFacts(this.alive(batch), play, all);
        this.checkMaxFail(play, batch);
      }
      for (const section of [play.preTasks, play.tasks, play.postTasks]) {
        if (this.stopPlay) break;
        await this.runItems(section, this.alive(batch), { ...scope, batch }, all, batch);
        await this.runHandlers(play, batch, { ...scope, batch }, all);
      }
      if (this.alive(batch).length === 0 && play.serial.length > 0) {
        this.stopPlay = true;
      }
    }
  }

  private async gatherFacts(hosts: string[], play: Play, playHosts: string[]): Promise<void> {
    this.session.bus.emit({ type: 'task-start', task: 'Gathering Facts' });
    await forEachHost(hosts, this.session.options.forks, async (host) => {
      const state = this.hosts.get(host) as HostState;
      const started = Date.now();
      const connection = await this.connect(host, 'Gathering Facts', started);
      if (connection === undefined) return;
      try {
        const nonce = randomBytes(6).toString('hex');
        const result = await connection.exec(gatherFactsScript(nonce), {
          timeoutMs: Math.min(this.options.timeoutMs, 30_000),
        });
        if (result.code !== 0)
          throw new Error(result.stderr.trim().split('\n')[0] || `fact gathering exited with ${result.code}`);
        Object.assign(state.facts, parseGatheredFacts(result.stdout, nonce));
        state.facts.ansible_facts = this.factsView(state.facts);
        state.counts.ok++;
        this.result(host, 'Gathering Facts', 'ok', started);
      } catch (err) {
        this.hostError(
          host,
          'Gathering Facts',
          err,
          started,
          { play, vars: [], tags: [], when: [], environment: [], rescuable: false, handler: false },
          playHosts,
        );
      }
    });
  }

  /** ansible_facts holds the facts without their ansible_ prefix. */
  private factsView(facts: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(
      Object.entries(facts)
        .filter(([k]) => k.startsWith('ansible_'))
        .map(([k, v]) => [k.slice('ansible_'.length), v]),
    );
  }

  private async connect(host: string, task: string, started: number): Promise<Connection | undefined> {
    try {
      return await this.session.pool.get(host);
    } catch (err) {
      this.markUnreachable(host, task, err, started);
      return undefined;
    }
  }

  private markUnreachable(host: string, task: string, err: unknown, started: number): void {
    const state = this.hosts.get(host) as HostState;
    if (!state.unreachable) state.counts.unreachable++;
    state.unreachable = true;
    // The session reports it (host-unreachable, with the reason and a hint).
    this.session.recordUnreachable(host, err);
    void task;
    void started;
  }

  private hostError(
    host: string,
    task: string,
    err: unknown,
    started: number,
    scope: Scope,
    playHosts: string[],
  ): void {
    void playHosts;
    void scope;
    const state = this.hosts.get(host) as HostState;
    state.failed = true;
    state.counts.failed++;
    const message = withoutHostPrefix(host, err instanceof Error ? err.message : String(err));
    this.result(host, task, 'failed', started, { message });
  }

  private result(
    host: string,
    task: string,
    status: TaskStatus,
    started: number,
    extra: { item?: string; message?: string; ignored?: boolean } = {},
  ): void {
    this.session.bus.emit({
      type: 'task-result',
      host,
      task,
      status,
      ms: Date.now() - started,
      ...(extra.item === undefined ? {} : { item: extra.item }),
      ...(extra.message === undefined ? {} : { message: extra.message }),
      ...(extra.ignored === true ? { ignored: true } : {}),
    });
  }

  // ---- tags ----

  private selectedByTags(tags: string[]): boolean {
    const all = new Set(tags);
    if (this.options.skipTags.some((t) => all.has(t) || (t === 'all' && !all.has('always')))) return false;
    if (all.has('always')) return !this.options.skipTags.includes('always');
    if (all.has('never') && !this.options.tags.some((t) => all.has(t) || t === 'never')) return false;
    if (this.options.tags.length === 0 || this.options.tags.includes('all')) return true;
    if (this.options.tags.includes('tagged') && all.size > 0) return true;
    if (this.options.tags.includes('untagged') && all.size === 0) return true;
    return this.options.tags.some((t) => all.has(t));
  }

  // ---- variables ----

  private templarFor(
    host: string,
    scope: Scope,
    taskVars: Record<string, unknown>,
    playHosts: string[],
  ): Templar {
    const state = this.hosts.get(host) as HostState;
    const play = scope.play;
    const rendering = new Set<string>();
    const layers: { vars: Record<string, unknown>; templated: boolean }[] = [
      { vars: this.options.extraVars, templated: true },
      { vars: taskVars, templated: false },
      ...[...(scope.includeVars ?? [])].reverse().map((vars) => ({ vars, templated: false })),
      { vars: state.hostVars, templated: false },
      ...[...scope.vars].reverse().map((vars) => ({ vars, templated: true })),
      ...[...play.varsFiles].reverse().map((vars) => ({ vars, templated: true })),
      { vars: play.vars, templated: true },
      { vars: state.facts, templated: false },
      { vars: state.spec.vars, templated: true },
    ];
    const magic = (name: string): unknown => {
      switch (name) {
        case 'inventory_hostname':
          return host;
        case 'inventory_hostname_short':
          return host.split('.')[0];
        case 'group_names':
          return state.spec.groups.filter((g) => g !== 'all' && g !== 'ungrouped');
        case 'groups':
          return Object.fromEntries([
            ['all', this.inventory.hosts.map((h) => h.name)],
            ...this.inventory.groups
              .filter((g) => g.name !== 'all')
              .map((g) => [
                g.name,
                this.inventory.hosts.filter((h) => h.groups.includes(g.name)).map((h) => h.name),
              ]),
          ]);
        case 'hostvars':
          return Object.fromEntries(
            [...this.hosts].map(([name, s]) => [
              name,
              { ...s.spec.vars, ...s.facts, ...s.hostVars, inventory_hostname: name },
            ]),
          );
        case 'ansible_check_mode':
          return this.options.check;
        case 'ansible_diff_mode':
          return this.options.diff;
        case 'ansible_play_hosts':
          return this.alive(playHosts);
        case 'play_hosts':
        case 'ansible_play_batch':
          return this.alive(scope.batch ?? playHosts);
        case 'ansible_play_hosts_all':
          return playHosts;
        case 'ansible_play_name':
          return play.name ?? play.hosts;
        case 'playbook_dir':
          return this.baseDir;
        case 'inventory_file':
          return this.inventory.source;
        case 'inventory_dir':
          return dirname(this.inventory.source);
        case 'omit':
          return OMIT;
        case 'ansible_run_tags':
          return this.options.tags.length === 0 ? ['all'] : this.options.tags;
        case 'ansible_skip_tags':
          return this.options.skipTags;
        default:
          return UNDEFINED;
      }
    };
    const templar: Templar = new Templar((name) => {
      for (const layer of layers) {
        if (!Object.hasOwn(layer.vars, name)) continue;
        const value = layer.vars[name];
        if (!layer.templated) return value;
        if (rendering.has(name))
          throw new TemplateError(`recursive loop detected in template string: ${name}`);
        rendering.add(name);
        try {
          return templar.renderDeep(value);
        } finally {
          rendering.delete(name);
        }
      }
      return magic(name);
    });
    return templar;
  }

  // ---- tasks ----

  private async runItems(
    items: TaskItem[],
    hosts: string[],
    scope: Scope,
    playHosts: string[],
    batch: string[],
  ): Promise<string[]> {
    const failed = new Set<string>();
    for (const item of items) {
      if (this.stopPlay) break;
      const active = hosts.filter((h) => !failed.has(h) && this.alive([h]).length === 1);
      if (active.length === 0) break;
      const failedHere =
        item.kind === 'block'
          ? await this.runBlock(item, active, scope, playHosts, batch)
          : await this.runTask(item, active, scope, playHosts);
      for (const h of failedHere) failed.add(h);
      this.checkMaxFail(scope.play, batch);
    }
    return [...failed];
  }

  private inner(scope: Scope, item: Block | Task): Scope {
    return {
      ...scope,
      vars: item.vars === undefined ? scope.vars : [...scope.vars, item.vars],
      tags: [...scope.tags, ...item.tags],
      when: [...scope.when, ...item.when],
      environment:
        item.environment === undefined ? scope.environment : [...scope.environment, item.environment],
      ...(item.become === undefined ? {} : { become: item.become }),
      ...(item.ignoreErrors === undefined ? {} : { ignoreErrors: item.ignoreErrors }),
      ...(item.noLog === undefined ? {} : { noLog: item.noLog }),
      ...(item.checkMode === undefined ? {} : { checkMode: item.checkMode }),
      ...(item.timeout === undefined ? {} : { timeout: item.timeout }),
    };
  }

  /** Returns the hosts that ended the block failed. */
  private async runBlock(
    block: Block,
    hosts: string[],
    outer: Scope,
    playHosts: string[],
    batch: string[],
  ): Promise<string[]> {
    if (block.include !== undefined) return this.runInclude(block, hosts, outer, playHosts, batch);
    const scope = this.inner(outer, block);
    const blockScope: Scope = { ...scope, rescuable: block.rescue.length > 0 || outer.rescuable };
    const failedInBlock = await this.runBlockSection(
      block.block,
      hosts,
      blockScope,
      block.rescue.length > 0,
      playHosts,
      batch,
    );
    let stillFailed = failedInBlock;
    if (block.rescue.length > 0 && failedInBlock.length > 0) {
      for (const h of failedInBlock) {
        const state = this.hosts.get(h) as HostState;
        state.failed = false;
        state.counts.rescued++;
      }
      stillFailed = await this.runItems(block.rescue, failedInBlock, scope, playHosts, batch);
    }
    const always = hosts.filter((h) => this.hosts.get(h)?.unreachable !== true);
    if (block.always.length > 0) {
      // always runs even for hosts that failed: they are revived for it, then failed again.
      const failedStates = always.filter((h) => this.hosts.get(h)?.failed === true);
      for (const h of failedStates) (this.hosts.get(h) as HostState).failed = false;
      const failedInAlways = await this.runItems(block.always, always, scope, playHosts, batch);
      for (const h of failedStates) (this.hosts.get(h) as HostState).failed = true;
      stillFailed = [...new Set([...stillFailed, ...failedInAlways])];
    }
    return stillFailed;
  }

  /**
   * include_tasks: a task that is "ok" where its when holds and "skipped" elsewhere; its tasks then run there
   * with the include's vars but neither its when nor its tags (Ansible does not pass them on).
   * With a loop, as ansible-core 2.14: `when` is checked per item; every item included counts "ok" once and
   * the file's tasks run once per item (in includeOrder's order) with the loop variable (and index_var) set;
   * a host with no item included (an empty list, or every item skipped) counts one "skipped".
   */
  private async runInclude(
    block: Block,
    hosts: string[],
    outer: Scope,
    playHosts: string[],
    batch: string[],
  ): Promise<string[]> {
    const scope = this.inner(outer, block);
    if (!this.selectedByTags(scope.tags)) return [];
    const title = block.name ?? block.include ?? 'include_tasks';
    this.session.bus.emit({ type: 'task-start', task: title });
    /** Per host, the loop variables of each item included, in order ([{}] for an include without loop). */
    const included = new Map<string, Record<string, unknown>[]>();
    const failed: string[] = [];
    for (const host of hosts) {
      const state = this.hosts.get(host) as HostState;
      const started = Date.now();
      try {
        const runs = this.includedItems(block, host, scope, playHosts, title, started);
        state.counts.ok += runs.length;
        if (runs.length === 0) {
          state.counts.skipped++;
          this.result(host, title, 'skipped', started);
        } else included.set(host, runs);
        if (block.loop === undefined && runs.length > 0) this.result(host, title, 'ok', started);
      } catch (err) {
        this.hostError(host, title, err, started, scope, playHosts);
        failed.push(host);
      }
    }
    const inner: Scope = { ...scope, when: outer.when, tags: outer.tags };
    for (const run of includeOrder(included)) {
      if (this.stopPlay) break;
      const hostsLeft = this.alive(run.hosts);
      if (hostsLeft.length === 0) continue;
      const withItem: Scope =
        block.loop === undefined
          ? inner
          : { ...inner, includeVars: [...(inner.includeVars ?? []), run.vars] };
      failed.push(...(await this.runItems(block.block, hostsLeft, withItem, playHosts, batch)));
    }
    return [...new Set(failed)];
  }

  /** The items an include_tasks includes on one host (its when per item), each reported as Ansible does. */
  private includedItems(
    block: Block,
    host: string,
    scope: Scope,
    playHosts: string[],
    title: string,
    started: number,
  ): Record<string, unknown>[] {
    const templar = this.templarFor(host, scope, {}, playHosts);
    if (block.loop === undefined) return this.conditionsHold(templar, scope.when) ? [{}] : [];
    const items = this.loopItems(templar, block.loop, block.loopFlatten === true);
    const loopVar = block.loopControl?.loopVar ?? 'item';
    const runs: Record<string, unknown>[] = [];
    for (const [index, item] of items.entries()) {
      const vars: Record<string, unknown> = { [loopVar]: item };
      if (block.loopControl?.indexVar !== undefined) vars[block.loopControl.indexVar] = index;
      const itemTemplar = this.templarFor(host, scope, vars, playHosts);
      const holds = this.conditionsHold(itemTemplar, scope.when);
      const label =
        block.loopControl?.label === undefined
          ? shortMessage(item)
          : pyStr(itemTemplar.render(block.loopControl.label));
      this.result(host, title, holds ? 'ok' : 'skipped', started, {
        item: scope.noLog === true ? '(censored due to no_log)' : label,
      });
      if (holds) runs.push(vars);
    }
    return runs;
  }

  /** A task's or include's loop, rendered for one host: a list, flattened one level for with_items. */
  private loopItems(templar: Templar, loop: unknown, flatten: boolean): unknown[] {
    const rendered = typeof loop === 'string' ? templar.render(loop) : templar.renderDeep(loop);
    if (!Array.isArray(rendered))
      throw new ModuleError(
        `Invalid data passed to 'loop', it requires a list, got this instead: ${shortMessage(rendered)}`,
      );
    const list: unknown[] = rendered;
    return flatten ? list.flatMap((x): unknown[] => (Array.isArray(x) ? (x as unknown[]) : [x])) : list;
  }

  /** A block's main section: a failure there waits for rescue instead of failing the host for good. */
  private async runBlockSection(
    items: TaskItem[],
    hosts: string[],
    scope: Scope,
    rescued: boolean,
    playHosts: string[],
    batch: string[],
  ): Promise<string[]> {
    const failed = await this.runItems(items, hosts, scope, playHosts, batch);
    if (rescued) {
      for (const h of failed) {
        const state = this.hosts.get(h) as HostState;
        if (!state.unreachable) state.failed = true;
      }
    }
    return failed.filter((h) => this.hosts.get(h)?.unreachable !== true);
  }

  private taskTitle(task: Task, templar: Templar | undefined): string {
    if (task.name === undefined) return task.moduleAs.replace(/^ansible\.builtin\./, '');
    if (templar === undefined) return task.name;
    try {
      return pyStr(templar.render(task.name));
    } catch {
      return task.name;
    }
  }

  /** Runs one task on every host given (forks at once); returns the hosts where it failed. */
  private async runTask(task: Task, hosts: string[], outer: Scope, playHosts: string[]): Promise<string[]> {
    const scope = this.inner(outer, task);
    if (!this.selectedByTags(scope.tags)) return [];
    const first = hosts[0] as string;
    const title = this.taskTitle(task, this.safeTemplar(first, scope, {}, playHosts));
    this.session.bus.emit({ type: 'task-start', task: title, ...(scope.handler ? { handler: true } : {}) });
    // pause bypasses the host loop in Ansible (its action plugin runs once, for the first host).
    const once = task.runOnce === true || task.module === 'pause';
    const targets = once ? [first] : hosts;
    const failed: string[] = [];
    await forEachHost(targets, this.session.options.forks, async (host) => {
      const outcome = await this.runTaskOnHost(task, host, scope, playHosts, title);
      if (once) {
        // run_once: the one result counts for every host of the batch, as Ansible applies it.
        for (const other of hosts.slice(1)) {
          if (task.register !== undefined)
            (this.hosts.get(other) as HostState).hostVars[task.register] = outcome.result;
        }
      }
      if (outcome.status === 'failed' && !outcome.ignored) failed.push(host);
    });
    if (failed.length > 0 && scope.play.anyErrorsFatal && !scope.rescuable) {
      this.stopPlay = true;
      for (const h of hosts) {
        const state = this.hosts.get(h) as HostState;
        if (!state.failed && !state.unreachable) state.failed = true;
      }
    }
    return failed;
  }

  private safeTemplar(
    host: string,
    scope: Scope,
    vars: Record<string, unknown>,
    playHosts: string[],
  ): Templar | undefined {
    try {
      return this.templarFor(host, scope, vars, playHosts);
    } catch {
      return undefined;
    }
  }

  private async runTaskOnHost(
    task: Task,
    host: string,
    scope: Scope,
    playHosts: string[],
    title: string,
  ): Promise<Outcome> {
    const state = this.hosts.get(host) as HostState;
    const started = Date.now();
    const noLog = scope.noLog === true;
    const finish = (outcome: Outcome, item?: string): Outcome => {
      this.count(state, outcome, scope);
      const message = this.messageOf(outcome, noLog);
      this.result(host, title, outcome.status, started, {
        ...(item === undefined ? {} : { item }),
        ...(message === undefined ? {} : { message }),
        ignored: outcome.ignored,
      });
      return outcome;
    };
    try {
      const templar = this.templarFor(host, scope, {}, playHosts);
      const items =
        task.loop === undefined ? undefined : this.loopItems(templar, task.loop, task.loopFlatten === true);
      if (items === undefined) {
        if (!this.conditionsHold(templar, scope.when)) {
          // Registered all the same, as Ansible does: `r is skipped` is how later tasks tell.
          const skipped: Outcome = { status: 'skipped', result: skippedResult(), ignored: false };
          this.afterTask(task, state, skipped, scope);
          return finish(skipped);
        }
        const outcome = await this.runOnce(task, host, scope, templar, {}, playHosts, title);
        this.afterTask(task, state, outcome, scope);
        return finish(outcome);
      }
      if (items.length === 0) {
        const empty: Outcome = {
          status: 'skipped',
          result: { changed: false, skipped: true, skipped_reason: 'No items in the list', results: [] },
          ignored: false,
        };
        this.afterTask(task, state, empty, scope);
        return finish(empty);
      }
      const loopVar = task.loopControl?.loopVar ?? 'item';
      const results: ModuleResult[] = [];
      let anyChanged = false;
      let anyFailed = false;
      let allSkipped = true;
      for (const [index, item] of items.entries()) {
        const itemStarted = Date.now();
        const vars: Record<string, unknown> = { [loopVar]: item, ansible_loop_var: loopVar };
        if (task.loopControl?.indexVar !== undefined) vars[task.loopControl.indexVar] = index;
        const itemTemplar = this.templarFor(host, scope, vars, playHosts);
        const label =
          task.loopControl?.label === undefined
            ? shortMessage(item)
            : pyStr(itemTemplar.render(task.loopControl.label));
        let outcome: Outcome;
        if (!this.conditionsHold(itemTemplar, scope.when)) {
          outcome = { status: 'skipped', result: skippedResult(), ignored: false };
        } else {
          outcome = await this.runOnce(task, host, scope, itemTemplar, vars, playHosts, title, label);
          allSkipped = false;
        }
        outcome.result[loopVar] = item;
        outcome.result.ansible_loop_var = loopVar;
        results.push(outcome.result);
        anyChanged ||= outcome.status === 'changed';
        anyFailed ||= outcome.status === 'failed';
        if (outcome.status === 'unreachable') return finish(outcome, label);
        const message = this.messageOf(outcome, noLog);
        this.session.bus.emit({
          type: 'task-result',
          host,
          task: title,
          status: outcome.status,
          item: noLog ? '(censored due to no_log)' : label,
          ms: Date.now() - itemStarted,
          ...(message === undefined ? {} : { message }),
        });
        if (task.loopControl?.pause !== undefined) await sleep(task.loopControl.pause * 1000);
      }
      // As ansible-core 2.14 sums up a loop: `skipped` is always there, and says whether every item was.
      const combined: ModuleResult = {
        changed: anyChanged,
        results,
        skipped: allSkipped,
        msg: allSkipped
          ? 'All items skipped'
          : anyFailed
            ? 'One or more items failed'
            : 'All items completed',
        ...(anyFailed ? { failed: true } : {}),
      };
      const status: TaskStatus = anyFailed
        ? 'failed'
        : allSkipped
          ? 'skipped'
          : anyChanged
            ? 'changed'
            : 'ok';
      const outcome: Outcome = {
        status,
        result: combined,
        ignored: anyFailed && scope.ignoreErrors === true,
      };
      this.afterTask(task, state, outcome, scope);
      this.count(state, outcome, scope);
      if (outcome.status === 'failed' && !outcome.ignored) state.failed = true;
      return outcome;
    } catch (err) {
      const outcome: Outcome = {
        status: 'failed',
        result: { failed: true, msg: err instanceof Error ? err.message : String(err) },
        ignored: scope.ignoreErrors === true,
      };
      this.afterTask(task, state, outcome, scope);
      return finish(outcome);
    }
  }

  private conditionsHold(templar: Templar, when: string[]): boolean {
    return when.every((c) => templar.condition(c));
  }

  /** register, set_fact, notify; and the host's failure. */
  private afterTask(task: Task, state: HostState, outcome: Outcome, scope: Scope): void {
    if (task.register !== undefined) state.hostVars[task.register] = outcome.result;
    if (task.module === 'set_fact' && outcome.status !== 'failed') {
      const facts = outcome.result.ansible_facts;
      if (facts !== null && typeof facts === 'object') Object.assign(state.hostVars, facts);
    }
    if (outcome.status === 'changed') for (const topic of task.notify) state.notified.add(topic);
    if (outcome.status === 'failed' && !outcome.ignored) state.failed = true;
    void scope;
  }

  private count(state: HostState, outcome: Outcome, scope: Scope): void {
    const c = state.counts;
    switch (outcome.status) {
      case 'ok':
        c.ok++;
        break;
      case 'changed':
        c.ok++;
        c.changed++;
        break;
      case 'skipped':
        c.skipped++;
        break;
      case 'unreachable':
        break;
      case 'failed':
        if (outcome.ignored) {
          c.ok++;
          c.ignored++;
          if (outcome.result.changed === true) c.changed++;
        } else if (!scope.rescuable) c.failed++;
        break;
    }
  }

  private messageOf(outcome: Outcome, noLog: boolean): string | undefined {
    const r = outcome.result;
    if (outcome.status === 'skipped' || outcome.status === 'unreachable') return undefined;
    if (noLog) return outcome.status === 'failed' ? HIDDEN : undefined;
    if (outcome.status === 'failed') {
      const detail = typeof r.stderr === 'string' && r.stderr !== '' ? `: ${r.stderr}` : '';
      return shortMessage(`${typeof r.msg === 'string' ? r.msg : pyStr(r.msg ?? 'failed')}${detail}`);
    }
    if (r.debug === true) {
      if (r.msg !== undefined) return shortMessage(r.msg);
      const shown = Object.entries(r).find(
        ([k]) => !['changed', 'debug', '_var_value', 'failed'].includes(k),
      );
      if (shown !== undefined) return `${shown[0]}: ${shortMessage(shown[1])}`;
    }
    return undefined;
  }

  /**
   * One run of the task for one host (or loop item); with `until`, attempts until it holds, as
   * ansible-core 2.14's TaskExecutor does: `retries` more attempts (3 unless given; none when 0 or less),
   * `delay` seconds apart (5 unless given; 1 when negative). Each attempt's result has `attempts` before
   * changed_when and failed_when see it. When every attempt is spent, the result is failed and its
   * `attempts` is one less than the attempts made (2.14's own count). A task with a single attempt never
   * evaluates `until`.
   */
  private async runOnce(
    task: Task,
    host: string,
    scope: Scope,
    templar: Templar,
    loopVars: Record<string, unknown>,
    playHosts: string[],
    title: string,
    item?: string,
  ): Promise<Outcome> {
    if (task.until === undefined || task.until.length === 0)
      return this.runAttempt(task, host, scope, templar, loopVars, playHosts, undefined);
    const retries = task.retries === undefined ? 3 : countOf(templar, task.retries, 'retries');
    const attempts = retries <= 0 ? 1 : retries + 1;
    const delayValue = task.delay === undefined ? 5 : countOf(templar, task.delay, 'delay');
    const delay = delayValue < 0 ? 1 : delayValue;
    let outcome: Outcome | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      outcome = await this.runAttempt(task, host, scope, templar, loopVars, playHosts, attempt);
      if (outcome.status === 'unreachable' || outcome.timedOut === true || attempts === 1) return outcome;
      const withResult = this.templarFor(
        host,
        scope,
        { ...loopVars, ...(task.register === undefined ? {} : { [task.register]: outcome.result }) },
        playHosts,
      );
      let holds: boolean;
      try {
        holds = this.conditionsHold(withResult, task.until);
      } catch (err) {
        // As Ansible: the task fails with the error, and that is the result registered.
        const why = err instanceof Error ? err.message : String(err);
        const msg = `The conditional check '${task.until.join(' and ')}' failed. The error was: ${why}`;
        return { status: 'failed', result: { failed: true, msg }, ignored: scope.ignoreErrors === true };
      }
      if (holds) return outcome;
      if (attempt < attempts) {
        this.session.bus.emit({
          type: 'task-retry',
          host,
          task: title,
          retriesLeft: attempts - attempt,
          ...(item === undefined || scope.noLog === true ? {} : { item }),
        });
        await sleep(delay * 1000);
      }
    }
    const last = outcome as Outcome;
    last.result.attempts = attempts - 1;
    last.result.failed = true;
    const status = statusOf(last.result);
    return { status, result: last.result, ignored: status === 'failed' && scope.ignoreErrors === true };
  }

  /** One attempt of the module: render, run, then changed_when/failed_when. */
  private async runAttempt(
    task: Task,
    host: string,
    scope: Scope,
    templar: Templar,
    loopVars: Record<string, unknown>,
    playHosts: string[],
    attempt: number | undefined,
  ): Promise<Outcome> {
    const state = this.hosts.get(host) as HostState;
    const args = stripOmitted(templar.renderDeep(task.args) as Record<string, unknown>);
    if (task.module === 'debug' && args.var !== undefined) {
      const name = pyStr(task.args.var);
      try {
        args._var_value = templar.render(`{{ ${name} }}`);
      } catch (err) {
        args._var_value = `VARIABLE IS NOT DEFINED!${err instanceof TemplateError ? '' : ''}`;
      }
    }
    if (task.module === 'assert') {
      const that = Array.isArray(task.args.that) ? task.args.that : [task.args.that];
      for (const condition of that) {
        const text = pyStr(condition);
        if (!templar.condition(text)) {
          args._failed_condition = text;
          break;
        }
      }
    }
    const check = scope.checkMode ?? this.options.check;
    const implementation = IMPLEMENTATIONS[task.module];
    if (implementation === undefined) throw new ModuleError(`module ${task.module} is not implemented`);
    const local =
      task.delegateTo === 'localhost' ||
      ['debug', 'set_fact', 'assert', 'fail', 'pause'].includes(task.module);
    let connection: Connection | undefined;
    if (!local) {
      connection = await this.connect(host, task.name ?? task.module, Date.now());
      if (connection === undefined)
        return { status: 'unreachable', result: { unreachable: true }, ignored: false };
    }
    const env = this.environmentOf(templar, scope);
    const become = scope.become ?? (this.options.become || state.spec.become);
    // `timeout`: every command of the module gets what is left of it, and the module itself is raced
    // against it (wait_for and pause also sleep between commands).
    const deadline =
      scope.timeout === undefined || scope.timeout <= 0 ? undefined : Date.now() + scope.timeout * 1000;
    let expired = false;
    const timedOut = (): ModuleResult => {
      expired = true;
      return {
        changed: false,
        failed: true,
        msg: `The ${task.moduleAs} action failed to execute in the expected time frame (${scope.timeout}) and was terminated`,
      };
    };
    /** Whether the last command was given what was left of the task's timeout rather than its own. */
    let cutByDeadline = false;
    const commandTimeout = (asked: number | undefined): number => {
      const limit = asked ?? this.options.timeoutMs;
      cutByDeadline = false;
      if (deadline === undefined) return limit;
      const left = deadline - Date.now();
      cutByDeadline = left <= limit;
      if (left <= 0) throw new CommandTimeoutError('the task ran out of time', 'raise its timeout');
      return Math.min(limit, left);
    };
    const ctx: ModuleContext = {
      host,
      check,
      diff: this.options.diff,
      templar,
      sleep: (ms) => sleep(ms),
      readController: (path) => readFileSync(this.controllerPath(path)),
      writeController: (path, data) => {
        const full = isAbsolute(path) ? path : resolve(this.baseDir, path);
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, data);
      },
      run: (command, options = {}) => {
        const wire = env === '' ? command : `${env} ${command}`;
        const timeoutMs = commandTimeout(options.timeoutMs);
        if (connection === undefined) return this.runLocal(wire, options.stdin, timeoutMs);
        return connection.exec(wire, {
          timeoutMs,
          become: become === true,
          ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
          ...(options.stream === true && scope.noLog !== true
            ? {
                onLine: (stream: 'stdout' | 'stderr', text: string) =>
                  this.session.bus.emit({ type: 'line', host, step: task.name ?? task.module, stream, text }),
              }
            : {}),
        });
      },
    };
    let result: ModuleResult;
    let timer: NodeJS.Timeout | undefined;
    try {
      const running = implementation(ctx, args);
      if (deadline === undefined) result = await running;
      else {
        // Past the deadline the module's own end no longer matters (its command is stopped meanwhile).
        running.catch(() => undefined);
        result = await Promise.race([
          running,
          new Promise<ModuleResult>((done) => {
            timer = setTimeout(() => done(timedOut()), Math.max(0, deadline - Date.now()));
          }),
        ]);
      }
    } catch (err) {
      if (err instanceof CommandTimeoutError && cutByDeadline) result = timedOut();
      else if (err instanceof TransportError && connection !== undefined && !connection.isAlive) {
        this.markUnreachable(host, task.name ?? task.module, err, Date.now());
        return { status: 'unreachable', result: { unreachable: true, msg: err.message }, ignored: false };
      } else if (
        err instanceof ModuleError ||
        err instanceof TemplateError ||
        err instanceof TransportError
      ) {
        result = { failed: true, msg: err.message, changed: false };
      } else throw err;
    } finally {
      clearTimeout(timer);
    }
    if (expired) return { status: 'failed', result, ignored: scope.ignoreErrors === true, timedOut: true };
    if (task.module === 'debug') result.debug = true;
    // Every result that ran has `failed` and `changed`, as Ansible's TaskExecutor fills them in.
    if (!('failed' in result)) result.failed = false;
    if (!('changed' in result)) result.changed = false;
    if (attempt !== undefined) result.attempts = attempt;
    // changed_when and failed_when see the result under the register name, as in Ansible; a skipped
    // result (check mode) is left as it is.
    if (!('skipped' in result) && (task.changedWhen !== undefined || task.failedWhen !== undefined)) {
      const withResult = this.templarFor(
        host,
        scope,
        { ...loopVars, ...(task.register === undefined ? {} : { [task.register]: result }) },
        playHosts,
      );
      if (task.changedWhen !== undefined) result.changed = this.conditionsHold(withResult, task.changedWhen);
      if (task.failedWhen !== undefined) {
        const failed = task.failedWhen.some((c) => withResult.condition(c));
        result.failed = failed;
        result.failed_when_result = failed;
      }
    }
    // no_log hides what is shown (messageOf, the loop label, no live lines); the registered result keeps
    // its values, as in Ansible.
    const status = statusOf(result);
    return { status, result, ignored: status === 'failed' && scope.ignoreErrors === true };
  }

  private environmentOf(templar: Templar, scope: Scope): string {
    const merged: Record<string, unknown> = {};
    for (const env of scope.environment)
      Object.assign(merged, templar.renderDeep(env) as Record<string, unknown>);
    const words = Object.entries(merged).map(([k, v]) => `${k}=${quoteArg(pyStr(v))}`);
    return words.length === 0 ? '' : `env ${words.join(' ')}`;
  }

  private controllerPath(path: string): string {
    if (isAbsolute(path)) return path;
    // Ansible looks beside the playbook, then in files/ and templates/ there.
    for (const candidate of [
      resolve(this.baseDir, path),
      resolve(this.baseDir, 'files', path),
      resolve(this.baseDir, 'templates', path),
    ]) {
      try {
        if (statSync(candidate).isFile()) return candidate;
      } catch {
        // the next place
      }
    }
    throw new ModuleError(`Could not find or access '${path}' beside the playbook, in files/ or templates/`);
  }

  private async runLocal(
    command: string,
    stdin: string | Buffer | undefined,
    timeoutMs: number,
  ): Promise<ExecResult> {
    const { execa } = await import('execa');
    const started = Date.now();
    const result = await execa('sh', ['-c', command], {
      reject: false,
      timeout: timeoutMs,
      ...(stdin === undefined ? {} : { input: stdin }),
    });
    return {
      command,
      code: typeof result.exitCode === 'number' ? result.exitCode : null,
      signal: result.signal ?? null,
      stdout: `${result.stdout}${result.stdout === '' ? '' : '\n'}`,
      stderr: `${result.stderr}${result.stderr === '' ? '' : '\n'}`,
      durationMs: Date.now() - started,
    };
  }

  // ---- handlers ----

  private async runHandlers(play: Play, batch: string[], outer: Scope, playHosts: string[]): Promise<void> {
    const scope: Scope = { ...outer, handler: true };
    for (const handler of play.handlers) {
      const topics = [...(handler.name === undefined ? [] : [handler.name]), ...handler.listen];
      const hosts = this.alive(batch).filter((h) => topics.some((t) => this.hosts.get(h)?.notified.has(t)));
      if (hosts.length === 0) continue;
      await this.runTask(handler, hosts, scope, playHosts);
    }
    for (const h of batch) this.hosts.get(h)?.notified.clear();
  }
}

/**
 * The order include_tasks runs its items in, as ansible-core 2.14's IncludedFile.process_include_results
 * builds it: host by host, each item joins the first equal one already listed that this host is not in yet,
 * or is listed last. Hosts with the same items run each together; where the lists differ, a host may run an
 * item it shares with an earlier host before its own earlier items, as in Ansible.
 */
function includeOrder(
  included: Map<string, Record<string, unknown>[]>,
): { vars: Record<string, unknown>; hosts: string[] }[] {
  const runs: { key: string; vars: Record<string, unknown>; hosts: string[] }[] = [];
  for (const [host, items] of included) {
    for (const vars of items) {
      const key = JSON.stringify(vars);
      let from = 0;
      for (;;) {
        const at = runs.findIndex((run, i) => i >= from && run.key === key);
        if (at < 0) {
          runs.push({ key, vars, hosts: [host] });
          break;
        }
        const run = runs[at] as (typeof runs)[number];
        if (!run.hosts.includes(host)) {
          run.hosts.push(host);
          break;
        }
        from = at + 1;
      }
    }
  }
  return runs;
}

/** What Ansible registers for a task (or loop item) whose `when` is false (ansible-core 2.14). */
function skippedResult(): ModuleResult {
  return { changed: false, skip_reason: 'Conditional result was False', skipped: true };
}

/**
 * A result's status as Ansible's TaskResult reads it: where failed_when was evaluated, its verdict decides
 * (even over an `until` that ran out of attempts), else `failed`; then skipped, changed, ok.
 */
function statusOf(result: ModuleResult): TaskStatus {
  const failed = 'failed_when_result' in result ? result.failed_when_result === true : result.failed === true;
  if (failed) return 'failed';
  if (result.skipped === true) return 'skipped';
  return result.changed === true ? 'changed' : 'ok';
}

/** retries/delay as written: a number, or a template rendered for this host. */
function countOf(templar: Templar, value: number | string, keyword: string): number {
  if (typeof value === 'number') return value;
  const rendered = templar.render(value);
  const n = typeof rendered === 'number' ? rendered : Number.parseInt(String(rendered), 10);
  if (!Number.isInteger(n))
    throw new ModuleError(`${keyword}: ${shortMessage(rendered)} is not a whole number`);
  return n;
}

/** Ansible's `omit`: a parameter whose value is omit is left out. */
const OMIT = '__omit_place_holder__mc';

function stripOmitted(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== OMIT));
}
