import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parse as parseYaml } from 'yaml';

import { createSimLab, getMachine } from '../../../src/lab/sim/index.js';
import { lsblkHumanSize } from '../../../src/lab/sim/programs/lsblk.js';
import { fixture, ok, sh } from './helpers.js';

type Json = Record<string, unknown>;

/** JSON type of a value, with null kept apart, so key sets and value types can be compared. */
function shape(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const LSBLK_COLUMNS = 'NAME,PATH,SIZE,TYPE,RO,RM,MOUNTPOINTS,FSTYPE,PTTYPE,MODEL,SERIAL,WWN,TRAN,ROTA';

describe('lsblk (§10.2)', () => {
  it('prints the same keys and JSON types as the reference capture', async () => {
    const world = createSimLab({ hosts: 1 });
    const reference = JSON.parse(fixture('lsblk-reference.json')) as { blockdevices: Json[] };
    const output = JSON.parse(await ok(world, 'micro1', `lsblk -J -b -o ${LSBLK_COLUMNS}`)) as {
      blockdevices: Json[];
    };
    const referenceDisk = reference.blockdevices[1] as Json;
    const referencePart = (reference.blockdevices[0]?.['children'] as Json[])[0] as Json;
    const disks = output.blockdevices.filter((d) => d['type'] === 'disk');
    assert.ok(disks.length >= 4);
    for (const disk of disks) {
      const keys = Object.keys(disk).filter((k) => k !== 'children');
      assert.deepEqual(keys, Object.keys(referenceDisk));
      for (const key of ['size', 'ro', 'rm', 'rota', 'mountpoints'])
        assert.equal(shape(disk[key]), shape(referenceDisk[key]), key);
    }
    const sda = disks.find((d) => d['name'] === 'sda') as Json;
    assert.deepEqual(sda, {
      name: 'sda',
      path: '/dev/sda',
      size: 10 * 1024 ** 3,
      type: 'disk',
      ro: false,
      rm: false,
      mountpoints: [null],
      fstype: null,
      pttype: null,
      model: 'QEMU HARDDISK',
      serial: 'lxd_disk1',
      wwn: null,
      tran: 'scsi',
      rota: true,
    });
    const root = disks.find((d) => d['name'] === 'vda') as Json;
    const parts = root['children'] as Json[];
    assert.deepEqual(
      parts.map((p) => [p['name'], p['mountpoints']]),
      [
        ['vda1', ['/']],
        ['vda14', [null]],
        ['vda15', ['/boot/efi']],
        ['vda16', ['/boot']],
      ],
    );
    for (const part of parts) for (const key of Object.keys(referencePart)) assert.ok(key in part, key);
    // Snaps are mounted squashfs loop devices on a real host too.
    assert.ok(
      output.blockdevices.some(
        (d) => d['type'] === 'loop' && (d['mountpoints'] as string[])[0] === '/snap/snapd/25202',
      ),
    );
  });

  it('knows which columns the installed util-linux has (ID-LINK needs 2.39)', async () => {
    const noble = createSimLab({ hosts: 1, release: '24.04' });
    const devices = JSON.parse(await ok(noble, 'micro1', 'lsblk -J -d -o NAME,ID-LINK /dev/sdb')) as {
      blockdevices: Json[];
    };
    assert.deepEqual(devices.blockdevices, [
      { name: 'sdb', 'id-link': 'scsi-0QEMU_QEMU_HARDDISK_lxd_disk2' },
    ]);
    const jammy = createSimLab({ hosts: 1, release: '22.04' });
    const refused = await sh(jammy, 'micro1', 'lsblk -J -o NAME,ID-LINK');
    assert.equal(refused.exitCode, 1);
    assert.equal(refused.stderr, 'lsblk: unknown column: ID-LINK\n');
    const missing = await sh(jammy, 'micro1', 'lsblk /dev/sdz');
    assert.equal(missing.stderr, 'lsblk: /dev/sdz: not a block device\n');
  });

  it('prints human sizes like util-linux without -b', async () => {
    assert.equal(lsblkHumanSize(10 * 1024 ** 3), '10G');
    assert.equal(lsblkHumanSize(110100480), '105M');
    assert.equal(lsblkHumanSize(10620960256), '9.9G');
    assert.equal(lsblkHumanSize(512), '512B');
    const world = createSimLab({ hosts: 1 });
    const table = await ok(world, 'micro1', 'lsblk -d -o NAME,SIZE,TYPE');
    assert.match(table, /^NAME\s+SIZE TYPE$/m);
    assert.match(table, /^sdc\s+40G disk$/m);
  });
});

describe('ip (§10.3)', () => {
  it('`ip -j addr` has the reference key set and the machine’s addresses', async () => {
    const world = createSimLab({ hosts: 1 });
    const reference = JSON.parse(fixture('ip-addr-reference.json')) as Json[];
    const links = JSON.parse(await ok(world, 'micro1', 'ip -j addr')) as Json[];
    assert.deepEqual(
      links.map((l) => l['ifname']),
      ['lo', 'enp5s0', 'enp6s0'],
    );
    links.forEach((link, index) => {
      assert.deepEqual(Object.keys(link), Object.keys(reference[index] as Json), String(link['ifname']));
      assert.deepEqual(link['flags'], (reference[index] as Json)['flags']);
    });
    const mgmt = links[1] as Json;
    const addrInfo = mgmt['addr_info'] as Json[];
    const referenceInfo = (reference[1] as Json)['addr_info'] as Json[];
    assert.deepEqual(Object.keys(addrInfo[0] as Json), Object.keys(referenceInfo[0] as Json));
    assert.deepEqual(Object.keys(addrInfo[1] as Json), Object.keys(referenceInfo[1] as Json));
    assert.deepEqual(
      [
        addrInfo[0]?.['local'],
        addrInfo[0]?.['prefixlen'],
        addrInfo[0]?.['broadcast'],
        addrInfo[0]?.['scope'],
      ],
      ['10.1.123.11', 24, '10.1.123.255', 'global'],
    );
    assert.equal(addrInfo[1]?.['local'], 'fe80::216:3eff:fe00:101');
    assert.deepEqual((links[2] as Json)['addr_info'], []);
  });

  it('`ip -j -d link` adds details; a DOWN uplink loses UP/LOWER_UP', async () => {
    const world = createSimLab({ hosts: 1, machine: () => ({ uplinkState: 'DOWN' }) });
    const links = JSON.parse(await ok(world, 'micro1', 'ip -j -d link')) as Json[];
    const uplink = links.find((l) => l['ifname'] === 'enp6s0') as Json;
    assert.deepEqual(uplink['flags'], ['BROADCAST', 'MULTICAST']);
    assert.equal(uplink['operstate'], 'DOWN');
    for (const key of [
      'linkmode',
      'promiscuity',
      'min_mtu',
      'max_mtu',
      'inet6_addr_gen_mode',
      'num_tx_queues',
      'parentbus',
      'parentdev',
    ]) {
      assert.ok(key in uplink, key);
    }
    assert.equal(uplink['parentdev'], '0000:06:00.0');
    assert.ok(!('addr_info' in uplink));
    const plain = JSON.parse(await ok(world, 'micro1', 'ip -j link show enp5s0')) as Json[];
    assert.equal(plain.length, 1);
    assert.ok(!('linkinfo' in (plain[0] as Json)) && !('parentdev' in (plain[0] as Json)));
    const missing = await sh(world, 'micro1', 'ip -j addr show dev eth9');
    assert.equal(missing.stderr, 'Device "eth9" does not exist.\n');
  });

  it('`ip -j route` lists the default route and the connected subnet', async () => {
    const world = createSimLab({ hosts: 1 });
    const routes = JSON.parse(await ok(world, 'micro1', 'ip -j route')) as Json[];
    assert.deepEqual(routes, [
      { dst: 'default', gateway: '10.1.123.1', dev: 'enp5s0', protocol: 'static', flags: [] },
      {
        dst: '10.1.123.0/24',
        dev: 'enp5s0',
        protocol: 'kernel',
        scope: 'link',
        prefsrc: '10.1.123.11',
        flags: [],
      },
    ]);
    getMachine(world, 'micro1').routes = [];
    assert.equal(await ok(world, 'micro1', 'ip route show default'), '');
  });
});

describe('cluster list formats (§10.7, §6)', () => {
  it('renders -f csv/json/yaml/compact/table and rejects unknown formats', async () => {
    const world = createSimLab({ hosts: 1 });
    await ok(world, 'micro1', 'snap install microceph microcloud lxd');
    await ok(world, 'micro1', 'microceph cluster bootstrap');
    const csv = await ok(world, 'micro1', 'microceph cluster list -f csv');
    assert.match(csv, /^micro1,10\.1\.123\.11:7443,voter,[0-9a-f]{64},ONLINE\n$/);
    const yaml = parseYaml(await ok(world, 'micro1', 'microceph cluster list -f yaml')) as Json[];
    assert.equal(yaml[0]?.['name'], 'micro1');
    const compact = await ok(world, 'micro1', 'microceph cluster list -f compact');
    assert.match(compact, /^ {2}NAME {4}ADDRESS {11}ROLE {3}FINGERPRINT/);
    const table = await ok(world, 'micro1', 'microceph cluster list');
    assert.match(
      table,
      /^\+--------\+------------------\+-------\+-{66}\+--------\+\n\| {2}NAME {2}\| {5}ADDRESS {6}\| ROLE {2}\|/,
    );
    const invalid = await sh(world, 'micro1', 'microceph cluster list -f xml');
    assert.equal(invalid.stderr, 'Error: Invalid format "xml"\n');
    const fingerprint = csv.split(',')[3];
    const json = JSON.parse(await ok(world, 'micro1', 'microceph cluster list -f json')) as Json[];
    assert.deepEqual(Object.keys(json[0] as Json), [
      'name',
      'address',
      'certificate',
      'role',
      'schema_internal_version',
      'schema_external_version',
      'last_heartbeat',
      'status',
      'extensions',
      'secret',
    ]);
    // The fingerprint column is the SHA-256 of the member certificate.
    const { createHash } = await import('node:crypto');
    const pem = String((json[0] as Json)['certificate']);
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\n/g, ''), 'base64');
    assert.equal(createHash('sha256').update(der).digest('hex'), fingerprint);
  });
});
