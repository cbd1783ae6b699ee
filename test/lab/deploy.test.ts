// mc deploy on the embedded lab: the real CLI over real SSH against simulated hosts; a second deploy changes
// nothing and no join token is ever shown.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DISK, FULL, mutations, startLab, type Lab } from '../support/deploy-lab.js';

interface PlanData {
  type: 'plan';
  changes: number;
  design: { members: { host: string; uplinkInterface: { value: string; source: string } | null }[] };
  phases: { id: string; steps: { id: string; host: string; change: string; action: { kind: string } }[] }[];
}

/** The NDJSON lines of a run with `-o json`. */
function events(stdout: string): { type: string; [key: string]: unknown }[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { type: string });
}

describe('mc deploy on the embedded lab', { concurrency: false }, () => {
  describe('3 hosts with local and Ceph disks and an OVN uplink', () => {
    let lab: Lab;
    before(async () => {
      lab = await startLab(['micro1', 'micro2', 'micro3']);
      lab.inventory(FULL(['micro1', 'micro2', 'micro3'], undefined, 'direct'));
    });
    after(async () => lab.stop());

    it('refuses a bad cluster section before touching a host, and a bad design before changing one', async () => {
      const hosts = ['micro1', 'micro2', 'micro3'];
      // A typo: the section alone is wrong, so no host is even contacted.
      const before = lab.world.records.length;
      lab.inventory(FULL(hosts, hosts, 'direct').replace('ipv4_range', 'ipv4_rnage'));
      const typo = await lab.mc('deploy', '--yes');
      assert.equal(typo.exitCode, 2, typo.stdout + typo.stderr);
      assert.match(
        typo.stderr,
        /hosts\.yaml:\d+:\d+: unknown key 'ipv4_rnage' \(did you mean 'ipv4_range'\?\)/,
      );
      assert.doesNotMatch(typo.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(lab.world.records.length, before, 'a host was contacted');
      // The root disk as a Ceph disk: found from the facts, refused, nothing changed.
      lab.inventory(
        FULL(hosts, hosts, 'direct').replace(`ceph: [{path: ${DISK(2)}`, 'ceph: [{path: /dev/vda'),
      );
      const root = await lab.mc('deploy', '--yes');
      assert.equal(root.exitCode, 2, root.stdout + root.stderr);
      assert.match(root.stderr, /hosts\.yaml:\d+:\d+: micro1: .*\/dev\/vda.*root/);
      assert.match(root.stderr, /nothing was changed on any host/);
      assert.deepEqual(mutations(lab.world), []);
      lab.inventory(FULL(hosts, hosts, 'direct'));
    });

    it('plans every change without making one', async () => {
      const r = await lab.mc('plan');
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /install microceph \(squid\/stable, cohort \+\)/);
      assert.match(r.stdout, /bootstrap the LXD cluster on 10\.1\.123\.11:8443/);
      assert.match(
        r.stdout,
        /define on micro2 storage pool local \(zfs\) source=\/dev\/disk\/by-id\/\S+lxd_disk1/,
      );
      assert.match(r.stdout, /uplink\s+enp6s0/);
      assert.deepEqual(mutations(lab.world), []);
    });

    it('gives the plan as data: every change per phase and host, in order', async () => {
      const r = await lab.mc('plan', '-o', 'json');
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      const plans = events(r.stdout).filter((e) => e.type === 'plan') as unknown as PlanData[];
      assert.equal(plans.length, 1);
      const plan = plans[0]!;
      assert.deepEqual(
        plan.phases.map((p) => p.id),
        ['install', 'bootstrap', 'join', 'storage', 'configure'],
      );
      const steps = plan.phases.flatMap((p) => p.steps);
      assert.equal(plan.changes, steps.length);
      assert.equal(new Set(steps.map((s) => s.id)).size, steps.length, 'step ids are unique');
      const install = plan.phases[0]!.steps;
      // MicroCloud is off (the direct engine): its snap is not installed at all.
      for (const host of ['micro1', 'micro2', 'micro3']) {
        assert.deepEqual(
          install.filter((s) => s.host === host).map((s) => s.change),
          [
            'install microceph (squid/stable, cohort +)',
            'install microovn (24.03/stable, cohort +)',
            'install lxd (5.21/stable, cohort +)',
            'hold microceph, microovn, lxd (no automatic refresh)',
          ],
          host,
        );
      }
      // Only the first member bootstraps; the others join one at a time, micro2 before micro3.
      assert.deepEqual([...new Set(plan.phases[1]!.steps.map((s) => s.host))], ['micro1']);
      assert.deepEqual([...new Set(plan.phases[2]!.steps.map((s) => s.host))], ['micro2', 'micro3']);
      assert.deepEqual(
        plan.design.members.map((m) => [m.host, m.uplinkInterface?.value]),
        [
          ['micro1', 'enp6s0'],
          ['micro2', 'enp6s0'],
          ['micro3', 'enp6s0'],
        ],
      );
      assert.deepEqual(mutations(lab.world), []);
    });

    it('deploys, verifies, and a second deploy changes nothing', async () => {
      const first = await lab.mc('deploy', '--yes');
      assert.equal(first.exitCode, 0, first.stdout + first.stderr);
      assert.match(first.stdout, /Verified: \d+ checks passed\. The cluster is ready\./);
      const changes = mutations(lab.world).length;
      const second = await lab.mc('deploy', '--yes');
      assert.equal(second.exitCode, 0, second.stdout + second.stderr);
      assert.match(second.stdout, /No changes: the cluster already matches the inventory\./);
      assert.equal(mutations(lab.world).length, changes, 'the second deploy ran a mutating command');
    });

    it('shows each member and service as microcloud status does', async () => {
      const status = await lab.mc('status');
      assert.equal(status.exitCode, 0, status.stdout + status.stderr);
      const table = status.stdout.slice(status.stdout.indexOf(' Status:'));
      assert.equal(
        table,
        [
          ' Status: HEALTHY',
          '',
          'Name    Address      OSDs  MicroCeph Units  MicroOVN Units          LXD     Status',
          'micro1  10.1.123.11  1     mds,mgr,mon,osd  central,chassis,switch  Online  ONLINE',
          'micro2  10.1.123.12  1     mds,mgr,mon,osd  central,chassis,switch  Online  ONLINE',
          'micro3  10.1.123.13  1     mds,mgr,mon,osd  central,chassis,switch  Online  ONLINE',
        ].join('\n'),
      );
      const json = await lab.mc('status', '-o', 'json');
      assert.equal(json.exitCode, 0, json.stderr);
      const data = events(json.stdout).find((e) => e.type === 'status') as unknown as {
        level: string;
        warnings: string[];
        rows: { name: string; osds: number; status: string; services: Record<string, string> }[];
      };
      assert.equal(data.level, 'HEALTHY');
      assert.deepEqual(data.warnings, []);
      assert.deepEqual(
        data.rows.map((r) => [r.name, r.osds, r.status, r.services['microceph']]),
        [
          ['micro1', 1, 'ONLINE', 'voter ONLINE'],
          ['micro2', 1, 'ONLINE', 'voter ONLINE'],
          ['micro3', 1, 'ONLINE', 'voter ONLINE'],
        ],
      );
    });

    it('never shows a join token', async () => {
      const r = await lab.mc('deploy', '--yes');
      assert.doesNotMatch(r.stdout + r.stderr, /eyJ[A-Za-z0-9+/=]{20,}/);
    });
  });
});
