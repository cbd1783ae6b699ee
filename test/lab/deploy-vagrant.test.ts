// The Vagrant path up to the VMs themselves: `mc inventory from-vagrant --cluster` on the embedded lab's
// hosts (a fake `vagrant` prints their ssh-config as Vagrant's template writes it), then `mc deploy` with
// that inventory, end to end, and a second deploy that changes nothing.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { parse } from 'yaml';
import { MC, mutations, startLab, type Lab } from '../support/deploy-lab.js';

const FAKE_VAGRANT_DIR = new URL('../support/fake-vagrant', import.meta.url).pathname;
const HOSTS = ['node1', 'node2', 'node3'];

/** `vagrant ssh-config` for these hosts, as vagrant 2.3.4's template renders it (see test/fixtures/vagrant). */
function sshConfig(lab: Lab): string {
  return lab.lab.hosts
    .map((h) =>
      [
        `Host ${h.name}`,
        `  HostName ${h.address}`,
        '  User vagrant',
        `  Port ${h.port}`,
        '  UserKnownHostsFile /dev/null',
        '  StrictHostKeyChecking no',
        '  PasswordAuthentication no',
        `  IdentityFile ${lab.lab.clientKeyPath}`,
        '  IdentitiesOnly yes',
        '  LogLevel FATAL',
        '',
        '',
      ].join('\n'),
    )
    .join('');
}

describe('mc inventory from-vagrant, then mc deploy, on the embedded lab', { concurrency: false }, () => {
  let lab: Lab;
  let project: string;
  let scenario: string;
  const fromVagrant = (...args: string[]) =>
    execa('node', [MC, 'inventory', 'from-vagrant', '--dir', project, '-o', 'plain', ...args], {
      reject: false,
      stdin: 'ignore',
      env: {
        PATH: `${FAKE_VAGRANT_DIR}:${process.env.PATH ?? ''}`,
        FAKE_VAGRANT_SCENARIO: scenario,
        XDG_CACHE_HOME: lab.dir,
      },
    });

  before(async () => {
    lab = await startLab(HOSTS);
    project = join(lab.dir, 'project');
    scenario = join(lab.dir, 'scenario');
    mkdirSync(join(project, '.vagrant'), { recursive: true });
    mkdirSync(scenario);
    writeFileSync(join(scenario, 'ssh-config.stdout'), sshConfig(lab));
  });
  after(async () => lab.stop());

  it('records the host keys when asked, and checks them from then on', async () => {
    const r = await fromVagrant('--record-host-keys');
    assert.equal(r.exitCode, 0, r.stderr);
    const inventory = parse(r.stdout) as { defaults: { ssh_options: Record<string, string> } };
    const knownHosts = join(lab.dir, 'project', '.vagrant', 'mc_known_hosts');
    assert.deepEqual(inventory.defaults.ssh_options, {
      IdentitiesOnly: 'yes',
      StrictHostKeyChecking: 'yes',
      UserKnownHostsFile: knownHosts,
    });
    // The very keys the lab's hosts have, one per host.
    const recorded = readFileSync(knownHosts, 'utf8').trim().split('\n').sort();
    // The lab's own file has a comment after each key; mc records none.
    const expected = readFileSync(lab.lab.knownHostsPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.replace(/ node\d$/, ''))
      .sort();
    assert.deepEqual(recorded, expected);
    writeFileSync(join(lab.dir, 'hosts.yaml'), r.stdout);
    const ping = await lab.mc('ping');
    assert.equal(ping.exitCode, 0, ping.stdout + ping.stderr);
    // A host whose key changed is refused by that inventory: the recorded key is what is checked.
    writeFileSync(
      knownHosts,
      expected
        .map((line, i) =>
          i === 0
            ? line.replace(/ \S+$/, ' AAAAC3NzaC1lZDI1NTE5AAAAIBxJz5zwcGkgRd41Ozc1DKkOXyNdmPgygyHmg6WTgLyd')
            : line,
        )
        .join('\n'),
    );
    const changed = await lab.mc('ping');
    assert.equal(changed.exitCode, 1, changed.stdout + changed.stderr);
    assert.match(changed.stdout + changed.stderr, /HOST KEY CHANGED/);
  });

  it('writes a cluster section from the probed facts that mc deploy carries out', async () => {
    // The simulated hosts' uplink network (the Vagrantfile's is the default).
    const r = await fromVagrant(
      '--cluster',
      '--uplink-gateway',
      '10.1.124.1/24',
      '--uplink-range',
      '10.1.124.100-10.1.124.254',
    );
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(mutations(lab.world).length, 0, 'from-vagrant changed a host');
    const inventory = parse(r.stdout) as {
      cluster: {
        systems: Record<string, { address?: string; ovn_uplink_interface?: string; storage?: unknown }>;
        ovn: unknown;
      };
    };
    for (const [i, host] of HOSTS.entries()) {
      assert.deepEqual(inventory.cluster.systems[host], {
        address: `10.1.123.${11 + i}`,
        ovn_uplink_interface: 'enp6s0',
        storage: {
          local: '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk1',
          // The simulated hosts have three blank disks: the smallest for local storage, the others for Ceph.
          ceph: [
            { path: '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk2' },
            { path: '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk3' },
          ],
        },
      });
    }
    assert.deepEqual(inventory.cluster.ovn, {
      ipv4_gateway: '10.1.124.1/24',
      ipv4_range: '10.1.124.100-10.1.124.254',
    });
    writeFileSync(join(lab.dir, 'hosts.yaml'), r.stdout);
    const check = await execa('node', [MC, 'inventory', 'check', '-i', join(lab.dir, 'hosts.yaml')], {
      reject: false,
    });
    assert.equal(check.exitCode, 0, check.stderr);
    assert.match(check.stdout, /ok \(mc, 3 hosts/);

    const deploy = await lab.mc('deploy', '--yes');
    assert.equal(deploy.exitCode, 0, deploy.stdout + deploy.stderr);
    // Vagrant's UserKnownHostsFile /dev/null records nothing: mc says the key went unchecked, not "added".
    assert.doesNotMatch(deploy.stdout + deploy.stderr, /to \/dev\/null/);
    assert.match(
      deploy.stdout + deploy.stderr,
      /\[node1\] WARNING: accepted host key SHA256:\S+ without checking it/,
    );
    // Every member in every service, two OSDs each (the two Ceph disks), at the addresses written.
    const status = await lab.mc('status');
    assert.equal(status.exitCode, 0, status.stdout + status.stderr);
    assert.equal(
      status.stdout.slice(status.stdout.indexOf(' Status:')),
      [
        ' Status: HEALTHY',
        '',
        'Name   Address      OSDs  MicroCeph Units  MicroOVN Units          LXD     Status',
        'node1  10.1.123.11  2     mds,mgr,mon,osd  central,chassis,switch  Online  ONLINE',
        'node2  10.1.123.12  2     mds,mgr,mon,osd  central,chassis,switch  Online  ONLINE',
        'node3  10.1.123.13  2     mds,mgr,mon,osd  central,chassis,switch  Online  ONLINE',
      ].join('\n'),
    );
    const again = await lab.mc('deploy', '--yes');
    assert.equal(again.exitCode, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /No changes/);
  });
});
