// Several sites from one command (issue 16): two embedded labs of 3 hosts each, one -i per site, deployed in
// parallel; a fault in one site's MicroCloud preseed stops that site only, the other completes; the next
// run of the faulted site converges. Plain lines carry the site, JSON events a `site` field, and a recap
// per site ends the run (status --check's plain and JSON outputs are golden). Refusals (a host in two sites, an unknown --site) touch no host.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { FULL, MC, startLab, type Lab } from '../support/deploy-lab.js';
import { assertGolden, canonicalSites } from '../support/golden.js';
import { tempDir } from '../support/system.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];

async function mc(dir: string, ...args: string[]) {
  const r = await execa('node', [MC, ...args], {
    reject: false,
    stdin: 'ignore',
    cwd: dir,
    env: { XDG_CACHE_HOME: dir },
  });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The recap per site with times masked. */
const recap = (stdout: string): string[] =>
  stdout
    .slice(stdout.lastIndexOf('\nSITES ') + 1)
    .split('\n')
    .map((l) => l.replace(/\s+\d+\.\d+s$/, ' T'));

// Two tests on the same two labs, each with the runner's timeout to itself on a loaded machine: the second
// checks the sites the first deployed.
describe('several sites from one command', { concurrency: false }, () => {
  let scratch: { path: string; remove: () => void };
  let paris: Lab;
  let lyon: Lab;
  let parisFile = '';
  let lyonFile = '';
  before(async () => {
    scratch = tempDir('mc-sites');
    paris = await startLab(HOSTS);
    lyon = await startLab(HOSTS);
    parisFile = join(scratch.path, 'paris.yaml');
    lyonFile = join(scratch.path, 'lyon.yaml');
    copyFileSync(paris.inventory(FULL(HOSTS)), parisFile);
    copyFileSync(lyon.inventory(FULL(HOSTS)), lyonFile);
  });
  after(async () => {
    await Promise.all([paris.stop(), lyon.stop()]);
    scratch.remove();
  });

  it('two sites deploy in parallel; a fault in one does not stop the other; a second run converges', async () => {
    // Refused before any host is touched: an unknown --site, and a host in two sites.
    const unknown = await mc(scratch.path, 'deploy', '-i', parisFile, '-i', lyonFile, '--site', 'nice');
    assert.equal(unknown.exitCode, 2);
    assert.equal(
      unknown.stderr,
      'mc: --site nice: no such site; the sites are paris, lyon (one per -i file)',
    );
    const twice = join(scratch.path, 'twice.yaml');
    writeFileSync(twice, readFileSync(parisFile, 'utf8'));
    const shared = await mc(scratch.path, 'plan', '-i', parisFile, '-i', twice, '-o', 'plain');
    assert.equal(shared.exitCode, 2);
    const lines = shared.stderr.split('\n');
    assert.equal(lines.length, 3, shared.stderr);
    assert.match(
      lines[0] ?? '',
      new RegExp(
        `^mc: ${twice}:\\d+:\\d+: host micro1 \\(127\\.0\\.\\d+\\.\\d+:\\d+\\) is in site paris too, as micro1 at ${parisFile}:\\d+:\\d+: a host can be in one site only; remove it from one of them$`,
      ),
    );
    assert.equal(paris.world.records.length + lyon.world.records.length, 0, 'no host was contacted');

    // Lyon's initiator fails its preseed once; Paris deploys all the same.
    lyon.world.faults.failOnce('micro1', 'microcloud preseed', {
      stderr: 'Error: Failed to initialize MicroCloud: injected fault',
    });
    const first = await mc(scratch.path, 'deploy', '-i', parisFile, '-i', lyonFile, '--yes', '-o', 'plain');
    assert.equal(first.exitCode, 1, first.stdout + first.stderr);
    const out = first.stdout.split('\n');
    assert.ok(out.includes('[paris] Deployed: 18 change(s).'), first.stdout);
    assert.ok(!out.some((l) => l.startsWith('[lyon] Deployed')), first.stdout);
    assert.ok(
      first.stderr
        .split('\n')
        .includes('[lyon] mc: deploy stopped; see the failed step above, fix it and run mc deploy again'),
      first.stderr,
    );
    // Every line of a site's own output is prefixed; then the recap per site.
    const recapAt = out.lastIndexOf('');
    assert.ok(
      out.slice(0, recapAt).every((l) => /^\[(paris|lyon)\] /.test(l)),
      first.stdout,
    );
    assert.deepEqual(recap(first.stdout), ['SITES ok=1 failed=1', 'paris  ok T', 'lyon   failed (exit 1) T']);
    // The second run, of Lyon alone (--site), converges; JSON events carry the site.
    const second = await mc(
      scratch.path,
      'deploy',
      '-i',
      parisFile,
      '-i',
      lyonFile,
      '--site',
      'lyon',
      '--yes',
      '-o',
      'json',
    );
    assert.equal(second.exitCode, 0, second.stdout + second.stderr);
    const events = second.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { site?: string; type: string; changed?: number });
    assert.ok(
      events.every((e) => e.type === 'sites' || e.site === 'lyon'),
      second.stdout,
    );
    assert.ok(
      events.some((e) => e.type === 'deploy' && (e.changed ?? 0) > 0),
      second.stdout,
    );
    assert.deepEqual(events.at(-1)?.type, 'sites');
  });

  it('status --check over both sites: the live tree per site, golden plain and JSON', async () => {
    // Both sites now match their inventories: the live tree with a task per site (listr2's line renderer
    // without a terminal), then the recap per site.
    const check = await mc(scratch.path, 'status', '--check', '-i', parisFile, '-i', lyonFile, '-o', 'tty');
    assert.equal(check.exitCode, 0, check.stdout + check.stderr);
    assert.equal(check.stderr, '');
    const tty = check.stdout.split('\n').map((l) => l.replace(/\s+\d+\.\d+s$/, ' T'));
    // The live tail under each task (› lines, and the blank line a site prints before its recap) depends on
    // timing: only the tasks and the recap per site are checked.
    const sitesRecapAt = tty.lastIndexOf('SITES ok=2') - 1;
    const tree = tty.slice(0, sitesRecapAt).filter((l) => !l.startsWith('› ') && l !== '');
    assert.deepEqual(tree.slice(0, 2), ['❯ paris', '❯ lyon'], check.stdout);
    assert.deepEqual(tree.slice(2).sort(), ['✔ lyon', '✔ paris'], check.stdout);
    assert.deepEqual(tty.slice(sitesRecapAt), ['', 'SITES ok=2', 'paris  ok T', 'lyon   ok T'], check.stdout);
    // Whether the tree shows a task's last line before it ends depends on timing; plain output always does:
    // golden outputs of plain and JSON (test/fixtures/output/day2).
    for (const format of ['plain', 'json'] as const) {
      const checked = await mc(
        scratch.path,
        'status',
        '--check',
        '-i',
        parisFile,
        '-i',
        lyonFile,
        '-o',
        format,
      );
      assert.equal(checked.exitCode, 0, checked.stdout + checked.stderr);
      assertGolden(
        `sites-status-check.${format}`,
        format,
        checked,
        [scratch.path, paris.dir, lyon.dir],
        (f, out) => canonicalSites(f === 'tty' ? 'plain' : f, out),
      );
    }
  });
});
