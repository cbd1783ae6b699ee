import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EventBus } from '../../src/output/events.js';
import type { McEvent, TimedEvent } from '../../src/output/events.js';
import { formatDuration, formatRecap } from '../../src/output/format.js';
import { attachJsonRenderer } from '../../src/output/json.js';
import { attachPlainRenderer } from '../../src/output/plain.js';
import { MASK, Redactor } from '../../src/output/redact.js';

/** A recorded run: two hosts ok, one failing, one unreachable, with a secret in the output. */
const recorded: McEvent[] = [
  { type: 'run-start', command: 'run uptime', hosts: ['node1', 'node2', 'node3', 'node4'] },
  { type: 'host-connecting', host: 'node4', attempt: 2 },
  { type: 'step-start', host: 'node1', step: 'run', title: 'uptime' },
  { type: 'line', host: 'node1', step: 'run', stream: 'stdout', text: ' 10:00 up 3 days' },
  { type: 'line', host: 'node2', step: 'run', stream: 'stderr', text: 'token is s3cr3t-T0KEN, keep it' },
  { type: 'step-done', host: 'node1', step: 'run', summary: 'exit 0', ms: 120 },
  { type: 'step-failed', host: 'node3', step: 'run', error: 'exit 2', ms: 1500 },
  { type: 'host-unreachable', host: 'node4', reason: 'connect ECONNREFUSED', hint: 'check the host is up' },
  { type: 'warning', message: 'ignoring SSH options mc does not use: Ciphers' },
  {
    type: 'recap',
    hosts: [
      { host: 'node1', status: 'ok', ms: 120 },
      { host: 'node2', status: 'changed', ms: 64_000 },
      { host: 'node3', status: 'failed', message: 'exit 2' },
      { host: 'node4', status: 'unreachable', message: 'connect ECONNREFUSED' },
    ],
  },
  { type: 'run-end', ok: false, ms: 2000, logFile: '/LOG' },
];

function replay(attach: (bus: EventBus, write: (t: string) => void) => unknown): string {
  const redactor = new Redactor();
  redactor.add('s3cr3t-T0KEN');
  let clock = 1_700_000_000_000;
  const bus = new EventBus(redactor, () => (clock += 10));
  let out = '';
  attach(bus, (t) => (out += t));
  for (const event of recorded) bus.emit(event);
  return out;
}

describe('renderers', () => {
  it('plain output matches the golden file, with every line naming its host', () => {
    const golden = readFileSync(new URL('../fixtures/output/run.plain.txt', import.meta.url), 'utf8');
    assert.equal(replay(attachPlainRenderer), golden);
  });

  it('NDJSON is one parseable event per line, timestamped, secrets masked', () => {
    const lines = replay(attachJsonRenderer).trimEnd().split('\n');
    assert.equal(lines.length, recorded.length);
    const events = lines.map((l) => JSON.parse(l) as TimedEvent);
    assert.deepEqual(
      events.map((e) => e.type),
      recorded.map((e) => e.type),
    );
    assert.ok(events.every((e, i) => e.time === 1_700_000_000_010 + i * 10));
    const line = events[4];
    assert.ok(line?.type === 'line' && line.text === `token is ${MASK}, keep it`);
  });
});

describe('Redactor', () => {
  it('masks every registered secret, longest first, and ignores empty ones', () => {
    const r = new Redactor();
    r.add('');
    r.add(undefined);
    assert.equal(r.size, 0);
    r.add('abc');
    r.add('abcdef');
    r.add('a.c'); // regex metacharacters are literal
    assert.equal(r.redact('x abcdef abc abx a.c'), `x ${MASK} ${MASK} abx ${MASK}`);
  });

  it('masks secrets nested in recap messages', () => {
    const r = new Redactor();
    r.add('pw');
    const seen: TimedEvent[] = [];
    const bus = new EventBus(r);
    bus.on((e) => seen.push(e));
    bus.emit({ type: 'recap', hosts: [{ host: 'h', status: 'failed', message: 'sudo said pw' }] });
    const recap = seen[0];
    assert.ok(recap?.type === 'recap' && recap.hosts[0]?.message === `sudo said ${MASK}`);
  });
});

describe('formatting', () => {
  it('formats durations for people', () => {
    assert.deepEqual([5, 1500, 64_000, 3_600_000].map(formatDuration), ['5ms', '1.5s', '1m04s', '60m00s']);
  });
  it('prints nothing for an empty recap', () => {
    assert.deepEqual(formatRecap([]), []);
  });
  it("prints Ansible's PLAY RECAP, without a line for a host no play ran anything on", () => {
    const counts = { ok: 3, changed: 1, unreachable: 0, failed: 0, skipped: 2, rescued: 0, ignored: 0 };
    assert.deepEqual(
      formatRecap([
        { host: 'h1', status: 'changed', counts },
        { host: 'h2', status: 'skipped', message: 'not run' },
      ]),
      [
        '',
        'PLAY RECAP',
        'h1                         : ok=3    changed=1    unreachable=0    failed=0    skipped=2    rescued=0    ignored=0',
      ],
    );
  });
});
