// How a failed remote command reads in a step's error: the program's own error lines, and the command named
// briefly (a script by its length: the script itself goes to the log file).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { briefCommand } from '../../src/transport/connection.js';
import { errorLines } from '../../src/workflows/deploy/remote.js';

describe('step errors', () => {
  it("keeps a program's Error: lines, not the usage text around them", () => {
    // cobra prints the usage, then the error; lxc may print hints first.
    const stderr = [
      'Usage:',
      '  lxc cluster remove <member> [flags]',
      '',
      'Flags:',
      '      --force   Force removing a member, even if degraded',
      "  -q, --quiet   Don't require user confirmation for using --force",
      '',
      'Error: Member "micro3" not found',
    ].join('\n');
    assert.equal(errorLines(stderr), 'Error: Member "micro3" not found');
    assert.equal(
      errorLines('⨯ Error: Failed to join\nError: System "micro2" failed to join the cluster: timeout'),
      '⨯ Error: Failed to join / Error: System "micro2" failed to join the cluster: timeout',
    );
    // Without any, the last lines.
    assert.equal(errorLines('one\ntwo\n\nthree\n'), 'two / three');
  });

  it('names a one-line command as it is, and a script by its length only', () => {
    assert.equal(briefCommand('lxc cluster list -f json'), 'lxc cluster list -f json');
    assert.equal(briefCommand(`echo ${'x'.repeat(200)}`).length, 100);
    assert.equal(briefCommand('exec </dev/null\nmc_d=$(mktemp -d)\nlsblk -J\n'), 'a 3-line script');
  });
});
