// A host's output and hostile names cannot reach a terminal raw, in any output mode.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EventBus, MAX_LINE_LENGTH, type McEvent, type TimedEvent } from '../../src/output/events.js';
import { attachJsonRenderer } from '../../src/output/json.js';
import { attachLogFile } from '../../src/output/logfile.js';
import { attachPlainRenderer } from '../../src/output/plain.js';
import { Redactor } from '../../src/output/redact.js';

const RETITLE = '\u001b]0;pwned\u0007';
const CLEAR = '\u001b[2J\u001b[H';
const host = `node${CLEAR}1`;
const hostile: McEvent[] = [
  { type: 'run-start', command: 'run', hosts: [host] },
  { type: 'step-start', host, step: 'run', title: `task ${RETITLE}` },
  { type: 'line', host, step: 'run', stream: 'stdout', text: `${RETITLE}progress\r100%\u009b2K` },
  { type: 'line', host, step: 'run', stream: 'stdout', text: 'y'.repeat(MAX_LINE_LENGTH * 4) },
  { type: 'step-failed', host, step: 'run', error: `exit 1\nsecond line ${CLEAR}`, ms: 5 },
  { type: 'recap', hosts: [{ host, status: 'failed', message: `bad ${RETITLE}` }] },
  { type: 'run-end', ok: false, ms: 10 },
];

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

function replay(attach: (bus: EventBus) => unknown): void {
  const bus = new EventBus(new Redactor(), () => 1_700_000_000_000);
  attach(bus);
  for (const event of hostile) bus.emit(event);
}

describe('hostile output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-hostile-output-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('plain lines show escapes as text and cut a huge line', () => {
    let out = '';
    replay((bus) => attachPlainRenderer(bus, (text) => (out += text)));
    assert.doesNotMatch(out, RAW_CONTROL);
    assert.match(out, /\[node\\x1b\[2J\\x1b\[H1\] \\x1b\]0;pwned\\x07progress\\r100%\\x9b2K/);
    assert.match(out, /y{100}… \(64 KiB\)/);
    // A multi-line error keeps its line break; nothing else does.
    assert.match(out, /exit 1\nsecond line \\x1b\[2J/);
    assert.ok(out.length < MAX_LINE_LENGTH * 2, `${out.length} characters`);
  });

  it('NDJSON carries the escaped text', () => {
    let out = '';
    replay((bus) => attachJsonRenderer(bus, (text) => (out += text)));
    const events = out
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as TimedEvent);
    for (const event of events) assert.doesNotMatch(JSON.stringify(Object.values(event)), RAW_CONTROL);
    const line = events.find((event) => event.type === 'line');
    assert.equal(line?.type === 'line' && line.text, '\\x1b]0;pwned\\x07progress\\r100%\\x9b2K');
    assert.equal(line?.type === 'line' && line.host, 'node\\x1b[2J\\x1b[H1');
  });

  it('the log file holds no raw escape either', async () => {
    const path = join(dir, 'run.log');
    let log: ReturnType<typeof attachLogFile> | undefined;
    replay((bus) => (log = attachLogFile(bus, path, 'mc run')));
    await log?.close();
    const text = readFileSync(path, 'utf8');
    assert.doesNotMatch(text, RAW_CONTROL);
    assert.match(text, /stdout: \\x1b\]0;pwned\\x07progress/);
  });
});
