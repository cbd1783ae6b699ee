// mc reset on the embedded lab (issue 16): 4 hosts deployed by MicroCloud; `--limit micro4` takes micro4 out
// of the cluster (microcloud remove) and resets it; a fault stops the full reset, the next run finishes; every
// host then probes as it did before the deploy (times aside), except the one disk the inventory left
// unmarked, which keeps LXD's pool: no command ever named it, nor the disk the inventory does not list.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getMachine, resolveBlockPath, runShell, type World } from '../../src/lab/sim/index.js';
import { DISK, startLab, type Lab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3', 'micro4'];
const OSD_HOSTS = ['micro1', 'micro2', 'micro3'];

/** Every disk marked wipe: true but micro3's local one; micro4 has no OSD. DISK(3) is nowhere. */
const INVENTORY = [
  'cluster:',
  '  systems:',
  ...HOSTS.flatMap((h) => [
    `    ${h}:`,
    '      ovn_uplink_interface: enp6s0',
    '      storage:',
    h === 'micro3' ? `        local: ${DISK(1)}` : `        local: {path: ${DISK(1)}, wipe: true}`,
    OSD_HOSTS.includes(h) ? `        ceph: [{path: ${DISK(2)}, wipe: true}]` : '        ceph: []',
  ]),
  '  ovn:',
  '    ipv4_gateway: 10.1.124.1/24',
  '    ipv4_range: 10.1.124.100-10.1.124.254',
  '    dns_servers: 10.1.124.1',
  '  ceph:',
  '    cephfs: true',
  '',
].join('\n');

/** The last line of `mc probe -o json` per host, without this machine's and the host's clocks. */
async function probed(lab: Lab): Promise<Map<string, unknown>> {
  const r = await lab.mc('probe', '-o', 'json');
  assert.equal(r.exitCode, 0, r.stdout + r.stderr);
  const last = JSON.parse(r.stdout.trimEnd().split('\n').at(-1) ?? '') as {
    hosts: { host: string; roundTrip?: unknown; facts: { clock?: unknown } }[];
  };
  return new Map(
    last.hosts.map((h) => {
      delete h.roundTrip;
      delete h.facts.clock;
      return [h.host, h];
    }),
  );
}

/** micro3's probe without the disk it keeps (its lsblk rows, its partitions' links), to compare the rest. */
function withoutDisk1(probe: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(probe)) as {
    facts: {
      blockDevices: { devices: { name: string; kernelName: string }[] };
      diskLinks: { target: string }[];
    };
    disks: { device?: string; path?: string }[];
  };
  // Its partitions' links (sda1, sda9) come and go with them.
  copy.facts.diskLinks = copy.facts.diskLinks.filter((l) => !/^sda\d+$/.test(l.target));
  copy.facts.blockDevices.devices = copy.facts.blockDevices.devices.filter((d) => !/^sda/.test(d.kernelName));
  copy.disks = copy.disks.filter(
    (d) => !JSON.stringify(d).includes('lxd_disk1') && !JSON.stringify(d).includes('"sda'),
  );
  return copy;
}

async function listed(world: World, command: string): Promise<string[]> {
  const r = await runShell(world, 'micro1', command, '', { uid: 0 });
  assert.equal(r.exitCode, 0, `${command}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { name?: string; server_name?: string }[])
    .map((m) => m.server_name ?? m.name ?? '')
    .sort();
}

/** Plain output without the live lines (their order and timings vary) and with the recap's times masked. */
const sanitise = (stdout: string): string =>
  stdout
    .split('\n')
    .filter((line) => !line.startsWith('['))
    .map((line) => line.replace(/\s+\d+(\.\d+)?m?s$/, ' T'))
    .join('\n');

const changesOf = (world: World, from: number): string[] =>
  world.records
    .slice(from)
    .map((r) => r.argv.join(' '))
    .filter((c) =>
      /^(snap remove|wipefs|microcloud remove|lxc (config unset|storage volume delete))/.test(c),
    );

const SNAPS = ['microcloud', 'lxd', 'microovn', 'microceph', 'core22', 'core24'];
const three = ['micro1', 'micro2', 'micro3'];

// `mc reset --yes -o plain` after the faulty run: micro2's microovn (the failed step) and what followed.
const FINISHED = [
  '== Connect and gather facts',
  'Reset micro1, micro2, micro3: 18 step(s)',
  '  Leave the clusters: remove the snaps mc installed:',
  '    micro2  remove snap microovn (--purge)',
  ...['microceph', 'core22', 'core24'].flatMap((snap) =>
    three.map((h) => `    ${h}  remove snap ${snap} (--purge)`),
  ),
  '  Wipe the disks marked for wiping:',
  `    micro1  wipe ${DISK(1)} (/dev/sda: the ZFS pool local of LXD)`,
  `    micro1  wipe ${DISK(2)} (/dev/sdb: a Ceph OSD)`,
  `    micro2  wipe ${DISK(1)} (/dev/sda: the ZFS pool local of LXD)`,
  `    micro2  wipe ${DISK(2)} (/dev/sdb: a Ceph OSD)`,
  `    micro3  wipe ${DISK(2)} (/dev/sdb: a Ceph OSD)`,
  "  Remove mc's records:",
  ...three.map((h) => `    ${h}  remove mc's record of the snaps it installed`),
  '  Left as it is:',
  `    micro3: ${DISK(1)}: keeps the ZFS pool local of LXD: the inventory does not mark it for wiping (wipe: true)`,
  '  Lost:',
  "    micro1: snap microceph with MicroCeph's monitors, keys and configuration",
  `    micro1: everything on ${DISK(1)} (/dev/sda: the ZFS pool local of LXD)`,
  `    micro1: everything on ${DISK(2)} (/dev/sdb: a Ceph OSD)`,
  "    micro2: snap microovn with MicroOVN's OVN databases and certificates",
  "    micro2: snap microceph with MicroCeph's monitors, keys and configuration",
  `    micro2: everything on ${DISK(1)} (/dev/sda: the ZFS pool local of LXD)`,
  `    micro2: everything on ${DISK(2)} (/dev/sdb: a Ceph OSD)`,
  "    micro3: snap microceph with MicroCeph's monitors, keys and configuration",
  `    micro3: everything on ${DISK(2)} (/dev/sdb: a Ceph OSD)`,
  '== Leave the clusters: remove the snaps mc installed',
  '== Wipe the disks marked for wiping',
  "== Remove mc's records",
  '== Check the hosts',
  '',
  'RECAP changed=3 ok=1',
  'micro1  changed T',
  'micro2  changed T',
  'micro3  changed T',
  'micro4  ok T',
  'Reset micro1, micro2, micro3: 18 change(s).',
  'Next: mc deploy sets the cluster up again from the inventory',
].join('\n');

describe('mc reset on the embedded lab', { concurrency: false }, () => {
  it('resets one member with --limit, then the rest after a fault, back to the probe before deploy', async () => {
    const lab = await startLab(HOSTS);
    try {
      lab.inventory(INVENTORY);
      const before = await probed(lab);
      const deployed = await lab.mc('deploy', '--yes');
      assert.equal(deployed.exitCode, 0, deployed.stdout + deployed.stderr);
      assert.deepEqual(await listed(lab.world, 'lxc cluster list -f json'), HOSTS);

      // Without a terminal and without --yes: the plan, then nothing changes.
      let mark = lab.world.records.length;
      const unconfirmed = await lab.mc('reset', '--limit', 'micro4');
      assert.equal(unconfirmed.exitCode, 2, unconfirmed.stdout + unconfirmed.stderr);
      assert.equal(
        unconfirmed.stderr,
        'mc: nothing was changed: the reset was not confirmed (answer y, or run with --yes)',
      );
      assert.match(unconfirmed.stdout, /Remove micro4 \(LXD, MicroCeph, MicroOVN, MicroCloud\)/);
      assert.match(unconfirmed.stdout, /needs a confirmation: run with --yes/);
      assert.deepEqual(changesOf(lab.world, mark), []);

      // --limit: micro4 leaves the cluster as mc remove takes it out (MicroCloud's own removal), then resets.
      mark = lab.world.records.length;
      const limited = await lab.mc('reset', '--limit', 'micro4', '--yes');
      assert.equal(limited.exitCode, 0, limited.stdout + limited.stderr);
      const limitedChanges = changesOf(lab.world, mark);
      assert.equal(limitedChanges.indexOf('microcloud remove micro4') > 0, true, limitedChanges.join('\n'));
      assert.deepEqual(
        limitedChanges.filter((c) => c.startsWith('snap remove')),
        SNAPS.map((s) => `snap remove --purge ${s}`),
      );
      assert.ok(
        limitedChanges.indexOf('microcloud remove micro4') <
          limitedChanges.indexOf('snap remove --purge microcloud'),
      );
      for (const command of [
        'lxc cluster list -f json',
        'microceph cluster list -f json',
        'microovn cluster list -f json',
      ]) {
        assert.deepEqual(await listed(lab.world, command), three, command);
      }

      // The JSON preview of the rest.
      const preview = await lab.mc('reset', '--dry-run', '-o', 'json');
      assert.equal(preview.exitCode, 0, preview.stderr);
      const plan = JSON.parse(preview.stdout.trimEnd().split('\n').at(-1) ?? '') as {
        type: string;
        removal: unknown[];
        hosts: { host: string; snaps: string[]; wipes: { path: string }[]; untouched: unknown[] }[];
        phases: { id: string; steps: { host: string; change: string }[] }[];
      };
      assert.equal(plan.type, 'reset-plan');
      assert.deepEqual(plan.removal, []);
      assert.deepEqual(
        plan.hosts.map((h) => [h.host, h.snaps, h.wipes.map((w) => w.path)]),
        [
          ['micro1', SNAPS, [DISK(1), DISK(2)]],
          ['micro2', SNAPS, [DISK(1), DISK(2)]],
          ['micro3', SNAPS, [DISK(2)]],
          ['micro4', [], []],
        ],
      );
      assert.deepEqual(
        plan.phases.map((p) => [p.id, p.steps.length]),
        [
          ['reset-snaps', 18],
          ['reset-disks', 5],
          ['reset-record', 3],
        ],
      );

      // A fault at micro2's MicroOVN: the run stops after the lanes beside it, naming the step and what to do.
      lab.world.faults.failOnce('micro2', 'snap remove --purge microovn', {
        stderr: 'error: cannot perform the following tasks:\n- Stop snap "microovn" services (timeout)',
      });
      mark = lab.world.records.length;
      const faulty = await lab.mc('reset', '--yes');
      assert.equal(faulty.exitCode, 1, faulty.stdout + faulty.stderr);
      assert.equal(
        faulty.stderr,
        'mc: reset stopped; see the failed step above, fix it and run mc reset again',
      );
      assert.ok(
        faulty.stdout.includes(
          '[micro2] FAILED: remove snap microovn (--purge): `snap remove --purge microovn` failed (exit 1): error: cannot perform the following tasks: / - Stop snap "microovn" services (timeout) (fix the cause on micro2, then run mc reset again: it continues from where the hosts stand)',
        ),
        faulty.stdout,
      );
      // Nothing after the failed stage ran: no disk was touched.
      assert.deepEqual(
        changesOf(lab.world, mark).filter((c) => c.startsWith('wipefs')),
        [],
      );

      const finished = await lab.mc('reset', '--yes');
      assert.equal(finished.exitCode, 0, finished.stdout + finished.stderr);
      assert.equal(sanitise(finished.stdout), FINISHED);

      // Every host as before the deploy; micro3 but for the disk it keeps.
      const after = await probed(lab);
      for (const host of HOSTS) {
        if (host === 'micro3') {
          assert.deepEqual(withoutDisk1(after.get(host)), withoutDisk1(before.get(host)), host);
          assert.notDeepEqual(after.get(host), before.get(host));
        } else {
          assert.deepEqual(after.get(host), before.get(host), host);
        }
      }
      // The unmarked disk: no command named it, and it still holds LXD's partitions; DISK(3) was never named.
      const wipes = lab.world.records.filter((r) => r.argv[0] === 'wipefs');
      assert.deepEqual(wipes.map((r) => `${r.host} ${r.argv.join(' ')}`).sort(), [
        `micro1 wipefs --all ${DISK(1)}`,
        `micro1 wipefs --all ${DISK(2)}`,
        `micro2 wipefs --all ${DISK(1)}`,
        `micro2 wipefs --all ${DISK(2)}`,
        `micro3 wipefs --all ${DISK(2)}`,
        `micro4 wipefs --all ${DISK(1)}`,
      ]);
      const kept = resolveBlockPath(getMachine(lab.world, 'micro3'), DISK(1))?.disk;
      assert.equal(kept?.partitions.find((p) => p.number === 1)?.filesystem?.type, 'zfs_member');

      const again = await lab.mc('reset', '--yes');
      assert.equal(again.exitCode, 0, again.stdout + again.stderr);
      assert.match(
        again.stdout,
        /No changes: nothing of mc's is left on micro1, micro2, micro3, micro4\.\n?$/,
      );
    } finally {
      await lab.stop();
    }
  });
});
