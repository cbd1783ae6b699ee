// The copy module writes a temporary file and renames it into place: the file must have the task's mode
// before it appears under its name, so a 0600 secret (ui-access.yml's trust token) is never briefly
// readable by others. Run on this machine's own shell, with a `mv` on PATH that records the mode of what it
// renames.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { execa } from 'execa';
import { copy, lineinfile } from '../../src/workflows/playbook/modules/files.js';
import type { ModuleContext } from '../../src/workflows/playbook/modules/types.js';
import { localModuleContext } from '../support/local-module-context.js';

const dir = mkdtempSync(join(tmpdir(), 'mc-copy-mode-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const shims = join(dir, 'bin');
const seen = join(dir, 'modes-at-rename');
writeFileSync(join(dir, '.keep'), '');
await execa('mkdir', [shims]);
writeFileSync(
  join(shims, 'mv'),
  `#!/bin/sh\nfor a in "$@"; do last_but_one=$prev; prev=$a; done\nstat -c %a -- "$last_but_one" >> ${seen}\nexec /bin/mv "$@"\n`,
);
chmodSync(join(shims, 'mv'), 0o755);

function context(): ModuleContext {
  return localModuleContext({ prefix: 'umask 022; ', env: { PATH: `${shims}:${process.env.PATH ?? ''}` } });
}

describe('copy and lineinfile: the mode is set before the rename', () => {
  it('a new 0600 file is 0600 when it appears under its name', async () => {
    writeFileSync(seen, '');
    const dest = join(dir, 'token');
    const result = await copy(context(), { dest, content: 'secret\n', mode: '0600' });
    assert.equal(result.changed, true);
    assert.deepEqual(readFileSync(seen, 'utf8').trim().split('\n'), ['600']);
    assert.equal(statSync(dest).mode & 0o777, 0o600);
    assert.equal(readFileSync(dest, 'utf8'), 'secret\n');
    // Run again: nothing to change.
    assert.equal((await copy(context(), { dest, content: 'secret\n', mode: '0600' })).changed, false);
  });

  it('without a mode, a new file gets the umask default, as before', async () => {
    writeFileSync(seen, '');
    const dest = join(dir, 'plain');
    await copy(context(), { dest, content: 'x\n' });
    assert.deepEqual(readFileSync(seen, 'utf8').trim().split('\n'), ['644']);
  });

  it('lineinfile creating a 0600 file', async () => {
    writeFileSync(seen, '');
    const path = join(dir, 'conf');
    await lineinfile(context(), { path, line: 'key=value', create: true, mode: '0600' });
    assert.deepEqual(readFileSync(seen, 'utf8').trim().split('\n'), ['600']);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });
});
