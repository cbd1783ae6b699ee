// mc collect on the embedded lab with a deployed MicroCloud: one .tar.gz with every host's folder, what each
// service says about the cluster, secrets masked, a failing command recorded, a host whose connection drops
// noted while the others are collected, and nothing changed on any host.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { extract } from 'tar';
import { FULL, mutations, startLab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];

describe('mc collect: a bug report from a deployed MicroCloud', { concurrency: false }, () => {
  it('archives every host, masks secrets, records failures, and changes nothing', async () => {
    const lab = await startLab(HOSTS);
    try {
      lab.inventory(FULL(HOSTS));
      const deployed = await lab.mc('deploy', '--yes');
      assert.equal(deployed.exitCode, 0, deployed.stdout + deployed.stderr);
      const changesBefore = mutations(lab.world).length;

      // A join token as LXD prints it, in a command's output: it must not reach the archive.
      const token = Buffer.from(
        JSON.stringify({ server_name: 'micro9', fingerprint: 'ab'.repeat(32), secret: 'cd'.repeat(32) }),
      ).toString('base64');
      lab.world.faults.failOnce('micro2', 'microovn status', {
        exitCode: 1,
        stdout: `Error: some failure, join with ${token}\n`,
        stderr: 'Error: Daemon not yet initialized\n',
      });
      lab.world.faults.dropConnection('micro3', 'microceph status');

      const out = join(lab.dir, 'reports');
      const r = await lab.mc('collect', '--output-dir', out, '--since-hours', '2');
      // micro3 lost its connection: the run fails, the other hosts are complete.
      assert.equal(r.exitCode, 1, r.stdout + r.stderr);
      const archives = readdirSync(out);
      assert.equal(archives.length, 1);
      const archive = join(out, archives[0] as string);
      assert.match(archive, /mc-collect-\d{8}T\d{6}Z\.tar\.gz$/);
      assert.match(r.stdout, new RegExp(`Archive: ${archive.replace(/[.]/g, '\\.')}`));
      assert.equal(statSync(archive).mode & 0o777, 0o600, 'only the user reads the archive');
      assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token));

      const unpacked = join(lab.dir, 'unpacked');
      await import('node:fs').then((fs) => fs.mkdirSync(unpacked));
      await extract({ file: archive, cwd: unpacked });
      const [top] = readdirSync(unpacked);
      const read = (host: string, file: string): string =>
        readFileSync(join(unpacked, top as string, host, file), 'utf8');
      assert.deepEqual(readdirSync(join(unpacked, top as string)).sort(), HOSTS);

      for (const host of ['micro1', 'micro2']) {
        const index = read(host, 'index.txt');
        assert.equal(index.trim().split('\n').length, 13, index);
        assert.match(read(host, 'snap-list.txt'), /^microcloud\s/m);
        assert.match(read(host, 'snap-list.txt'), /^lxd\s/m);
        for (const member of HOSTS) {
          assert.match(read(host, 'microcloud-cluster-list.txt'), new RegExp(`${member}.*ONLINE`));
          assert.match(read(host, 'lxc-cluster-list.txt'), new RegExp(`${member}.*ONLINE`));
        }
        assert.match(read(host, 'microceph-status.txt'), /MicroCeph deployment summary/);
        assert.match(read(host, 'lxc-info.txt'), new RegExp(`^  server_name: ${host}$`, 'm'));
        assert.match(read(host, 'index.txt'), /^lxc-info\.txt\texit 0\t/m);
        assert.match(read(host, 'ip-address.txt'), /10\.1\.123\.1\d/);
      }
      assert.match(read('micro1', 'index.txt'), /^microovn-status\.txt\texit 0\t/m);
      // The failure is recorded with its output, the token masked.
      assert.match(read('micro2', 'index.txt'), /^microovn-status\.txt\texit 1\t\d+ ms\tmicroovn status$/m);
      assert.equal(
        read('micro2', 'microovn-status.txt'),
        'Error: some failure, join with <redacted>\n\n--- stderr ---\nError: Daemon not yet initialized\n',
      );
      // micro3: what it answered before its connection dropped, then the reason.
      const index3 = read('micro3', 'index.txt');
      assert.match(index3, /^snap-list\.txt\texit 0\t/m);
      assert.match(index3, /^microceph-status\.txt\tnot finished: /m);
      assert.ok(!index3.includes('microovn-status.txt'), 'nothing after the lost connection');
      assert.match(r.stdout, /micro3/);

      for (const host of HOSTS) {
        for (const file of readdirSync(join(unpacked, top as string, host))) {
          assert.ok(!read(host, file).includes(token), `${host}/${file} holds the token`);
        }
      }
      assert.equal(mutations(lab.world).length, changesBefore, 'collect changed nothing');
    } finally {
      await lab.stop();
    }
  });
});
