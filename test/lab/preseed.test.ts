// mc preseed export / import on the embedded lab: the exported preseed imported back gives the same plan,
// and bad MicroCloud-engine sections stop mc plan before any host is touched.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { getMachine } from '../../src/lab/sim/index.js';
import { FULL, mutations, startLab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];

/** The plan among mc plan -o json's NDJSON lines (the events come first). */
function planOf(stdout: string): PlanData {
  const plan = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string })
    .find((event) => event.type === 'plan');
  assert.ok(plan !== undefined, stdout);
  return plan as unknown as PlanData;
}

interface PlanData {
  design: { members: { host: string; address: { value: string }; localDisk: { value: unknown } | null }[] };
  engine: { kind: string; microcloudGets: string[] };
  phases: unknown[];
}

describe('mc preseed on the embedded lab', { concurrency: false }, () => {
  it('export, then import: the same plan; nothing changed on any host', async () => {
    const lab = await startLab(HOSTS);
    try {
      lab.inventory(FULL(HOSTS));
      const exported = await lab.mc('preseed', 'export');
      assert.equal(exported.exitCode, 0, exported.stdout + exported.stderr);
      assert.match(
        exported.stdout,
        /^# The MicroCloud preseed mc deploy would run \(bootstrap mode\), unicast/,
      );
      assert.match(exported.stdout, /^initiator_address: \S+$/m);
      assert.doesNotMatch(exported.stdout, /^session_passphrase:/m);
      assert.doesNotMatch(exported.stdout, /lookup_subnet/);
      const before = planOf((await lab.mc('plan', '-o', 'json')).stdout);
      assert.equal(before.engine.kind, 'microcloud');

      const file = join(lab.dir, 'preseed.yaml');
      writeFileSync(file, exported.stdout);
      lab.inventory('');
      const imported = await lab.mc('preseed', 'import', file);
      assert.equal(imported.exitCode, 0, imported.stdout + imported.stderr);
      assert.match(imported.stdout, /^cluster:$/m);

      lab.inventory(imported.stdout);
      const after = await lab.mc('plan', '-o', 'json');
      assert.equal(after.exitCode, 0, after.stdout + after.stderr);
      const again = planOf(after.stdout);
      assert.deepEqual(again.phases, before.phases);
      assert.deepEqual(again.engine.microcloudGets, before.engine.microcloudGets);
      const members = (plan: PlanData) =>
        plan.design.members.map((m) => [m.host, m.address.value, m.localDisk?.value ?? null]);
      assert.deepEqual(members(again), members(before));
      assert.deepEqual(mutations(lab.world), []);
    } finally {
      await lab.stop();
    }
  });

  it('mc plan refuses MicroCloud-engine problems with exit 2, touching nothing', async () => {
    const lab = await startLab(['micro1', 'micro2']);
    try {
      // Found in the section alone: no host is even contacted.
      lab.inventory('cluster:\n  session_timeout: 7200\n');
      const timeout = await lab.mc('plan');
      assert.equal(timeout.exitCode, 2, timeout.stdout + timeout.stderr);
      assert.match(timeout.stderr, /hosts\.yaml:\d+:\d+: Session timeout cannot exceed 60 minutes/);
      lab.inventory('cluster:\n  channels: {microceph: reef/stable}\n');
      const reef = await lab.mc('plan');
      assert.equal(reef.exitCode, 2);
      assert.match(reef.stderr, /hosts\.yaml:\d+:\d+: MicroCeph version "18\.2" is not supported/);
      assert.deepEqual(lab.world.records, []);

      // Found in the facts: the hosts are read, nothing is changed.
      getMachine(lab.world, 'micro2').hostname = 'server2';
      lab.inventory('');
      const hostname = await lab.mc('plan');
      assert.equal(hostname.exitCode, 2, hostname.stdout + hostname.stderr);
      assert.match(hostname.stderr, /micro2: Preseed file does not contain a system with name "server2"/);
      assert.match(hostname.stderr, /nothing was changed on any host/);
      assert.deepEqual(mutations(lab.world), []);
    } finally {
      await lab.stop();
    }
  });
});
