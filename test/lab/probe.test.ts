// mc probe against the embedded lab: what it reports must be the lab's model, disk by disk, NIC by NIC.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { startEmbeddedLab } from '../../src/lab/embedded/lab.js';
import type { EmbeddedLab } from '../../src/lab/embedded/lab.js';
import { labInventory } from '../../src/lab/embedded/serve.js';
import {
  createProgramRunner,
  createSimLab,
  getMachine,
  GiB,
  installedSnap,
  realClock,
} from '../../src/lab/sim/index.js';
import type { World } from '../../src/lab/sim/index.js';
import type { HostProbe } from '../../src/workflows/probe.js';
import { tempDir } from '../support/system.js';
import { MC } from '../support/mc-bin.js';

describe('mc probe on the embedded lab', { concurrency: false }, () => {
  let scratch: ReturnType<typeof tempDir>;
  let lab: EmbeddedLab;
  let world: World;
  let inventory: string;

  before(async () => {
    scratch = tempDir('mc-probe');
    world = createSimLab({
      hosts: ['node1', 'node2'],
      clock: realClock(),
      // node2 has a disk with a filesystem and no partitions, and a small one: both must be refused for Ceph.
      // Its host name is not its inventory name (the services would take `server2` as its member name).
      machine: (name) =>
        name === 'node2'
          ? {
              hostname: 'server2',
              dataDisks: [
                { sizeBytes: 20 * GiB, serial: 'd1' },
                { sizeBytes: 1 * GiB, serial: 'tiny' },
              ],
            }
          : {},
    });
    const node2 = getMachine(world, 'node2');
    const formatted = node2.blockDevices.find((d) => d.serial === 'd1');
    if (formatted !== undefined)
      formatted.filesystem = { type: 'ext4', uuid: '0b5f8e3c-6d61-4c4c-9b7e-1c0c8d0e9a11', label: null };
    lab = await startEmbeddedLab({
      names: ['node1', 'node2'],
      dir: join(scratch.path, 'lab'),
      runner: createProgramRunner(world),
      subnet: 11,
    });
    inventory = join(scratch.path, 'lab.yaml');
    // Log in as a cloud image's user, never as root: mc then becomes root through the lab's sudo, which is
    // what makes the simulated `lxc` and `microcloud` see root (logged in as root, mc uses no sudo and the
    // lab's shell runs as its unprivileged login uid).
    writeFileSync(inventory, labInventory(lab.hosts, lab.clientKeyPath, lab.knownHostsPath, 'ubuntu'));
  });
  after(async () => {
    await lab.stop();
    scratch.remove();
  });

  it('reports the modelled OS, CPUs, memory, disks and NICs, with the reasons for what it refuses', async () => {
    const r = await execa('node', [MC, 'probe', '-i', inventory, '-o', 'json'], {
      reject: false,
      stdin: 'ignore',
    });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    const last = r.stdout.trimEnd().split('\n').at(-1) ?? '';
    const { hosts } = JSON.parse(last) as { hosts: HostProbe[] };
    assert.deepEqual(
      hosts.map((h) => h.host),
      ['node1', 'node2'],
    );
    for (const probe of hosts) {
      const machine = getMachine(world, probe.host);
      assert.equal(probe.facts.hostname, machine.hostname);
      // Before any install: snapd only.
      assert.deepEqual(probe.facts.services, {
        lxd: { state: 'not installed' },
        microceph: { state: 'not installed' },
        microovn: { state: 'not installed' },
        microcloud: { state: 'not installed' },
      });
      assert.equal(probe.facts.os.prettyName, machine.os.prettyName);
      assert.equal(probe.facts.cpuCount, machine.cpus);
      assert.equal(probe.facts.memoryBytes, Math.floor(machine.memoryBytes / 1024) * 1024);
      assert.equal(probe.facts.kernel.release, machine.kernel);
      // Every modelled disk is there, under its stable by-id name when it has one.
      const modelled = machine.blockDevices
        .filter((d) => d.type === 'disk')
        .map((d) => d.name)
        .sort();
      assert.deepEqual(
        probe.disks
          .filter((d) => d.device.type === 'disk')
          .map((d) => d.device.name)
          .sort(),
        modelled,
      );
      // The snaps' squashfs loop devices are listed too, and refused.
      for (const loop of probe.disks.filter((d) => d.device.type === 'loop')) {
        assert.deepEqual(loop.ceph.reasons.map((x) => x.code).includes('virtual-device'), true);
      }
      for (const verdict of probe.disks) {
        const disk = machine.blockDevices.find((d) => d.name === verdict.device.name);
        const byId = disk?.byId[0];
        if (byId !== undefined)
          assert.ok(verdict.stablePath.path.startsWith('/dev/disk/by-id/'), verdict.stablePath.path);
      }
      // The root disk is never offered.
      const root = probe.disks.find((d) => d.device.name === machine.blockDevices[0]?.name);
      assert.deepEqual(root?.ceph.reasons.map((x) => x.code).includes('root-disk'), true);
      // The uplink candidate is the modelled NIC without addresses.
      assert.deepEqual(
        probe.uplinks.filter((u) => u.eligible).map((u) => u.interface.name),
        ['enp6s0'],
      );
    }
    const node1 = hosts[0];
    assert.deepEqual(
      node1?.disks
        .filter((d) => d.ceph.eligible)
        .map((d) => d.stablePath.path)
        .sort(),
      getMachine(world, 'node1')
        .blockDevices.slice(1)
        .map((d) => `/dev/disk/by-id/${d.byId[0] ?? ''}`)
        .sort(),
    );
    const node2 = hosts[1];
    const reasons = (serial: string): string[] =>
      node2?.disks.find((d) => d.device.serial === serial)?.ceph.reasons.map((x) => x.code) ?? [];
    assert.deepEqual(reasons('d1'), ['filesystem']);
    assert.deepEqual(reasons('tiny'), ['too-small']);
  });

  it('prints a readable report on a terminal-less run', async () => {
    const r = await execa('node', [MC, 'probe', '-i', inventory], { reject: false, stdin: 'ignore' });
    assert.equal(r.exitCode, 0, r.stdout);
    assert.match(
      r.stdout,
      /^node1: Ubuntu 24\.04\.\d LTS, kernel \S+ x86_64, \d+ CPUs, [\d.]+GiB, snapd [\d.]+$/m,
    );
    assert.match(
      r.stdout,
      /^ {2}services: lxd not installed, microceph not installed, microovn not installed, microcloud not installed$/m,
    );
    // The host name is shown where it is not the inventory name.
    assert.match(r.stdout, /^node2 \(hostname server2\): Ubuntu /m);
    assert.match(r.stdout, /^ {2}DISK +SIZE +CEPH +LOCAL +WHY NOT$/m);
    assert.match(r.stdout, /^ {2}enp6s0 +physical +UP +- +yes$/m);
    assert.match(
      r.stdout,
      /^2 host\(s\) probed: \d+ disk\(s\) usable for Ceph, 2 host\(s\) with an OVN uplink candidate$/m,
    );
  });

  it('names a command that ran out of time briefly: its script goes to the log file only', async () => {
    // lsblk hangs on node2 and the run's limit is 1 s, below each fact command's own 10 s.
    const rule = world.faults.hang('node2', /^lsblk/, { times: 1 });
    const log = join(scratch.path, 'timeout.log');
    const r = await execa(
      'node',
      [MC, 'probe', '-i', inventory, '-o', 'plain', '--timeout', '1', '--log-file', log],
      { reject: false, stdin: 'ignore' },
    );
    world.faults.remove(rule.id);
    assert.equal(r.exitCode, 1, r.stdout + r.stderr);
    const failed = r.stdout.split('\n').filter((l) => l.includes('node2') && /timed out/.test(l));
    assert.ok(failed.length > 0, r.stdout);
    for (const line of failed) assert.match(line, /command timed out after 1s: a \d+-line script/);
    // Nothing of the script reaches the screen; the log file has it, once.
    assert.doesNotMatch(r.stdout + r.stderr, /mktemp|@@MC-|lsblk -J/);
    const logged = readFileSync(log, 'utf8');
    assert.equal(logged.split('[node2] probe: the command that failed:').length, 2, logged);
    assert.ok(logged.includes("timeout -k 2 10 sh -c 'lsblk -J -b -O'"), logged);
  });

  it('reports LXD installed but not initialised and MicroCeph bootstrapped after they are set up', async () => {
    const setup = await execa(
      'node',
      [
        MC,
        'run',
        '-i',
        inventory,
        '-l',
        'node1',
        '--',
        'sudo snap install lxd --channel=5.21/stable && sudo snap install microceph --channel=squid/stable && sudo microceph cluster bootstrap',
      ],
      { reject: false, stdin: 'ignore' },
    );
    assert.equal(setup.exitCode, 0, setup.stdout + setup.stderr);

    const r = await execa('node', [MC, 'probe', '-i', inventory, '-o', 'json'], {
      reject: false,
      stdin: 'ignore',
    });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    const { hosts } = JSON.parse(r.stdout.trimEnd().split('\n').at(-1) ?? '') as { hosts: HostProbe[] };
    const [node1, node2] = hosts;
    assert.equal(node1?.host, 'node1');
    const services = node1?.facts.services;
    // The model: LXD 5.21 installed, with no pool and no cluster; one MicroCeph cluster whose member is node1.
    const machine = getMachine(world, 'node1');
    const lxd = services?.lxd;
    assert.ok(lxd?.state === 'not initialised', JSON.stringify(lxd));
    assert.equal(lxd.server.version, installedSnap(machine, 'lxd')?.version.split('-')[0]);
    assert.equal(lxd.server.clustered, false);
    assert.ok(lxd.server.apiExtensions.includes('clustering'));
    const cephCluster = world.state.clusters[machine.daemons.microceph?.clusterId ?? ''];
    assert.ok(cephCluster !== undefined);
    const microceph = services?.microceph;
    assert.ok(microceph?.state === 'bootstrapped', JSON.stringify(microceph));
    assert.deepEqual(
      microceph.members.map((m) => [m.name, m.address, m.status]),
      cephCluster.members.map((m) => [m.name, m.address, 'ONLINE']),
    );
    assert.deepEqual(
      microceph.members.map((m) => m.name),
      ['node1'],
    );
    assert.deepEqual(services?.microovn, { state: 'not installed' });
    assert.deepEqual(services?.microcloud, { state: 'not installed' });
    // node2 was left alone.
    assert.deepEqual(node2?.facts.services, {
      lxd: { state: 'not installed' },
      microceph: { state: 'not installed' },
      microovn: { state: 'not installed' },
      microcloud: { state: 'not installed' },
    });

    const text = await execa('node', [MC, 'probe', '-i', inventory, '-l', 'node1'], {
      reject: false,
      stdin: 'ignore',
    });
    assert.equal(text.exitCode, 0, text.stdout);
    assert.match(
      text.stdout,
      /^ {2}services: lxd 5\.21\.\d+ not initialised, microceph bootstrapped \(1\), microovn not installed, microcloud not installed$/m,
    );
  });
});
