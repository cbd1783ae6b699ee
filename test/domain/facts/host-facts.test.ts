import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  checkClusterAddress,
  evaluateDisks,
  evaluateUplinkInterfaces,
  FACT_COMMANDS,
  FACT_SNAPS,
  OPTIONAL_FACTS,
  parseHostFacts,
  type FactOutputs,
} from '../../../src/domain/facts/index.js';
import { fixture, simOutcomes } from './helpers.js';

/** A 24.04 server's outputs; the small /proc and uname outputs are this machine's real ones. */
function serverOutputs(): FactOutputs {
  return {
    osRelease: fixture('ubuntu-24.04/os-release'),
    kernel: fixture('captured/uname.txt'),
    memory: fixture('captured/meminfo'),
    cpuCount: fixture('captured/nproc.txt'),
    clock: fixture('captured/date.txt'),
    snaps: fixture('ubuntu-24.04/snap-list.txt'),
    blockDevices: fixture('ubuntu-24.04/lsblk-O.json'),
    diskLinks: fixture('ubuntu-24.04/disk-links.txt'),
    interfaces: fixture('ubuntu-24.04/ip-addr.json'),
    defaultRoutes4: fixture('ubuntu-24.04/ip-route-default.json'),
    defaultRoutes6: fixture('ubuntu-24.04/ip-route6-default.json'),
    lxdResources: fixture('ubuntu-24.04/lxd-resources.json'),
  };
}

describe('FACT_COMMANDS', () => {
  it('lists the exact command lines a single remote script runs', () => {
    assert.deepEqual(FACT_COMMANDS, {
      osRelease: 'cat /etc/os-release',
      kernel: 'uname -r -m',
      memory: 'cat /proc/meminfo',
      cpuCount: 'nproc',
      clock: 'date +%s.%N',
      snaps: 'LC_ALL=C snap list',
      blockDevices: 'lsblk -J -b -O',
      diskLinks:
        "find /dev/disk/by-id /dev/disk/by-path -mindepth 1 -maxdepth 1 -type l -printf '%p %l\\n' 2>/dev/null || true",
      interfaces: 'ip -j -d addr show',
      defaultRoutes4: 'ip -j -4 route show default',
      defaultRoutes6: 'ip -j -6 route show default',
      vxlanHelp: 'ip link help vxlan',
      lxdResources: 'lxc query /1.0/resources',
      hostname: 'hostname',
      listeningPorts: 'ss -Hltn',
      lxdServer: 'lxc query /1.0',
      lxdStoragePools: 'lxc query /1.0/storage-pools',
      lxdMembers: 'lxc cluster list -f json',
      microcephMembers: 'microceph cluster list -f json',
      microovnMembers: 'microovn cluster list -f json',
      microcloudMembers: 'microcloud cluster list -f json',
    });
  });

  it('marks the optional facts, and the snap each service command needs', () => {
    assert.deepEqual(OPTIONAL_FACTS, [
      'lxdResources',
      'hostname',
      'listeningPorts',
      'vxlanHelp',
      'lxdServer',
      'lxdStoragePools',
      'lxdMembers',
      'microcephMembers',
      'microovnMembers',
      'microcloudMembers',
    ]);
    assert.deepEqual(FACT_SNAPS, {
      lxdResources: 'lxd',
      lxdServer: 'lxd',
      lxdStoragePools: 'lxd',
      lxdMembers: 'lxd',
      microcephMembers: 'microceph',
      microovnMembers: 'microovn',
      microcloudMembers: 'microcloud',
    });
  });
});

describe('parseHostFacts', () => {
  it('parses every output of a host', () => {
    const result = parseHostFacts(serverOutputs());
    assert.ok(result.ok);
    const { facts } = result;
    assert.deepEqual(
      [facts.os.versionId, facts.kernel.machine, facts.memoryBytes, facts.cpuCount, facts.snaps.length],
      ['24.04', 'x86_64', 24684084 * 1024, 2, 7],
    );
    assert.equal(facts.blockDevices.devices.length, 19);
    assert.equal(facts.diskLinks.length, 44);
    assert.equal(facts.network.interfaces.length, 14);
    assert.deepEqual(
      facts.network.defaultRoutes.map((route) => [route.family, route.gateway, route.device]),
      [
        ['inet', '10.0.100.1', 'bond0.100'],
        ['inet6', '2001:db8:100::1', 'bond0.100'],
      ],
    );
    assert.equal(facts.lxdResources?.disks.length, 7);
    assert.equal(facts.listeningPorts, null, 'not gathered');
    assert.equal(facts.fanMap, null, 'not gathered');
  });

  it("reads whether `ip` can set up LXD's FAN tunnel from its vxlan usage", () => {
    // Debian's iproute2 6.1 (this machine's, captured): no fan-map, so LXD's `ip link add ... fan-map` fails.
    const debian = fixture('captured/ip-link-help-vxlan.txt');
    const without = parseHostFacts({ ...serverOutputs(), vxlanHelp: debian });
    assert.ok(without.ok);
    assert.equal(without.facts.fanMap, false);
    // Ubuntu's patched usage lists the option among the others.
    const patched = debian.replace(
      '\t\t[ [no]vnifilter ]\n',
      '\t\t[ [no]vnifilter ]\n\t\t[ fan-map OVERLAY:UNDERLAY ]\n',
    );
    assert.notEqual(patched, debian);
    const withFan = parseHostFacts({ ...serverOutputs(), vxlanHelp: patched });
    assert.ok(withFan.ok);
    assert.equal(withFan.facts.fanMap, true);
  });

  it('reads the listening ports when `ss` ran', () => {
    const result = parseHostFacts({ ...serverOutputs(), listeningPorts: fixture('captured/ss-Hltn.txt') });
    assert.ok(result.ok);
    assert.deepEqual(
      result.facts.listeningPorts?.map((socket) => socket.port),
      [2024, 6641, 53, 7443, 9443, 6642, 8443],
    );
  });

  it('feeds the rules directly', () => {
    const result = parseHostFacts(serverOutputs());
    assert.ok(result.ok);
    const { facts } = result;
    assert.equal(checkClusterAddress(facts, '10.0.100.11').ok, true);
    assert.deepEqual(
      evaluateUplinkInterfaces(facts, { managementAddress: '10.0.100.11' })
        .filter((verdict) => verdict.eligible)
        .map((verdict) => verdict.interface.name),
      ['enp65s0f0np0', 'enp65s0f1np1', 'eno3.300'],
    );
    assert.deepEqual(
      evaluateDisks(facts.blockDevices, facts.diskLinks)
        .filter((verdict) => verdict.ceph.eligible)
        .map((verdict) => verdict.stablePath.path),
      ['/dev/disk/by-id/wwn-0x5000c500d1e2f3a4', '/dev/disk/by-id/nvme-eui.36344730523456780025384500000001'],
    );
  });

  it('leaves LXD out before it is installed', () => {
    const outputs: FactOutputs = { ...serverOutputs() };
    delete outputs.lxdResources;
    const result = parseHostFacts(outputs);
    assert.ok(result.ok);
    assert.equal(result.facts.lxdResources, null);
  });

  it('reads the host name and the services, and tells an unasked service from a missing one', () => {
    // The 24.04 server has all four snaps; without their commands' outcomes each is an error naming the command.
    const bare = parseHostFacts(serverOutputs());
    assert.ok(bare.ok);
    assert.equal(bare.facts.hostname, null);
    assert.deepEqual(bare.facts.services.microcloud, {
      state: 'error',
      command: 'microcloud cluster list -f json',
      message: 'its output was not gathered',
    });
    // The simulator's deployed micro1.
    const { hostname, snaps, ...services } = simOutcomes('deployed');
    const result = parseHostFacts({
      ...serverOutputs(),
      ...services,
      hostname: hostname?.stdout ?? '',
      snaps: snaps?.stdout ?? '',
    });
    assert.ok(result.ok);
    assert.equal(result.facts.hostname, 'micro1');
    const { lxd, microceph, microovn, microcloud } = result.facts.services;
    assert.deepEqual(
      [lxd.state, microceph.state, microovn.state, microcloud.state],
      ['clustered', 'bootstrapped', 'bootstrapped', 'bootstrapped'],
    );
    // A fresh host: nothing but snapd.
    const fresh = parseHostFacts({ ...serverOutputs(), snaps: fixture('sim/fresh/snap-list.txt') });
    assert.ok(fresh.ok);
    assert.deepEqual(fresh.facts.services, {
      lxd: { state: 'not installed' },
      microceph: { state: 'not installed' },
      microovn: { state: 'not installed' },
      microcloud: { state: 'not installed' },
    });
  });

  it('reports every broken output at once', () => {
    const result = parseHostFacts({
      ...serverOutputs(),
      cpuCount: 'sh: 1: nproc: not found',
      blockDevices:
        '{"blockdevices":[{"name":"sda","size":"10G","type":"disk","ro":false,"rm":false,"fstype":null,"mountpoints":[null]}]}',
      lxdResources: '{}',
      hostname: 'two words',
      listeningPorts: 'State Recv-Q Send-Q Local Address:Port Peer Address:Port',
      microcephMembers: { exitCode: 0, stdout: '{}', stderr: '' },
      microovnMembers: { exitCode: 0, stdout: '[]', stderr: '' },
    });
    assert.equal(result.ok, false);
    assert.deepEqual(result.ok ? [] : result.errors.map((error) => [error.source, error.message]), [
      ['nproc', 'nproc: line 1: expected a positive whole number, got "sh: 1: nproc: not found"'],
      ['lsblk', 'lsblk: $.blockdevices[0].size: expected a size in bytes (run lsblk with -b), got "10G"'],
      ['lxd resources', 'lxd resources: $.storage: expected an object, got nothing'],
      [
        'hostname',
        'hostname: line 1: expected one host name (letters, digits, "-", "_" and "."), got "two words"',
      ],
      [
        'ss',
        'ss: line 1: expected `LISTEN RECV-Q SEND-Q LOCAL:PORT PEER:PORT` from `ss -Hltn`, got "State Recv-Q Send-Q Local Address:Port Peer Address:Port"',
      ],
      ['microceph cluster list', 'microceph cluster list: $: expected an array of cluster members, got {}'],
      [
        'microovn cluster list',
        'microovn cluster list: $: expected at least one member (this host), got an empty array',
      ],
    ]);
  });
});
