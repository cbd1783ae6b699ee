// mc deploy against real LXD (Debian's 5.0.2) in the namespace lab (root, as in CI): an LXD-only cluster of
// 3 hosts, no MicroCeph, no MicroOVN, no disks. The snaps are simulated; lxd and lxc are the real ones, each
// daemon inside its host's namespaces. The deploy must converge and verify, find nothing to do the second
// time, and `mc status` must read the result; the lab leaves nothing on the machine, LXD daemons included.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NamespaceLab } from '../../src/lab/netns.js';
import { startSimNamespaceLab } from '../../src/lab/sim-netns.js';
import {
  FLOOR_50,
  LXD_ONLY,
  labProcesses,
  leftovers,
  linesOf,
  mcOnLab,
  writeInventory,
  type McResult,
} from '../support/netns-lxd.js';
import { tempDir, uniqueSuffix } from '../support/system.js';

const PLAYBOOK = new URL('../../playbooks/access-control.yml', import.meta.url).pathname;

const mc = (lab: NamespaceLab, args: string[]): Promise<McResult> => mcOnLab(lab, args);

describe('mc deploy on the namespace lab with real LXD 5.0: LXD only', { concurrency: false }, () => {
  let scratch: ReturnType<typeof tempDir>;
  before(() => {
    scratch = tempDir('mc-deploy-netns');
  });
  after(() => scratch.remove());

  it('enforces the floor after the install, deploys 3 members, verifies, finds nothing to do again, shows the status', async (t) => {
    // Names unique to the run: they are the hosts' hostnames and LXD's member names.
    const suffix = uniqueSuffix().slice(-4);
    const names = [1, 2, 3].map((i) => `lx${suffix}n${i}`);
    const { lab, world } = await startSimNamespaceLab({ names, baseDir: scratch.path, realLxd: true });
    let inside: { pid: number; comm: string; host: string }[] = [];
    try {
      // Before the install no LXD answers, so validate cannot see its version: the install step checks the
      // LXD that answers once ready (here the real 5.0.2, not the simulated snap's 5.21) and stops there.
      writeInventory(lab, LXD_ONLY);
      const unfit = await mc(lab, ['deploy', '--yes']);
      assert.equal(unfit.code, 1, unfit.stdout + unfit.stderr);
      for (const name of names) {
        assert.match(
          unfit.stdout,
          new RegExp(
            `^\\[${name}\\] FAILED: install lxd .*: LXD 5\\.0\\.2 is older than 5\\.21, .*lower cluster\\.lxd_min_version`,
            'm',
          ),
        );
      }
      // Stopped in the install phase: no later phase started.
      assert.doesNotMatch(unfit.stdout, /^== (?!Connect|Install|install stopped)/m);

      writeInventory(lab, [...LXD_ONLY, FLOOR_50]);
      const first = await mc(lab, ['deploy', '--yes']);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.doesNotMatch(first.stdout, /install (microceph|microovn)/);
      assert.equal(world.records.filter((c) => c.argv[0] === 'microceph').length, 0);
      assert.match(first.stdout, /^Deployed: \d+ change\(s\)\.$/m);
      assert.match(first.stdout, /^Verified: \d+ checks passed\.$/m);
      // No pool and no network on this LXD: the summary says so, and what an instance needs first.
      assert.match(first.stdout, /^Storage pools: none\. Networks: none\.$/m);
      assert.match(
        first.stdout,
        /^Before an instance can start, the default profile needs a root disk: .*; and a network: /m,
      );
      assert.doesNotMatch(first.stdout, /lxc launch|MicroCloud is ready/);
      // LXD 5.0.2 has none of the API extensions the 5.21 keys need: those keys are not set (§3.1), and the
      // deploy says so.
      assert.match(
        first.stdout,
        /^\[\w+\] skipped: instances\.migration\.stateful=true: this LXD lacks the API extension instances_migration_stateful/m,
      );

      // The cluster as the real LXD lists it, on the last member.
      const last = names.at(-1) ?? '';
      const list = await mc(lab, ['run', '-l', last, '--', 'lxc version && lxc cluster list -f csv']);
      assert.equal(list.code, 0, list.stdout + list.stderr);
      const lines = linesOf(last, list.stdout);
      assert.ok(lines.includes('Server version: 5.0.2'), lines.join('\n'));
      const members = lines.filter((l) => l.startsWith('lx')).map((l) => l.split(','));
      assert.deepEqual(
        members.map((m) => [m[0], m[1], m.includes('ONLINE')]),
        lab.hosts.map((h) => [h.name, `https://${h.address}:8443`, true]),
      );

      // The plan shows what the deploy skips, with the reason.
      const plan = await mc(lab, ['plan']);
      assert.equal(plan.code, 0, plan.stdout + plan.stderr);
      assert.match(
        plan.stdout,
        /^Skipped \(1\): what this LXD cannot do\n {4}instances\.migration\.stateful=true: this LXD lacks the API extension instances_migration_stateful .*\nNo changes: /m,
      );

      const again = await mc(lab, ['deploy', '--yes']);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /^No changes: /m);
      assert.match(again.stdout, /^Verified: \d+ checks passed\./m);

      const status = await mc(lab, ['status']);
      assert.equal(status.code, 0, status.stdout + status.stderr);
      for (const h of lab.hosts) {
        assert.match(
          status.stdout,
          new RegExp(`^${h.name} +${h.address.replaceAll('.', '\\.')} .*Online +ONLINE *$`, 'm'),
        );
      }

      // access-control.yml needs LXD's fine-grained authorization (5.21): the real lxc 5.0.2 has no `lxc auth`,
      // and the playbook refuses on every member before anything changes.
      const access = join(scratch.path, 'access.yaml');
      writeFileSync(access, 'access_projects: [{name: tenant-a}]\n');
      const refused = await mc(lab, ['playbook', PLAYBOOK, '-e', `@${access}`]);
      assert.equal(refused.code, 2, refused.stdout + refused.stderr);
      for (const name of names) {
        assert.match(
          refused.stdout,
          new RegExp(
            `LXD on ${name} has no fine-grained authorization \\(Error: unknown command "auth" for "lxc"\\)`,
          ),
        );
      }
      const projects = await mc(lab, ['run', '-l', last, '--', 'lxc project list -f csv']);
      assert.equal(projects.code, 0, projects.stdout + projects.stderr);
      const projectNames = linesOf(last, projects.stdout).map((l) => l.split(',')[0]);
      assert.ok(projectNames.includes('default (current)'), projectNames.join('\n'));
      assert.ok(!projectNames.includes('tenant-a'), projectNames.join('\n'));

      // The floor is checked against the daemon's own version, not the simulated snap's: at 5.21 mc refuses.
      writeInventory(lab, LXD_ONLY);
      const floor = await mc(lab, ['deploy', '--yes']);
      assert.equal(floor.code, 2, floor.stdout + floor.stderr);
      for (const name of names) {
        assert.match(floor.stderr, new RegExp(`^mc: ${name}: LXD 5\\.0\\.2 is older than 5\\.21`, 'm'));
      }
      assert.match(floor.stderr, /nothing was changed on any host/);

      t.diagnostic(
        `refused install ${unfit.ms} ms, deploy ${first.ms} ms, again ${again.ms} ms, status ${status.ms} ms, floor ${floor.ms} ms, access-control refused ${refused.ms} ms`,
      );
      inside = await labProcesses(lab);
      assert.ok(inside.filter((p) => p.comm === 'lxd').length === names.length, JSON.stringify(inside));
    } finally {
      if (inside.length === 0) inside = await labProcesses(lab);
      await lab.stop();
    }
    assert.deepEqual(await leftovers(lab, inside), []);
  });
});
