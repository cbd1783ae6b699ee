// The cluster section from-vagrant --cluster writes, from facts shaped as Vagrant's VMs have them: NICs as
// `ip -j -d address` prints them on a virtio VM (parsed and judged by the facts layer itself), disks as
// the facts layer judges them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { suggestClusterSection } from '../../../src/domain/cluster/suggest.js';
import type { ProbedHost } from '../../../src/domain/cluster/suggest.js';
import { evaluateUplinkInterfaces, parseIpAddr } from '../../../src/domain/facts/index.js';
import type { DiskVerdict, HostFacts } from '../../../src/domain/facts/index.js';

interface Address {
  address: string;
  prefix: number;
}

/** One link of `ip -j -d address`, as a virtio NIC on Ubuntu 24.04 shows it. */
function link(index: number, name: string, addresses: Address[], pciSlot: number): unknown {
  return {
    ifindex: index,
    ifname: name,
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    mtu: 1500,
    operstate: 'UP',
    link_type: 'ether',
    address: `52:54:00:00:00:${index.toString(16).padStart(2, '0')}`,
    broadcast: 'ff:ff:ff:ff:ff:ff',
    promiscuity: 0,
    allmulti: 0,
    parentbus: 'pci',
    parentdev: `0000:00:0${pciSlot}.0`,
    addr_info: addresses.map((a) => ({
      family: 'inet',
      local: a.address,
      prefixlen: a.prefix,
      scope: 'global',
      valid_life_time: 4294967295,
      preferred_life_time: 4294967295,
    })),
  };
}

const LOOPBACK = {
  ifindex: 1,
  ifname: 'lo',
  flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
  mtu: 65536,
  operstate: 'UNKNOWN',
  link_type: 'loopback',
  address: '00:00:00:00:00:00',
  broadcast: '00:00:00:00:00:00',
  promiscuity: 0,
  allmulti: 0,
  addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }],
};

const GiB = 1024 ** 3;

function disk(name: string, id: string | null, sizeGiB: number, eligible = true): DiskVerdict {
  const verdict = { eligible, reasons: eligible ? [] : [{ code: 'mounted', message: 'is mounted' }] };
  return {
    device: { name, kernelName: name, path: `/dev/${name}`, sizeBytes: sizeGiB * GiB },
    stablePath:
      id === null
        ? { path: `/dev/${name}`, kind: 'kernel' }
        : { path: `/dev/disk/by-id/${id}`, kind: 'by-id' },
    ceph: verdict,
    local: verdict,
    warnings: [],
  } as unknown as DiskVerdict;
}

/** A VM: its NICs (eth0 first), the address mc reached it on, and its disks. */
function vm(host: string, nics: Address[][], reachedAt: string, disks: DiskVerdict[]): ProbedHost {
  const interfaces = parseIpAddr(
    JSON.stringify([LOOPBACK, ...nics.map((addresses, i) => link(i + 2, `eth${i}`, addresses, i + 5))]),
  );
  const network = { interfaces, defaultRoutes: [] };
  return {
    host,
    facts: { network } as unknown as HostFacts,
    disks,
    uplinks: evaluateUplinkInterfaces(network, { managementAddress: reachedAt }),
    reachedAt,
  };
}

const UPLINK = { ipv4Gateway: '192.168.57.1/24', ipv4Range: '192.168.57.100-192.168.57.254' };
const vagrantDisks = (): DiskVerdict[] => [
  disk('vda', null, 64, false),
  disk('vdc', 'virtio-mc-ceph', 20),
  disk('vdb', 'virtio-mc-local', 10),
];

describe('the cluster section written from probed facts', () => {
  it('libvirt: the cluster network beside the management one, the addressless NIC, local then Ceph disks', () => {
    const hosts = [1, 2, 3].map((n) =>
      vm(
        `node${n}`,
        [
          [{ address: `192.168.121.${20 + n}`, prefix: 24 }],
          [{ address: `192.168.56.${10 + n}`, prefix: 24 }],
          [],
        ],
        `192.168.121.${20 + n}`,
        vagrantDisks(),
      ),
    );
    const suggested = suggestClusterSection(hosts, UPLINK);
    assert.deepEqual(suggested.notes, []);
    assert.deepEqual(parse(suggested.yaml), {
      cluster: {
        systems: Object.fromEntries(
          [1, 2, 3].map((n) => [
            `node${n}`,
            {
              address: `192.168.56.${10 + n}`,
              ovn_uplink_interface: 'eth2',
              storage: {
                local: '/dev/disk/by-id/virtio-mc-local',
                ceph: [{ path: '/dev/disk/by-id/virtio-mc-ceph' }],
              },
            },
          ]),
        ),
        ovn: { ipv4_gateway: '192.168.57.1/24', ipv4_range: '192.168.57.100-192.168.57.254' },
      },
    });
  });

  it("VirtualBox: NAT's 10.0.2.15 is on every VM, so the cluster network is the other one", () => {
    const hosts = [1, 2, 3].map((n) =>
      vm(
        `node${n}`,
        [[{ address: '10.0.2.15', prefix: 24 }], [{ address: `192.168.56.${10 + n}`, prefix: 24 }], []],
        '127.0.0.1',
        vagrantDisks(),
      ),
    );
    const systems = (
      parse(suggestClusterSection(hosts, UPLINK).yaml) as {
        cluster: { systems: Record<string, { address: string; ovn_uplink_interface: string }> };
      }
    ).cluster.systems;
    assert.deepEqual(
      Object.values(systems).map((s) => [s.address, s.ovn_uplink_interface]),
      [
        ['192.168.56.11', 'eth2'],
        ['192.168.56.12', 'eth2'],
        ['192.168.56.13', 'eth2'],
      ],
    );
  });

  it('writes no address when two networks could be the cluster one, and says so', () => {
    const hosts = [1, 2, 3].map((n) =>
      vm(
        `node${n}`,
        [
          [{ address: '10.0.2.15', prefix: 24 }],
          [{ address: `192.168.56.${10 + n}`, prefix: 24 }],
          [{ address: `172.16.0.${10 + n}`, prefix: 16 }],
          [],
        ],
        '127.0.0.1',
        vagrantDisks(),
      ),
    );
    const suggested = suggestClusterSection(hosts, UPLINK);
    assert.deepEqual(suggested.notes, [
      'several networks join every host (192.168.56.0/24, 172.16.0.0/16): no cluster address written; set cluster.systems.NAME.address',
    ]);
    const systems = (
      parse(suggested.yaml) as { cluster: { systems: Record<string, Record<string, unknown>> } }
    ).cluster.systems;
    assert.equal(systems['node1']?.['address'], undefined);
    assert.equal(systems['node1']?.['ovn_uplink_interface'], 'eth3');
  });

  it('without an uplink network writes no uplink NIC and no ovn section (the FAN fallback)', () => {
    const hosts = [1, 2, 3].map((n) =>
      vm(`node${n}`, [[{ address: `192.168.56.${10 + n}`, prefix: 24 }], []], '127.0.0.1', vagrantDisks()),
    );
    const cluster = (
      parse(suggestClusterSection(hosts, undefined).yaml) as { cluster: Record<string, unknown> }
    ).cluster;
    assert.equal(cluster['ovn'], undefined);
    assert.deepEqual((cluster['systems'] as Record<string, unknown>)['node1'], {
      address: '192.168.56.11',
      storage: {
        local: '/dev/disk/by-id/virtio-mc-local',
        ceph: [{ path: '/dev/disk/by-id/virtio-mc-ceph' }],
      },
    });
  });

  it('names what it could not choose: no free disk, a single disk, no uplink NIC', () => {
    const hosts = [
      vm('node1', [[{ address: '192.168.56.11', prefix: 24 }]], '127.0.0.1', [disk('vda', null, 64, false)]),
      vm('node2', [[{ address: '192.168.56.12', prefix: 24 }], []], '127.0.0.1', [
        disk('vdb', 'virtio-mc-local', 10),
        // A disk without a stable name is not written: /dev/vdc may be another disk after a reboot.
        disk('vdc', null, 20),
      ]),
    ];
    const suggested = suggestClusterSection(hosts, UPLINK);
    assert.deepEqual(suggested.notes, [
      'node1: no NIC can carry the OVN uplink (mc probe shows why)',
      'node1: no disk is free for local storage or Ceph (mc probe shows why)',
      'node2: no second disk for Ceph',
    ]);
  });
});
