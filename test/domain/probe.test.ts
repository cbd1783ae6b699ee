// The one-round-trip fact script, run by a real sh with stand-in commands.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execaSync } from 'execa';
import { FACT_COMMANDS } from '../../src/domain/facts/index.js';
import { gatherScript, splitGathered } from '../../src/domain/probe.js';

/** Runs the script with every fact command replaced by `replacement(name)`. */
function runWith(replacement: (name: string, command: string) => string): { stdout: string; nonce: string } {
  const { script: original, nonce } = gatherScript('n0nce');
  let script = original;
  for (const [name, command] of Object.entries(FACT_COMMANDS)) {
    script = script.replace(command, replacement(name, command));
  }
  return { stdout: execaSync('sh', ['-c', script], { reject: false }).stdout, nonce };
}

describe('gather script', () => {
  it('frames each command output, with or without a final newline, and keeps stderr out', () => {
    const { stdout, nonce } = runWith((name) =>
      name === 'cpuCount'
        ? "printf '4'"
        : name === 'lxdResources'
          ? 'false'
          : `echo ${name}-line1; echo ${name}-line2; echo noise >&2`,
    );
    const split = splitGathered(stdout, nonce);
    assert.ok(split.ok);
    assert.equal(split.outputs.cpuCount, '4');
    assert.equal(split.outputs.osRelease, 'osRelease-line1\nosRelease-line2\n');
    assert.equal(split.outputs.lxdResources, undefined, 'LXD not initialised: an optional fact');
    assert.deepEqual(split.failedOptional, ['lxdResources']);
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
