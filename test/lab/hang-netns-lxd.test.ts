// A hung LXD (its daemon stopped with SIGSTOP: the socket still accepts, nothing answers) on one member of a
// real 3-member LXD 5.0.2 cluster in the namespace lab (root). Every command that gathers facts gives each
// remote command a short limit of its own: mc probe, mc plan, mc status and mc deploy each finish within 30 s,
// say which LXD on which host is not answering and what timed out, and gather the other hosts' facts. Once
// the daemon runs again, the cluster is whole and a deploy finds nothing to do.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimNamespaceLab } from '../../src/lab/sim-netns.js';
import { FLOOR_50, LXD_ONLY, lxdPid, mcOnLab, writeInventory } from '../support/netns-lxd.js';
import { tempDir, uniqueSuffix } from '../support/system.js';

describe('a hung LXD on the namespace lab', { concurrency: false }, () => {
  let scratch: ReturnType<typeof tempDir>;
  before(() => {
    scratch = tempDir('mc-hang-netns');
  });
  after(() => scratch.remove());

  it('mc probe, plan, status and deploy each finish within 30 s, naming the host and what timed out', async (t) => {
    const suffix = uniqueSuffix().slice(-4);
    const names = [1, 2, 3].map((i) => `hg${suffix}n${i}`);
    const { lab } = await startSimNamespaceLab({ names, baseDir: scratch.path, realLxd: true });
    const hung = names[2] ?? '';
    let stopped: number | undefined;
    try {
      writeInventory(lab, [...LXD_ONLY, FLOOR_50]);
      const deployed = await mcOnLab(lab, ['deploy', '--yes']);
      assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);

      stopped = await lxdPid(lab, hung);
      process.kill(stopped, 'SIGSTOP');
      const sentence = `LXD on ${hung} is not answering (\`lxc query /1.0\` timed out after 10 s)`;
      const figures: string[] = [];
      const run = async (command: string, code: number): Promise<string> => {
        const r = await mcOnLab(lab, [command, ...(command === 'deploy' ? ['--yes'] : [])], 60_000);
        const output = `${r.stdout}\n${r.stderr}`;
        figures.push(`${command} ${r.ms} ms`);
        assert.ok(r.ms < 30_000, `mc ${command} took ${r.ms} ms\n${output}`);
        assert.equal(r.code, code, output);
        // The other hosts' facts were gathered; the hung one's too, all but its LXD's.
        for (const name of names) assert.match(r.stdout, new RegExp(`^\\[${name}\\] ok: `, 'm'), output);
        assert.ok(!output.includes('\n    at '), output);
        return output;
      };
      // The probe reports what it found: the host, its LXD and what timed out.
      assert.ok((await run('probe', 0)).includes(`\n  lxd: ${sentence}\n`));
      // plan and deploy refuse before changing anything, with the sentence and what to do.
      for (const command of ['plan', 'deploy']) {
        const output = await run(command, 2);
        assert.ok(output.includes(`\nmc: ${sentence} (its daemon is hung or stopped: `), output);
        assert.match(output, /^mc: 1 problem\(s\) found; nothing was changed on any host$/m);
      }
      const status = await run('status', 1);
      assert.ok(status.includes(`\n ! ${sentence}\n`), status);
      assert.match(status, new RegExp(`^${hung} +\\S+ +not answering +NOT ANSWERING$`, 'm'));
      t.diagnostic(figures.join(', '));

      // The daemon runs again: the cluster is whole (its heartbeats may first have to mark it online again)
      // and a deploy finds nothing to do.
      process.kill(stopped, 'SIGCONT');
      stopped = undefined;
      let healthy = await mcOnLab(lab, ['status']);
      for (let i = 0; i < 12 && healthy.code !== 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5000));
        healthy = await mcOnLab(lab, ['status']);
      }
      assert.equal(healthy.code, 0, healthy.stdout + healthy.stderr);
      const again = await mcOnLab(lab, ['deploy', '--yes']);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /^No changes: /m);
    } finally {
      if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
      await lab.stop();
    }
  });
});
