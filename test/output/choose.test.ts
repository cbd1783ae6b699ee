import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseRenderer } from '../../src/output/choose.js';

describe('chooseRenderer', () => {
  const terminal = { isTTY: true, rows: 50, ci: false };
  it('keeps an explicit choice', () => {
    assert.equal(chooseRenderer('tty', 500, { ...terminal, isTTY: false }), 'tty');
    assert.equal(chooseRenderer('json', 3, terminal), 'json');
  });
  it('draws the tree on a terminal while it fits, and plain lines beyond', () => {
    assert.equal(chooseRenderer('auto', 11, terminal), 'tty');
    assert.equal(chooseRenderer('auto', 12, terminal), 'plain');
    assert.equal(chooseRenderer('auto', 4, { ...terminal, rows: undefined }), 'tty');
    assert.equal(chooseRenderer('auto', 5, { ...terminal, rows: undefined }), 'plain');
  });
  it('uses plain lines in pipes and CI', () => {
    assert.equal(chooseRenderer('auto', 1, { ...terminal, isTTY: false }), 'plain');
    assert.equal(chooseRenderer('auto', 1, { ...terminal, ci: true }), 'plain');
  });
});
