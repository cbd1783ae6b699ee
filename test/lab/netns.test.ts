// The namespace lab (root, as in CI): real sshd per network namespace, real NICs, real faults, and a
// real LXD cluster formed with `mc run` over SSH.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import type { NamespaceLab } from '../../src/lab/netns.js';
import { labInventoryLines, startSimNamespaceLab } from '../../src/lab/sim-netns.js';
import { tempDir } from '../support/system.js';
import { MC } from '../support/mc-bin.js';

async function startLab(names: string[], baseDir: string, realLxd = false): Promise<NamespaceLab> {
  return (await startSimNamespaceLab({ names, baseDir, realLxd })).lab;
}

function inventory(lab: NamespaceLab): string {
  const path = join(lab.dir, 'hosts.yaml');
  writeFileSync(path, [...labInventoryLines(lab), ''].join('\n'));
  return path;
}

async function mc(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa('node', [MC, ...args], {
    reject: false,
    stdin: 'ignore',
    timeout: 120_000,
    env: { CI: 'true', HOME: '/nonexistent' },
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** What the machine still holds of a lab after stop: namespaces, links, processes. */
async function leftovers(lab: NamespaceLab): Promise<string[]> {
  const netns = (await execa('ip', ['netns', 'list'])).stdout
    .split('\n')
    .filter((l) => l.includes(`mc${lab.id}`));
  const links = (await execa('ip', ['-o', 'link'])).stdout.split('\n').filter((l) => l.includes(lab.id));
  const procs = (await execa('pgrep', ['-f', lab.dir], { reject: false })).stdout.split('\n').filter(Boolean);
  return [...netns, ...links, ...procs];
}

describe('namespace lab', { concurrency: false }, () => {
  let scratch: ReturnType<typeof tempDir>;
  before(() => {
    scratch = tempDir('mc-netns');
  });
  after(() => scratch.remove());

  it('starts 3 hosts with their own hostname, NICs as modelled, simulated snaps, and real faults', async () => {
    const lab = await startLab(['node1', 'node2', 'node3'], scratch.path);
    try {
      const hosts = inventory(lab);
      const r = await mc([
        'run',
        '-i',
        hosts,
        '--',
        'hostname; ip -j addr show enp5s0; ip -j addr show enp6s0; snap list | head -2',
      ]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      for (const h of lab.hosts) {
        const lines = r.stdout
          .split('\n')
          .filter((l) => l.startsWith(`[${h.name}] `))
          .map((l) => l.slice(h.name.length + 3));
        assert.equal(lines[1], h.name);
        const [management] = JSON.parse(lines[2] ?? '') as {
          addr_info: { family: string; local: string }[];
        }[];
        const [uplink] = JSON.parse(lines[3] ?? '') as { addr_info: { family: string; local: string }[] }[];
        assert.deepEqual(
          management?.addr_info.filter((a) => a.family === 'inet').map((a) => a.local),
          [h.address],
        );
        assert.deepEqual(
          uplink?.addr_info.filter((a) => a.family === 'inet'),
          [],
        );
        assert.match(lines[5] ?? '', /^snapd +\S+ +\d+ +latest\/stable/);
      }

      // A cut link is a real fault: the host is unreachable and the others carry on.
      await lab.setLink('node2', 'down');
      const cut = await mc([
        'run',
        '-i',
        hosts,
        '--connect-timeout',
        '2',
        '--connect-retries',
        '1',
        '--',
        'true',
      ]);
      assert.equal(cut.code, 1);
      assert.match(cut.stdout, /^node2 +unreachable/m);
      assert.match(cut.stdout, /^node1 +ok/m);
      await lab.setLink('node2', 'up');
      // A slow link is real too: at 4 kbit/s the few kilobytes of a handshake take seconds. The bucket refills
      // while the handshake waits on the CPU, so a faster rate hides the cap on a loaded machine.
      const connectMs = async (): Promise<number> => {
        const r = await mc(['run', '-i', hosts, '-l', 'node3', '-o', 'json', '--', 'true']);
        assert.equal(r.code, 0, r.stdout);
        const event = r.stdout
          .split('\n')
          .map((l) => JSON.parse(l) as { type: string; ms?: number })
          .find((e) => e.type === 'host-connected');
        return event?.ms ?? 0;
      };
      const normal = await connectMs();
      await lab.limitRate('node3', 4);
      const slowed = await connectMs();
      await lab.limitRate('node3', undefined);
      // The host sends a few KB during the handshake (key exchange, host key, auth) and the tbf burst lets the
      // first 1600 bytes through: the rest takes about 2 s at 4 kbit/s, well above any load noise.
      assert.ok(slowed > normal + 1000, `the cap slows the handshake: ${normal} ms, then ${slowed} ms`);

      // A host whose sshd dies is refused at once, reported with the reason, and the others carry on.
      await lab.killSshd('node1');
      const killed = await mc(['run', '-i', hosts, '--connect-retries', '1', '--', 'true']);
      assert.equal(killed.code, 1);
      assert.match(killed.stdout, /^\[node1\] UNREACHABLE: .*ECONNREFUSED/m);
      assert.match(killed.stdout, /^node2 +ok/m);
    } finally {
      await lab.stop();
    }
    assert.deepEqual(await leftovers(lab), []);
  });

  it('starts 10 hosts and stops them, leaving nothing behind', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `n${i + 1}`);
    const started = Date.now();
    const lab = await startLab(names, scratch.path);
    const startMs = Date.now() - started;
    try {
      const r = await mc(['run', '-i', inventory(lab), '--', 'hostname']);
      assert.equal(r.code, 0, r.stdout);
      for (const name of names) assert.match(r.stdout, new RegExp(`^\\[${name}\\] ${name}$`, 'm'));
      assert.match(r.stdout, /^RECAP ok=10$/m);
    } finally {
      await lab.stop();
    }
    assert.deepEqual(await leftovers(lab), []);
    assert.ok(startMs < 30_000, `started in ${startMs} ms`);
  });

  it('forms a real 3-member LXD cluster over SSH with mc run', async () => {
    const lab = await startLab(['node1', 'node2', 'node3'], scratch.path, true);
    try {
      const hosts = inventory(lab);
      const install = await mc([
        'run',
        '-i',
        hosts,
        '--',
        'snap install lxd --channel=5.21/stable && lxd waitready --timeout 30',
      ]);
      assert.equal(install.code, 0, install.stdout + install.stderr);

      const [first, ...others] = lab.hosts;
      const bootstrap = [
        'config:',
        `  core.https_address: ${first?.address}:8443`,
        '  images.auto_update_interval: 0',
        'storage_pools:',
        '- name: local',
        '  driver: dir',
        'cluster:',
        `  server_name: ${first?.name}`,
        '  enabled: true',
      ].join('\n');
      const init = await mc([
        'run',
        '-i',
        hosts,
        '-l',
        'node1',
        '--',
        `lxd init --preseed <<'EOF'\n${bootstrap}\nEOF`,
      ]);
      assert.equal(init.code, 0, init.stdout);

      for (const member of others) {
        const token = await mc([
          'run',
          '-i',
          hosts,
          '-l',
          'node1',
          '-o',
          'json',
          '--',
          `lxc cluster add ${member.name} --quiet`,
        ]);
        assert.equal(token.code, 0, token.stdout);
        const line = token.stdout
          .split('\n')
          .map((l) => JSON.parse(l) as { type: string; stream?: string; text?: string })
          .find((e) => e.type === 'line' && e.stream === 'stdout');
        const join = [
          'cluster:',
          '  enabled: true',
          `  server_name: ${member.name}`,
          `  server_address: ${member.address}:8443`,
          `  cluster_token: ${line?.text ?? ''}`,
          '  member_config:',
          '  - {entity: storage-pool, name: local, key: source, value: ""}',
        ].join('\n');
        const joined = await mc([
          'run',
          '-i',
          hosts,
          '-l',
          member.name,
          '--',
          `lxd init --preseed <<'EOF'\n${join}\nEOF`,
        ]);
        assert.equal(joined.code, 0, joined.stdout);
      }

      const list = await mc(['run', '-i', hosts, '-l', 'node3', '--', 'lxc cluster list -f csv']);
      assert.equal(list.code, 0, list.stdout);
      const members = list.stdout
        .split('\n')
        .filter((l) => l.startsWith('[node3] node'))
        .map((l) => l.slice('[node3] '.length).split(','));
      assert.deepEqual(
        members.map((m) => [m[0], m[1], m.includes('ONLINE')]),
        lab.hosts.map((h) => [h.name, `https://${h.address}:8443`, true]),
      );
    } finally {
      await lab.stop();
    }
    assert.deepEqual(await leftovers(lab), []);
  });
});
