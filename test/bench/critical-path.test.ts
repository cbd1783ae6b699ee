// The deploy benchmark's measure of modelled work: the longest chain of commands and the busy time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { busyMs, criticalPathMs } from '../../bench/critical-path.js';

const at = (
  startedAt: number,
  finishedAt: number | null,
): { startedAt: number; finishedAt: number | null } => ({
  startedAt,
  finishedAt,
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
