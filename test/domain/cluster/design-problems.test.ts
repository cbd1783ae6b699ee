// designCluster on simulated hosts (src/lab/sim) that are wrong in one way each: every problem is reported,
// with the host it was found on and, when the inventory is at fault, the position.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { HostFacts } from '../../../src/domain/facts/index.js';
import { runShell, type World } from '../../../src/lab/sim/index.js';
import {
  deployWithPreseed,
  design,
  designIssues,
  freshWorld,
  installStack,
  inventoryOf,
  inventoryText,
  machine,
  simFacts,
  type HostFactOptions,
} from './support.js';
import { fixture } from '../facts/helpers.js';

const BY_ID = '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk';
const ELIGIBLE_LOCAL = `eligible for the local storage pool: ${BY_ID}1 (sda, 10.00GiB), ${BY_ID}2 (sdb, 20.00GiB), ${BY_ID}3 (sdc, 40.00GiB)`;
const ELIGIBLE_CEPH_NOT_SDB = `eligible for Ceph: ${BY_ID}1 (sda, 10.00GiB), ${BY_ID}3 (sdc, 40.00GiB)`;

/** The issues for the simulated hosts of `world` and an inventory of them with `cluster` lines (from line 5 with 3 hosts). */
async function problems(
  world: World,
  cluster: string[],
  options: { hosts?: Record<string, HostFactOptions>; edit?: (facts: Map<string, HostFacts>) => void } = {},
): Promise<string[]> {
  const facts = await simFacts(world, options.hosts ?? {});
  options.edit?.(facts);
  const hosts = facts.size;
  return designIssues(
    inventoryOf(inventoryText(hosts, ...(cluster.length > 0 ? ['cluster:', ...cluster] : []))),
    facts,
  );
}

async function sh(world: World, host: string, line: string): Promise<string> {
  const result = await runShell(world, host, line);
  assert.equal(result.exitCode, 0, `${host}$ ${line}: ${result.stderr}`);
  return result.stdout;
}

/** One host whose sdb is changed by `change`; micro1's local disk is lxd_disk1, Ceph gets lxd_disk2. */
async function oneDisk(
  change: (disk: ReturnType<typeof machine>['blockDevices'][number]) => void,
  wipe = false,
) {
  const world = freshWorld(1);
  const sdb = machine(world, 'micro1').blockDevices.find((disk) => disk.name === 'sdb');
  assert.ok(sdb !== undefined);
  change(sdb);
  return problems(world, [
    '  systems:',
    `    micro1: {storage: {local: ${BY_ID}1, ceph: [{path: ${BY_ID}2, wipe: ${wipe}}]}}`,
  ]);
}

describe('design problems: disks', () => {
  it('20. a disk that is not on the host', async () => {
    assert.deepEqual(
      await problems(freshWorld(1), [
        '  systems:',
        `    micro1: {storage: {local: ${BY_ID}7, ceph: [/dev/sdz]}}`,
      ]),
      [
        `hosts.yaml:5:31: micro1: disk ${BY_ID}7 not found (${ELIGIBLE_LOCAL})`,
        `hosts.yaml:5:90: micro1: disk /dev/sdz not found (${ELIGIBLE_LOCAL.replace('the local storage pool', 'Ceph')})`,
      ],
    );
  });

  it('21. a partitioned disk, even with wipe: true', async () => {
    const found = await oneDisk((disk) => {
      disk.partitionTable = 'gpt';
      disk.hasData = true;
      disk.partitions = [
        {
          name: 'sdb1',
          number: 1,
          major: 8,
          minor: 17,
          sizeBytes: 10 * 1024 ** 3,
          filesystem: { type: 'ext4', uuid: 'a3c8e1f2-0000-4000-8000-000000000001', label: null },
          mountpoints: [],
          readOnly: false,
        },
      ];
    }, true);
    assert.deepEqual(found, [
      `hosts.yaml:5:90: micro1: disk ${BY_ID}2 (sdb) cannot be used for Ceph: has partitions: sdb1 (${ELIGIBLE_CEPH_NOT_SDB})`,
    ]);
  });

  it('22. a mounted disk, even with wipe: true', async () => {
    const found = await oneDisk((disk) => {
      disk.filesystem = { type: 'xfs', uuid: 'a3c8e1f2-0000-4000-8000-000000000002', label: null };
      disk.mountpoints = ['/srv'];
      disk.hasData = true;
    }, true);
    assert.deepEqual(found, [
      `hosts.yaml:5:90: micro1: disk ${BY_ID}2 (sdb) cannot be used for Ceph: has mounted filesystems: /srv (sdb) (${ELIGIBLE_CEPH_NOT_SDB})`,
    ]);
  });

  it('23. the root disk, and a partition of it', async () => {
    assert.deepEqual(
      await problems(freshWorld(1), [
        '  systems:',
        '    micro1: {storage: {local: /dev/vda, ceph: [/dev/disk/by-path/pci-0000:04:00.0-part1]}}',
      ]),
      [
        `hosts.yaml:5:31: micro1: disk /dev/vda (vda) cannot be used for the local storage pool: holds the root filesystem (vda → vda1 mounted at /); has partitions: vda1, vda14, vda15, vda16; has mounted filesystems: / (vda1), /boot/efi (vda15), /boot (vda16) (${ELIGIBLE_LOCAL})`,
        `hosts.yaml:5:48: micro1: disk /dev/disk/by-path/pci-0000:04:00.0-part1 is vda1, a partition on vda, not a whole disk (${ELIGIBLE_LOCAL.replace('the local storage pool', 'Ceph')})`,
      ],
    );
  });

  it('24. a read-only disk', async () => {
    assert.deepEqual(
      await oneDisk((disk) => {
        disk.readOnly = true;
      }),
      [
        `hosts.yaml:5:90: micro1: disk ${BY_ID}2 (sdb) cannot be used for Ceph: is read-only (${ELIGIBLE_CEPH_NOT_SDB})`,
      ],
    );
  });

  it('25. a disk with data needs wipe: true; with it, the design warns what is erased', async () => {
    const withData = (disk: ReturnType<typeof machine>['blockDevices'][number]): void => {
      disk.filesystem = { type: 'ext4', uuid: 'a3c8e1f2-0000-4000-8000-000000000003', label: null };
      disk.hasData = true;
    };
    assert.deepEqual(await oneDisk(withData), [
      `hosts.yaml:5:90: micro1: disk ${BY_ID}2 (sdb) holds data: has a filesystem signature (ext4) (set wipe: true to erase it, losing everything on it, or choose another disk)`,
    ]);
    const world = freshWorld(1);
    const sdb = machine(world, 'micro1').blockDevices.find((disk) => disk.name === 'sdb');
    assert.ok(sdb !== undefined);
    withData(sdb);
    const facts = await simFacts(world);
    const result = design(
      inventoryOf(
        inventoryText(
          1,
          'cluster:',
          '  systems:',
          `    micro1: {storage: {local: ${BY_ID}1, ceph: [{path: ${BY_ID}2, wipe: true}]}}`,
        ),
      ),
      facts,
    );
    assert.ok(result.ok);
    assert.equal(result.design.members[0]?.cephDisks[0]?.value.wipe, true);
    assert.ok(
      result.design.warnings.includes(
        `micro1: ${BY_ID}2 has a filesystem signature (ext4): wipe: true erases it`,
      ),
      result.design.warnings.join('\n'),
    );
  });

  it('26. one disk used twice, under two names', async () => {
    assert.deepEqual(
      await problems(freshWorld(1), [
        '  systems:',
        `    micro1: {storage: {local: ${BY_ID}1, ceph: [/dev/sda]}}`,
      ]),
      [
        `hosts.yaml:5:90: micro1: disk /dev/sda is sda, already used for the local storage pool as ${BY_ID}1 (a disk can back only one pool or OSD)`,
      ],
    );
  });

  it('27. a filter that finds fewer disks than find_min, and one that finds more than find_max', async () => {
    assert.deepEqual(
      await problems(freshWorld(3), [
        '  storage:',
        '    ceph: [{find: "size > 30GiB", find_min: 4}]',
        '    local: [{find: "size > 15GiB", find_max: 2}]',
      ]),
      [
        `hosts.yaml:7:12: Failed to find at least 4 disks for filter "size > 30GiB" (found 3 disks: micro1:${BY_ID}3, micro2:${BY_ID}3, micro3:${BY_ID}3; compare the filter with the disks mc probe lists as eligible)`,
        `hosts.yaml:8:13: Found more than 2 disks for filter "size > 15GiB" (found 3 hosts with a disk: micro1:${BY_ID}2, micro2:${BY_ID}2, micro3:${BY_ID}2; narrow the filter or raise find_max)`,
      ],
    );
  });

  it('28. a local filter that gives some hosts a disk but not all', async () => {
    const world = freshWorld(3, {
      machine: (name) => (name === 'micro3' ? { dataDisks: [{ sizeBytes: 5 * 1024 ** 3 }] } : {}),
    });
    assert.deepEqual(await problems(world, ['  storage: {local: [{find: "size > 8GiB"}]}']), [
      'hosts.yaml:6:13: Failed to find at least 1 disk on each machine for local storage pool configuration (no disk matched on micro3: widen storage.local, or give the disk in systems.<host>.storage.local)',
    ]);
  });

  it('29. a filter on a field only LXD reports, before LXD is installed', async () => {
    const found = await problems(freshWorld(1), [
      '  storage: {ceph: [{find: "pci_address == 0000:06:00.0", find_min: 1}]}',
    ]);
    assert.deepEqual(found, [
      'hosts.yaml:4:20: micro1: filter "pci_address == 0000:06:00.0" uses pci_address, which only LXD reports, and LXD is not installed here yet (filter on id, device, model, type, size, serial, wwn, device_id, device_path, rpm, read_only, mounted or removable)',
    ]);
  });
});

describe('design problems: host names, addresses', () => {
  it('30. two hosts with the same host name, and host names that differ from the inventory names', async () => {
    const world = freshWorld(3, {
      machine: (name) =>
        name === 'micro2' ? { hostname: 'micro1' } : name === 'micro3' ? { hostname: 'server3' } : {},
    });
    assert.deepEqual(await problems(world, []), [
      'hosts.yaml:3:3: micro2: Preseed file does not contain a system with name "micro1" (the host name is "micro1", the inventory says "micro2"; run `sudo hostnamectl set-hostname micro2` on the host, or name it micro1 in the inventory)',
      'hosts.yaml:4:3: micro3: Preseed file does not contain a system with name "server3" (the host name is "server3", the inventory says "micro3"; run `sudo hostnamectl set-hostname micro3` on the host, or name it server3 in the inventory)',
      'Duplicate system name "micro1": the host name of micro1 and micro2 (give each machine its own host name with hostnamectl set-hostname)',
    ]);
  });

  it('31. a cluster address that is not on its host', async () => {
    assert.deepEqual(await problems(freshWorld(3), ['  systems:', '    micro1: {address: 10.1.123.99}']), [
      'hosts.yaml:7:23: micro1: Failed to find lookup interface for address "10.1.123.99" (10.1.123.99 is not configured on this host (its addresses: 10.1.123.11/24 on enp5s0); set cluster.systems.micro1.address to one of the host\'s own addresses)',
    ]);
  });

  it('32. cluster addresses in different subnets', async () => {
    const world = freshWorld(3, {
      machine: (name) => (name === 'micro3' ? { managementCidr: '10.1.124.0/24' } : {}),
    });
    assert.deepEqual(
      await problems(world, [
        '  systems:',
        '    micro3: {address: 10.1.124.13}',
        '  ovn: {ipv4_gateway: 10.1.200.1/24, ipv4_range: 10.1.200.100-10.1.200.200}',
      ]),
      [
        "hosts.yaml:7:23: micro3: cluster address 10.1.124.13/24 is not in 10.1.123.0/24, the subnet of micro1's cluster address (the members talk over one subnet, and Ceph's networks default to it: set cluster.systems.micro3.address to an address in 10.1.123.0/24)",
      ],
    );
  });

  it('33. an ambiguous address: several candidates, none the inventory address', async () => {
    const world = freshWorld(1);
    machine(world, 'micro1').nics.push({
      name: 'enp7s0',
      ifindex: 4,
      kind: 'physical',
      state: 'UP',
      carrier: true,
      mac: '00:16:3e:00:01:07',
      mtu: 1500,
      addresses: [{ address: '10.2.123.11', prefix: 24, scope: 'global', dynamic: false }],
      master: null,
      vlan: null,
      pciAddress: '0000:07:00.0',
    });
    const facts = await simFacts(world);
    assert.deepEqual(designIssues(inventoryOf('hosts:\n  micro1: {address: micro1.lab.example}\n'), facts), [
      'micro1: cannot choose the cluster address among 10.1.123.11 (enp5s0), 10.2.123.11 (enp7s0) (set cluster.systems.micro1.address to the address the members should talk over)',
    ]);
  });
});

describe('design problems: networks', () => {
  it('34. an uplink NIC that has an address, and one that does not exist', async () => {
    assert.deepEqual(
      await problems(freshWorld(3), [
        '  systems:',
        '    micro1: {address: 10.1.123.11, ovn_uplink_interface: enp5s0}',
        '    micro2: {ovn_uplink_interface: enp9s0}',
        '    micro3: {ovn_uplink_interface: enp6s0}',
        '  ovn: {ipv6_gateway: "fd42::1/64"}',
      ]),
      [
        'hosts.yaml:7:58: micro1: uplink interface enp5s0 cannot carry the OVN uplink: it has addresses other than IPv6 link-local: 10.1.123.11/24; carries the management address 10.1.123.11 (eligible: enp6s0)',
        'hosts.yaml:8:36: micro2: uplink interface enp9s0 does not exist on this host (eligible: enp6s0)',
      ],
    );
  });

  it('35. no eligible uplink NIC when mc has to choose', async () => {
    const world = freshWorld(1, { machine: () => ({ uplinkState: 'DOWN' }) });
    assert.deepEqual(await problems(world, ['  ovn: {ipv6_gateway: "fd42::1/64"}']), [
      'micro1: no interface can carry the OVN uplink: enp5s0 has addresses other than IPv6 link-local: 10.1.123.11/24, carries the management address 10.1.123.11; enp6s0 is down (give the host an interface that is up and has no address, as MicroCloud requires, or name one in cluster.systems.micro1.ovn_uplink_interface)',
    ]);
  });

  it('36. an underlay IP that is not on its host', async () => {
    assert.deepEqual(
      await problems(freshWorld(2), [
        '  systems:',
        '    micro1: {ovn_underlay_ip: 10.1.123.11}',
        '    micro2: {ovn_underlay_ip: 10.3.123.12}',
        '  ovn: {ipv6_gateway: "fd42::1/64"}',
      ]),
      [
        `hosts.yaml:7:31: micro2: No available interface found for OVN underlay IP "10.3.123.12" (the underlay IP must be one of the host's addresses: 10.1.123.12/24 (enp5s0))`,
      ],
    );
  });

  it("37. an OVN range that holds members' addresses", async () => {
    assert.deepEqual(
      await problems(freshWorld(3), [
        '  ovn: {ipv4_gateway: 10.1.123.1/24, ipv4_range: 10.1.123.12-10.1.123.20}',
      ]),
      [
        'hosts.yaml:6:50: micro2: UPLINK ipv4.ovn.ranges must not include system address "10.1.123.12" (OVN gives the range\'s addresses to its routers: choose a range no host uses)',
        'hosts.yaml:6:50: micro3: UPLINK ipv4.ovn.ranges must not include system address "10.1.123.13" (OVN gives the range\'s addresses to its routers: choose a range no host uses)',
      ],
    );
  });

  it('38. a Ceph public network some members have no address in', async () => {
    const found = await problems(freshWorld(2), [
      '  storage: {ceph: [{find: "size > 15GiB", find_min: 2}]}',
      '  ceph: {public_network: 10.2.123.0/24}',
    ]);
    assert.deepEqual(
      found,
      ['micro1', 'micro2'].map(
        (host) =>
          `hosts.yaml:6:26: ${host}: Not enough network interfaces found with an IP within the given CIDR subnet on "${host}". You need at least one interface per cluster member. (give ${host} an address in 10.2.123.0/24, or change ceph.public_network)`,
      ),
    );
  });

  it('39. a port already taken by something else', async () => {
    const world = freshWorld(2);
    const taken = [
      'LISTEN 0      4096         0.0.0.0:22        0.0.0.0:*',
      'LISTEN 0      511          0.0.0.0:8443      0.0.0.0:*',
      'LISTEN 0      511             [::]:8443         [::]:*',
      'LISTEN 0      511        127.0.0.1:6641      0.0.0.0:*',
    ].join('\n');
    assert.deepEqual(await problems(world, [], { hosts: { micro2: { listening: taken } } }), [
      "micro2: port 8443 is already in use (0.0.0.0:8443, [::]:8443), and LXD needs it (find the program with `sudo ss -ltnp 'sport = :8443'` and stop it or move it to another port)",
      "micro2: port 6641 is already in use (127.0.0.1:6641), and MicroOVN needs it (find the program with `sudo ss -ltnp 'sport = :6641'` and stop it or move it to another port)",
    ]);
  });

  it('40. clock skew between hosts: an error above 10 s, a warning above 1 s', async () => {
    const world = freshWorld(3);
    assert.deepEqual(
      await problems(world, [], {
        hosts: { micro2: { clockOffsetMs: 15_000 }, micro3: { clockOffsetMs: -2_500 } },
      }),
      [
        "micro2: clock is 15.0 s ahead of micro1's (synchronise the clocks with NTP, e.g. sudo timedatectl set-ntp true, then run again)",
      ],
    );
    const facts = await simFacts(world, { micro3: { clockOffsetMs: -2_500 } });
    const result = design(inventoryOf(inventoryText(3)), facts);
    assert.ok(result.ok);
    assert.ok(
      result.design.warnings.includes(
        "micro3: clock is 2.5 s behind micro1's; Ceph warns about clock skew above 0.05 s",
      ),
    );
  });

  it('41. clock skew against this machine, measured with the round trip', async () => {
    const world = freshWorld(2);
    const facts = await simFacts(world);
    const now = world.clock.now();
    // micro1 read `now` on its clock 30 s after mc asked (by mc's clock): it is 29.9 s ahead, give or take
    // 0.1 s. micro2 agrees with mc within its 0.4 s round trip, so it is 30 s behind micro1.
    const result = design(inventoryOf(inventoryText(2)), facts, {
      localClock: new Map([
        ['micro1', { sentAtMs: now - 30_000, receivedAtMs: now - 29_800 }],
        ['micro2', { sentAtMs: now, receivedAtMs: now + 400 }],
      ]),
    });
    assert.ok(!result.ok);
    assert.deepEqual(
      result.issues.map((issue) => [issue.host, issue.message]),
      [
        ['micro1', "clock is 29.9 s ahead of this machine's"],
        ['micro2', "clock is 30.1 s behind micro1's"],
      ],
    );
  });
});

describe('design problems: snaps and services already there', () => {
  it('42. a snap installed from another channel', async () => {
    const world = freshWorld(2);
    await sh(world, 'micro2', 'snap install microceph --channel=reef/stable');
    assert.deepEqual(await problems(world, []), [
      'micro2: microceph is installed from reef/stable, not squid/stable (sudo snap refresh microceph --channel=squid/stable --cohort="+")',
    ]);
  });

  it('43. a snap whose version differs between hosts', async () => {
    const world = freshWorld(3);
    await installStack(world, ['micro1', 'micro2', 'micro3']);
    const microovn = machine(world, 'micro2').snaps.find((snap) => snap.name === 'microovn');
    assert.ok(microovn !== undefined);
    microovn.revision = 600;
    microovn.version = '24.03.1+snap0d1b2c3';
    assert.deepEqual(await problems(world, []), [
      'microovn differs between hosts: micro1 24.03.2+snapa2c59c105b (rev 667), micro2 24.03.1+snap0d1b2c3 (rev 600), micro3 24.03.2+snapa2c59c105b (rev 667) (MicroCloud requires identical versions; on every host: sudo snap refresh microovn --channel=24.03/stable --cohort="+")',
    ]);
  });

  it('44. an LXD daemon below the floor', async () => {
    const world = freshWorld(2);
    await installStack(world, ['micro1', 'micro2']);
    // The namespace lab runs Debian's LXD 5.0.2 behind the 5.21 snap.
    const found = await problems(world, [], {
      edit: (facts) => {
        const lxd = facts.get('micro2')?.services.lxd;
        if (lxd !== undefined && 'server' in lxd) lxd.server.version = '5.0.2';
      },
    });
    assert.deepEqual(found, [
      'micro2: LXD 5.0.2 is older than 5.21, the oldest mc deploys (sudo snap refresh lxd --channel=5.21/stable --cohort="+")',
    ]);
  });

  it('45. an LXD initialised by hand', async () => {
    const world = freshWorld(2);
    await installStack(world, ['micro1', 'micro2']);
    await sh(world, 'micro1', 'lxc storage create default dir');
    assert.deepEqual(await problems(world, []), [
      'micro1: LXD is already initialized (LXD was set up by hand (storage pools: default); MicroCloud sets LXD up itself: delete those pools and networks, or reinstall LXD: sudo snap remove --purge lxd)',
    ]);
  });

  it('46. a host in a cluster with a machine outside the inventory', async () => {
    const world = freshWorld(4);
    await installStack(world, ['micro1', 'micro4']);
    await sh(world, 'micro1', 'microceph cluster bootstrap');
    const token = await sh(world, 'micro1', 'microceph cluster add micro4');
    await sh(world, 'micro4', `microceph cluster join ${token.trim()}`);
    const facts = await simFacts(world);
    facts.delete('micro4');
    assert.deepEqual(designIssues(inventoryOf(inventoryText(3)), facts), [
      'micro1: MicroCeph is already clustered with micro4, which is not in the inventory (add it to the inventory to grow that cluster, or take micro1 out of it first)',
    ]);
  });

  it('47. hosts in different clusters of one service', async () => {
    const world = freshWorld(3);
    await installStack(world, ['micro1', 'micro2']);
    await sh(world, 'micro1', 'microovn cluster bootstrap');
    await sh(world, 'micro2', 'microovn cluster bootstrap');
    assert.deepEqual(await problems(world, []), [
      'Some systems are already part of different MicroOVN clusters (mc joins hosts to one cluster only; found: micro1 in a cluster of micro1; micro2 in a cluster of micro2)',
    ]);
  });

  it('47b. one cluster read while a member joins: not different clusters', async () => {
    const world = freshWorld(3);
    await installStack(world, ['micro1', 'micro2', 'micro3']);
    await sh(world, 'micro1', 'microovn cluster bootstrap');
    for (const host of ['micro2', 'micro3']) {
      const token = await sh(world, 'micro1', `microovn cluster add ${host}`);
      await sh(world, host, `microovn cluster join ${token.trim()}`);
    }
    const facts = await simFacts(world);
    // micro1 was read before micro3's join showed there; micro2 and micro3 after.
    const ovn = facts.get('micro1')?.services.microovn;
    assert.ok(ovn?.state === 'bootstrapped');
    ovn.members = ovn.members.filter((m) => m.name !== 'micro3');
    const designed = design(inventoryOf(inventoryText(3)), facts);
    assert.deepEqual(designed.ok ? [] : designed.issues.map((i) => i.message), []);
  });

  it('48. a service that cannot be asked, and one whose daemon is down', async () => {
    const world = freshWorld(2);
    await installStack(world, ['micro1', 'micro2']);
    const found = await problems(world, [], {
      edit: (facts) => {
        const micro1 = facts.get('micro1');
        const micro2 = facts.get('micro2');
        assert.ok(micro1 !== undefined && micro2 !== undefined);
        micro1.services.microceph = {
          state: 'error',
          command: 'microceph cluster list -f json',
          message: 'This must be run as root',
        };
        micro2.services.microovn = {
          state: 'not running',
          command: 'microovn cluster list -f json',
          message: 'dial unix /var/snap/microovn/common/state/control.socket: connect: connection refused',
        };
      },
    });
    assert.deepEqual(found, [
      'micro1: MicroCeph: `microceph cluster list -f json` failed: This must be run as root (mc cannot tell whether MicroCeph is set up; fix it on the host, then run again)',
      'micro2: MicroOVN is installed but its daemon is not running: dial unix /var/snap/microovn/common/state/control.socket: connect: connection refused (sudo snap start --enable microovn)',
    ]);
  });

  it('50. a member the cluster still lists, but that left it (reinstalled)', async () => {
    const world = freshWorld(2);
    await installStack(world, ['micro1', 'micro2']);
    await sh(world, 'micro1', 'microovn cluster bootstrap');
    const token = await sh(world, 'micro1', 'microovn cluster add micro2');
    await sh(world, 'micro2', `microovn cluster join ${token.trim()}`);
    await sh(world, 'micro2', 'snap remove --purge microovn');
    assert.deepEqual(await problems(world, []), [
      "micro2: MicroOVN on micro1 lists micro2 as a member, but micro2's MicroOVN is not clustered (remove the stale member, on micro1: sudo microovn cluster remove micro2)",
    ]);
  });

  it('51. an LXD member removed by force, which still believes it is clustered', async () => {
    const world = freshWorld(3);
    await deployWithPreseed(world, fixture('../sim/preseed-unicast.yaml'));
    await sh(world, 'micro1', 'lxc cluster remove micro3 --force --yes');
    const found = await problems(world, []);
    assert.ok(
      found.includes(
        'micro3: LXD on micro3 believes it is in the cluster of micro1 and micro2, which no longer lists it (removed with --force) (a member removed by force needs a full reset before it can join again, losing what is left on it: on micro3: sudo snap remove --purge lxd; then run mc deploy again)',
      ),
      found.join('\n'),
    );
  });

  it('49. a host without facts', async () => {
    const facts = await simFacts(freshWorld(2));
    facts.delete('micro2');
    assert.deepEqual(designIssues(inventoryOf(inventoryText(2)), facts), [
      "micro2: no facts were gathered from this host (mc needs every host's facts to check the cluster: make sure it is reachable, e.g. with mc ping -i hosts.yaml)",
    ]);
  });

  it('reports the problems of every family at once', async () => {
    const world = freshWorld(3, { machine: (name) => (name === 'micro3' ? { hostname: 'server3' } : {}) });
    await sh(world, 'micro2', 'snap install microceph --channel=reef/stable');
    const found = await problems(
      world,
      ['  systems:', `    micro1: {address: 10.1.123.99}`, '  storage: {local: [{find: "size > 100GiB"}]}'],
      { hosts: { micro3: { clockOffsetMs: 60_000 } } },
    );
    assert.deepEqual(
      found.map((line) => line.replace(/ \(.*$/, '')),
      [
        'hosts.yaml:4:3: micro3: Preseed file does not contain a system with name "server3"',
        'micro2: microceph is installed from reef/stable, not squid/stable',
        "micro3: clock is 60.0 s ahead of micro1's",
        'hosts.yaml:7:23: micro1: Failed to find lookup interface for address "10.1.123.99"',
        'hosts.yaml:8:21: Failed to find at least 1 disks for filter "size > 100GiB"',
      ],
    );
  });
});
