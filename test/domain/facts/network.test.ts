import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  findInterface,
  IP_ADDR_COMMAND,
  IP_ROUTE4_DEFAULT_COMMAND,
  IP_ROUTE6_DEFAULT_COMMAND,
  parseDefaultRoutes,
  parseIpAddr,
  type NetworkInterface,
} from '../../../src/domain/facts/index.js';
import { failure, fixture } from './helpers.js';

function nic(interfaces: NetworkInterface[], name: string): NetworkInterface {
  const found = findInterface({ interfaces, defaultRoutes: [] }, name);
  assert.ok(found, `no interface ${name}`);
  return found;
}

describe('parseIpAddr: captured on this machine (iproute2 6.1)', () => {
  it("classifies the host's virtio NIC and ifb devices", () => {
    const interfaces = parseIpAddr(fixture('captured/ip-addr-host.json'));
    assert.deepEqual(
      interfaces.map((i) => [i.name, i.kind, i.linkKind]),
      [
        ['lo', 'loopback', null],
        ['ifb0', 'other', 'ifb'],
        ['ifb1', 'other', 'ifb'],
        ['eth0', 'physical', null],
      ],
    );
    assert.deepEqual(nic(interfaces, 'eth0'), {
      index: 4,
      name: 'eth0',
      altNames: [],
      kind: 'physical',
      linkKind: null,
      linkType: 'ether',
      flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
      adminUp: true,
      lowerUp: true,
      broadcast: true,
      pointToPoint: false,
      operState: 'UP',
      mtu: 1400,
      macAddress: '02:fc:00:00:00:01',
      master: null,
      masterKind: null,
      lowerDevice: null,
      vethPeer: null,
      vlanId: null,
      bondMode: null,
      parentBus: 'virtio',
      parentDevice: 'virtio2',
      addresses: [
        {
          family: 'inet',
          address: '192.0.2.2',
          prefixLength: 24,
          scope: 'global',
          peer: null,
          dynamic: false,
          tentative: false,
          deprecated: false,
          dadFailed: false,
        },
        {
          family: 'inet6',
          address: 'fd00::2',
          prefixLength: 64,
          scope: 'global',
          peer: null,
          dynamic: false,
          tentative: false,
          deprecated: false,
          dadFailed: false,
        },
        {
          family: 'inet6',
          address: 'fe80::fc:ff:fe00:1',
          prefixLength: 64,
          scope: 'link',
          peer: null,
          dynamic: false,
          tentative: false,
          deprecated: false,
          dadFailed: false,
        },
      ],
    });
  });

  it('reads veth pairs, a bridge with a port, a macvlan, a down link and one without carrier', () => {
    const interfaces = parseIpAddr(fixture('captured/ip-addr-netns.json'));
    assert.deepEqual(
      interfaces.map((i) => [i.name, i.kind, i.adminUp, i.lowerUp, i.operState]),
      [
        ['lo', 'loopback', true, true, 'UNKNOWN'],
        ['p-enp5s0', 'veth', true, true, 'UP'],
        ['enp5s0', 'veth', true, true, 'UP'],
        ['p-enp6s0', 'veth', true, true, 'UP'],
        ['enp6s0', 'veth', true, true, 'UP'],
        ['p-enp7s0', 'veth', true, true, 'UP'],
        ['enp7s0', 'veth', true, true, 'UP'],
        ['p-enp8s0', 'veth', true, false, 'LOWERLAYERDOWN'],
        ['enp8s0', 'veth', false, false, 'DOWN'],
        ['p-enp9s0', 'veth', false, false, 'DOWN'],
        ['enp9s0', 'veth', true, false, 'LOWERLAYERDOWN'],
        ['p-enp10s0', 'veth', true, true, 'UP'],
        ['enp10s0', 'veth', true, true, 'UP'],
        ['br0', 'bridge', true, true, 'UP'],
        ['mv0', 'macvlan', true, true, 'UP'],
      ],
    );
    const port = nic(interfaces, 'enp7s0');
    assert.deepEqual(
      [port.master, port.masterKind, port.vethPeer, port.lowerDevice],
      ['br0', 'bridge', 'p-enp7s0', null],
    );
    assert.deepEqual(nic(interfaces, 'mv0').lowerDevice, 'enp10s0');
    assert.deepEqual(nic(interfaces, 'enp9s0').flags, [
      'NO-CARRIER',
      'BROADCAST',
      'MULTICAST',
      'UP',
      'M-DOWN',
    ]);
    assert.deepEqual(
      nic(interfaces, 'br0').addresses.map((a) => [a.address, a.prefixLength, a.scope, a.dynamic]),
      [
        ['10.2.123.11', 24, 'global', true],
        ['fe80::48f1:77ff:fe09:d3cc', 64, 'link', false],
      ],
    );
    assert.deepEqual(
      nic(interfaces, 'enp6s0').addresses.map((a) => [a.family, a.scope]),
      [['inet6', 'link']],
    );
  });
});

describe('parseIpAddr: Ubuntu fixtures', () => {
  it('reads bonds, VLANs, a bridge port, a point-to-point tunnel and altnames (24.04, iproute2 6.1)', () => {
    const interfaces = parseIpAddr(fixture('ubuntu-24.04/ip-addr.json'));
    assert.deepEqual(
      interfaces.map((i) => [i.name, i.kind, i.master, i.masterKind, i.lowerDevice, i.vlanId, i.bondMode]),
      [
        ['lo', 'loopback', null, null, null, null, null],
        ['eno1', 'physical', 'bond0', 'bond', null, null, null],
        ['eno2', 'physical', 'bond0', 'bond', null, null, null],
        ['eno3', 'physical', null, null, null, null, null],
        ['eno4', 'physical', 'br0', 'bridge', null, null, null],
        ['enp65s0f0np0', 'physical', null, null, null, null, null],
        ['enp65s0f1np1', 'physical', null, null, null, null, null],
        ['enp66s0', 'physical', null, null, null, null, null],
        ['bond0', 'bond', null, null, null, null, '802.3ad'],
        ['bond0.100', 'vlan', null, null, 'bond0', 100, null],
        ['bond0.200', 'vlan', null, null, 'bond0', 200, null],
        ['eno3.300', 'vlan', null, null, 'eno3', 300, null],
        ['br0', 'bridge', null, null, null, null, null],
        ['wg0', 'other', null, null, null, null, null],
      ],
    );
    assert.deepEqual(nic(interfaces, 'eno1').altNames, ['enp24s0f0']);
    assert.deepEqual(
      [nic(interfaces, 'eno1').parentBus, nic(interfaces, 'eno1').parentDevice],
      ['pci', '0000:18:00.0'],
    );
    const wg = nic(interfaces, 'wg0');
    assert.deepEqual(
      [wg.linkKind, wg.pointToPoint, wg.broadcast, wg.macAddress],
      ['wireguard', true, false, null],
    );
    const unplugged = nic(interfaces, 'enp66s0');
    assert.deepEqual([unplugged.adminUp, unplugged.lowerUp, unplugged.operState], [true, false, 'DOWN']);
  });

  it('reads a MicroCloud test VM (22.04, iproute2 5.15: no allmulti, no tso/gro keys)', () => {
    const interfaces = parseIpAddr(fixture('ubuntu-22.04/ip-addr.json'));
    assert.deepEqual(
      interfaces.map((i) => [
        i.name,
        i.kind,
        i.adminUp,
        i.parentBus,
        i.addresses.map((a) => `${a.address}/${a.prefixLength}`),
      ]),
      [
        ['lo', 'loopback', true, null, ['127.0.0.1/8', '::1/128']],
        [
          'enp5s0',
          'physical',
          true,
          'virtio',
          ['10.1.123.10/24', 'fd42:1:1234:1234::10/64', 'fe80::216:3eff:fe5a:7b01/64'],
        ],
        ['enp6s0', 'physical', true, 'virtio', []],
        ['enp7s0', 'physical', true, 'virtio', ['10.2.123.10/24', 'fe80::216:3eff:fe5a:7b03/64']],
        ['enp8s0', 'physical', true, 'virtio', ['fe80::216:3eff:fe5a:7b04/64']],
        ['enp9s0', 'physical', false, 'virtio', []],
      ],
    );
  });
});

describe('parseIpAddr: tolerance and refusals', () => {
  const lo =
    '{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"operstate":"UNKNOWN",' +
    '"link_type":"loopback","promiscuity":0,"addr_info":[]}';

  it('skips the empty objects iproute2 before 6.17 prints for filtered links', () => {
    assert.deepEqual(
      parseIpAddr(`[{},${lo}]`).map((i) => i.name),
      ['lo'],
    );
    assert.deepEqual(parseIpAddr('[]'), []);
  });

  it('reads point-to-point peers and the address state flags', () => {
    const [tunnel] = parseIpAddr(
      '[{"ifindex":7,"ifname":"ppp0","flags":["POINTOPOINT","MULTICAST","NOARP","UP","LOWER_UP"],"mtu":1492,' +
        '"operstate":"UNKNOWN","link_type":"ppp","promiscuity":0,"linkinfo":{"info_kind":"ppp"},"addr_info":[' +
        '{"family":"inet","local":"100.64.1.2","address":"100.64.0.1","prefixlen":32,"scope":"global"},' +
        '{"family":"inet6","local":"2001:db8::2","prefixlen":64,"scope":"global","tentative":true,"dadfailed":true},' +
        '{"family":"inet6","local":"2001:db8::3","prefixlen":64,"scope":"global","deprecated":true,"dynamic":true},' +
        '{"family":"mpls","local":"100","prefixlen":20}]}]',
    );
    assert.deepEqual(tunnel?.kind, 'other');
    assert.deepEqual(
      tunnel?.addresses.map((a) => [a.address, a.peer, a.tentative, a.dadFailed, a.deprecated, a.dynamic]),
      [
        ['100.64.1.2', '100.64.0.1', false, false, false, false],
        ['2001:db8::2', null, true, true, false, false],
        ['2001:db8::3', null, false, false, true, true],
      ],
    );
  });

  it('refuses `ip -j addr` without -d, which cannot tell a bond from a NIC', () => {
    const withoutDetails = JSON.stringify(
      (JSON.parse(fixture('captured/ip-addr-host.json')) as Record<string, unknown>[]).map((link) => {
        const copy = { ...link };
        delete copy['promiscuity'];
        delete copy['linkinfo'];
        return copy;
      }),
    );
    assert.equal(
      failure(() => parseIpAddr(withoutDetails)),
      'ip addr: $: expected link details (promiscuity, linkinfo) from `ip -j -d addr show`, got output without -d',
    );
  });

  it('names what is wrong with anything else', () => {
    assert.match(
      failure(() => parseIpAddr('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue')),
      /^ip addr: \$: expected JSON from `ip -j -d addr show`, got "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536" \(/,
    );
    assert.equal(
      failure(() => parseIpAddr('{"ifname":"lo"}')),
      'ip addr: $: expected an array of links from `ip -j -d addr show`, got object',
    );
    assert.equal(
      failure(() => parseIpAddr('[5]')),
      'ip addr: $[0]: expected a link object, got 5',
    );
    assert.equal(
      failure(() => parseIpAddr(`[${lo.replace('"ifname":"lo",', '')}]`)),
      'ip addr: $[0].ifname: expected a non-empty string, got nothing',
    );
    assert.equal(
      failure(() =>
        parseIpAddr(
          `[${lo.replace('"addr_info":[]', '"addr_info":[{"family":"inet","local":"10.0.0.1","prefixlen":33}]')}]`,
        ),
      ),
      'ip addr: $[0].addr_info[0].prefixlen: expected an integer from 0 to 32, got 33',
    );
    assert.equal(
      failure(() => parseIpAddr(`[${lo.replace('"flags":["LOOPBACK","UP","LOWER_UP"]', '"flags":"UP"')}]`)),
      'ip addr: $[0].flags: expected an array or null, got "UP"',
    );
  });
});

describe('parseDefaultRoutes', () => {
  it('uses the documented commands', () => {
    assert.deepEqual(
      [IP_ADDR_COMMAND, IP_ROUTE4_DEFAULT_COMMAND, IP_ROUTE6_DEFAULT_COMMAND],
      ['ip -j -d addr show', 'ip -j -4 route show default', 'ip -j -6 route show default'],
    );
  });

  it('reads captured IPv4 and IPv6 default routes', () => {
    assert.deepEqual(parseDefaultRoutes(fixture('captured/ip-route-default-netns.json'), 'inet'), [
      {
        family: 'inet',
        type: 'unicast',
        gateway: '10.1.123.1',
        device: 'enp5s0',
        metric: null,
        protocol: null,
        nexthops: [],
      },
    ]);
    assert.deepEqual(parseDefaultRoutes(fixture('captured/ip-route6-default-host.json'), 'inet6'), [
      {
        family: 'inet6',
        type: 'unicast',
        gateway: 'fd00::1',
        device: 'eth0',
        metric: 1024,
        protocol: null,
        nexthops: [],
      },
    ]);
    assert.deepEqual(parseDefaultRoutes(fixture('ubuntu-22.04/ip-route6-default.json'), 'inet6'), []);
    assert.deepEqual(
      parseDefaultRoutes(fixture('ubuntu-24.04/ip-route-default.json'), 'inet')[0]?.protocol,
      'static',
    );
  });

  it('reads multipath and unreachable defaults', () => {
    assert.deepEqual(
      parseDefaultRoutes(
        '[{"dst":"default","protocol":"static","metric":100,"flags":[],"nexthops":[' +
          '{"gateway":"10.0.0.1","dev":"eno1","weight":1,"flags":[]},{"gateway":"10.0.1.1","dev":"eno2","weight":1,"flags":[]}]},' +
          '{"type":"unreachable","dst":"default","metric":4278198272,"flags":[]}]',
        'inet',
      ),
      [
        {
          family: 'inet',
          type: 'unicast',
          gateway: null,
          device: null,
          metric: 100,
          protocol: 'static',
          nexthops: [
            { gateway: '10.0.0.1', device: 'eno1' },
            { gateway: '10.0.1.1', device: 'eno2' },
          ],
        },
        {
          family: 'inet',
          type: 'unreachable',
          gateway: null,
          device: null,
          metric: 4278198272,
          protocol: null,
          nexthops: [],
        },
      ],
    );
  });

  it('refuses routes that are not defaults, and empty or non-JSON output', () => {
    assert.equal(
      failure(() => parseDefaultRoutes('[{"dst":"10.0.0.0/24","dev":"eth0"}]', 'inet')),
      'ip route: $[0].dst: expected a default route (`dst: "default"`), got "10.0.0.0/24"',
    );
    assert.equal(
      failure(() => parseDefaultRoutes('', 'inet6')),
      'ip route: $: expected JSON from `ip -j -6 route show default`, got empty output',
    );
    assert.equal(
      failure(() => parseDefaultRoutes('{}', 'inet')),
      'ip route: $: expected an array of routes from `ip -j -4 route show default`, got object',
    );
  });
});
