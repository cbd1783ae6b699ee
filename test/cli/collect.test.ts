// mc collect's input checks, before any host is contacted: an archive that cannot be written is refused
// with the path and what to do (exit 2), and a bad --since-hours is refused by name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { MC } from '../support/mc-bin.js';

// Hosts that do not exist: reaching any of them would take the connect timeout, not an instant refusal.
const INVENTORY = new URL('../../inventories/example.yaml', import.meta.url).pathname;

const mc = async (...args: string[]) => {
  const r = await execa('node', [MC, ...args], { reject: false, stdin: 'ignore', timeout: 120_000 });
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
};

describe('mc collect: input refused before any host', () => {
  it('refuses an output directory it cannot write to', async () => {
    const r = await mc('collect', '-i', INVENTORY, '--output-dir', '/dev/null/reports');
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr.trim(),
      'mc: --output-dir /dev/null/reports: cannot write there (ENOTDIR); choose a directory you can write to',
    );
    assert.equal(r.stdout, '');
  });

  it('refuses --since-hours 0', async () => {
    const r = await mc('collect', '-i', INVENTORY, '--since-hours', '0');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--since-hours must be a whole number of at least 1/);
  });
});
