// mc collect on the embedded lab with a deployed MicroCloud: one .tar.gz with every host's folder, what each
// service says about the cluster, secrets masked, a failing command recorded, a host whose connection drops
// noted while the others are collected, and nothing changed on any host.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { extract } from 'tar';
import { FULL, mutations, startLab, type Lab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];
const PLAYBOOK = new URL('../../playbooks/collect-logs.yml', import.meta.url).pathname;

describe('a bug report from a deployed MicroCloud', { concurrency: false }, () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab(HOSTS);
    lab.inventory(FULL(HOSTS));
    const deployed = await lab.mc('deploy', '--yes');
    assert.equal(deployed.exitCode, 0, deployed.stdout + deployed.stderr);
  });
  after(async () => {
    await lab.stop();
  });

  it('mc collect archives every host, masks secrets, records failures, and changes nothing', async () => {
    {
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
      mkdirSync(unpacked);
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
    }
  });

  it('playbooks/collect-logs.yml: the same files masked on the member, and the same recap as ansible-playbook', async (t) => {
    const changesBefore = mutations(lab.world).length;
    const token = Buffer.from(
      JSON.stringify({ server_name: 'micro9', fingerprint: 'ef'.repeat(32), secret: '01'.repeat(32) }),
    ).toString('base64');
    // One failing command in each run (mc's, then ansible-playbook's), its output holding a token.
    const failMicroovn = (): void => {
      lab.world.faults.failOnce('micro1', 'microovn status', {
        exitCode: 1,
        stdout: `Error: join with token: ${token}\n`,
        stderr: '',
      });
    };
    failMicroovn();
    const mcDir = join(lab.dir, 'report-mc');
    let started = Date.now();
    const r = await lab.mc('playbook', PLAYBOOK, '-e', `collect_dir=${mcDir}`);
    const mcMs = Date.now() - started;
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.ok(!r.stdout.includes(token));

    // ansible-playbook against the same lab hosts (their sshd is the embedded lab's, their sudo the lab's).
    const ansibleDir = join(lab.dir, 'report-ansible');
    failMicroovn();
    const inventory = join(lab.dir, 'hosts.ini');
    writeFileSync(
      inventory,
      [
        '[all]',
        ...lab.lab.hosts.map(
          (h) =>
            `${h.name} ansible_host=${h.address} ansible_port=${h.port} ansible_user=ubuntu ansible_ssh_private_key_file=${lab.lab.clientKeyPath}`,
        ),
        '[all:vars]',
        `ansible_ssh_common_args='-o UserKnownHostsFile=${lab.lab.knownHostsPath}'`,
        'ansible_python_interpreter=/usr/bin/python3',
        '',
      ].join('\n'),
    );
    started = Date.now();
    const ansible = await execa(
      'ansible-playbook',
      ['-i', inventory, '-f', '5', PLAYBOOK, '-e', `collect_dir=${ansibleDir}`],
      {
        reject: false,
        all: true,
        env: {
          ANSIBLE_PIPELINING: 'True',
          ANSIBLE_NOCOLOR: '1',
          ANSIBLE_RETRY_FILES_ENABLED: 'False',
          ANSIBLE_LOCAL_TEMP: join(lab.dir, 'ansible-tmp'),
          ANSIBLE_SSH_CONTROL_PATH_DIR: join(lab.dir, 'cp'),
        },
      },
    );
    const ansibleMs = Date.now() - started;
    assert.equal(ansible.exitCode, 0, ansible.all);
    t.diagnostic(`mc playbook ${mcMs} ms, ansible-playbook ${ansibleMs} ms`);
    assert.deepEqual(recapOf(r.stdout), recapOf(ansible.all ?? ''));
    assert.deepEqual(Object.keys(recapOf(r.stdout)).sort(), HOSTS);

    for (const dir of [mcDir, ansibleDir]) {
      const unpacked = `${dir}-unpacked`;
      mkdirSync(unpacked);
      await extract({ file: `${dir}.tar.gz`, cwd: unpacked });
      const read = (host: string, file: string): string => readFileSync(join(unpacked, host, file), 'utf8');
      assert.deepEqual(readdirSync(unpacked).sort(), HOSTS);
      for (const host of HOSTS) {
        const files = readdirSync(join(unpacked, host)).sort();
        assert.equal(files.length, 13, files.join(' '));
        for (const file of files) assert.ok(!read(host, file).includes(token), `${dir} ${host}/${file}`);
        for (const member of HOSTS) {
          assert.match(read(host, 'microcloud-cluster-list.txt'), new RegExp(`${member}.*ONLINE`));
        }
        // Masking leaves tables and certificates whole.
        assert.match(read(host, 'lxc-cluster-list.txt'), /^\+-{8}\+/m);
        assert.match(read(host, 'lxc-info.txt'), /^ {4}-----BEGIN CERTIFICATE-----\n {4}[A-Za-z0-9+/]{64}$/m);
        assert.match(read(host, 'lxc-info.txt'), new RegExp(`^  server_name: ${host}$`, 'm'));
        assert.match(read(host, 'index.txt'), /^snap-list\.txt: exit 0: snap list$/m);
      }
      assert.match(read('micro1', 'index.txt'), /^microovn-status\.txt: exit 1: microovn status$/m);
      assert.equal(read('micro1', 'microovn-status.txt'), 'Error: join with token: <redacted>\n', dir);
      assert.match(read('micro2', 'index.txt'), /^microovn-status\.txt: exit 0: microovn status$/m);
    }
    assert.equal(mutations(lab.world).length, changesBefore, 'the playbook changed nothing');
  });
});

/** PLAY RECAP lines, as both print them: `host : ok=1 changed=0 ...`. */
function recapOf(output: string): Record<string, string> {
  const recap: Record<string, string> = {};
  for (const line of output.slice(output.lastIndexOf('PLAY RECAP')).split('\n').slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (m !== null) recap[m[1] as string] = (m[2] as string).trim().replace(/\s+/g, ' ');
  }
  return recap;
}
