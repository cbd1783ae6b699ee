// The deploy benchmark's measure of modelled work: the longest chain of commands and the busy time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  busyMs,
  criticalChain,
  criticalPathMs,
  preseedWork,
  settlesAfterJoins,
} from '../../bench/critical-path.js';

const at = (
  startedAt: number,
  finishedAt: number | null,
): { startedAt: number; finishedAt: number | null } => ({
  startedAt,
  finishedAt,
});

describe('criticalChain', () => {
  it('names the links of the longest chain, in order', () => {
    const records = [at(0, 50), at(0, 10), at(10, 20), at(50, 60), at(20, 30)];
    assert.deepEqual(criticalChain(records), [
      { start: 0, end: 50 },
      { start: 50, end: 60 },
    ]);
  });

  it('keeps the gaps between links, which are the time spent outside the modelled work', () => {
    assert.deepEqual(criticalChain([at(0, 20), at(25, 55), at(100, 110)]), [
      { start: 0, end: 20 },
      { start: 25, end: 55 },
      { start: 100, end: 110 },
    ]);
  });
});

describe('criticalPathMs', () => {
  it('is zero without records', () => {
    assert.equal(criticalPathMs([]), 0);
  });

  it('adds up commands that ran one after another, gaps excluded', () => {
    assert.equal(criticalPathMs([at(0, 20), at(25, 55), at(100, 110)]), 60);
  });

  it('takes only the slowest of commands that ran side by side', () => {
    // Three hosts installing at once (20, 25, 22), then one bootstrap of 30 after the last.
    const records = [at(0, 20), at(0, 25), at(1, 23), at(25, 55)];
    assert.equal(criticalPathMs(records), 55);
  });

  it('chains through whichever branch is longer, not the one that ended last', () => {
    // A long command beside two short ones in a row: 50 beats 10 + 10, and a command after each.
    const records = [at(0, 50), at(0, 10), at(10, 20), at(50, 60), at(20, 30)];
    assert.equal(criticalPathMs(records), 60);
  });

  it('lets a command start the instant the one before it ended', () => {
    assert.equal(criticalPathMs([at(0, 10), at(10, 25)]), 25);
  });

  it('leaves out commands still running or aborted', () => {
    assert.equal(criticalPathMs([at(0, 10), at(10, null)]), 10);
  });
});

describe('busyMs', () => {
  it('counts overlapping commands once and gaps not at all', () => {
    assert.equal(busyMs([at(0, 20), at(5, 25), at(40, 50), at(45, 48)]), 35);
  });

  it('is zero without finished records', () => {
    assert.equal(busyMs([at(0, null)]), 0);
  });
});

describe('settlesAfterJoins', () => {
  const on = (host: string, startedAt: number, finishedAt: number | null) => ({
    host,
    startedAt,
    finishedAt,
  });

  it('starts a settle when the command that joined has finished, so that the two chain', () => {
    // The bootstrap command runs 0-5000; the member joined at 4990, its settle (3000) ends at 7990.
    const records = [on('h1', 0, 5000), on('h2', 0, 6000)];
    const [settle] = settlesAfterJoins([{ host: 'h1', at: 4990 }], 3000, records);
    assert.deepEqual(settle, { startedAt: 5000, finishedAt: 7990 });
    // Polls while it settles (50 each) lose to the settle itself.
    const polls = [on('h1', 5010, 5060), on('h1', 5300, 5350), on('h1', 7995, 8045)];
    assert.equal(criticalPathMs([records[0]!, settle, ...polls]), 5000 + 2990 + 50);
  });

  it('leaves a settle with no command around its join as it is', () => {
    assert.deepEqual(settlesAfterJoins([{ host: 'h1', at: 100 }], 3000, [on('h2', 0, 200)]), [
      { startedAt: 100, finishedAt: 3100 },
    ]);
  });

  it('never starts a settle after it ended', () => {
    assert.deepEqual(settlesAfterJoins([{ host: 'h1', at: 0 }], 10, [on('h1', 0, 50)]), [
      { startedAt: 10, finishedAt: 10 },
    ]);
  });
});

describe('preseedWork', () => {
  const preseed = (host: string, startedAt: number, finishedAt: number | null) => ({
    host,
    argv: ['/snap/bin/microcloud', 'preseed'],
    startedAt,
    finishedAt,
  });
  // The initiator opens its session at 2 s; mc starts the joiners late (at 5 s and 9 s), each reaches
  // out 1 s after its start; the initiator then sets everything up for 100 s.
  const records = [
    { host: 'h1', argv: ['snap', 'install', 'lxd'], startedAt: 0, finishedAt: 1_000 },
    preseed('h1', 1_000, 110_000),
    preseed('h2', 5_000, 40_000),
    preseed('h3', 9_000, 60_000),
  ];
  const sessions = [
    {
      host: 'h1',
      role: 'initiating' as const,
      startedAt: 2_000,
      intents: [
        { host: 'h2', receivedAt: 6_000 },
        { host: 'h3', receivedAt: 10_000 },
      ],
    },
    { host: 'h2', role: 'joining' as const, startedAt: 5_100, intents: [] },
    { host: 'h3', role: 'joining' as const, startedAt: 9_100, intents: [] },
  ];

  it('splits the initiator at its session, and the joiners are one record up to the last intent', () => {
    assert.deepEqual(preseedWork(records, sessions), [
      at(0, 1_000),
      at(1_000, 2_000),
      at(10_000, 110_000),
      at(9_000, 10_000),
    ]);
  });

  it('takes the slowest joiner, whenever mc started it', () => {
    const slow = sessions.map((s) =>
      s.role === 'initiating'
        ? {
            ...s,
            intents: [
              { host: 'h2', receivedAt: 8_000 },
              { host: 'h3', receivedAt: 10_000 },
            ],
          }
        : s,
    );
    // h2 took 3 s to reach out, h3 1 s: the joiners' work is 3 s, ending at the last intent.
    assert.deepEqual(preseedWork(records, slow).at(-1), at(7_000, 10_000));
  });

  it('counts the wait for late joiners as no work: the path is bootstrap, one joiner, then the setup', () => {
    // 1 s install + 1 s to the session + 1 s for a joiner to reach out + 100 s of setup; the 8 s mc took
    // to start the joiners (2 s → 10 s) is outside it. As recorded, the initiator's command counted them.
    assert.equal(criticalPathMs(preseedWork(records, sessions)), 103_000);
    assert.equal(criticalPathMs(records), 110_000);
  });

  it('leaves a preseed that never opened a session, and other commands, as recorded', () => {
    const failed = [
      preseed('h1', 0, 500),
      { host: 'h1', argv: ['microcloud', 'status'], startedAt: 600, finishedAt: 700 },
    ];
    assert.deepEqual(preseedWork(failed, []), [at(0, 500), at(600, 700)]);
  });
});
