// The playbook executor on this machine alone: every task here runs on the controller (debug, set_fact,
// assert, or a command delegated to localhost), so no host is contacted and any attempt to would fail the
// test. What is checked is what ansible-core 2.14 does (each expectation was read from a run of
// ansible-playbook 2.14.18 with the same tasks): the result registered for a skipped task and a loop,
// until/retries/delay, and include_tasks with a loop.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadInventory } from '../../src/workflows/load-inventory.js';
import { loadPlaybook } from '../../src/domain/playbook/parse.js';
import { EventBus } from '../../src/output/events.js';
import { plainLines } from '../../src/output/format.js';
import type { McEvent, PlaybookCounts } from '../../src/output/events.js';
import { Redactor } from '../../src/output/redact.js';
import type { ConnectionPool } from '../../src/transport/pool.js';
import { PlaybookRun } from '../../src/workflows/playbook/executor.js';
import { readSmallFile } from '../../src/workflows/playbook/load.js';
import { Session } from '../../src/workflows/session.js';
import { tempDir } from '../support/system.js';

const scratch = tempDir('mc-executor');
after(() => scratch.remove());
let runs = 0;

/** A pool that refuses: these playbooks never need a host. */
const noHosts = {
  get: (host: string) => Promise.reject(new Error(`the test tried to reach ${host}`)),
  closeAll: () => Promise.resolve(),
} as unknown as ConnectionPool;

interface Outcome {
  events: McEvent[];
  counts: Record<string, PlaybookCounts | undefined>;
  /** The messages of the debug tasks, per host, in order. */
  debug: (host: string) => string[];
  dir: string;
}

async function run(tasks: string, files: Record<string, string> = {}, check = false): Promise<Outcome> {
  const dir = join(scratch.path, `run${++runs}`);
  mkdirSync(join(dir, 'tasks'), { recursive: true });
  writeFileSync(join(dir, 'hosts.ini'), '[lab]\nh1\nh2\n');
  writeFileSync(join(dir, 'main.yml'), `- hosts: lab\n  gather_facts: false\n  tasks:\n${tasks}`);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const inventory = await loadInventory(join(dir, 'hosts.ini'), {});
  assert.ok(inventory.ok, JSON.stringify(inventory));
  const playbook = loadPlaybook(join(dir, 'main.yml'), readSmallFile);
  assert.ok(playbook.ok, JSON.stringify(playbook.ok ? '' : playbook.issues));
  const bus = new EventBus(new Redactor());
  const events: McEvent[] = [];
  bus.on((e) => events.push(e));
  const session = new Session(bus, noHosts, ['h1', 'h2'], { forks: 5, commandTimeoutMs: 30_000 });
  await new PlaybookRun(session, inventory.inventory, [playbook.playbook], {
    check,
    diff: false,
    tags: [],
    skipTags: [],
    extraVars: { base: dir },
    limit: ['h1', 'h2'],
    timeoutMs: 30_000,
    become: false,
  }).run();
  const counts = Object.fromEntries(session.recap().map((r) => [r.host, r.counts]));
  const debug = (host: string): string[] =>
    events.flatMap((e) =>
      e.type === 'task-result' && e.host === host && e.task.startsWith('show') ? [e.message ?? ''] : [],
    );
  return { events, counts, debug, dir };
}

const recap = (ok: number, changed: number, failed: number, skipped: number, ignored = 0) => ({
  ok,
  changed,
  unreachable: 0,
  failed,
  skipped,
  rescued: 0,
  ignored,
});

describe('playbook executor: skipped results are registered', () => {
  it('a skipped task, a partly and a wholly skipped loop, and an empty loop', async () => {
    const out = await run(`
    - command: echo hi
      delegate_to: localhost
      when: inventory_hostname == 'h9'
      register: r1
    - name: show r1
      debug: {msg: "{{ r1.skipped }} {{ r1.changed }} {{ r1.skip_reason }} {{ r1 is skipped }}"}
    - command: echo {{ item }}
      delegate_to: localhost
      loop: [1, 2]
      when: item == 2
      register: r2
    - name: show r2
      debug: {msg: "{{ r2.skipped }} {{ r2.changed }} {{ r2.msg }} {{ r2.results | map(attribute='skipped') | first }} {{ r2.results[0].skip_reason }} {{ r2.results[1].stdout }}"}
    - command: echo {{ item }}
      delegate_to: localhost
      loop: [1, 2]
      when: false
      register: r3
    - name: show r3
      debug: {msg: "{{ r3.skipped }} {{ r3.msg }} {{ r3.results | length }} {{ r3 is skipped }}"}
    - command: echo {{ item }}
      delegate_to: localhost
      loop: []
      register: r4
    - name: show r4
      debug: {msg: "{{ r4.skipped }} {{ r4.skipped_reason }} {{ r4.results }}"}
`);
    assert.deepEqual(out.debug('h1'), [
      'True False Conditional result was False True',
      'False True All items completed True Conditional result was False 2',
      'True All items skipped 2 True',
      'True No items in the list []',
    ]);
    // The skipped task, the wholly skipped loop and the empty loop count skipped; the partly skipped one
    // changed (ansible-playbook: ok=5 changed=1 skipped=3).
    assert.deepEqual(out.counts.h1, recap(5, 1, 0, 3));
  });
});

describe('playbook executor: until, retries and delay', () => {
  it('repeats until the condition holds, counting attempts, with a FAILED - RETRYING event each time', async () => {
    const out = await run(`
    - shell: n=$(cat {{ base }}/n-{{ inventory_hostname }} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {{ base }}/n-{{ inventory_hostname }}; echo $n
      delegate_to: localhost
      register: r
      until: r.stdout | int >= 3
      delay: 0
    - name: show r
      debug: {msg: "{{ r.attempts }} {{ r.changed }} {{ r.failed }} {{ r.stdout }} {{ r.retries | default('none') }}"}
`);
    assert.deepEqual(out.debug('h1'), ['3 True False 3 none']);
    assert.equal(readFileSync(join(out.dir, 'n-h2'), 'utf8'), '3\n');
    const retries = out.events.filter((e) => e.type === 'task-retry' && e.host === 'h1');
    // retries defaults to 3, so four attempts in all: "3 retries left", then "2 retries left".
    assert.deepEqual(
      retries.map((e) => (e.type === 'task-retry' ? e.retriesLeft : -1)),
      [3, 2],
    );
    assert.deepEqual(out.counts.h1, recap(2, 1, 0, 0));
    // The plain renderer prints it as Ansible's default callback does.
    assert.deepEqual(plainLines({ ...(retries[0] as McEvent), time: 0 }), [
      'FAILED - RETRYING: [h1]: shell (3 retries left).',
    ]);
  });

  it('fails when every attempt is spent; attempts is one less, as 2.14 counts it', async () => {
    const out = await run(`
    - command: "false"
      delegate_to: localhost
      register: r
      until: r.rc == 0
      retries: 2
      delay: 0
      ignore_errors: true
    - name: show r
      debug: {msg: "{{ r.attempts }} {{ r.failed }} {{ r.rc }}"}
    - command: "false"
      delegate_to: localhost
      register: once
      retries: 5
      delay: 0
      ignore_errors: true
    - name: show once
      debug: {msg: "{{ once.attempts | default('none') }}"}
    - command: "true"
      delegate_to: localhost
      register: zero
      until: false
      retries: 0
    - name: show zero
      debug: {msg: "{{ zero.attempts }} {{ zero.failed }}"}
`);
    assert.deepEqual(out.debug('h2'), ['2 True 1', 'none', '1 False']);
    const left = out.events.flatMap((e) =>
      e.type === 'task-retry' && e.host === 'h2' ? [e.retriesLeft] : [],
    );
    // Three attempts for retries: 2; `retries` without `until` runs once; retries: 0 never reads until.
    assert.deepEqual(left, [2, 1]);
    assert.deepEqual(out.counts.h2, recap(6, 3, 0, 0, 2));
  });

  it('failed_when decides over a spent until; until per loop item; an until that cannot be read fails', async () => {
    const out = await run(`
    - command: echo x
      delegate_to: localhost
      register: r
      until: r.stdout == 'y'
      retries: 1
      delay: 0
      failed_when: false
      no_log: true
    - name: show r
      debug: {msg: "{{ r.attempts }} {{ r.failed }} {{ r.failed_when_result }}"}
    - command: echo {{ item }}
      delegate_to: localhost
      register: looped
      loop: [1, 2]
      until: looped.stdout == '1'
      retries: 1
      delay: 0
      ignore_errors: true
    - name: show looped
      debug: {msg: "{{ looped.results | map(attribute='attempts') | list }} {{ looped.failed }}"}
    - command: echo x
      delegate_to: localhost
      register: broken
      until: broken.missing
      delay: 0
      ignore_errors: true
    - name: show broken
      debug: {msg: "{{ broken.failed }} {{ broken.stdout | default('no stdout') }}"}
`);
    assert.deepEqual(out.debug('h1'), ['1 True False', '[1, 1] True', 'True no stdout']);
    // ansible-playbook: ok=6 changed=2 ignored=2; the first task shows as changed though `failed` is true.
    assert.deepEqual(out.counts.h1, recap(6, 2, 0, 0, 2));
  });
});

describe('playbook executor: until in check mode', () => {
  it('reads until on the skipped result of check mode: it may hold, or run out and fail', async () => {
    const out = await run(
      `
    - command: touch {{ base }}/touched
      delegate_to: localhost
      register: r
      until: r is skipped
      delay: 0
    - name: show r
      debug: {msg: "{{ r.attempts }} {{ r.skipped }} {{ r.failed }}"}
    - command: echo x
      delegate_to: localhost
      register: never
      until: never.stdout | default('') == 'x'
      retries: 1
      delay: 0
      changed_when: true
      ignore_errors: true
    - name: show never
      debug: {msg: "{{ never.attempts }} {{ never.skipped }} {{ never.failed }} {{ never.changed }}"}
`,
      {},
      true,
    );
    // ansible-playbook --check: the first is skipped after one attempt; the second is retried, then
    // failed (and ignored) with skipped still true, and changed_when is not applied to a skipped result.
    assert.deepEqual(out.debug('h1'), ['1 True False', '1 True True False']);
    assert.deepEqual(out.counts.h1, recap(3, 0, 0, 1, 1));
    assert.throws(() => readFileSync(join(out.dir, 'touched')), /ENOENT/);
  });
});

describe('playbook executor: include_tasks with a loop', () => {
  it('runs the file once per item included, with loop_var and index_var, counting as 2.14 does', async () => {
    const inc = `- name: inner {{ outer }}
  command: echo {{ outer }} {{ idx }}
  delegate_to: localhost
  register: inner
- name: show inner
  debug: {msg: "{{ inner.stdout }} {{ ansible_loop_var | default('none') }}"}
`;
    const out = await run(
      `
    - include_tasks: tasks/inc.yml
      loop: [a, b, c]
      loop_control: {loop_var: outer, index_var: idx}
      when: outer != 'b'
    - include_tasks: tasks/inc.yml
      loop: "{{ [] }}"
    - include_tasks: tasks/inc.yml
      loop: [x]
      loop_control: {loop_var: outer, index_var: idx}
      when: false
    - include_tasks:
        file: tasks/inc.yml
      vars: {outer: z, idx: 9}
      loop: [1]
`,
      { 'tasks/inc.yml': inc },
    );
    assert.deepEqual(out.debug('h2'), ['a 0 none', 'c 2 none', 'z 9 none']);
    const titles = out.events.flatMap((e) => (e.type === 'task-start' ? [e.task] : []));
    assert.ok(titles.includes('inner a') && titles.includes('inner c') && titles.includes('inner z'));
    // ansible-playbook: ok=9 changed=3 skipped=2 (an include counts ok once per item it included).
    assert.deepEqual(out.counts.h1, recap(9, 3, 0, 2));
    assert.deepEqual(out.counts.h2, recap(9, 3, 0, 2));
  });

  it('runs each host its own items when the lists differ per host, in the order 2.14 does', async () => {
    const out = await run(
      `
    - include_tasks: tasks/show.yml
      loop: "{{ ['h1', 'h1', 'shared'] if inventory_hostname == 'h1' else ['h2', 'shared'] }}"
`,
      { 'tasks/show.yml': '- name: show item\n  debug: {msg: "{{ item }}"}\n' },
    );
    assert.deepEqual(out.debug('h1'), ['h1', 'h1', 'shared']);
    // As ansible-playbook 2.14 runs it: h2 joins h1's 'shared' run, which comes before its own 'h2'.
    assert.deepEqual(out.debug('h2'), ['shared', 'h2']);
    assert.deepEqual(out.counts.h1, recap(6, 0, 0, 0));
    assert.deepEqual(out.counts.h2, recap(4, 0, 0, 0));
  });

  it('refuses a loop on import_tasks, which is read before the run', () => {
    const dir = join(scratch.path, 'import-loop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'inc.yml'), '- debug: {msg: hi}\n');
    writeFileSync(
      join(dir, 'main.yml'),
      '- hosts: all\n  tasks:\n    - import_tasks: inc.yml\n      loop: [1, 2]\n',
    );
    const result = loadPlaybook(join(dir, 'main.yml'), readSmallFile);
    assert.equal(result.ok, false);
    assert.match(
      result.ok ? '' : `${result.issues[0]?.line}:${result.issues[0]?.col}: ${result.issues[0]?.message}`,
      /^4:7: 'loop' cannot be used on import_tasks, which is read before the run: use include_tasks/,
    );
  });
});

describe('playbook executor: the timeout keyword', () => {
  it('fails a task past its timeout with Ansible message, stops it, and is inherited from a block', async () => {
    const started = Date.now();
    const out = await run(`
    - command: sleep 20
      delegate_to: localhost
      register: slow
      timeout: 1
      ignore_errors: true
    - name: show slow
      debug: {msg: "{{ slow.failed }} {{ slow.changed }} {{ slow.msg }}"}
    - block:
        - command: sleep 20
          delegate_to: localhost
          register: slow2
          until: slow2.rc == 0
          delay: 0
          ignore_errors: true
      timeout: 1
    - name: show slow2
      debug: {msg: "{{ slow2.attempts | default('none') }} {{ slow2.msg }}"}
`);
    const message = 'The command action failed to execute in the expected time frame (1) and was terminated';
    // A timed-out attempt is returned as it is: until does not retry it (ansible-core 2.14).
    assert.deepEqual(out.debug('h1'), [`True False ${message}`, `none ${message}`]);
    assert.deepEqual(out.counts.h2, recap(4, 0, 0, 0, 2));
    assert.ok(Date.now() - started < 15_000, 'the sleeps were stopped at the timeout');
  });
});
