// The one-round-trip fact script, run by a real sh with stand-in commands.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execaSync } from 'execa';
import { FACT_COMMANDS, type FactName } from '../../src/domain/facts/index.js';
import { NO_SCRATCH_EXIT, splitFramed } from '../../src/domain/framed.js';
import { gatherScript, SNAP_CHECK, splitGathered } from '../../src/domain/probe.js';

/** Runs the script with every fact command replaced by `replacement(name)`, and the snap check by `snapCheck`. */
function runWith(
  replacement: (name: FactName, command: string) => string,
  snapCheck = SNAP_CHECK,
): { stdout: string; nonce: string } {
  const facts = Object.fromEntries(
    (Object.entries(FACT_COMMANDS) as [FactName, string][]).map(([name, command]) => [
      name,
      replacement(name, command),
    ]),
  ) as Record<FactName, string>;
  const { script, nonce } = gatherScript('n0nce', { facts, snapCheck });
  return { stdout: execaSync('sh', ['-c', script], { reject: false }).stdout, nonce };
}

describe('gather script', () => {
  it('frames each command output, with or without a final newline, and keeps stderr out', () => {
    const { stdout, nonce } = runWith(
      (name) =>
        name === 'cpuCount'
          ? "printf '4'"
          : name === 'lxdResources'
            ? 'false'
            : `echo ${name}-line1; echo ${name}-line2; echo noise >&2`,
      'true',
    );
    const split = splitGathered(stdout, nonce);
    assert.ok(split.ok);
    assert.equal(split.outputs.cpuCount, '4');
    assert.equal(split.outputs.osRelease, 'osRelease-line1\nosRelease-line2\n');
    assert.equal(split.outputs.hostname, 'hostname-line1\nhostname-line2\n');
    assert.equal(split.outputs.lxdResources, undefined, 'LXD not initialised: an optional fact');
    assert.deepEqual(split.failedOptional, ['lxdResources']);
    // Service commands keep their stderr apart from their stdout.
    assert.deepEqual(split.outputs.microcephMembers, {
      exitCode: 0,
      stdout: 'microcephMembers-line1\nmicrocephMembers-line2\n',
      stderr: 'noise',
    });
  });

  it('hands on a failed service command with its exit status and stderr, and does not fail the probe', () => {
    const { stdout, nonce } = runWith(
      (name, command) =>
        name === 'microovnMembers'
          ? "echo 'Error: Database is not yet initialized' >&2; false"
          : name === 'lxdMembers'
            ? "printf 'partial'; echo \"Error: LXD server isn't part of a cluster\" >&2; (exit 3)"
            : name === 'hostname'
              ? 'nosuchhostnamecommand'
              : command.startsWith('microc') || command.startsWith('lxc')
                ? "echo '[]'"
                : 'true',
      'true',
    );
    const split = splitGathered(stdout, nonce);
    assert.ok(split.ok);
    assert.deepEqual(split.outputs.microovnMembers, {
      exitCode: 1,
      stdout: '',
      stderr: 'Error: Database is not yet initialized',
    });
    assert.deepEqual(split.outputs.lxdMembers, {
      exitCode: 3,
      stdout: 'partial',
      stderr: "Error: LXD server isn't part of a cluster",
    });
    assert.equal(split.outputs.hostname, undefined);
    assert.deepEqual(split.failedOptional, ['hostname', 'lxdMembers', 'microovnMembers']);
  });

  it('runs no command of a snap that is not installed', () => {
    const { stdout, nonce } = runWith(
      (name, command) =>
        command.startsWith('lxc') || command.startsWith('micro') ? `echo RAN-${name}` : 'true',
      'false',
    );
    assert.ok(!stdout.includes('RAN-'), stdout);
    const split = splitGathered(stdout, nonce);
    assert.ok(split.ok);
    assert.deepEqual(split.outputs.lxdServer, {
      exitCode: 127,
      stdout: '',
      stderr: 'the lxd snap is not installed',
    });
    assert.deepEqual(split.outputs.microcloudMembers, {
      exitCode: 127,
      stdout: '',
      stderr: 'the microcloud snap is not installed',
    });
  });

  it('asks snapd, not the PATH, whether a snap is installed (lxd-installer puts an `lxc` on the PATH)', () => {
    const { script } = gatherScript('n0nce');
    assert.ok(script.includes(`mc_snap() { ${SNAP_CHECK}; }`));
    // Once per snap, whatever the number of its commands.
    assert.equal(script.split('mc_snap lxd &').length, 2);
    assert.equal(script.split('mc_snap microcloud').length, 2);
    assert.ok(
      script.includes(`if [ "$mc_has_lxd" = 1 ]; then mc_err=$( { timeout -k 2 10 sh -c 'lxc query /1.0'\n}`),
      script,
    );
    assert.ok(!script.includes('command -v'));
  });

  it('runs the commands side by side: the answer takes as long as the slowest, not the sum', () => {
    // Every fact and snap check sleeps 0.3 s: 24 of them one after another would take over 7 s.
    const started = Date.now();
    const { stdout, nonce } = runWith((name) => `sleep 0.3; echo ${name}`, 'sleep 0.3');
    const ms = Date.now() - started;
    const split = splitGathered(stdout, nonce);
    assert.ok(split.ok);
    assert.equal(split.outputs.hostname, 'hostname\n');
    assert.ok(ms < 3000, `took ${ms} ms`);
  });

  it('gives each command a limit of its own: a hung one is cut, the others answer, all in time', () => {
    // A daemon that accepts but never answers: its command hangs; the host's other facts must not wait.
    const hang = `sleep 60.${process.pid}`;
    const started = Date.now();
    const { stdout, nonce } = runWith(
      (name) => (name === 'lxdServer' || name === 'blockDevices' ? hang : `echo ${name}`),
      'true',
    );
    const ms = Date.now() - started;
    assert.ok(ms < 30_000, `took ${ms} ms`);
    const split = splitGathered(stdout, nonce);
    assert.ok(!split.ok);
    assert.deepEqual(split.problems, ['`lsblk -J -b -O` timed out after 10 s']);
    const sections = splitFramed(stdout, nonce);
    assert.deepEqual(sections.get('lxdServer'), {
      exitCode: 124,
      stdout: '',
      stderr: 'timed out after 10 s',
    });
    assert.equal(sections.get('hostname')?.stdout, 'hostname\n');
    // Nothing of the hung commands is left running.
    assert.equal(execaSync('pgrep', ['-xf', hang], { reject: false }).stdout, '');
  });

  it('leaves nothing behind on the host: its scratch directory is removed', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'mc-probe-'));
    try {
      const { script } = gatherScript('n0nce', {
        facts: { ...FACT_COMMANDS, osRelease: 'ls "$TMPDIR" >"$SEEN"' },
        snapCheck: 'true',
      });
      const run = execaSync('sh', ['-c', script], {
        reject: false,
        env: { TMPDIR: tmp, SEEN: join(tmp, 'seen') },
      });
      assert.equal(run.exitCode, 0, run.stderr);
      // While it ran, its scratch directory was there.
      const during = readFileSync(join(tmp, 'seen'), 'utf8').split('\n');
      assert.ok(
        during.some((name) => name.startsWith('mc-read.')),
        during.join(' '),
      );
      assert.deepEqual(readdirSync(tmp), ['seen']);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('says so when the host has no room for its scratch directory, and runs nothing', () => {
    const { script } = gatherScript('n0nce', {
      facts: { ...FACT_COMMANDS, osRelease: 'echo RAN' },
      snapCheck: 'true',
    });
    const run = execaSync('sh', ['-c', script], { reject: false, env: { TMPDIR: '/nonexistent/tmp' } });
    assert.equal(run.exitCode, NO_SCRATCH_EXIT);
    assert.equal(run.stdout, '');
    assert.equal(
      run.stderr,
      'cannot create a scratch directory in /nonexistent/tmp (mktemp -d failed): check that it is writable and has free space',
    );
  });

  it('reports every failed required command, and snapd missing in words', () => {
    const { stdout, nonce } = runWith((name) =>
      name === 'snaps'
        ? 'nosuchsnapcommand'
        : name === 'blockDevices'
          ? 'exit_code_3() { return 3; }; exit_code_3'
          : 'true',
    );
    const split = splitGathered(stdout, nonce);
    assert.ok(!split.ok);
    assert.deepEqual(split.problems, [
      "snapd is not installed (no `snap` command): MicroCloud's services are snaps; install snapd",
      '`lsblk -J -b -O` failed with exit status 3',
    ]);
  });

  it('does not read the channel stdin, and a different nonce matches nothing', () => {
    const { script, nonce } = gatherScript('n0nce');
    const out = execaSync('sh', ['-c', script.replace(FACT_COMMANDS.osRelease, 'cat')], {
      input: 'SECRET',
      reject: false,
    }).stdout;
    assert.ok(!out.includes('SECRET'));
    assert.ok(!splitGathered(out, 'other').ok);
    assert.ok(out.includes(`@@MC-${nonce} END osRelease 0`));
  });
});
