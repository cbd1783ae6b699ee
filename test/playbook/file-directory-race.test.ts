// Several hosts' tasks delegated to the controller may create the same parent directory at once
// (collect-logs.yml makes COLLECT_DIR/HOST for every host). The file module must take a directory that
// appeared between its check and its mkdir, as Ansible's does on EEXIST, and still fail when a file took
// the name. The race is made on this machine's own shell by a `mkdir` on PATH that lets "another host"
// create the contested name just before the real mkdir runs.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { execa } from 'execa';
import { file } from '../../src/workflows/playbook/modules/files.js';
import type { ModuleContext } from '../../src/workflows/playbook/modules/types.js';
import { localModuleContext } from '../support/local-module-context.js';

const dir = mkdtempSync(join(tmpdir(), 'mc-file-race-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const shims = join(dir, 'bin');
mkdirSync(shims);
const realMkdir = (await execa('sh', ['-c', 'command -v mkdir'])).stdout;
// RACE_NAME is the contested path; RACE_AS says what the other host makes there (dir or file).
writeFileSync(
  join(shims, 'mkdir'),
  `#!/bin/sh\nfor a in "$@"; do last=$a; done\n` +
    `if [ "$last" = "$RACE_NAME" ]; then if [ "$RACE_AS" = dir ]; then ${realMkdir} -- "$last"; ` +
    `else : > "$last"; fi; fi\nexec ${realMkdir} "$@"\n`,
);
chmodSync(join(shims, 'mkdir'), 0o755);

function context(raceName: string, raceAs: 'dir' | 'file'): ModuleContext {
  return localModuleContext({
    env: { PATH: `${shims}:${process.env.PATH ?? ''}`, RACE_NAME: raceName, RACE_AS: raceAs },
  });
}

describe('file state=directory when another task creates the same parent meanwhile', () => {
  it('takes the parent another host created, and creates its own directory', async () => {
    const report = join(dir, 'report');
    const path = join(report, 'micro2');
    const result = await file(context(report, 'dir'), { path, state: 'directory', mode: '0700' });
    assert.equal(result.changed, true);
    assert.ok(statSync(path).isDirectory());
    assert.equal(statSync(path).mode & 0o777, 0o700);
  });

  it('still fails when a file took the name', async () => {
    const clash = join(dir, 'clash');
    await assert.rejects(
      file(context(clash, 'file'), { path: join(clash, 'sub'), state: 'directory' }),
      /File exists/,
    );
  });
});
