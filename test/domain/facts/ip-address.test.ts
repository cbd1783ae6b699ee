import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  cidrContains,
  cidrSize,
  isGlobalUnicast,
  isIpv6LinkLocal,
  nonGlobalClass,
  parseCidr,
  parseIpAddress,
  subnetOf,
  type IpAddress,
} from '../../../src/domain/facts/index.js';

function ip(text: string): IpAddress {
  const parsed = parseIpAddress(text);
  assert.ok(parsed, `${text} did not parse`);
  return parsed;
}

describe('parseIpAddress', () => {
  it('parses IPv4 and IPv6 to numbers and canonical text', () => {
    assert.deepEqual(ip('10.1.123.10'), { family: 4, value: 0x0a017b0an, text: '10.1.123.10' });
    assert.deepEqual(ip('2001:DB8:0:0:0:0:0:1'), {
      family: 6,
      value: 0x20010db8000000000000000000000001n,
      text: '2001:db8::1',
    });
    assert.equal(ip('fe80::216:3eff:fe5a:7b01%enp5s0').text, 'fe80::216:3eff:fe5a:7b01');
    assert.equal(ip('::').text, '::');
    assert.equal(ip('::1').text, '::1');
    assert.equal(ip('1:0:0:2:0:0:0:3').text, '1:0:0:2::3');
    assert.equal(ip('1:2:3:4:5:6:7::').text, '1:2:3:4:5:6:7:0');
    assert.equal(ip('1:0:2:3:4:5:6:7').text, '1:0:2:3:4:5:6:7');
    assert.equal(ip('::ffff:192.0.2.1').text, '::ffff:192.0.2.1');
    assert.equal(ip('64:ff9b::192.0.2.1').text, '64:ff9b::c000:201');
  });

  it('rejects anything else', () => {
    for (const text of [
      '',
      'node1',
      '10.0.0',
      '10.0.0.256',
      '010.0.0.1',
      '1.2.3.4.5',
      '1::2::3',
      '12345::',
      ':1',
      '1:2:3:4:5:6:7:8:9',
      '::ffff:1.2.3',
    ]) {
      assert.equal(parseIpAddress(text), null, text);
    }
  });
});

describe('subnets', () => {
  it('parses CIDRs, clearing host bits', () => {
    assert.deepEqual(parseCidr('10.1.123.10/24'), {
      family: 4,
      network: 0x0a017b00n,
      prefixLength: 24,
      text: '10.1.123.0/24',
    });
    assert.equal(parseCidr('2001:db8:100::11/64')?.text, '2001:db8:100::/64');
    assert.equal(parseCidr('0.0.0.0/0')?.text, '0.0.0.0/0');
    for (const text of ['10.0.0.0', '10.0.0.0/33', '2001:db8::/129', 'x/24', '10.0.0.0/ 24']) {
      assert.equal(parseCidr(text), null, text);
    }
  });

  it('tells whether an address is inside, never across families', () => {
    const subnet = parseCidr('10.1.123.0/24');
    assert.ok(subnet);
    assert.equal(cidrContains(subnet, ip('10.1.123.254')), true);
    assert.equal(cidrContains(subnet, ip('10.1.124.1')), false);
    assert.equal(cidrContains(subnet, ip('::a01:7b0a')), false);
    assert.equal(cidrSize(subnet), 256n);
    assert.equal(cidrSize(subnetOf(ip('2001:db8::1'), 64)), 2n ** 64n);
    assert.throws(() => subnetOf(ip('10.0.0.1'), 33), {
      name: 'RangeError',
      message: 'prefix length 33 is out of range for IPv4',
    });
  });
});

describe('address classes (Go IsGlobalUnicast, §5.3)', () => {
  it('classifies non-global addresses', () => {
    const cases: [string, string | null][] = [
      ['10.0.0.1', null],
      ['192.0.2.2', null],
      ['fd42:1:1234:1234::10', null],
      ['2001:db8::1', null],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['255.255.255.255', 'broadcast'],
      ['127.0.0.53', 'loopback'],
      ['::1', 'loopback'],
      ['224.0.0.251', 'multicast'],
      ['ff02::1', 'multicast'],
      ['169.254.1.1', 'link-local'],
      ['fe80::1', 'link-local'],
      ['febf::1', 'link-local'],
      ['fec0::1', null],
      ['::ffff:127.0.0.1', 'loopback'],
    ];
    for (const [text, expected] of cases) {
      assert.equal(nonGlobalClass(ip(text)), expected, text);
      assert.equal(isGlobalUnicast(ip(text)), expected === null, text);
    }
    assert.equal(isIpv6LinkLocal(ip('fe80::1')), true);
    assert.equal(isIpv6LinkLocal(ip('169.254.1.1')), false);
  });
});
