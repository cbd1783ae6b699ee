// mc upgrade on the embedded lab (issue 16): 3 members deployed with the MicroCloud 2 LTS set go to MicroCeph
// squid/candidate, LXD 5.21/edge and MicroCloud 2/candidate. A host lost during its refresh stops the run; Ceph unhealthy after
// a refresh stops the next at its gate; each time the next run skips what is done and carries on. Then, with
// daemons that restart on refresh, on to LXD 6 and MicroCloud 3 with --evacuate: a cut between a member's
// evacuation and its restore, and the next run restores it first.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getMachine, runShell } from '../../src/lab/sim/index.js';
import { FULL, startLab, type Lab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];
// Newer channels of the LTS tracks first.
const TO = ['--to', 'microceph=squid/candidate', '--to', 'lxd=5.21/edge', '--to', 'microcloud=2/candidate'];

/** host: snap tracking rev (held) for the four snaps. */
function versions(lab: Lab): string[] {
  return HOSTS.flatMap((h) =>
    getMachine(lab.world, h)
      .snaps.filter((s) => ['lxd', 'microceph', 'microovn', 'microcloud'].includes(s.name))
      .map((s) => `${h} ${s.name} ${s.tracking} ${s.revision}${s.held ? ' held' : ''}`)
      .sort(),
  );
}

/** The refreshes the hosts ran, in order. */
const refreshes = (lab: Lab, from: number): string[] =>
  lab.world.records
    .slice(from)
    .filter((r) => r.argv[0] === 'snap' && r.argv[1] === 'refresh' && !r.argv.includes('--hold'))
    .map((r) => `${r.host} ${r.argv[2] ?? ''}`);

describe('mc upgrade on the embedded lab', { concurrency: false }, () => {
  it('upgrades 3 members from the LTS set, stops at a lost host and at an unhealthy Ceph, and resumes', async () => {
    const lab = await startLab(HOSTS);
    try {
      lab.inventory(FULL(HOSTS));
      const deployed = await lab.mc('deploy', '--yes');
      assert.equal(deployed.exitCode, 0, deployed.stdout + deployed.stderr);

      // Refused before anything changes: LXD 5.21 → 5.0 goes back, and MicroCloud 2 does not take LXD 5.0.
      const back = await lab.mc('upgrade', '--to', 'lxd=5.0/stable', '--dry-run');
      assert.equal(back.exitCode, 2, back.stdout + back.stderr);
      assert.equal(
        back.stderr,
        [
          'mc: lxd: lxd 5.21 cannot go back to 5.0: snaps refresh forward only (its data was upgraded); keep 5.21: --to lxd=5.21/stable',
          'mc: lxd: MicroCloud 2 needs LXD 5.21 or later; the upgrade would leave 5.0; add --to lxd=5.21/stable',
          'mc: 2 reason(s) to refuse the upgrade; nothing was changed on any host',
        ].join('\n'),
      );

      const preview = await lab.mc('upgrade', ...TO, '--dry-run', '-o', 'json');
      assert.equal(preview.exitCode, 0, preview.stdout + preview.stderr);
      const plan = JSON.parse(preview.stdout.trimEnd().split('\n').at(-1) ?? '') as {
        phases: { id: string; steps: { host: string; change: string }[] }[];
        done: unknown[];
      };
      assert.deepEqual(
        plan.phases.map((p) => [p.id, p.steps.map((s) => s.host)]),
        [
          ['upgrade-microceph', HOSTS],
          ['upgrade-lxd', HOSTS],
          ['upgrade-microcloud', HOSTS],
        ],
      );
      assert.equal(
        plan.phases[0]?.steps[0]?.change,
        'refresh microceph squid/stable rev 1393 → squid/candidate rev 1518, keep the hold, then check the cluster',
      );

      // A host lost during its refresh: the run stops there, naming it.
      lab.world.faults.dropConnection('micro2', 'snap refresh microceph');
      let mark = lab.world.records.length;
      const lost = await lab.mc('upgrade', ...TO, '--yes');
      assert.equal(lost.exitCode, 1, lost.stdout + lost.stderr);
      assert.match(
        lost.stdout,
        /\[micro2\] FAILED: refresh microceph squid\/stable rev 1393 → squid\/candidate rev 1518/,
      );
      assert.equal(
        lost.stderr,
        'mc: upgrade stopped at the step above; fix what it says and run mc upgrade again: it resumes there',
      );
      assert.deepEqual(refreshes(lab, mark), ['micro1 microceph', 'micro2 microceph']);

      // Ceph unhealthy after micro3's refresh: the gate stops the run before LXD.
      const sick = lab.world.faults.failAlways('micro3', 'microceph.ceph health', {
        exitCode: 0,
        stdout: 'HEALTH_WARN 1 osds down\n',
        stderr: '',
      });
      mark = lab.world.records.length;
      const unhealthy = await lab.mc('upgrade', ...TO, '--yes', '--timeout', '20');
      assert.equal(unhealthy.exitCode, 1, unhealthy.stdout + unhealthy.stderr);
      assert.ok(
        unhealthy.stdout.includes(
          '[micro3] FAILED: refresh microceph squid/stable rev 1393 → squid/candidate rev 1518, keep the hold, then check the cluster: health gate after microceph on micro3: Ceph: HEALTH_WARN 1 osds down (before the upgrade: HEALTH_OK)',
        ),
        unhealthy.stdout,
      );
      assert.match(unhealthy.stdout, /Already there:\n {4}micro1 {2}microceph squid\/candidate rev 1518/);
      // micro1 skipped (at the target); micro2 and micro3 refreshed; LXD not started.
      assert.deepEqual(refreshes(lab, mark), ['micro2 microceph', 'micro3 microceph']);

      lab.world.faults.remove(sick);
      mark = lab.world.records.length;
      const resumed = await lab.mc('upgrade', ...TO, '--yes');
      assert.equal(resumed.exitCode, 0, resumed.stdout + resumed.stderr);
      const order = refreshes(lab, mark);
      // LXD on every member at once, then MicroCloud one at a time; MicroCeph done already.
      assert.deepEqual(order.slice(0, 3).sort(), ['micro1 lxd', 'micro2 lxd', 'micro3 lxd']);
      assert.deepEqual(order.slice(3), ['micro1 microcloud', 'micro2 microcloud', 'micro3 microcloud']);
      assert.match(resumed.stdout, /Upgraded: 6 refresh\(es\), every gate passed\./);
      assert.deepEqual(
        versions(lab),
        HOSTS.flatMap((h) => [
          `${h} lxd 5.21/edge 35102 held`,
          `${h} microceph squid/candidate 1518 held`,
          `${h} microcloud 2/candidate 1781 held`,
          `${h} microovn 24.03/stable 667 held`,
        ]),
      );
      const again = await lab.mc('upgrade', ...TO, '--yes');
      assert.equal(again.exitCode, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /No changes: every member runs the target revisions\./);

      // On to LXD 6 and MicroCloud 3 (with a MicroOVN point release), evacuating each member around its
      // MicroOVN refresh. Refused first: MicroCeph back to reef, which MicroCloud 3 does not accept either.
      const SIX = [
        '--to',
        'microceph=squid/candidate',
        '--to',
        'microovn=24.03/candidate',
        '--to',
        'lxd=6/stable',
        '--to',
        'microcloud=3/stable',
      ];
      const reef = await lab.mc('upgrade', ...SIX.slice(2), '--to', 'microceph=reef/stable', '--dry-run');
      assert.equal(reef.exitCode, 2, reef.stdout + reef.stderr);
      assert.equal(
        reef.stderr,
        [
          'mc: microceph: microceph squid cannot go back to reef: snaps refresh forward only (its data was upgraded); keep squid: --to microceph=squid/stable',
          'mc: microceph: MicroCloud 3 accepts MicroCeph squid (Ceph 19.2) only; the upgrade would leave reef; add --to microceph=squid/stable',
          'mc: 2 reason(s) to refuse the upgrade; nothing was changed on any host',
        ].join('\n'),
      );
      // Refreshed daemons now restart: down 1.5 s on their host, offline to their peers 1 s longer.
      lab.world.latency['daemon.restart'] = 1_500;
      lab.world.latency['cluster.heartbeat'] = 1_000;
      lab.world.faults.dropConnection('micro2', 'snap refresh microovn');
      mark = lab.world.records.length;
      const cut = await lab.mc('upgrade', ...SIX, '--evacuate', '--yes');
      assert.equal(cut.exitCode, 1, cut.stdout + cut.stderr);
      assert.match(
        cut.stdout,
        /micro1 {2}evacuate micro1 before its microovn refresh \(lxc cluster evacuate: its instances move to other members\)\n.*micro1 {2}refresh microovn 24\.03\/stable rev 667 → 24\.03\/candidate rev 702, keep the hold, then check the cluster\n.*micro1 {2}restore micro1 \(lxc cluster restore: its instances come back\)/s,
      );
      assert.match(
        cut.stdout,
        /Note: --evacuate: each member is evacuated around its MicroCeph and MicroOVN refreshes only/,
      );
      assert.match(
        cut.stdout,
        /\[micro2\] FAILED: refresh microovn 24\.03\/stable rev 667 → 24\.03\/candidate rev 702/,
      );
      const lxdStates = async (): Promise<string> =>
        (
          JSON.parse((await runShell(lab.world, 'micro1', 'lxc cluster list -f json')).stdout) as {
            server_name: string;
            status: string;
          }[]
        )
          .map((m) => `${m.server_name} ${m.status}`)
          .join(', ');
      assert.equal(await lxdStates(), 'micro1 Online, micro2 Evacuated, micro3 Online');
      // The gate waited: after micro1's refresh its own MicroOVN was down, then UNREACHABLE to its peers.
      const gateReads = lab.world.records
        .slice(mark)
        .filter((r) => r.host === 'micro1' && r.argv.join(' ').endsWith('microovn cluster list -f json'));
      assert.ok(gateReads.length >= 2, `the gate read micro1's MicroOVN members ${gateReads.length} time(s)`);

      // The next run restores micro2 first, then goes on; --evacuate again around each MicroOVN refresh.
      mark = lab.world.records.length;
      const six = await lab.mc('upgrade', ...SIX, '--evacuate', '--yes');
      assert.equal(six.exitCode, 0, six.stdout + six.stderr);
      assert.match(
        six.stdout,
        /Restore the members a stopped run left evacuated:\n {4}micro2 {2}restore micro2/,
      );
      const evacuations = lab.world.records
        .slice(mark)
        .filter(
          (r) => r.argv.includes('cluster') && (r.argv.includes('evacuate') || r.argv.includes('restore')),
        )
        .map((r) => `${r.host} ${r.argv.slice(-3, -1).join(' ')}`);
      assert.deepEqual(evacuations, [
        'micro2 restore micro2',
        'micro2 evacuate micro2',
        'micro2 restore micro2',
        'micro3 evacuate micro3',
        'micro3 restore micro3',
      ]);
      assert.match(
        six.stdout,
        /^Restored micro2, left evacuated by a stopped run\.\nUpgraded: 8 refresh\(es\), every gate passed\.$/m,
      );
      assert.equal(await lxdStates(), 'micro1 Online, micro2 Online, micro3 Online');
      assert.deepEqual(
        versions(lab),
        HOSTS.flatMap((h) => [
          `${h} lxd 6/stable 37431 held`,
          `${h} microceph squid/candidate 1518 held`,
          `${h} microcloud 3/stable 2290 held`,
          `${h} microovn 24.03/candidate 702 held`,
        ]),
      );
    } finally {
      await lab.stop();
    }
  });
});
