// designCluster on simulated hosts that are fit for MicroCloud: the design, every choice with its reason.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import type { Choice, DiskChoice, MemberDesign } from '../../../src/domain/cluster/types.js';
import { parseDefaultRoutes, parseIpAddr, type HostFacts } from '../../../src/domain/facts/index.js';
import { runShell } from '../../../src/lab/sim/index.js';
import { fixture } from '../facts/helpers.js';
import {
  deployWithPreseed,
  design,
  designIssues,
  designOf,
  freshWorld,
  installStack,
  inventoryOf,
  inventoryText,
  machine,
  simFacts,
} from './support.js';

const BY_ID = '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk';
const GiB = 1024 ** 3;

function disk(
  n: 1 | 2 | 3,
  source: Choice<DiskChoice>['source'],
  reason: string,
  extra: Partial<DiskChoice> = {},
): Choice<DiskChoice> {
  const sizes = { 1: 10 * GiB, 2: 20 * GiB, 3: 40 * GiB };
  return {
    value: {
      path: `${BY_ID}${n}`,
      wipe: false,
      encrypt: false,
      device: `sd${'abc'[n - 1] ?? ''}`,
      sizeBytes: sizes[n],
      ...extra,
    },
    source,
    reason,
  };
}

const INVENTORY_ADDRESS = 'the inventory address mc connects to, configured on the host';
const address = (host: number, reason = INVENTORY_ADDRESS): Choice<string> => ({
  value: `10.1.123.${10 + host}`,
  source: reason === INVENTORY_ADDRESS ? 'inventory' : reason.startsWith('cluster.') ? 'inventory' : 'probed',
  reason,
});
const ONLY_UPLINK: Choice<string> = {
  value: 'enp6s0',
  source: 'probed',
  reason: 'the only eligible uplink interface',
};

describe('design: good clusters', () => {
  it('3 hosts, every key of the section (test/fixtures/cluster/full.yaml)', async () => {
    const facts = await simFacts(freshWorld(3));
    const text = readFileSync(new URL('../../fixtures/cluster/full.yaml', import.meta.url), 'utf8');
    const result = designOf(inventoryOf(text), facts);
    const uplink = (host: string): Choice<string> => ({
      value: 'enp6s0',
      source: 'inventory',
      reason: `cluster.systems.${host}.ovn_uplink_interface`,
    });
    assert.deepEqual(result, {
      initiator: 'micro1',
      engine: {
        kind: 'microcloud',
        reason: 'services.microcloud: true (hosts.yaml:9:59): MicroCloud forms and owns the cluster',
        lookupTimeout: 120,
        sessionTimeout: 1800,
      },
      members: [
        {
          host: 'micro1',
          address: address(1, 'cluster.systems.micro1.address'),
          localDisk: disk(1, 'inventory', 'cluster.systems.micro1.storage.local'),
          cephDisks: [disk(2, 'inventory', 'cluster.systems.micro1.storage.ceph[0]', { wipe: true })],
          uplinkInterface: uplink('micro1'),
          underlayIp: '10.1.123.11',
        },
        {
          host: 'micro2',
          address: address(2, 'cluster.systems.micro2.address'),
          localDisk: disk(1, 'inventory', 'cluster.systems.micro2.storage.local'),
          cephDisks: [disk(2, 'inventory', 'cluster.systems.micro2.storage.ceph[0]')],
          uplinkInterface: uplink('micro2'),
          underlayIp: '10.1.123.12',
        },
        {
          host: 'micro3',
          address: address(3, 'cluster.systems.micro3.address'),
          localDisk: disk(1, 'filter', 'matched storage.local[0] "size > 5GiB"'),
          cephDisks: [disk(3, 'filter', 'matched storage.ceph[0] "device_id == *lxd_disk3"', { wipe: true })],
          uplinkInterface: uplink('micro3'),
          underlayIp: '10.1.123.13',
        },
      ],
      services: { microceph: true, microovn: true, microcloud: true },
      channels: {
        lxd: '5.21/stable',
        microceph: 'squid/stable',
        microovn: '24.03/stable',
        microcloud: '2/stable',
      },
      lxdMinVersion: '5.21',
      uplink: {
        ipv4Gateway: '10.1.124.1/24',
        ipv4Range: '10.1.124.100-10.1.124.254',
        ipv6Gateway: 'fd42:1:1234:1234::1/64',
        dnsServers: ['10.1.124.1', '8.8.8.8'],
      },
      fan: null,
      lxd: { storagePools: [], networks: [] },
      ceph: { cephfs: true, publicNetwork: '10.1.123.0/24', internalNetwork: '10.1.123.0/24' },
      warnings: [],
    });
  });

  it('4 hosts with Ceph on 3, disks by filter, the uplink chosen by MicroCloud’s rule', async () => {
    const world = freshWorld(4);
    // micro2 has a second NIC without addresses: the alphabetically first one is taken.
    machine(world, 'micro2').nics.push({
      name: 'enp7s0',
      ifindex: 4,
      kind: 'physical',
      state: 'UP',
      carrier: true,
      mac: '00:16:3e:00:02:07',
      mtu: 1500,
      addresses: [],
      master: null,
      vlan: null,
      pciAddress: '0000:07:00.0',
    });
    const facts = await simFacts(world);
    const inventory = inventoryOf(
      inventoryText(
        4,
        'cluster:',
        '  systems:',
        '    micro4: {storage: {ceph: []}}',
        '  storage:',
        '    ceph: [{find: "size >= 20GiB && type == scsi", find_min: 3, find_max: 6}]',
        '    local: [{find: "device_id == *lxd_disk1"}]',
        '  ovn: {ipv4_gateway: 10.1.124.1/24, ipv4_range: 10.1.124.100-10.1.124.254}',
      ),
    );
    const result = designOf(inventory, facts);
    const ceph = disk(2, 'filter', 'matched storage.ceph[0] "size >= 20GiB && type == scsi"');
    const ceph3 = disk(3, 'filter', 'matched storage.ceph[0] "size >= 20GiB && type == scsi"');
    const local = disk(1, 'filter', 'matched storage.local[0] "device_id == *lxd_disk1"');
    assert.deepEqual(
      result.members.map((member) => [
        member.host,
        member.localDisk,
        member.cephDisks,
        member.uplinkInterface,
      ]),
      [
        ['micro1', local, [ceph, ceph3], ONLY_UPLINK],
        [
          'micro2',
          local,
          [ceph, ceph3],
          {
            value: 'enp6s0',
            source: 'probed',
            reason: 'alphabetically first eligible uplink of enp6s0, enp7s0',
          },
        ],
        ['micro3', local, [ceph, ceph3], ONLY_UPLINK],
        ['micro4', local, [], ONLY_UPLINK],
      ],
    );
    assert.deepEqual(result.uplink, {
      ipv4Gateway: '10.1.124.1/24',
      ipv4Range: '10.1.124.100-10.1.124.254',
      dnsServers: [],
    });
    assert.deepEqual(result.warnings, []);
  });

  it('1 host: every default, the FAN fallback, MicroCloud’s warning about fault tolerance', async () => {
    const facts = await simFacts(freshWorld(1));
    const result = designOf(
      inventoryOf(
        inventoryText(
          1,
          'cluster:',
          '  systems:',
          `    micro1: {storage: {local: /dev/sda, ceph: [/dev/sdb]}}`,
        ),
      ),
      facts,
    );
    assert.deepEqual(result.members, [
      {
        host: 'micro1',
        address: address(1),
        localDisk: disk(1, 'inventory', 'cluster.systems.micro1.storage.local'),
        cephDisks: [disk(2, 'inventory', 'cluster.systems.micro1.storage.ceph[0]')],
        uplinkInterface: null,
        underlayIp: null,
      },
    ] satisfies MemberDesign[]);
    assert.equal(result.uplink, null);
    assert.deepEqual(result.fan, { underlaySubnet: '10.1.123.0/24' });
    assert.deepEqual(result.ceph, {
      cephfs: false,
      publicNetwork: '10.1.123.0/24',
      internalNetwork: '10.1.123.0/24',
    });
    assert.deepEqual(result.warnings, [
      "Disk configuration does not meet recommendations for fault tolerance. At least 3 systems must supply disks (1 currently supplying). Continuing with this configuration will inhibit MicroCloud's ability to retain data on system failure",
    ]);
  });

  it('LXD only: no Ceph, no OVN, a FAN network forced to a /16', async () => {
    const world = freshWorld(2, { machine: () => ({ managementCidr: '10.1.112.0/20' }) });
    const facts = await simFacts(world);
    const inventory = inventoryOf(
      lines(
        'hosts:',
        '  micro1: {address: 10.1.112.11}',
        '  micro2: {address: 10.1.112.12}',
        'cluster:',
        '  services: {microceph: false, microovn: false, microcloud: false}',
      ),
    );
    const result = designOf(inventory, facts);
    assert.deepEqual(result.services, { microceph: false, microovn: false, microcloud: false });
    assert.deepEqual(
      result.members.map((member) => [member.host, member.address.value, member.localDisk, member.cephDisks]),
      [
        ['micro1', '10.1.112.11', null, []],
        ['micro2', '10.1.112.12', null, []],
      ],
    );
    assert.equal(result.ceph, null);
    assert.equal(result.uplink, null);
    assert.deepEqual(result.fan, { underlaySubnet: '10.1.0.0/16' });
    assert.deepEqual(result.warnings, []);
  });

  it('refuses a FAN network where `ip` lacks fan-map, naming each such host, before anything is touched', async () => {
    // micro2 has Debian's iproute2: LXD's `ip link add ... fan-map` would fail there midway through the create.
    const world = freshWorld(2);
    machine(world, 'micro2').fanMap = false;
    const facts = await simFacts(world);
    assert.equal(facts.get('micro1')?.fanMap, true);
    assert.equal(facts.get('micro2')?.fanMap, false);
    const inventory = inventoryOf(
      inventoryText(2, 'cluster:', '  services: {microceph: false, microovn: false, microcloud: false}'),
    );
    assert.deepEqual(designIssues(inventory, facts), [
      "micro2: `ip` here has no fan-map (an iproute2 without Ubuntu's FAN patch): LXD cannot set up the FAN bridge lxdfan0 on 10.1.123.0/24 (list a standard bridge under cluster.lxd.networks (type: bridge), or configure OVN networking with cluster.ovn; or install an iproute2 with fan-map on this host)",
    ]);
  });

  it('filters over LXD’s own view once LXD is installed', async () => {
    const world = freshWorld(3);
    await installStack(world, ['micro1', 'micro2', 'micro3']);
    const facts = await simFacts(world);
    assert.ok(facts.get('micro1')?.lxdResources !== null, 'LXD answers /1.0/resources');
    const inventory = inventoryOf(
      inventoryText(
        3,
        'cluster:',
        '  storage:',
        '    ceph: [{find: "pci_address != 0000:99:00.0 && size > 30GiB", find_min: 3, encrypt: true}]',
        '    local: [{find: "model == \'QEMU HARDDISK\' && size < 15GiB", wipe: true}]',
      ),
    );
    const result = designOf(inventory, facts);
    assert.deepEqual(
      result.members.map((member) => [
        member.localDisk?.value.path,
        member.localDisk?.value.wipe,
        member.cephDisks.map((d) => [d.value.path, d.value.encrypt]),
      ]),
      ['micro1', 'micro2', 'micro3'].map(() => [`${BY_ID}1`, true, [[`${BY_ID}3`, true]]]),
    );
  });

  it('an already deployed cluster: its disks and addresses are recognised, its ports are its own', async () => {
    const world = freshWorld(3);
    await deployWithPreseed(world, fixture('../sim/preseed-unicast.yaml'));
    const facts = await simFacts(world);
    const systems = [1, 2, 3].map(
      (n) => `    micro${n}: {ovn_uplink_interface: enp6s0, storage: {local: ${BY_ID}1, ceph: [${BY_ID}2]}}`,
    );
    const inventory = inventoryOf(
      inventoryText(
        3,
        'cluster:',
        '  systems:',
        ...systems,
        '  ovn: {ipv4_gateway: 10.1.124.1/24, ipv4_range: 10.1.124.100-10.1.124.254, ipv6_gateway: "fd42:1:1234:1234::1/64", dns_servers: "10.1.124.1,8.8.8.8"}',
        '  ceph: {cephfs: true}',
      ),
    );
    const result = designOf(inventory, facts);
    assert.deepEqual(result.members[1], {
      host: 'micro2',
      address: address(2, 'its address in the existing LXD cluster'),
      localDisk: disk(
        1,
        'inventory',
        'cluster.systems.micro2.storage.local; already in use by this cluster',
        {
          existing: true,
        },
      ),
      cephDisks: [
        disk(2, 'inventory', 'cluster.systems.micro2.storage.ceph[0]; already in use by this cluster', {
          existing: true,
        }),
      ],
      uplinkInterface: {
        value: 'enp6s0',
        source: 'inventory',
        reason: 'cluster.systems.micro2.ovn_uplink_interface',
      },
      underlayIp: null,
    });
    assert.deepEqual(result.warnings, []);
    // Filters find the disks in use too, and never offer them for the other kind.
    const byFilter = designOf(
      inventoryOf(
        inventoryText(
          3,
          'cluster:',
          '  storage:',
          '    ceph: [{find: "size > 1GiB", find_min: 3, wipe: true}]',
          '    local: [{find: "size > 1GiB", wipe: true}]',
        ),
      ),
      facts,
    );
    assert.deepEqual(
      byFilter.members.map((member) => [
        member.localDisk?.value.path,
        member.localDisk?.value.existing,
        member.cephDisks.map((d) => [d.value.path, d.value.existing ?? false, d.value.wipe]),
      ]),
      ['micro1', 'micro2', 'micro3'].map(() => [
        `${BY_ID}1`,
        true,
        [
          [`${BY_ID}2`, true, false],
          [`${BY_ID}3`, false, true],
        ],
      ]),
    );
  });

  it('a grown cluster: the new host joins the members the others already have', async () => {
    const world = freshWorld(3);
    await installStack(world, ['micro1', 'micro2', 'micro3']);
    const run = async (host: string, line: string): Promise<string> => {
      const result = await runShell(world, host, line);
      assert.equal(result.exitCode, 0, result.stderr);
      return result.stdout;
    };
    await run('micro1', 'microceph cluster bootstrap');
    await run(
      'micro2',
      `microceph cluster join ${(await run('micro1', 'microceph cluster add micro2')).trim()}`,
    );
    const result = designOf(inventoryOf(inventoryText(3)), await simFacts(world));
    assert.deepEqual(
      result.members.map((member) => [member.host, member.address]),
      [
        ['micro1', address(1, 'its address in the existing MicroCeph cluster')],
        ['micro2', address(2, 'its address in the existing MicroCeph cluster')],
        ['micro3', address(3)],
      ],
    );
  });

  it('a 22.04 host with the preinstalled LXD 5.0, not initialised: allowed, nothing recorded', async () => {
    const world = freshWorld(1, { release: '22.04' });
    const facts = await simFacts(world);
    const micro1 = facts.get('micro1');
    assert.ok(micro1 !== undefined);
    assert.equal(micro1.snaps.find((snap) => snap.name === 'lxd')?.tracking, '5.0/stable');
    // The simulator models LXD 5.21 only; a real 5.0 answers `lxc query /1.0` like this.
    micro1.services.lxd = {
      state: 'not initialised',
      server: { version: '5.0.4', lts: true, apiExtensions: [], clustered: false, serverName: 'micro1' },
    };
    const result = design(inventoryOf(inventoryText(1)), facts);
    assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.issues));
    // Initialised by hand, the same LXD is refused, channel and version included.
    micro1.services.lxd = {
      state: 'initialised',
      server: { version: '5.0.4', lts: true, apiExtensions: [], clustered: false, serverName: 'micro1' },
      storagePools: ['default'],
    };
    assert.deepEqual(
      designIssues(inventoryOf(inventoryText(1)), facts).map((issue) => issue.replace(/ \(.*$/, '')),
      [
        'micro1: LXD is already initialized',
        'micro1: lxd is installed from 5.0/stable, not 5.21/stable',
        'micro1: LXD 5.0.4 is older than 5.21, the oldest mc deploys',
      ],
    );
  });
});

describe('design: warnings', () => {
  it('ports are not checked where `ss` did not run, and a disk without a stable name is pointed out', async () => {
    const world = freshWorld(1, {
      machine: () => ({
        dataDisks: [{ sizeBytes: 10 * GiB }, { sizeBytes: 20 * GiB, serial: null, bus: 'virtio' }],
      }),
    });
    const facts = await simFacts(world, { micro1: { listening: null } });
    const result = designOf(
      inventoryOf(
        inventoryText(
          1,
          'cluster:',
          '  systems:',
          '    micro1: {storage: {local: /dev/sda, ceph: [/dev/vdc]}}',
        ),
      ),
      facts,
    );
    assert.deepEqual(result.warnings, [
      'micro1: ports not checked: `ss -Hltn` did not run',
      'micro1: disk vdc has no /dev/disk/by-id name; /dev/disk/by-path/virtio-pci-0000:08:00.0 changes if the disk moves to another port or controller',
      "Disk configuration does not meet recommendations for fault tolerance. At least 3 systems must supply disks (1 currently supplying). Continuing with this configuration will inhibit MicroCloud's ability to retain data on system failure",
    ]);
  });
});

describe('design: veth uplinks (the namespace lab)', () => {
  /** micro1 with the NICs of the captured network namespace: veth pairs, enp6s0 without addresses. */
  async function vethHost(): Promise<Map<string, HostFacts>> {
    const facts = await simFacts(freshWorld(1));
    const micro1 = facts.get('micro1');
    assert.ok(micro1 !== undefined);
    micro1.network = {
      interfaces: parseIpAddr(fixture('captured/ip-addr-netns.json')),
      defaultRoutes: parseDefaultRoutes(fixture('captured/ip-route-default-netns.json'), 'inet'),
    };
    return facts;
  }
  const OVN = '  ovn: {ipv6_gateway: "fd42:1:1234:1234::1/64"}';

  it('mc does not choose a veth by itself', async () => {
    const found = designIssues(inventoryOf(inventoryText(1, 'cluster:', OVN)), await vethHost());
    assert.equal(found.length, 1);
    assert.match(
      found[0] ?? '',
      /^micro1: no interface can carry the OVN uplink: .*enp6s0 is a veth interface; .*--allow-veth\)$/,
    );
  });

  it('with allowVeth it takes the alphabetically first eligible one', async () => {
    const result = designOf(inventoryOf(inventoryText(1, 'cluster:', OVN)), await vethHost(), {
      allowVeth: true,
    });
    assert.deepEqual(result.members[0]?.uplinkInterface, {
      value: 'enp6s0',
      source: 'probed',
      // The capture has both ends of each pair in one namespace; enp7s0 is a bridge port.
      reason: 'alphabetically first eligible uplink of enp6s0, p-enp10s0, p-enp5s0, p-enp6s0, p-enp7s0',
    });
  });

  it('a veth named in the inventory is accepted, with a warning', async () => {
    const inventory = inventoryOf(
      inventoryText(1, 'cluster:', '  systems:', '    micro1: {ovn_uplink_interface: enp6s0}', OVN),
    );
    const result = designOf(inventory, await vethHost());
    assert.equal(result.members[0]?.uplinkInterface?.value, 'enp6s0');
    assert.ok(
      result.warnings.includes(
        'micro1: uplink enp6s0 is a veth interface: accepted for a test lab, MicroCloud itself would not offer it',
      ),
      result.warnings.join('\n'),
    );
  });
});

function lines(...content: string[]): string {
  return `${content.join('\n')}\n`;
}
