// mc remove on the embedded lab (issue 16): one of 3 members with Ceph replication 3 is refused with
// MicroCloud's reasons and nothing changes; --force does what MicroCloud's --force does (the direct engine's
// steps); a fault at a step stops the run, the next one converges.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runShell, type World } from '../../src/lab/sim/index.js';
import { FULL, startLab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];

async function shell(world: World, command: string): Promise<string> {
  const r = await runShell(world, 'micro1', command, '', { uid: 0 });
  assert.equal(r.exitCode, 0, `${command}: ${r.stderr}`);
  return r.stdout;
}

const DISK2 = '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk2';

// stderr of `mc remove micro3`: MicroCeph's own reasons (its PreRemove checks) and the replication, each
// with what to do, on one line.
const REFUSED = [
  'mc: micro3: MicroCeph: Node micro3 still has disks configured, remove before proceeding; remove its OSDs first (on micro3: sudo microceph disk remove osd.2), then run mc remove again; or --force to remove it with them',
  "mc: micro3: Ceph keeps 3 copies of each object; without micro3's OSDs only 2 OSD(s) remain; add OSDs on the other members first (a disk under cluster.systems, then mc deploy), or --force to lower the replication",
  "mc: micro3: MicroCeph: Insufficient non OSD services: need at least 3 mon, 1 mds, and 1 mgr services in the cluster besides those in node 'micro3'; MicroCeph needs --force when fewer than 3 of its members would remain (MicroCloud docs); with --force the remaining monitors carry on",
  'mc: 3 reason(s) to refuse; nothing was changed on any host',
].join('\n');

const step = (id: string, change: string, action: unknown): unknown => ({
  id,
  host: 'micro1',
  change,
  action,
});
const SHRUNK = ['.mgr', 'lxd_cephfs_data', 'lxd_cephfs_meta', 'lxd_remote'];
// `mc remove micro3 --force --dry-run -o json`: the last line.
const FORCED_PLAN = {
  type: 'remove-plan',
  notMembers: [],
  removals: [
    {
      member: 'micro3',
      services: ['lxd', 'microceph', 'microovn'],
      losses: [
        "micro3's LXD is not told it left: reinstall the lxd snap there before it serves again",
        `OSDs osd.2 (${DISK2}) on micro3: data with no other copy is lost`,
        'Ceph replication lowered from 3 to 2 copies',
      ],
      phases: [
        {
          id: 'lxd',
          title: 'Remove micro3 from LXD',
          steps: [
            step('remove:micro3:lxd', 'remove micro3 from LXD (--force)', {
              kind: 'lxd-member-remove',
              member: 'micro3',
              force: true,
            }),
          ],
        },
        {
          id: 'services',
          title: 'Remove micro3 from MicroCeph and MicroOVN',
          steps: [
            step(
              'remove:micro3:ceph:replication',
              `set Ceph replication to 2 (${SHRUNK.join(', ')}, default)`,
              { kind: 'ceph-shrink', size: 2, pools: [...SHRUNK, ''] },
            ),
            step('remove:micro3:microceph', 'remove micro3 from MicroCeph (--force)', {
              kind: 'microcluster-member-remove',
              service: 'microceph',
              member: 'micro3',
              force: true,
            }),
            step('remove:micro3:microovn', 'remove micro3 from MicroOVN (--force)', {
              kind: 'microcluster-member-remove',
              service: 'microovn',
              member: 'micro3',
              force: true,
            }),
          ],
        },
      ],
    },
  ],
};

const FORCED_RESULT = [
  'Members now: LXD micro1, micro2; MicroCeph micro1, micro2; MicroOVN micro1, micro2',
  'micro3 left with --force: nothing was cleaned up there; before deploying it again, remove its snaps (sudo snap remove --purge lxd microceph microovn microcloud)',
].join('\n');

const members = async (world: World, command: string): Promise<string[]> =>
  (JSON.parse(await shell(world, command)) as { name?: string; server_name?: string }[])
    .map((m) => m.server_name ?? m.name ?? '')
    .sort();

describe('mc remove on the embedded lab: refusals and --force', { concurrency: false }, () => {
  it('refuses one of 3 with replication 3, then removes it with --force', async () => {
    const lab = await startLab(HOSTS);
    try {
      // A cluster the direct engine formed (MicroCloud off): what mc remove takes apart today.
      lab.inventory(FULL(HOSTS, HOSTS, 'direct'));
      const deployed = await lab.mc('deploy', '--yes');
      assert.equal(deployed.exitCode, 0, deployed.stdout + deployed.stderr);

      const before = lab.world.records.length;
      const refused = await lab.mc('remove', 'micro3', '--yes');
      assert.equal(refused.exitCode, 2, refused.stdout + refused.stderr);
      const changes = lab.world.records
        .slice(before)
        .map((r) => r.argv.join(' '))
        .filter((c) => /cluster remove|volume delete|config unset|set-rf/.test(c));
      assert.deepEqual(changes, []);
      assert.equal(refused.stderr, REFUSED);

      const tty = await lab.mc('remove', 'micro3', '--yes', '-o', 'tty');
      // The live tree's lines (their order between hosts varies) and the recap; the same refusals.
      assert.equal(tty.exitCode, 2);
      assert.equal(tty.stderr, REFUSED);
      assert.deepEqual(
        tty.stdout
          .split('\n')
          .map((l) => l.replace(/\s+\d+(\.\d+)?m?s$/, ' T'))
          .sort(),
        [
          '',
          'RECAP ok=3',
          'micro1  ok T',
          'micro2  ok T',
          'micro3  ok T',
          '✔ Connect and gather facts',
          '✔ micro1',
          '✔ micro2',
          '✔ micro3',
          '❯ Connect and gather facts',
          '❯ micro1',
          '❯ micro2',
          '❯ micro3',
        ].sort(),
      );
      const preview = await lab.mc('remove', 'micro3', '--force', '--dry-run', '-o', 'json');
      assert.equal(preview.exitCode, 0, preview.stderr);
      assert.deepEqual(JSON.parse(preview.stdout.split('\n').at(-1) ?? ''), FORCED_PLAN);
      // A fault at MicroOVN's removal: LXD and MicroCeph are done, the run stops naming the step and what to do.
      lab.world.faults.failOnce('micro1', 'microovn cluster remove', {
        stderr: 'Error: context deadline exceeded',
      });
      const faulty = await lab.mc('remove', 'micro3', '--force', '--yes');
      assert.equal(faulty.exitCode, 1, faulty.stdout + faulty.stderr);
      assert.ok(
        faulty.stdout.includes(
          '[micro1] FAILED: remove micro3 from MicroOVN (--force): `microovn cluster remove micro3 --force` failed (exit 1): Error: context deadline exceeded (fix the cause on micro1, then run mc remove again: it continues from where the cluster stands)',
        ),
        faulty.stdout,
      );
      assert.equal(
        faulty.stderr,
        'mc: remove stopped; see the failed step above, fix it and run mc remove again',
      );
      assert.deepEqual(await members(lab.world, 'lxc cluster list -f json'), ['micro1', 'micro2']);
      assert.deepEqual(await members(lab.world, 'microovn cluster list -f json'), HOSTS);
      // MicroCeph's lane runs beside MicroOVN's: its removal may or may not have started before the failure.
      const cephDone = (await members(lab.world, 'microceph cluster list -f json')).length === 2;

      // The next run plans from where the cluster stands: LXD is done and the replication already lowered.
      const forced = await lab.mc('remove', 'micro3', '--force', '--yes');
      assert.equal(forced.exitCode, 0, forced.stdout + forced.stderr);
      const left = cephDone
        ? 'Remove micro3 (MicroOVN): 1 step(s)\n  Remove micro3 from MicroOVN:\n'
        : 'Remove micro3 (MicroCeph, MicroOVN): 2 step(s)\n  Remove micro3 from MicroCeph and MicroOVN:\n    micro1  remove micro3 from MicroCeph (--force)\n';
      assert.ok(
        forced.stdout.includes(`${left}    micro1  remove micro3 from MicroOVN (--force)\n`),
        forced.stdout,
      );
      assert.ok(forced.stdout.includes(`Removed micro3: ${cephDone ? 1 : 2} change(s).\n`), forced.stdout);
      assert.ok(forced.stdout.endsWith(FORCED_RESULT), forced.stdout);
      // MicroCloud's order: LXD, then the replication lowered before MicroCeph lets micro3 go.
      const removals = lab.world.records
        .map((r) => r.argv.join(' '))
        .filter((c) => /cluster remove|set-rf --size 2/.test(c));
      assert.equal(removals[0], 'lxc cluster remove micro3 --force --yes');
      assert.ok(
        removals.indexOf(`microceph pool set-rf --size 2 ${SHRUNK.join(' ')} `) <
          removals.indexOf('microceph cluster remove micro3 --force'),
        removals.join('\n'),
      );
      const two = ['micro1', 'micro2'];
      assert.deepEqual(await members(lab.world, 'lxc cluster list -f json'), two);
      assert.deepEqual(await members(lab.world, 'microceph cluster list -f json'), two);
      assert.deepEqual(await members(lab.world, 'microovn cluster list -f json'), two);
      const sizes = (await shell(lab.world, 'microceph pool list'))
        .split('\n')
        .filter((l) => l.startsWith('| ') && !l.includes('NAME'))
        .map((l) => l.split('|')[2]?.trim());
      assert.deepEqual(sizes, ['2', '2', '2', '2']);
    } finally {
      await lab.stop();
    }
  });
});
