// The MicroCloud engine on the embedded lab: the initiator's preseed fails before its trust session opens.
// The deploy stops naming micro1, MicroCloud's message and the next step; no joiner's preseed is started
// (each was waiting for the session); the next deploy forms the cluster.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FULL, startLab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];

describe('mc deploy with the MicroCloud engine: the initiator fails', { concurrency: false }, () => {
  it('names the initiator and its message, starts no joiner, then converges', async () => {
    const lab = await startLab(HOSTS);
    try {
      lab.inventory(FULL(HOSTS));
      lab.world.faults.failOnce('micro1', 'microcloud preseed', {
        stderr: 'Error: Failed to get LXD client: context deadline exceeded',
      });
      const failed = await lab.mc('deploy', '--yes');
      assert.equal(failed.exitCode, 1, failed.stdout + failed.stderr);
      assert.match(
        failed.stdout,
        /\[micro1\] FAILED: microcloud preseed: form MicroCloud as the initiator \(micro1, micro2, micro3\): microcloud preseed failed \(exit 1\): Error: Failed to get LXD client: context deadline exceeded \(fix the cause on micro1/,
      );
      assert.match(
        failed.stdout,
        /\[micro2\] FAILED: microcloud preseed: join through micro1 \(10\.1\.123\.11\): not started: the preseed on the initiator micro1 ended before its trust session opened/,
      );
      const joinerRuns = lab.world.records.filter(
        (r) => r.host !== 'micro1' && r.argv.join(' ') === 'microcloud preseed',
      );
      assert.deepEqual(joinerRuns, []);
      const again = await lab.mc('deploy', '--yes');
      assert.equal(again.exitCode, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /Verified: \d+ checks passed\. MicroCloud is ready\./);
    } finally {
      await lab.stop();
    }
  });
});
