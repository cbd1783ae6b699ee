// mc status --check on the embedded lab (issue 16), eleven more manual changes than drift.test.ts: two cluster
// keys, a CephFS pool, the profile's NIC, the OVN network, a network's description, the uplink's gateway and
// DNS changed in place, an OSD removed with `microceph disk remove` (each named, planned and repaired by mc
// deploy); and three mc deploy will not repair, each named with why and what to do (a snap
// moved to another channel, an LXD member removed by force, its snap then purged).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runShell } from '../../src/lab/sim/index.js';
import { DISK, FULL, mutations, startLab } from '../support/deploy-lab.js';
import { manual, report, sanitise } from '../support/drift-check.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];

describe('mc status --check: more kinds of drift', { concurrency: false }, () => {
  it('eight more changes to what mc configures in LXD and Ceph: named, planned and repaired', async () => {
    const lab = await startLab(HOSTS);
    try {
      lab.inventory(FULL(HOSTS));
      const deployed = await lab.mc('deploy', '--yes');
      assert.equal(deployed.exitCode, 0, deployed.stdout + deployed.stderr);
      await manual(lab, 'micro1', 'lxc config set instances.migration.stateful false');
      await manual(lab, 'micro2', 'lxc config unset user.microcloud');
      // The CephFS pool goes; its filesystem and OSD pools stay in Ceph.
      await manual(lab, 'micro1', 'lxc storage delete remote-fs');
      await manual(lab, 'micro3', 'lxc profile device remove default eth0');
      await manual(lab, 'micro2', 'lxc network delete default');
      await manual(lab, 'micro1', 'lxc network set UPLINK --property description=mine');
      // The uplink changed in place: its gateway and DNS server.
      await manual(
        lab,
        'micro2',
        'lxc network set UPLINK ipv4.gateway=10.1.124.2/24 dns.nameservers=10.1.124.3',
      );
      // micro3's OSD removed by hand: MicroCeph refuses until told to downgrade the failure domain and to go
      // below 4 OSDs; then it purges the OSD and wipes the disk.
      const removeOsd = (flags: string) =>
        runShell(lab.world, 'micro3', `microceph disk remove osd.2${flags}`, '', { uid: 0 });
      assert.equal(
        (await removeOsd('')).stderr,
        "Error: removing osd.2 would require a downgrade of the automatic crush rule from 'host' to 'osd' level. Likely this will result in additional data movement. Please confirm by setting the '--confirm-failure-domain-downgrade' flag to true\n",
      );
      assert.equal(
        (await removeOsd(' --confirm-failure-domain-downgrade')).stderr,
        'Error: cannot remove osd.2 we need at least 3 OSDs, have 3\n',
      );
      await manual(
        lab,
        'micro3',
        'microceph disk remove osd.2 --confirm-failure-domain-downgrade --bypass-safety-checks',
      );

      const pool = 'storage pool remote-fs (cephfs)';
      const drifts: [string, string, string][] = [
        ['OSD missing', 'micro3', `add OSD ${DISK(2)} (wipe)`],
        ['LXD config', 'micro1', 'set instances.migration.stateful=true'],
        ['LXD config', 'micro1', 'set user.microcloud=2.1.0'],
        ...HOSTS.map((h): [string, string, string] => [
          'storage pool',
          'micro1',
          `define on ${h} ${pool} source=lxd_cephfs`,
        ]),
        ['storage pool', 'micro1', `create ${pool} cephfs.path=lxd_cephfs`],
        ['network description', 'micro1', 'describe network UPLINK: Uplink for OVN networks'],
        ['network', 'micro1', 'create network default (ovn) network=UPLINK'],
        ['network description', 'micro1', 'describe network default: Default OVN network'],
        [
          'network config',
          'micro1',
          'set network UPLINK ipv4.gateway=10.1.124.1/24 dns.nameservers=10.1.124.1 (LXD holds ipv4.gateway=10.1.124.2/24 dns.nameservers=10.1.124.3)',
        ],
        [
          'profile device',
          'micro1',
          'add device eth0 to profile default: name=eth0 network=default type=nic',
        ],
      ];
      const drifted = await lab.mc('status', '--check');
      assert.equal(drifted.exitCode, 1, drifted.stdout + drifted.stderr);
      assert.ok(sanitise(drifted.stdout).endsWith(`\n${report(drifts)}`), drifted.stdout);
      // The live tree (its lines' order between hosts varies), the recap, then the same report.
      const tty = await lab.mc('status', '--check', '-o', 'tty');
      assert.equal(tty.exitCode, 1, tty.stdout + tty.stderr);
      const ttyLines = tty.stdout.split('\n').map((l) => l.replace(/\s+\d+(\.\d+)?m?s$/, ' T'));
      const reportAt = ttyLines.indexOf(report(drifts).split('\n')[0] ?? '');
      assert.equal(ttyLines.slice(reportAt).join('\n'), report(drifts));
      assert.deepEqual(
        ttyLines.slice(0, reportAt).sort(),
        [
          ...HOSTS.flatMap((h) => [`❯ ${h}`, `✔ ${h} › probe disks and NICs`, `${h}  ok T`]),
          '',
          'RECAP ok=3',
        ].sort(),
        tty.stdout,
      );
      const json = await lab.mc('status', '--check', '-o', 'json');
      assert.equal(json.exitCode, 1);
      const parsed = JSON.parse(json.stdout.split('\n').at(-1) ?? '') as { drifts: { kind: string }[] };
      assert.deepEqual(
        parsed.drifts.map((d) => d.kind),
        drifts.map(([kind]) => kind),
      );
      const plan = await lab.mc('plan');
      assert.match(plan.stdout, new RegExp(`^Changes \\(${drifts.length}\\):`, 'm'));
      const repaired = await lab.mc('deploy', '--yes');
      assert.equal(repaired.exitCode, 0, repaired.stdout + repaired.stderr);
      assert.match(repaired.stdout, new RegExp(`^Deployed: ${drifts.length} change\\(s\\)\\.$`, 'm'));
      const after = await lab.mc('status', '--check');
      assert.equal(after.exitCode, 0, after.stdout + after.stderr);
      assert.ok(after.stdout.endsWith('No drift: the cluster matches the inventory.'), after.stdout);
    } finally {
      await lab.stop();
    }
  });

  it('a snap on another channel and an LXD member removed by force: named with what to do, mc deploy refuses', async () => {
    const lab = await startLab(HOSTS);
    try {
      const inventory = lab.inventory(FULL(HOSTS));
      const deployed = await lab.mc('deploy', '--yes');
      assert.equal(deployed.exitCode, 0, deployed.stdout + deployed.stderr);
      const refusedReport = (detail: string): string =>
        report(
          [['refused', HOSTS.find((h) => detail.startsWith(`${h}:`)) ?? '', detail]],
          () => 'mc deploy refuses this state: do what the message says first',
        );
      const refusedRun = async (detail: string): Promise<void> => {
        const checked = await lab.mc('status', '--check');
        assert.equal(checked.exitCode, 1, checked.stdout + checked.stderr);
        assert.ok(sanitise(checked.stdout).endsWith(`\n${refusedReport(detail)}`), checked.stdout);
        const before = mutations(lab.world).length;
        const deploy = await lab.mc('deploy', '--yes');
        assert.equal(deploy.exitCode, 2, deploy.stdout + deploy.stderr);
        assert.equal(deploy.stderr, `mc: ${detail}\nmc: 1 problem(s) found; nothing was changed on any host`);
        assert.deepEqual(mutations(lab.world).slice(before), []);
      };

      // 1. A snap moved to another channel by hand: mc does not move it back (that is an upgrade or a downgrade).
      await manual(lab, 'micro2', 'snap refresh --channel=5.21/candidate lxd');
      await refusedRun(
        'micro2: lxd is installed from 5.21/candidate, not 5.21/stable (sudo snap refresh lxd --channel=5.21/stable --cohort="+")',
      );
      await manual(lab, 'micro2', 'snap refresh lxd --channel=5.21/stable --cohort=+');
      const back = await lab.mc('status', '--check');
      assert.equal(back.exitCode, 0, back.stdout + back.stderr);

      // 2. An LXD member removed by force: its daemon still believes it is clustered and needs a full reset.
      await manual(lab, 'micro1', 'lxc cluster remove micro3 --force --yes');
      await refusedRun(
        'micro3: LXD on micro3 believes it is in the cluster of micro1 and micro2, which no longer lists it (removed with --force) (a member removed by force needs a full reset before it can join again, losing what is left on it: on micro3: sudo snap remove --purge lxd; then run mc deploy again)',
      );
      // 3. Its snap purged: missing, and its old local disk keeps LXD's ZFS partitions, so mc will not use it
      // (data is sacred, wipe: true does not override partitions): the inventory names another disk.
      await manual(lab, 'micro3', 'snap remove --purge lxd');
      const purged = await lab.mc('status', '--check');
      assert.equal(purged.exitCode, 1);
      assert.ok(
        sanitise(purged.stdout).includes(
          `  micro3  refused: ${inventory}:27:16: micro3: disk ${DISK(1)} (sda) cannot be used for the local storage pool: has partitions: sda1, sda9 (eligible for the local storage pool: ${DISK(3)} (sdc, 40.00GiB))\n`,
        ),
        purged.stdout,
      );
      lab.inventory(FULL(HOSTS).replace(/( {4}micro3:\n(?:.*\n){2} {8}local: )\S+/, `$1${DISK(3)}`));
      const missing = await lab.mc('status', '--check');
      assert.equal(missing.exitCode, 1, missing.stdout + missing.stderr);
      const kinds = sanitise(missing.stdout)
        .split('\n')
        .filter((l) => /^ {2}micro\d/.test(l))
        .map((l) => l.trim().replace(/: .*/, ''));
      assert.deepEqual(
        kinds,
        [
          'micro3  snap missing',
          'micro3  snap hold',
          'micro3  member missing',
          'micro1  storage volume',
          'micro1  storage volume',
          'micro1  LXD config',
          'micro1  LXD config',
        ],
        missing.stdout,
      );
      const repaired = await lab.mc('deploy', '--yes');
      assert.equal(repaired.exitCode, 0, repaired.stdout + repaired.stderr);
      const after = await lab.mc('status', '--check');
      assert.equal(after.exitCode, 0, after.stdout + after.stderr);
      const members = await runShell(lab.world, 'micro1', 'lxc cluster list -f csv', '', { uid: 0 });
      assert.deepEqual(
        members.stdout
          .trim()
          .split('\n')
          .map((l) => l.split(',')[0]),
        HOSTS,
      );
    } finally {
      await lab.stop();
    }
  });
});
