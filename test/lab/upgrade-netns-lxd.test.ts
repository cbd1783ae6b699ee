// mc upgrade against real LXD (Debian's 5.0.2) in the namespace lab: an LXD-only cluster whose LXD is not the
// snap's. A refresh of the lxd snap would not touch the daemon that runs the cluster, so mc refuses it with
// what to do; what mc does on LXD itself runs for real: reading member states (`lxc cluster list`), and
// restoring a member it left evacuated (`lxc cluster restore`), while one evacuated by someone else stays so.
// `mc reset`'s preview says that it leaves that LXD and its cluster state.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimNamespaceLab } from '../../src/lab/sim-netns.js';
import {
  FLOOR_50,
  LXD_ONLY,
  labProcesses,
  leftovers,
  linesOf,
  mcOnLab,
  writeInventory,
} from '../support/netns-lxd.js';
import { tempDir, uniqueSuffix } from '../support/system.js';

describe('mc upgrade on the namespace lab with real LXD 5.0', { concurrency: false }, () => {
  let scratch: ReturnType<typeof tempDir>;
  before(() => {
    scratch = tempDir('mc-upgrade-netns');
  });
  after(() => scratch.remove());

  it("refuses to refresh an LXD that is not the snap's, and restores the member a stopped run left evacuated", async (t) => {
    const suffix = uniqueSuffix().slice(-4);
    const names = [1, 2, 3].map((i) => `lu${suffix}n${i}`);
    const [n1 = '', n2 = '', n3 = ''] = names;
    const { lab } = await startSimNamespaceLab({ names, baseDir: scratch.path, realLxd: true });
    let inside: { pid: number; comm: string; host: string }[] = [];
    try {
      writeInventory(lab, [...LXD_ONLY, FLOOR_50]);
      const deployed = await mcOnLab(lab, ['deploy', '--yes']);
      assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);

      const refused = await mcOnLab(lab, ['upgrade', '--to', 'lxd=5.21/edge', '--dry-run']);
      assert.equal(refused.code, 2, refused.stdout + refused.stderr);
      for (const name of names) {
        assert.ok(
          refused.stderr.includes(
            `mc: lxd: ${name}: the LXD answering there is 5.0.2, not the lxd snap's 5.21.3: it is another LXD (a distribution package), which snap refresh does not upgrade; upgrade that LXD with its own package manager, or leave LXD as it is: --to lxd=5.21/stable`,
          ),
          refused.stderr,
        );
      }
      assert.match(refused.stderr, /nothing was changed on any host$/);

      // A run stopped between evacuating n2 and restoring it: the real LXD holds n2 evacuated and mc's record
      // says it did that. n3 was evacuated by someone else (no record).
      const evacuate = async (host: string, record: boolean): Promise<void> => {
        const line = [
          `lxc cluster evacuate ${host} --force`,
          ...(record
            ? ['f="${MC_STATE_DIR:-/var/lib/mc}/evacuated"; mkdir -p "$(dirname "$f")"; echo lxd > "$f"']
            : []),
        ].join(' && ');
        const r = await mcOnLab(lab, ['run', '-l', host, '--', `sh -c '${line}'`]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
      };
      await evacuate(n2, true);
      await evacuate(n3, false);

      const preview = await mcOnLab(lab, ['upgrade', '--dry-run']);
      assert.equal(preview.code, 0, preview.stdout + preview.stderr);
      assert.match(
        preview.stdout,
        new RegExp(
          `Restore the members a stopped run left evacuated:\\n {4}${n2} {2}restore ${n2} \\(lxc cluster restore`,
        ),
      );
      assert.match(
        preview.stdout,
        new RegExp(`Note: ${n3} was evacuated outside mc: mc neither evacuates nor restores it`),
      );
      assert.doesNotMatch(preview.stdout, new RegExp(`^ {4}${n3} {2}restore`, 'm'));

      const restored = await mcOnLab(lab, ['upgrade', '--yes']);
      assert.equal(restored.code, 0, restored.stdout + restored.stderr);
      assert.match(
        restored.stdout,
        new RegExp(`^Restored ${n2}, left evacuated by a stopped run\\. Nothing to refresh\\.$`, 'm'),
      );
      assert.doesNotMatch(restored.stdout, /Upgraded:/);
      const list = await mcOnLab(lab, ['run', '-l', n1, '--', 'lxc cluster list -f csv']);
      assert.equal(list.code, 0, list.stdout + list.stderr);
      const states = linesOf(n1, list.stdout)
        .filter((l) => l.startsWith('lu'))
        .map(
          (l) =>
            `${l.split(',')[0] ?? ''} ${l.includes('EVACUATED') ? 'EVACUATED' : l.includes('ONLINE') ? 'ONLINE' : l}`,
        );
      assert.deepEqual(states, [`${n1} ONLINE`, `${n2} ONLINE`, `${n3} EVACUATED`]);
      // The record went with the restore: the next run has nothing to do (n3 stays as its owner left it).
      const again = await mcOnLab(lab, ['upgrade', '--yes']);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /No changes: every member runs the target revisions\./);

      // mc reset removes the lxd snap it installed, and says that the LXD running the cluster stays.
      const reset = await mcOnLab(lab, ['reset', '--dry-run']);
      assert.equal(reset.code, 0, reset.stdout + reset.stderr);
      for (const name of names) {
        assert.ok(
          reset.stdout.includes(
            `${name}: LXD 5.0.2: the LXD answering here is not the lxd snap's (5.21.3): mc neither stops nor removes it, and it keeps its cluster state; remove it with its package manager`,
          ),
          reset.stdout,
        );
      }
      t.diagnostic(`deploy ${deployed.ms} ms, restore run ${restored.ms} ms`);
      inside = await labProcesses(lab);
    } finally {
      if (inside.length === 0) inside = await labProcesses(lab);
      await lab.stop();
    }
    assert.deepEqual(await leftovers(lab, inside), []);
  });
});
