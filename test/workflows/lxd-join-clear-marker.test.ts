// The marker of a begun clear of an unfinished LXD join, in a real shell: what the clear's first script writes
// is what deploy's second look reads back (even once the LXD directory's database is gone), and the last
// script removes it only after LXD is back. `snap` and `lxd` are stand-ins on PATH that only log their
// arguments: the scripts' own file handling is what is under test (real LXD: lxd-fault-join-longcut).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { LXD_DIR_CONTENTS_COMMAND, parseLxdDirContents } from '../../src/domain/facts/index.js';
import { restartJoinerScript, stopJoinerScript } from '../../src/workflows/deploy/phases/join-lxd.js';

describe('the marker of a begun LXD join clear', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-clear-marker-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  const calls = join(dir, 'calls');
  mkdirSync(bin);
  for (const program of ['snap', 'lxd']) {
    writeFileSync(join(bin, program), `#!/bin/sh\necho "${program} $*" >> '${calls}'\n`);
    chmodSync(join(bin, program), 0o755);
  }
  const env = {
    ...process.env,
    MC_STATE_DIR: join(dir, 'state'),
    PATH: `${bin}:${process.env['PATH'] ?? ''}`,
  };
  const sh = (script: string): string =>
    execFileSync('sh', ['-c', script], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const marker = join(dir, 'state', 'lxd-join-clear');

  it('is written before the stop and read back by the second look, the database gone or not', () => {
    // No database under the snap's directory here: only the marker names it.
    sh(stopJoinerScript('/var/snap/lxd/common/lxd', '10.77.99.13:8443'));
    assert.equal(readFileSync(marker, 'utf8'), 'dir /var/snap/lxd/common/lxd\naddress 10.77.99.13:8443\n');
    assert.equal(readFileSync(calls, 'utf8'), 'snap stop lxd\n');
    const contents = parseLxdDirContents(sh(LXD_DIR_CONTENTS_COMMAND));
    assert.equal(contents?.dir, '/var/snap/lxd/common/lxd');
    assert.equal(contents?.clearing, '10.77.99.13:8443');
  });

  it('is removed by the restart only after LXD is ready, with the join state; a rerun is fine', () => {
    const lxdDir = join(dir, 'lxd');
    mkdirSync(join(lxdDir, 'database'), { recursive: true });
    writeFileSync(join(lxdDir, 'cluster.crt'), 'x');
    writeFileSync(join(lxdDir, 'server.crt'), 'x');
    rmSync(calls, { force: true });
    sh(restartJoinerScript(lxdDir));
    assert.equal(readFileSync(calls, 'utf8'), 'snap start lxd\nlxd waitready --timeout 60\n');
    assert.deepEqual(
      ['database', 'cluster.crt', 'server.crt'].map((f) => existsSync(join(lxdDir, f))),
      [false, false, true],
    );
    assert.equal(existsSync(marker), false);
    sh(restartJoinerScript(lxdDir));
  });

  it('stays when LXD does not come back', () => {
    writeFileSync(marker, 'dir /var/lib/lxd\naddress 10.77.99.13:8443\n');
    writeFileSync(
      join(bin, 'lxd'),
      '#!/bin/sh\necho "Error: LXD still not running after 60s timeout" >&2\nexit 1\n',
    );
    assert.throws(() => sh(restartJoinerScript(join(dir, 'lxd'))), /LXD still not running/);
    assert.equal(existsSync(marker), true);
  });
});
