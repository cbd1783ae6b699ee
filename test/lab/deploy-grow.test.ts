// Deploy scenarios of the deploy issue on the embedded lab: 4 hosts with Ceph on 3, LXD only, 1 grown to 3.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FULL, startLab } from '../support/deploy-lab.js';

// micro2 and micro3 have nothing yet: MicroCloud's warnings for each (none about MicroCloud itself: the
// direct engine runs without it), their SSH address (the lab's
// loopback address, 127.0.N.x, padded to the column), no LXD member.
const partialStatus = (ssh: (host: string) => string): string =>
  [
    ' Status: ERROR',
    '',
    ' ! LXD is not found on micro2',
    ' ! MicroCeph is not found on micro2',
    ' ! MicroOVN is not found on micro2',
    ' ! LXD is not found on micro3',
    ' ! MicroCeph is not found on micro3',
    ' ! MicroOVN is not found on micro3',
    ' ! Data loss risk: MicroCeph OSD replication recommends at least 3 disks across 3 systems',
    '',
    'Name    Address      OSDs  MicroCeph Units  MicroOVN Units          LXD            Status',
    'micro1  10.1.123.11  1     mds,mgr,mon,osd  central,chassis,switch  Online         ONLINE',
    `micro2  ${ssh('micro2').padEnd(11)}  0     -                -                       not installed  NOT CLUSTERED`,
    `micro3  ${ssh('micro3').padEnd(11)}  0     -                -                       not installed  NOT CLUSTERED`,
  ].join('\n');

describe('mc deploy on the embedded lab: 1 host grown to 3', { concurrency: false }, () => {
  it('grows a 1-host cluster to 3', async () => {
    const lab = await startLab(['micro1', 'micro2', 'micro3']);
    try {
      lab.inventory(FULL(['micro1'], ['micro1'], 'direct'), ['micro1']);
      const one = await lab.mc('deploy', '--yes');
      assert.equal(one.exitCode, 0, one.stdout + one.stderr);
      lab.inventory(FULL(['micro1', 'micro2', 'micro3'], undefined, 'direct'));
      // Before the grow, status names what is missing on the new hosts and fails.
      const partial = await lab.mc('status');
      assert.equal(partial.exitCode, 1, partial.stdout + partial.stderr);
      const ssh = (host: string): string => lab.lab.hosts.find((h) => h.name === host)?.address ?? '';
      assert.equal(partial.stdout.slice(partial.stdout.indexOf(' Status:')), partialStatus(ssh));
      const plan = await lab.mc('plan');
      assert.doesNotMatch(plan.stdout, /bootstrap the LXD cluster/);
      assert.match(plan.stdout, /join LXD as 10\.1\.123\.12:8443 \(token from micro1\) local\.source=/);
      const three = await lab.mc('deploy', '--yes');
      assert.equal(three.exitCode, 0, three.stdout + three.stderr);
      assert.match(three.stdout, /set Ceph replication to 3/);
      const again = await lab.mc('deploy', '--yes');
      assert.match(again.stdout, /No changes/);
    } finally {
      await lab.stop();
    }
  });
});
