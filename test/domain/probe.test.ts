// The one-round-trip fact script, run by a real sh with stand-in commands.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execaSync } from 'execa';
import { FACT_COMMANDS, type FactName } from '../../src/domain/facts/index.js';
import { gatherScript, SNAP_CHECK, splitGathered } from '../../src/domain/probe.js';

/**
 * Runs the script with every fact command replaced by `replacement(name)`, on the line after the fact's
 * BEGIN marker (some commands are prefixes of others), and the snap check by `snapCheck`.
 */
function runWith(
  replacement: (name: FactName, command: string) => string,
  snapCheck = SNAP_CHECK,
): { stdout: string; nonce: string } {
  const { script: original, nonce } = gatherScript('n0nce');
  let current: FactName | null = null;
  const lines = original.split('\n').map((line) => {
    if (current !== null) {
      const name: FactName = current;
      current = null;
      const command = FACT_COMMANDS[name];
      assert.ok(line.includes(command), line);
      return line.replace(command, replacement(name, command));
    }
    const begin = / BEGIN (\w+)\\n'/.exec(line);
    if (begin !== null) current = begin[1] as FactName;
    return line.replace(SNAP_CHECK, snapCheck);
  });
  return { stdout: execaSync('sh', ['-c', lines.join('\n')], { reject: false }).stdout, nonce };
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
    assert.equal(script.split('if mc_snap lxd; then mc_has_lxd=1; else mc_has_lxd=0; fi').length, 2);
    assert.equal(script.split('mc_snap microcloud').length, 2);
    assert.ok(
      script.includes('if [ "$mc_has_lxd" = 1 ]; then err=$( { lxc query /1.0; } 2>&1 1>&3 3>&-); rc=$?;'),
    );
    assert.ok(!script.includes('command -v'));
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
