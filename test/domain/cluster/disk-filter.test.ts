import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  lsblkDiskView,
  lxdDiskView,
  matchesDiskFilter,
  parseByteSize,
  parseDiskFilter,
  unavailableFields,
  type DiskFilterView,
} from '../../../src/domain/cluster/disk-filter.js';
import { parseDiskLinks, parseLsblk, parseLxdResources } from '../../../src/domain/facts/index.js';
import { fixture } from '../facts/helpers.js';

/** §10.4's disk as LXD 5.21 reports it. */
const SDB: DiskFilterView = lxdDiskView(
  parseLxdResources(
    JSON.stringify({
      storage: {
        disks: [
          {
            id: 'sdb',
            device: '8:16',
            model: 'QEMU HARDDISK',
            type: 'scsi',
            read_only: false,
            mounted: false,
            size: 10737418240,
            removable: false,
            numa_node: 0,
            device_path: 'pci-0000:06:00.0-scsi-0:0:0:1',
            block_size: 512,
            firmware_version: '2.5+',
            rpm: 1,
            serial: 'lxd_disk1',
            device_id: 'scsi-0QEMU_QEMU_HARDDISK_lxd_disk1',
            partitions: [],
            pci_address: '0000:06:00.0',
            device_fs_uuid: '',
          },
        ],
      },
    }),
  ).disks[0] ?? assert.fail('no disk'),
);

function matches(expression: string, view: DiskFilterView = SDB): boolean {
  const parsed = parseDiskFilter(expression);
  if (!parsed.ok) assert.fail(parsed.error);
  return matchesDiskFilter(parsed.clauses, view);
}

function error(expression: string): string {
  const parsed = parseDiskFilter(expression);
  if (parsed.ok) assert.fail(`"${expression}" parsed`);
  return parsed.error;
}

describe('disk filters: LXD semantics', () => {
  it('matches *suffix as upstream tests use it (Go reads ^* as a repeated anchor)', () => {
    assert.equal(matches('device_id == *lxd_disk1'), true);
    assert.equal(matches('device_id == *lxd_disk2'), false);
    assert.equal(matches('device_id != *lxd_disk2'), true);
  });

  it('anchors regular expressions and compares case-insensitively', () => {
    assert.equal(matches('model == qemu.*'), true);
    assert.equal(matches('model == QEMU'), false, 'anchored: a prefix is not a match');
    assert.equal(matches('serial == ^lxd'), true, 'a written ^ leaves the end open');
    assert.equal(matches('type == SCSI'), true);
  });

  it('falls back to plain equality when the value is no valid expression', () => {
    assert.equal(matches('model == "QEMU HARDDISK"'), true);
    assert.equal(matches('firmware_version == (2.5+'), false);
    assert.equal(matches('id == sdb['), false);
  });

  it('compares sizes with LXD byte suffixes, and numbers as numbers', () => {
    assert.equal(parseByteSize('5GiB'), 5 * 1024 ** 3);
    assert.equal(parseByteSize('10GB'), 10e9);
    assert.equal(parseByteSize('1024'), 1024);
    assert.equal(parseByteSize('1.5GiB'), null);
    assert.equal(parseByteSize('5gib'), null);
    assert.equal(matches('size > 5GiB'), true);
    assert.equal(matches('size >= 10GiB && size <= 10GiB'), true);
    assert.equal(matches('size < 10GB'), false, '10 GiB is more than 10 GB');
    assert.equal(matches('rpm == 1'), true);
  });

  it('reads booleans as Go does and negates a clause with !', () => {
    assert.equal(matches('read_only == false'), true);
    assert.equal(matches('read_only == F'), true);
    assert.equal(matches('! read_only == true'), true);
    assert.equal(matches('! mounted == 0'), false);
  });

  it('combines clauses strictly from left to right', () => {
    // (true || false) && false = false; with precedence it would be true.
    assert.equal(matches('type == scsi || type == nvme && size > 1TiB'), false);
    assert.equal(matches('size > 1TiB && type == nvme || type == scsi'), true);
  });

  it('joins quoted words and accepts a quoted single word', () => {
    assert.equal(matches('model == \'QEMU HARDDISK\' && type == "scsi"'), true);
  });

  it('reports what LXD would only find while matching', () => {
    assert.equal(error(''), 'the filter is empty');
    assert.equal(error('size >'), 'clause "size >" has no value');
    assert.equal(error('size'), 'clause "size" has no operator');
    assert.equal(error('!'), 'incomplete not clause');
    assert.equal(error('model == "QEMU HARD'), 'unterminated quote in the value of "model"');
    assert.equal(error('size > 5GiB and type == nvme'), 'expected && or || after "size > 5GiB", got "and"');
    assert.equal(error('size > 5GiB &&'), 'nothing after the final &&');
    assert.equal(error('Size > 5GiB'), 'unknown field "Size" (did you mean "size"?)');
    assert.equal(
      error('serialnumber == x'),
      `unknown field "serialnumber" (fields: ${Object.keys(SDB).join(', ')})`,
    );
    assert.equal(error('size ~= 5'), 'unsupported operator "~=" (use ==, !=, <, >, <= or >=)');
    assert.equal(error('model > a'), 'Invalid operator ">" for field "model"');
    assert.equal(
      error('size > 1.5GiB'),
      'size takes a whole number with an optional unit (B, kB, MB, GB, TB, KiB, MiB, GiB, TiB, ...), not "1.5GiB"',
    );
    assert.equal(error('rpm == fast'), 'rpm is a whole number, not "fast"');
    assert.equal(error('mounted == no'), 'mounted is true or false, not "no"');
  });
});

describe('disk filters: the view built from lsblk before LXD runs', () => {
  const blockDevices = parseLsblk(fixture('ubuntu-22.04/lsblk-O.json'));
  const links = parseDiskLinks(fixture('ubuntu-22.04/disk-links.txt'));
  const resources = parseLxdResources(fixture('ubuntu-24.04/lxd-resources.json'));
  const view = (name: string): DiskFilterView => {
    const device = blockDevices.devices.find((candidate) => candidate.kernelName === name);
    if (device === undefined) assert.fail(`no ${name}`);
    return lsblkDiskView(device, blockDevices, links);
  };

  it("gives the fields LXD would, from lsblk's columns and the udev links", () => {
    assert.deepEqual(view('sdb'), {
      id: 'sdb',
      device: '8:16',
      model: 'QEMU HARDDISK',
      type: 'scsi',
      read_only: false,
      mounted: false,
      size: 10737418240,
      removable: false,
      wwn: '',
      device_path: 'pci-0000:04:00.0-scsi-0:0:0:1',
      rpm: 1,
      serial: 'lxd_disk1',
      device_id: 'scsi-0QEMU_QEMU_HARDDISK_lxd_disk1',
    });
    assert.equal(view('sda').mounted, true, 'a mounted partition makes the disk mounted');
    assert.equal(view('sr0').type, 'cdrom');
    assert.equal(view('vda').type, 'virtio');
  });

  it('says which fields only LXD can give', () => {
    const parsed = parseDiskFilter('pci_address == 0000:06:00.0 && size > 1GiB');
    assert.ok(parsed.ok);
    assert.deepEqual(unavailableFields(parsed.clauses, view('sdb')), ['pci_address']);
    const lxd = resources.disks[0];
    assert.ok(lxd !== undefined);
    assert.deepEqual(unavailableFields(parsed.clauses, lxdDiskView(lxd)), []);
  });
});
