// The cluster section read without facts: every static problem at once, each at its position.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { formatDeployIssue } from '../../../src/domain/cluster/issues.js';
import { parseClusterSpec } from '../../../src/domain/cluster/spec.js';
import { DEFAULT_CHANNELS, positionIn } from '../../../src/domain/cluster/types.js';
import { normalizeChannel, parseMajorMinor } from '../../../src/domain/cluster/versions.js';
import { inventoryOf, inventoryText, specIssues, specOf } from './support.js';

/** Lines 1-4 are `hosts:` and micro1..micro3, so `cluster:` is line 5 and its first key line 6. */
const issues = (...cluster: string[]): string[] => specIssues(inventoryText(3, 'cluster:', ...cluster));

describe('cluster spec: the full example', () => {
  const inventory = inventoryOf(
    readFileSync(new URL('../../fixtures/cluster/full.yaml', import.meta.url), 'utf8'),
  );
  const spec = specOf(inventory);
  const at = (line: number, col: number) => ({ file: 'hosts.yaml', line, col });

  it('reads every key', () => {
    assert.deepEqual(spec.services, { microceph: true, microovn: true, microcloud: true });
    assert.deepEqual(spec.channels, DEFAULT_CHANNELS);
    assert.equal(spec.lxdMinVersion, '5.21');
    assert.equal(spec.initiator, 'micro1');
    assert.equal(spec.lookupTimeout, 120);
    assert.equal(spec.sessionTimeout, 1800);
    assert.deepEqual(spec.ovn, {
      ipv4Gateway: '10.1.124.1/24',
      ipv4Range: '10.1.124.100-10.1.124.254',
      ipv6Gateway: 'fd42:1:1234:1234::1/64',
      dnsServers: ['10.1.124.1', '8.8.8.8'],
    });
    assert.deepEqual(spec.ceph, {
      cephfs: true,
      internalNetwork: '10.1.123.0/24',
      publicNetwork: '10.1.123.0/24',
    });
    assert.deepEqual(spec.storage, {
      local: [
        { find: 'size > 5GiB', findMin: 1, findMax: 3, wipe: false, encrypt: false, origin: at(39, 13) },
      ],
      ceph: [
        {
          find: 'device_id == *lxd_disk3',
          findMin: 1,
          findMax: 3,
          wipe: true,
          encrypt: false,
          origin: at(40, 12),
        },
      ],
    });
    assert.deepEqual(spec.systems[0], {
      host: 'micro1',
      origin: at(18, 5),
      address: '10.1.123.11',
      uplinkInterface: 'enp6s0',
      underlayIp: '10.1.123.11',
      localDisk: {
        path: '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk1',
        wipe: false,
        encrypt: false,
        origin: at(23, 9),
      },
      cephDisks: [
        {
          path: '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk2',
          wipe: true,
          encrypt: false,
          origin: at(25, 13),
        },
      ],
    });
    // The short form: a path for a disk.
    assert.equal(spec.systems[1]?.localDisk?.path, '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk1');
    assert.deepEqual(
      spec.systems[1]?.cephDisks?.map((disk) => disk.path),
      ['/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk2'],
    );
    assert.equal(spec.systems[2]?.cephDisks, undefined, 'no explicit Ceph disks: the filters apply');
  });

  it('keeps the positions of what is written, and positionIn falls back to the nearest ancestor', () => {
    assert.deepEqual(spec.origin, at(7, 1));
    // A scalar's position is its value's (complaints point at the value); its key's is kept apart.
    assert.deepEqual(spec.positions['ovn.ipv4_range'], at(44, 17));
    assert.deepEqual(inventory.cluster?.keys['ovn.ipv4_range'], at(44, 5));
    assert.deepEqual(spec.positions['systems.micro1.storage.ceph.0'], at(25, 13));
    assert.deepEqual(positionIn(spec, 'systems.micro3.storage.local'), at(33, 5));
    assert.deepEqual(positionIn(spec, 'nothing.here'), spec.origin);
  });
});

describe('cluster spec: defaults', () => {
  it('gives every default without a cluster section', () => {
    const spec = specOf(inventoryOf(inventoryText(3)));
    assert.deepEqual(spec.services, { microceph: true, microovn: true, microcloud: true });
    assert.deepEqual(spec.channels, DEFAULT_CHANNELS);
    assert.equal(spec.initiator, 'micro1');
    assert.equal(spec.lookupTimeout, 60);
    assert.equal(spec.sessionTimeout, 3600);
    assert.equal(spec.ovn, null);
    assert.deepEqual(spec.ceph, { cephfs: false });
    assert.deepEqual(spec.storage, { local: [], ceph: [] });
    assert.deepEqual(
      spec.systems.map((system) => [system.host, system.origin]),
      ['micro1', 'micro2', 'micro3'].map((host) => [host, { file: 'hosts.yaml', line: 0, col: 0 }]),
    );
  });

  it('normalises channels and reads major.minor versions', () => {
    const spec = specOf(
      inventoryOf(
        inventoryText(1, 'cluster:', '  channels: {lxd: "6", microceph: edge, microovn: 24.03/edge/fix}'),
      ),
    );
    assert.deepEqual(spec.channels, {
      lxd: '6/stable',
      microceph: 'latest/edge',
      microovn: '24.03/edge/fix',
      microcloud: '2/stable',
    });
    assert.equal(normalizeChannel('stable/hotfix'), 'latest/stable/hotfix');
    assert.equal(normalizeChannel('5.21/stabel'), null);
    assert.deepEqual(parseMajorMinor('5.21.3-c5ae129'), { major: 5, minor: 21 });
    assert.equal(parseMajorMinor('git-123'), null);
  });

  it('accepts an empty section and a host entry without settings', () => {
    const spec = specOf(inventoryOf(inventoryText(2, 'cluster:', '  systems:', '    micro2:')));
    assert.deepEqual(spec.systems[1], { host: 'micro2', origin: { file: 'hosts.yaml', line: 6, col: 5 } });
    assert.equal(specOf(inventoryOf(inventoryText(1, 'cluster:'))).initiator, 'micro1');
  });
});

describe('cluster spec: static problems', () => {
  it('1. unknown key, with did-you-mean and preseed keys explained', () => {
    assert.deepEqual(issues('  servces: {microceph: false}', '  session_passphrase: foo', '  name: lab'), [
      "hosts.yaml:6:3: unknown key 'servces' (did you mean 'services'?)",
      "hosts.yaml:7:3: unknown key 'session_passphrase' (mc generates the session passphrase itself)",
      "hosts.yaml:8:3: unknown key 'name' (members are named after their inventory host names)",
    ]);
  });

  it('2. unknown keys in nested maps', () => {
    assert.deepEqual(
      issues(
        '  services: {lxd: false}',
        '  systems:',
        '    micro1: {adress: 10.1.123.11, storage: {local: {path: /dev/sdb, encrypt: true}}}',
        '  ovn: {ipv4_gatway: 10.1.124.1/24}',
      ),
      [
        "hosts.yaml:6:14: unknown key 'lxd' (LXD is always deployed; services: lists microceph, microovn and microcloud)",
        "hosts.yaml:8:14: unknown key 'adress' (did you mean 'address'?)",
        "hosts.yaml:8:69: unknown key 'encrypt' (encrypt applies to Ceph disks only; MicroCloud does not encrypt the local pool)",
        "hosts.yaml:9:9: unknown key 'ipv4_gatway' (did you mean 'ipv4_gateway'?)",
      ],
    );
  });

  it('3. wrong types, and numbers YAML read from unquoted versions', () => {
    assert.deepEqual(
      issues(
        '  channels: {lxd: 5.21, microceph: [squid]}',
        '  lxd_min_version: 5.21',
        '  services: {microceph: "no"}',
        '  storage: {local: [{find: "size > 1GiB", find_min: -1}]}',
        '  ceph: {cephfs: yes}',
      ),
      [
        'hosts.yaml:6:19: cluster.channels.lxd: must be a snap channel in quotes (YAML reads 5.21 as a number), got 5.21',
        'hosts.yaml:6:25: cluster.channels.microceph: must be a snap channel, got a list',
        'hosts.yaml:7:20: cluster.lxd_min_version: must be a version such as "5.21" in quotes (YAML reads 5.21 as a number), got 5.21',
        'hosts.yaml:8:25: cluster.services.microceph: must be true or false, got "no"',
        'hosts.yaml:9:53: cluster.storage.local.0.find_min: must be a whole number, got -1',
        'hosts.yaml:10:18: cluster.ceph.cephfs: must be true or false, got "yes"',
      ],
    );
  });

  it('4. a cluster section that is not a map', () => {
    assert.deepEqual(specIssues(inventoryText(1, 'cluster: [a, b]')), [
      'hosts.yaml:3:1: cluster: must be a map of cluster settings, got a list',
    ]);
  });

  it('5. a systems key that is not an inventory host, and an initiator that is not one', () => {
    assert.deepEqual(
      issues('  initiator: mirco1', '  systems:', '    micro4: {}', '    web1: {address: x}'),
      [
        "hosts.yaml:6:14: cluster.initiator: 'mirco1' is not an inventory host (did you mean 'micro1'? inventory hosts: micro1, micro2, micro3)",
        "hosts.yaml:8:5: cluster.systems: 'micro4' is not an inventory host (did you mean 'micro1'? inventory hosts: micro1, micro2, micro3)",
        "hosts.yaml:9:5: cluster.systems: 'web1' is not an inventory host (inventory hosts: micro1, micro2, micro3)",
      ],
    );
  });

  it('6. channel and lxd_min_version syntax', () => {
    assert.deepEqual(
      issues('  channels: {lxd: 5.21//stable, microovn: "24.03/stabel"}', '  lxd_min_version: "5"'),
      [
        'hosts.yaml:6:19: cluster.channels.lxd: "5.21//stable" is not a snap channel (write track/risk, e.g. 5.21/stable)',
        'hosts.yaml:6:43: cluster.channels.microovn: "24.03/stabel" is not a snap channel (write track/risk, e.g. 24.03/stable)',
        'hosts.yaml:7:20: cluster.lxd_min_version: must be major.minor such as "5.21", got "5"',
      ],
    );
  });

  it('7. invalid addresses, duplicate cluster addresses, invalid underlay IP', () => {
    assert.deepEqual(
      issues(
        '  systems:',
        '    micro1: {address: 10.1.123.300, ovn_underlay_ip: 10.3.0}',
        '    micro2: {address: 127.0.0.1, ovn_underlay_ip: 10.3.0.2/24}',
        '    micro3: {address: 10.1.123.12, ovn_underlay_ip: 10.3.0.3}',
        '  storage: {local: [{find: "size > 1GiB"}]}',
      ),
      [
        'hosts.yaml:7:23: cluster.systems.micro1.address: "10.1.123.300" is not an IP address',
        'hosts.yaml:7:54: Invalid underlay IP "10.3.0" (write the address of this host on the underlay network, e.g. 10.3.123.10)',
        'hosts.yaml:8:23: cluster.systems.micro2.address: 127.0.0.1 is a loopback address; the cluster address must be a global unicast address',
      ],
    );
    assert.deepEqual(
      issues('  systems:', '    micro1: {address: 10.1.123.11}', '    micro2: {address: 10.1.123.11}'),
      [
        'hosts.yaml:8:23: cluster.systems.micro2.address: 10.1.123.11 is also the address of micro1 (each host needs its own cluster address)',
      ],
    );
  });

  it('8. OVN: a range without gateway, and an ovn section without any gateway', () => {
    assert.deepEqual(issues('  ovn: {ipv4_range: 10.1.124.100-10.1.124.254, dns_servers: [10.1.124.1]}'), [
      'hosts.yaml:6:3: Either the IPv4 or IPv6 gateway has to be set on the uplink network (set ovn.ipv4_gateway with ovn.ipv4_range, or ovn.ipv6_gateway; or remove ovn: to use a FAN network)',
      'hosts.yaml:6:21: Cannot specify IPv4 range without IPv4 gateway (set ovn.ipv4_gateway, the uplink gateway with its prefix, e.g. 10.1.124.1/24)',
    ]);
  });

  it('9. OVN: invalid gateways, range syntax, a gateway without range, DNS servers', () => {
    assert.deepEqual(
      issues(
        '  ovn:',
        '    ipv4_gateway: 10.1.124.0/24',
        '    ipv6_gateway: 10.1.0.1/24',
        '    ipv4_range: 10.1.124.5',
        '    dns_servers: 10.1.124.1, dns.example.com',
      ),
      [
        'hosts.yaml:7:19: Invalid ipv4.gateway "10.1.124.0/24": 10.1.124.0 is the network address (write the gateway\'s own address with the prefix, e.g. 10.1.124.1/24)',
        'hosts.yaml:8:19: Invalid ipv6.gateway "10.1.0.1/24": not an IPv6 address with a prefix length (write the gateway\'s address on the uplink network with its prefix, e.g. fd42:1:1234:1234::1/64)',
        'hosts.yaml:9:17: Invalid IPv4 range (must be of the form <ip>-<ip>) (e.g. 10.1.124.100-10.1.124.254)',
        'hosts.yaml:10:18: Invalid dns.nameservers: Invalid IP "dns.example.com" (list IP addresses, e.g. "10.1.124.1,8.8.8.8")',
      ],
    );
    assert.deepEqual(issues('  ovn: {ipv4_gateway: 10.1.124.1/24}'), [
      'hosts.yaml:6:23: ovn.ipv4_gateway needs ovn.ipv4_range: the addresses OVN routers take on the uplink (add ipv4_range: FIRST-LAST inside 10.1.124.0/24, not containing the gateway)',
    ]);
  });

  it('10. OVN: a range outside the gateway subnet', () => {
    assert.deepEqual(issues('  ovn: {ipv4_gateway: 10.1.124.1/24, ipv4_range: 10.1.125.100-10.1.125.254}'), [
      'hosts.yaml:6:50: Invalid ipv4.ovn.ranges "10.1.125.100-10.1.125.254": the range is not inside the gateway\'s subnet 10.1.124.0/24 (choose free addresses of 10.1.124.0/24, the uplink network)',
    ]);
  });

  it('11. OVN: a range containing the gateway, and a range written backwards', () => {
    assert.deepEqual(issues('  ovn: {ipv4_gateway: 10.1.124.1/24, ipv4_range: 10.1.124.1-10.1.124.254}'), [
      'hosts.yaml:6:50: UPLINK ipv4.ovn.ranges must not include gateway address "10.1.124.1" (start the range after 10.1.124.1 or end it before)',
    ]);
    assert.deepEqual(issues('  ovn: {ipv4_gateway: 10.1.124.1/24, ipv4_range: 10.1.124.254-10.1.124.100}'), [
      'hosts.yaml:6:50: Invalid ipv4.ovn.ranges "10.1.124.254-10.1.124.100": 10.1.124.254 comes after 10.1.124.100 (write the lower address first)',
    ]);
  });

  it('12. an uplink interface on some systems but not all, same for the underlay', () => {
    assert.deepEqual(
      issues(
        '  systems:',
        '    micro1: {ovn_uplink_interface: enp6s0, ovn_underlay_ip: 10.3.0.1}',
        '    micro2: {ovn_uplink_interface: enp6s0}',
        '  ovn: {ipv6_gateway: "fd42::1/64"}',
      ),
      [
        'hosts.yaml:6:3: Some systems are missing an uplink interface (set ovn_uplink_interface for micro3 too, or for no host and mc picks one per host)',
        'hosts.yaml:6:3: Some systems are missing an underlay interface (set ovn_underlay_ip for micro2 and micro3 too, or for no host)',
      ],
    );
  });

  it('13. an uplink interface without the ovn section', () => {
    assert.deepEqual(
      issues(
        '  systems:',
        '    micro1: {ovn_uplink_interface: enp6s0}',
        '    micro2: {ovn_uplink_interface: enp6s0}',
        '    micro3: {ovn_uplink_interface: enp6s0}',
      ),
      [
        'hosts.yaml:7:36: Either the IPv4 or IPv6 gateway has to be set on the uplink network (add ovn: with ipv4_gateway and ipv4_range, or ipv6_gateway)',
      ],
    );
  });

  it('14. disk filters: empty find, find_min below 1 for Ceph, find_max below find_min, bad expressions', () => {
    assert.deepEqual(
      issues(
        '  storage:',
        '    ceph:',
        '      - {find: "", find_min: 2, find_max: 1}',
        '      - {find: "size > 5GiB"}',
        '      - {find: "sise > 2GiB", find_min: 1}',
        '    local:',
        '      - {find: "size >", find_max: 0}',
        '      - {find: "size > 1GiB", find_min: 3, find_max: 2}',
      ),
      [
        'hosts.yaml:8:16: Received empty remote disk filter (write an LXD filter such as "size > 5GiB" over the fields of lxc query /1.0/resources)',
        'hosts.yaml:8:43: Invalid remote storage filter constraints find_max (1) must be larger than find_min (2)',
        'hosts.yaml:9:9: Remote storage filter cannot be defined with find_min less than 1 (set find_min to the number of disks the filter must find across all hosts, e.g. 3)',
        'hosts.yaml:10:16: cluster.storage.ceph.2.find: invalid filter "sise > 2GiB": unknown field "sise" (did you mean "size"?)',
        'hosts.yaml:12:16: cluster.storage.local.0.find: invalid filter "size >": clause "size >" has no value',
        'hosts.yaml:13:54: Invalid local storage filter constraints find_max (2) larger than find_min (3)',
      ],
    );
  });

  it('15. filters although every system has explicit disks', () => {
    assert.deepEqual(
      issues(
        '  storage:',
        '    ceph: [{find: "size > 1GiB", find_min: 1}]',
        '    local: [{find: "size > 1GiB"}]',
        '  systems:',
        ...['micro1', 'micro2', 'micro3'].map(
          (host) => `    ${host}: {storage: {local: /dev/sda, ceph: []}}`,
        ),
      ),
      [
        'hosts.yaml:7:5: Ceph disk filter cannot be used. All systems have explicitly specified disks (remove storage.ceph, or the ceph disks of a host that should take disks by filter)',
        'hosts.yaml:8:5: Local disk filter cannot be used. All systems have explicitly specified a disk (remove storage.local, or the local disk of a host that should take one by filter)',
      ],
    );
  });

  it('16. local disks on some systems only, without a filter', () => {
    assert.deepEqual(issues('  systems:', '    micro1: {storage: {local: /dev/sda}}'), [
      'hosts.yaml:6:3: Some systems are missing local storage disks (the local pool needs a disk on every member: set storage.local for micro2 and micro3 too, or add a storage.local filter)',
    ]);
  });

  it('17. Ceph networks without Ceph disks, and invalid ones', () => {
    assert.deepEqual(issues('  ceph: {public_network: 10.2.123.0/24, internal_network: 10.2.123.0/24}'), [
      'hosts.yaml:6:26: Cannot specify a Ceph public network without Ceph storage disks (add Ceph disks with systems.<host>.storage.ceph or a storage.ceph filter, or remove it)',
      'hosts.yaml:6:59: Cannot specify a Ceph internal network without Ceph storage disks (add Ceph disks with systems.<host>.storage.ceph or a storage.ceph filter, or remove it)',
    ]);
    assert.deepEqual(
      issues(
        '  ceph: {public_network: 10.2.123.1, internal_network: 10.2.123.7/32}',
        '  storage: {ceph: [{find: "size > 1GiB", find_min: 3}]}',
      ),
      [
        'hosts.yaml:6:26: Invalid Ceph public network subnet: Not an IP network address "10.2.123.1" (write a subnet such as 10.2.123.0/24)',
        'hosts.yaml:6:56: cluster.ceph.internal_network: 10.2.123.7/32 holds a single address (give the subnet every member has an address in, e.g. 10.2.123.0/24)',
      ],
    );
  });

  it('18. OVN and Ceph settings while the service is disabled', () => {
    assert.deepEqual(
      issues(
        '  services: {microceph: false, microovn: false}',
        '  systems:',
        '    micro1: {ovn_uplink_interface: enp6s0, storage: {ceph: [/dev/sdb]}}',
        '  ovn: {ipv6_gateway: "fd42::1/64"}',
        '  ceph: {cephfs: true}',
      ),
      [
        'hosts.yaml:8:36: cluster.systems.micro1.ovn_uplink_interface: configures MicroOVN, which services.microovn disables (remove it, or set services.microovn: true)',
        'hosts.yaml:8:54: cluster.systems.micro1.storage.ceph: configures MicroCeph, which services.microceph disables (remove it, or set services.microceph: true)',
        'hosts.yaml:9:3: cluster.ovn: configures MicroOVN, which services.microovn disables (remove it, or set services.microovn: true)',
        'hosts.yaml:10:3: cluster.ceph: configures MicroCeph, which services.microceph disables (remove it, or set services.microceph: true)',
      ],
    );
  });

  it('19. the same disk path twice on one host, and a path that is not a device', () => {
    assert.deepEqual(
      issues(
        '  systems:',
        '    micro1:',
        '      storage:',
        '        local: /dev/sdb',
        '        ceph: [/dev/sdc, /dev/sdb, {path: sdd}]',
        '  storage: {local: [{find: "size > 1GiB"}]}',
      ),
      [
        'hosts.yaml:10:26: micro1: disk /dev/sdb is given twice (first at line 9, column 16) (a disk can back only one pool or OSD)',
        'hosts.yaml:10:36: cluster.systems.micro1.storage.ceph.2: "sdd" is not a device path (write /dev/disk/by-id/NAME as mc probe lists it, /dev/disk/by-path/NAME or /dev/NAME)',
      ],
    );
  });

  it('reports problems of every section at once, sorted by position', () => {
    const found = issues(
      '  ovn: {ipv4_gateway: 10.1.124.1/24, ipv4_range: 10.1.124.1-10.1.124.9}',
      '  initiator: micro7',
      '  channels: {lxd: "5.21/stabel"}',
    );
    assert.deepEqual(
      found.map((line) => line.split(': ')[0]),
      ['hosts.yaml:6:50', 'hosts.yaml:7:14', 'hosts.yaml:8:19'],
    );
  });

  it('an Ansible inventory has no cluster section: every default applies', () => {
    const parsed = parseClusterSpec({ source: 'hosts.ini', format: 'ansible-ini', hosts: [], groups: [] });
    assert.ok(parsed.ok);
    assert.equal(parsed.spec.initiator, '');
    assert.equal(formatDeployIssue({ message: 'm', position: parsed.spec.origin }), 'hosts.ini: m');
  });
});

describe('cluster spec: cluster.lxd, pools and networks of the inventory’s own', () => {
  it('reads dir pools and bridge networks as in an LXD preseed', () => {
    const spec = specOf(
      inventoryOf(
        inventoryText(
          3,
          'cluster:',
          '  lxd:',
          '    storage_pools: [{name: data, driver: dir}]',
          '    networks: [{name: br1, type: bridge, description: Lab, config: {ipv4.address: 10.99.1.1/24}}]',
        ),
      ),
    );
    assert.deepEqual(spec.lxd, {
      storagePools: [{ name: 'data', kind: 'dir', description: '', config: {} }],
      networks: [
        { name: 'br1', kind: 'bridge', description: 'Lab', config: { 'ipv4.address': '10.99.1.1/24' } },
      ],
    });
  });

  it('refuses what mc does not create there, each at its value with the next step', () => {
    assert.deepEqual(
      issues(
        '  lxd:',
        '    storage_pools:',
        '      - {name: local, driver: dir}',
        '      - {name: data, driver: zfs, config: {source: /dev/sdb}}',
        '    networks:',
        '      - {name: a-very-long-bridge-name, type: bridge}',
        '      - {name: br1, type: ovn}',
        '      - {name: br2, type: bridge, config: {bridge.mode: fan}}',
      ),
      [
        'hosts.yaml:8:16: storage pool "local" is MicroCloud\'s own (choose another name; MicroCloud names its own local, remote, remote-fs)',
        'hosts.yaml:9:30: storage pool driver "zfs": mc creates dir pools here (write driver: dir; the ZFS pool local and the Ceph pools come from systems.<host>.storage and storage:)',
        'hosts.yaml:9:44: source is cluster member specific: mc sets no per-member config here (remove source; LXD then picks it on each member)',
        'hosts.yaml:11:16: Invalid network name "a-very-long-bridge-name" (an interface name: up to 15 letters, digits, -, _ and ., starting with a letter or digit)',
        'hosts.yaml:12:27: network type "ovn": mc creates bridge networks here (write type: bridge; OVN networking comes from cluster.ovn)',
        'hosts.yaml:13:57: bridge.mode "fan": MicroCloud makes its FAN bridge lxdfan0 itself (use bridge.mode: standard (the default) here, or list no network to get the FAN fallback)',
      ],
    );
  });

  it('refuses a config value YAML does not read as a string, and an unknown key', () => {
    assert.deepEqual(
      issues(
        '  lxd:',
        '    networks:',
        '      - {name: br1, type: bridge, config: {ipv4.nat: true}}',
        '      - {name: br2, type: bridge, colour: red}',
      ),
      [
        'hosts.yaml:8:54: cluster.lxd.networks.0.config.ipv4.nat: must be a string in quotes (LXD config values are strings; YAML reads true), got true',
        "hosts.yaml:9:35: unknown key 'colour' (allowed: name, type, description, config)",
      ],
    );
  });
});
