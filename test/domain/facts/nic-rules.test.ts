import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  checkClusterAddress,
  evaluateAddressedInterfaces,
  evaluateUplinkInterfaces,
  findAddressInSubnet,
  globalUnicastAddresses,
  parseDefaultRoutes,
  parseIpAddr,
  type InterfaceAddress,
  type NetworkFacts,
  type NetworkInterface,
} from '../../../src/domain/facts/index.js';
import { fixture } from './helpers.js';

function network(
  directory: string,
  addrFile = 'ip-addr.json',
  routeFile = 'ip-route-default.json',
): NetworkFacts {
  return {
    interfaces: parseIpAddr(fixture(`${directory}/${addrFile}`)),
    defaultRoutes: parseDefaultRoutes(fixture(`${directory}/${routeFile}`), 'inet'),
  };
}

const server = network('ubuntu-24.04');
const vm = network('ubuntu-22.04');
const lab = network('captured', 'ip-addr-netns.json', 'ip-route-default-netns.json');
const host = network('captured', 'ip-addr-host.json', 'ip-route-default-host.json');

type Row = [string, boolean, [string, string][], string[]];

function rows(
  verdicts: {
    interface: NetworkInterface;
    eligible: boolean;
    reasons: { code: string; message: string }[];
    warnings: string[];
  }[],
): Row[] {
  return verdicts.map((v) => [
    v.interface.name,
    v.eligible,
    v.reasons.map((r) => [r.code, r.message]),
    v.warnings,
  ]);
}

/** A copy of `facts` with one interface changed, for rules the fixtures do not exercise. */
function withInterface(
  facts: NetworkFacts,
  name: string,
  change: (nic: NetworkInterface) => NetworkInterface,
): NetworkFacts {
  return { ...facts, interfaces: facts.interfaces.map((nic) => (nic.name === name ? change(nic) : nic)) };
}

function address(
  text: string,
  prefixLength: number,
  flags: Partial<InterfaceAddress> = {},
): InterfaceAddress {
  return {
    family: text.includes(':') ? 'inet6' : 'inet',
    address: text,
    prefixLength,
    scope: 'global',
    peer: null,
    dynamic: false,
    tentative: false,
    deprecated: false,
    dadFailed: false,
    ...flags,
  };
}

const NOT_UPLINK_KIND = 'the uplink must be a physical NIC, a bond, a VLAN or a bridge';
const DOWN_WARNING = 'is down: mc must bring it up, MicroCloud only offers interfaces that are up';
const VETH_WARNING = 'is a veth interface: accepted for a test lab, MicroCloud itself would not offer it';
const LOOPBACK_ROW: Row = [
  'lo',
  false,
  [
    ['loopback', 'is the loopback interface'],
    ['has-addresses', 'has addresses other than IPv6 link-local: 127.0.0.1/8, ::1/128'],
  ],
  [],
];

describe('evaluateUplinkInterfaces (§5.1)', () => {
  it('on a 24.04 server: free NICs and a VLAN qualify; bond members, bridges with addresses, tunnels do not', () => {
    const managed = 'is under bond0.100, which carries the management address 10.0.100.11';
    assert.deepEqual(rows(evaluateUplinkInterfaces(server, { managementAddress: '10.0.100.11' })), [
      LOOPBACK_ROW,
      [
        'eno1',
        false,
        [
          ['enslaved', 'is a member of bond bond0'],
          ['management', managed],
        ],
        [],
      ],
      [
        'eno2',
        false,
        [
          ['enslaved', 'is a member of bond bond0'],
          ['management', managed],
        ],
        [],
      ],
      ['eno3', false, [['stacked', 'has eno3.300 (vlan) stacked on it']], []],
      ['eno4', false, [['enslaved', 'is a port of bridge br0']], []],
      ['enp65s0f0np0', true, [], []],
      ['enp65s0f1np1', true, [], [DOWN_WARNING]],
      ['enp66s0', false, [['no-carrier', 'is up but has no carrier']], []],
      [
        'bond0',
        false,
        [
          ['management', managed],
          ['stacked', 'has bond0.100 (vlan), bond0.200 (vlan) stacked on it'],
        ],
        [],
      ],
      [
        'bond0.100',
        false,
        [
          ['has-addresses', 'has addresses other than IPv6 link-local: 10.0.100.11/24, 2001:db8:100::11/64'],
          ['management', 'carries the management address 10.0.100.11'],
        ],
        [],
      ],
      [
        'bond0.200',
        false,
        [['has-addresses', 'has addresses other than IPv6 link-local: 10.0.200.11/24']],
        [],
      ],
      ['eno3.300', true, [], []],
      ['br0', false, [['has-addresses', 'has addresses other than IPv6 link-local: 192.168.50.11/24']], []],
      [
        'wg0',
        false,
        [
          ['unsupported-kind', `is a wireguard interface; ${NOT_UPLINK_KIND}`],
          ['no-broadcast', 'has no BROADCAST flag (a point-to-point or tunnel link)'],
          ['has-addresses', 'has addresses other than IPv6 link-local: 10.99.0.11/24'],
        ],
        [],
      ],
    ]);
  });

  it('without a management address, only the other rules apply', () => {
    const verdicts = new Map(evaluateUplinkInterfaces(server).map((v) => [v.interface.name, v]));
    assert.deepEqual(
      ['eno1', 'bond0', 'bond0.100'].map((name) => verdicts.get(name)?.reasons.map((r) => r.code)),
      [['enslaved'], ['stacked'], ['has-addresses']],
    );
  });

  it('finds the management chain through an IPv6 address too', () => {
    const verdicts = evaluateUplinkInterfaces(server, { managementAddress: '2001:db8:100:0::11' });
    assert.deepEqual(
      verdicts.filter((v) => v.reasons.some((r) => r.code === 'management')).map((v) => v.interface.name),
      ['eno1', 'eno2', 'bond0', 'bond0.100'],
    );
  });

  it('on a MicroCloud test VM: the NIC without addresses and the one with only link-local qualify', () => {
    assert.deepEqual(rows(evaluateUplinkInterfaces(vm, { managementAddress: '10.1.123.10' })), [
      LOOPBACK_ROW,
      [
        'enp5s0',
        false,
        [
          [
            'has-addresses',
            'has addresses other than IPv6 link-local: 10.1.123.10/24, fd42:1:1234:1234::10/64',
          ],
          ['management', 'carries the management address 10.1.123.10'],
        ],
        [],
      ],
      ['enp6s0', true, [], []],
      ['enp7s0', false, [['has-addresses', 'has addresses other than IPv6 link-local: 10.2.123.10/24']], []],
      ['enp8s0', true, [], []],
      ['enp9s0', true, [], [DOWN_WARNING]],
    ]);
  });

  it('refuses veth pairs as MicroCloud does, unless a test lab allows them', () => {
    const vethKind: [string, string] = ['unsupported-kind', `is a veth interface; ${NOT_UPLINK_KIND}`];
    const strict = new Map(rows(evaluateUplinkInterfaces(lab)).map((row) => [row[0], row]));
    assert.deepEqual(strict.get('enp6s0'), ['enp6s0', false, [vethKind], []]);
    assert.deepEqual(strict.get('enp10s0'), [
      'enp10s0',
      false,
      [vethKind, ['stacked', 'has mv0 (macvlan) stacked on it']],
      [],
    ]);
    assert.deepEqual(strict.get('mv0'), [
      'mv0',
      false,
      [
        ['unsupported-kind', `is a macvlan interface; ${NOT_UPLINK_KIND}`],
        ['has-addresses', 'has addresses other than IPv6 link-local: 10.3.123.11/24'],
      ],
      [],
    ]);
    assert.deepEqual(
      rows(evaluateUplinkInterfaces(lab, { allowVeth: true, managementAddress: '10.1.123.11' })),
      [
        LOOPBACK_ROW,
        ['p-enp5s0', true, [], [VETH_WARNING]],
        [
          'enp5s0',
          false,
          [
            [
              'has-addresses',
              'has addresses other than IPv6 link-local: 10.1.123.11/24, fd42:1:1234:1234::11/64',
            ],
            ['management', 'carries the management address 10.1.123.11'],
          ],
          [VETH_WARNING],
        ],
        ['p-enp6s0', true, [], [VETH_WARNING]],
        ['enp6s0', true, [], [VETH_WARNING]],
        ['p-enp7s0', true, [], [VETH_WARNING]],
        ['enp7s0', false, [['enslaved', 'is a port of bridge br0']], [VETH_WARNING]],
        ['p-enp8s0', false, [['no-carrier', 'is up but has no carrier']], [VETH_WARNING]],
        ['enp8s0', true, [], [VETH_WARNING, DOWN_WARNING]],
        ['p-enp9s0', true, [], [VETH_WARNING, DOWN_WARNING]],
        ['enp9s0', false, [['no-carrier', 'is up but has no carrier']], [VETH_WARNING]],
        ['p-enp10s0', true, [], [VETH_WARNING]],
        ['enp10s0', false, [['stacked', 'has mv0 (macvlan) stacked on it']], [VETH_WARNING]],
        ['br0', false, [['has-addresses', 'has addresses other than IPv6 link-local: 10.2.123.11/24']], []],
        [
          'mv0',
          false,
          [
            ['unsupported-kind', `is a macvlan interface; ${NOT_UPLINK_KIND}`],
            ['has-addresses', 'has addresses other than IPv6 link-local: 10.3.123.11/24'],
          ],
          [],
        ],
      ],
    );
  });

  it('on this machine: the only NIC is the management NIC, the ifb devices are not NICs', () => {
    assert.deepEqual(rows(evaluateUplinkInterfaces(host, { managementAddress: '192.0.2.2' })), [
      LOOPBACK_ROW,
      ['ifb0', false, [['unsupported-kind', `is an ifb interface; ${NOT_UPLINK_KIND}`]], [DOWN_WARNING]],
      ['ifb1', false, [['unsupported-kind', `is an ifb interface; ${NOT_UPLINK_KIND}`]], [DOWN_WARNING]],
      [
        'eth0',
        false,
        [
          ['has-addresses', 'has addresses other than IPv6 link-local: 192.0.2.2/24, fd00::2/64'],
          ['management', 'carries the management address 192.0.2.2'],
        ],
        [],
      ],
    ]);
  });

  it('counts IPv4 link-local (169.254/16) as an address, unlike IPv6 link-local', () => {
    const facts = withInterface(vm, 'enp6s0', (nic) => ({
      ...nic,
      addresses: [address('169.254.10.20', 16, { scope: 'link' })],
    }));
    const verdict = evaluateUplinkInterfaces(facts).find((v) => v.interface.name === 'enp6s0');
    assert.deepEqual(verdict?.reasons, [
      { code: 'has-addresses', message: 'has addresses other than IPv6 link-local: 169.254.10.20/16' },
    ]);
  });

  it('accepts a bridge without addresses and names other masters', () => {
    const bridge = withInterface(server, 'br0', (nic) => ({ ...nic, addresses: [] }));
    assert.equal(evaluateUplinkInterfaces(bridge).find((v) => v.interface.name === 'br0')?.eligible, true);
    const vrf = withInterface(server, 'enp65s0f0np0', (nic) => ({
      ...nic,
      master: 'blue',
      masterKind: 'vrf',
    }));
    assert.deepEqual(
      evaluateUplinkInterfaces(vrf).find((v) => v.interface.name === 'enp65s0f0np0')?.reasons,
      [{ code: 'enslaved', message: 'is enslaved to blue (vrf)' }],
    );
  });
});

describe('evaluateAddressedInterfaces (§5.2)', () => {
  it('lists the interfaces with global addresses that are up', () => {
    const noGlobal: [string, string] = ['no-global-address', 'has no global address'];
    assert.deepEqual(
      evaluateAddressedInterfaces(server).map((v) => [
        v.interface.name,
        v.eligible,
        v.reasons.map((r) => [r.code, r.message]),
        v.addresses,
      ]),
      [
        ['lo', false, [['loopback', 'is the loopback interface'], noGlobal], []],
        ['eno1', false, [noGlobal, ['enslaved', 'is a member of bond bond0']], []],
        ['eno2', false, [noGlobal, ['enslaved', 'is a member of bond bond0']], []],
        ['eno3', false, [noGlobal], []],
        ['eno4', false, [noGlobal, ['enslaved', 'is a port of bridge br0']], []],
        ['enp65s0f0np0', false, [noGlobal], []],
        ['enp65s0f1np1', false, [noGlobal, ['down', 'is down']], []],
        ['enp66s0', false, [noGlobal, ['no-carrier', 'is up but has no carrier']], []],
        ['bond0', false, [noGlobal], []],
        ['bond0.100', true, [], ['10.0.100.11/24', '2001:db8:100::11/64']],
        ['bond0.200', true, [], ['10.0.200.11/24']],
        ['eno3.300', false, [noGlobal], []],
        ['br0', true, [], ['192.168.50.11/24']],
        ['wg0', true, [], ['10.99.0.11/24']],
      ],
    );
  });

  it('keeps only addresses inside a given subnet (the Ceph network, the underlay)', () => {
    const verdicts = new Map(
      evaluateAddressedInterfaces(server, { subnet: '10.0.200.0/24' }).map((v) => [v.interface.name, v]),
    );
    assert.deepEqual(
      [...verdicts.values()].filter((v) => v.eligible).map((v) => [v.interface.name, v.addresses]),
      [['bond0.200', ['10.0.200.11/24']]],
    );
    assert.deepEqual(verdicts.get('bond0.100')?.reasons, [
      {
        code: 'not-in-subnet',
        message: 'has no address in 10.0.200.0/24 (has 10.0.100.11/24, 2001:db8:100::11/64)',
      },
    ]);
    const v6 = evaluateAddressedInterfaces(server, { subnet: '2001:db8:100::/64' }).filter((v) => v.eligible);
    assert.deepEqual(
      v6.map((v) => [v.interface.name, v.addresses]),
      [['bond0.100', ['2001:db8:100::11/64']]],
    );
  });

  it('warns about dynamic addresses', () => {
    const verdict = evaluateAddressedInterfaces(lab).find((v) => v.interface.name === 'br0');
    assert.deepEqual(verdict?.warnings, [
      '10.2.123.11/24 is dynamic (DHCP or SLAAC); MicroCloud expects fixed addresses',
    ]);
    assert.equal(verdict?.eligible, true);
  });

  it('refuses interfaces LXD hides (named veth*)', () => {
    const facts = withInterface(lab, 'enp5s0', (nic) => ({ ...nic, name: 'veth4f2a9c1' }));
    assert.deepEqual(
      evaluateAddressedInterfaces(facts).find((v) => v.interface.name === 'veth4f2a9c1')?.reasons,
      [{ code: 'hidden-by-lxd', message: 'has a name starting with veth, so LXD does not list it' }],
    );
  });

  it('refuses a subnet that is not a CIDR', () => {
    assert.throws(() => evaluateAddressedInterfaces(server, { subnet: '10.0.200.0' }), {
      name: 'RangeError',
      message: 'subnet must be a CIDR such as 10.0.0.0/24, got "10.0.200.0"',
    });
  });
});

describe('host addresses and subnets (§5.3)', () => {
  it('lists every global unicast address with its subnet', () => {
    assert.deepEqual(globalUnicastAddresses(server), [
      {
        interfaceName: 'bond0.100',
        address: '10.0.100.11',
        prefixLength: 24,
        subnet: '10.0.100.0/24',
        dynamic: false,
      },
      {
        interfaceName: 'bond0.100',
        address: '2001:db8:100::11',
        prefixLength: 64,
        subnet: '2001:db8:100::/64',
        dynamic: false,
      },
      {
        interfaceName: 'bond0.200',
        address: '10.0.200.11',
        prefixLength: 24,
        subnet: '10.0.200.0/24',
        dynamic: false,
      },
      {
        interfaceName: 'br0',
        address: '192.168.50.11',
        prefixLength: 24,
        subnet: '192.168.50.0/24',
        dynamic: false,
      },
      {
        interfaceName: 'wg0',
        address: '10.99.0.11',
        prefixLength: 24,
        subnet: '10.99.0.0/24',
        dynamic: false,
      },
    ]);
  });

  it('finds the first address in a lookup subnet, as MicroCloud does', () => {
    assert.equal(findAddressInSubnet(server, '10.0.0.0/16')?.address, '10.0.100.11');
    assert.equal(findAddressInSubnet(server, '10.0.200.0/24')?.interfaceName, 'bond0.200');
    assert.equal(findAddressInSubnet(server, '172.16.0.0/12'), null);
    assert.throws(() => findAddressInSubnet(server, 'ten'), RangeError);
  });
});

describe('checkClusterAddress (§5.3)', () => {
  it('accepts an address of the host and gives its interface and subnet', () => {
    assert.deepEqual(checkClusterAddress(server, '10.0.100.11'), {
      ok: true,
      warnings: [],
      interfaceName: 'bond0.100',
      address: '10.0.100.11',
      prefixLength: 24,
      subnet: '10.0.100.0/24',
      dynamic: false,
    });
    assert.deepEqual(checkClusterAddress(server, '2001:DB8:100:0::11'), {
      ok: true,
      warnings: [],
      interfaceName: 'bond0.100',
      address: '2001:db8:100::11',
      prefixLength: 64,
      subnet: '2001:db8:100::/64',
      dynamic: false,
    });
    assert.equal(checkClusterAddress(vm, '10.1.123.10').ok, true);
  });

  it('warns about a dynamic address but accepts it (cloud VMs get theirs by DHCP)', () => {
    assert.deepEqual(checkClusterAddress(lab, '10.2.123.11'), {
      ok: true,
      warnings: ['10.2.123.11 is dynamic (DHCP or SLAAC) on br0; MicroCloud expects a fixed address'],
      interfaceName: 'br0',
      address: '10.2.123.11',
      prefixLength: 24,
      subnet: '10.2.123.0/24',
      dynamic: true,
    });
  });

  it('refuses what is not an address, or not a global unicast one', () => {
    const refusal = (candidate: string): unknown => {
      const check = checkClusterAddress(server, candidate);
      return check.ok ? null : check.reasons.map((r) => [r.code, r.message]);
    };
    assert.deepEqual(refusal('node1'), [['invalid-address', 'node1 is not an IP address']]);
    const notGlobal = 'the cluster address must be a global unicast address';
    assert.deepEqual(refusal('127.0.0.1'), [
      ['not-global-unicast', `127.0.0.1 is a loopback address; ${notGlobal}`],
    ]);
    assert.deepEqual(refusal('fe80::3eec:efff:fe12:3452'), [
      ['not-global-unicast', `fe80::3eec:efff:fe12:3452 is a link-local address; ${notGlobal}`],
    ]);
    assert.deepEqual(refusal('0.0.0.0'), [
      ['not-global-unicast', `0.0.0.0 is an unspecified address; ${notGlobal}`],
    ]);
    assert.deepEqual(refusal('239.1.2.3'), [
      ['not-global-unicast', `239.1.2.3 is a multicast address; ${notGlobal}`],
    ]);
  });

  it('refuses an address the host does not have, listing the ones it has', () => {
    assert.deepEqual(checkClusterAddress(server, '10.0.100.12'), {
      ok: false,
      address: '10.0.100.12',
      reasons: [
        {
          code: 'not-on-host',
          message:
            '10.0.100.12 is not configured on this host (its addresses: 10.0.100.11/24 on bond0.100, ' +
            '2001:db8:100::11/64 on bond0.100, 10.0.200.11/24 on bond0.200, 192.168.50.11/24 on br0, 10.99.0.11/24 on wg0)',
        },
      ],
    });
    const bare: NetworkFacts = {
      interfaces: server.interfaces.filter((nic) => nic.kind === 'loopback'),
      defaultRoutes: [],
    };
    assert.deepEqual(checkClusterAddress(bare, '10.0.100.11'), {
      ok: false,
      address: '10.0.100.11',
      reasons: [
        {
          code: 'not-on-host',
          message: '10.0.100.11 is not configured on this host (it has no global addresses)',
        },
      ],
    });
  });

  it('refuses an address on an interface that cannot carry it, and duplicate or unfinished addresses', () => {
    const reasonsOf = (facts: NetworkFacts, candidate: string): [string, string][] => {
      const check = checkClusterAddress(facts, candidate);
      return check.ok ? [] : check.reasons.map((r) => [r.code, r.message]);
    };
    const down = withInterface(vm, 'enp7s0', (nic) => ({ ...nic, adminUp: false, lowerUp: false }));
    assert.deepEqual(reasonsOf(down, '10.2.123.10'), [['down', '10.2.123.10 is on enp7s0, which is down']]);
    const unplugged = withInterface(vm, 'enp7s0', (nic) => ({ ...nic, lowerUp: false }));
    assert.deepEqual(reasonsOf(unplugged, '10.2.123.10'), [
      ['no-carrier', '10.2.123.10 is on enp7s0, which is up but has no carrier'],
    ]);
    const port = withInterface(server, 'eno4', (nic) => ({
      ...nic,
      addresses: [address('192.168.60.11', 24)],
    }));
    assert.deepEqual(reasonsOf(port, '192.168.60.11'), [
      ['enslaved', '192.168.60.11 is on eno4, which is a port of bridge br0'],
    ]);
    const veth = withInterface(lab, 'enp5s0', (nic) => ({ ...nic, name: 'veth0' }));
    assert.deepEqual(reasonsOf(veth, '10.1.123.11'), [
      [
        'hidden-by-lxd',
        '10.1.123.11 is on veth0, which has a name starting with veth, so LXD does not list it',
      ],
    ]);
    const duplicate = withInterface(vm, 'enp7s0', (nic) => ({
      ...nic,
      addresses: [address('10.1.123.10', 24)],
    }));
    assert.deepEqual(reasonsOf(duplicate, '10.1.123.10'), [
      ['ambiguous', '10.1.123.10 is configured on more than one interface: enp5s0, enp7s0'],
    ]);
    const dad = withInterface(vm, 'enp7s0', (nic) => ({
      ...nic,
      addresses: [
        address('2001:db8::7', 64, { tentative: true, dadFailed: true }),
        address('2001:db8::8', 64, { tentative: true }),
      ],
    }));
    assert.deepEqual(reasonsOf(dad, '2001:db8::7'), [
      ['duplicate-address', '2001:db8::7 failed duplicate address detection on enp7s0'],
    ]);
    assert.deepEqual(reasonsOf(dad, '2001:db8::8'), [
      ['tentative', '2001:db8::8 is still tentative on enp7s0 (duplicate address detection)'],
    ]);
  });

  it('warns about a deprecated address', () => {
    const facts = withInterface(vm, 'enp7s0', (nic) => ({
      ...nic,
      addresses: [address('2001:db8::9', 64, { deprecated: true })],
    }));
    const check = checkClusterAddress(facts, '2001:db8::9');
    assert.deepEqual(check.ok ? check.warnings : null, [
      '2001:db8::9 is deprecated on enp7s0 (its preferred lifetime ran out)',
    ]);
  });
});
