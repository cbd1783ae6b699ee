import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  deviceChain,
  descendantsOf,
  FactsParseError,
  parseLsblk,
  type BlockDevice,
  type BlockDeviceFacts,
} from '../../../src/domain/facts/index.js';
import { fixture } from './helpers.js';

function device(facts: BlockDeviceFacts, kernelName: string): BlockDevice {
  const found = facts.devices.find((d) => d.kernelName === kernelName);
  assert.ok(found, `no device ${kernelName}`);
  return found;
}

/** The fields the eligibility rules read, for comparing parses of different column sets. */
function essentials(facts: BlockDeviceFacts): unknown[] {
  return facts.devices.map((d) => ({
    name: d.name,
    kernelName: d.kernelName,
    path: d.path,
    type: d.type,
    sizeBytes: d.sizeBytes,
    readOnly: d.readOnly,
    removable: d.removable,
    fsType: d.fsType,
    mountpoints: d.mountpoints,
    parents: d.parents,
    children: d.children,
  }));
}

function parseError(text: string): FactsParseError {
  try {
    parseLsblk(text);
  } catch (error) {
    assert.ok(error instanceof FactsParseError);
    return error;
  }
  assert.fail('expected a FactsParseError');
}

describe('parseLsblk: captured on this machine (util-linux 2.38.1, no udev)', () => {
  const facts = parseLsblk(fixture('captured/lsblk-O.json'));

  it('lists every device once, partitions linked to their disk', () => {
    assert.deepEqual(
      facts.devices.map((d) => [d.kernelName, d.type, d.parents, d.children]),
      [
        ['loop0', 'loop', [], ['loop0p1', 'loop0p2']],
        ['loop0p1', 'part', ['loop0'], []],
        ['loop0p2', 'part', ['loop0'], []],
        ['loop1', 'loop', [], []],
        ['loop2', 'loop', [], []],
        ['loop3', 'loop', [], []],
        ['loop4', 'loop', [], []],
        ['zram0', 'disk', [], []],
        ['vda', 'disk', [], []],
      ],
    );
    assert.equal(facts.hasPartitionTableColumn, true);
    assert.equal(facts.hasSubsystemsColumn, true);
  });

  it('reads sizes, flags, mounts and subsystems', () => {
    assert.deepEqual(device(facts, 'vda'), {
      name: 'vda',
      kernelName: 'vda',
      path: '/dev/vda',
      majorMinor: '254:0',
      type: 'disk',
      sizeBytes: 274877906944,
      readOnly: false,
      removable: false,
      rotational: true,
      model: null,
      serial: null,
      wwn: null,
      // lsblk falls back to sysfs device/vendor: the virtio PCI vendor id.
      vendor: '0x1af4',
      hctl: null,
      transport: null,
      subsystems: ['block', 'virtio', 'pci'],
      fsType: null,
      fsLabel: null,
      partitionTableType: null,
      mountpoints: ['/run/netns', '/'],
      parents: [],
      children: [],
    });
    assert.deepEqual(device(facts, 'loop0p1').mountpoints, ['/tmp/mcfacts-cap/mnt-part']);
    assert.equal(device(facts, 'loop4').readOnly, true);
    assert.equal(device(facts, 'zram0').sizeBytes, 0);
    assert.deepEqual(device(facts, 'zram0').subsystems, ['block']);
  });

  it('gives the same devices from the narrow -o column set and from -l list output', () => {
    const narrow = parseLsblk(fixture('captured/lsblk-o.json'));
    assert.deepEqual(essentials(narrow), essentials(facts));
    assert.equal(narrow.hasPartitionTableColumn, false);
    assert.equal(narrow.hasSubsystemsColumn, false);
    assert.equal(device(narrow, 'vda').subsystems, null);
    // -l prints partitions after every whole device; the devices are the same.
    const list = parseLsblk(fixture('captured/lsblk-list.json'));
    const byName = (a: BlockDevice, b: BlockDevice): number => a.kernelName.localeCompare(b.kernelName);
    assert.deepEqual(
      essentials({ ...list, devices: [...list.devices].sort(byName) }),
      essentials({ ...facts, devices: [...facts.devices].sort(byName) }),
    );
    assert.equal(list.hasPartitionTableColumn, true);
  });
});

describe('parseLsblk: Ubuntu 24.04 server (util-linux 2.39.3)', () => {
  const facts = parseLsblk(fixture('ubuntu-24.04/lsblk-O.json'));

  it('reads an NVMe disk with an LVM root on its third partition', () => {
    const nvme = device(facts, 'nvme0n1');
    assert.deepEqual(
      [nvme.model, nvme.serial, nvme.wwn, nvme.transport, nvme.partitionTableType, nvme.children],
      [
        'SAMSUNG MZQL2960HCJR-00A07',
        'S64FNE0R812345',
        'eui.36344630528123450025384500000001',
        'nvme',
        'gpt',
        ['nvme0n1p1', 'nvme0n1p2', 'nvme0n1p3'],
      ],
    );
    const lv = device(facts, 'dm-0');
    assert.deepEqual(
      [lv.name, lv.path, lv.type, lv.fsType, lv.mountpoints, lv.parents],
      ['ubuntu--vg-ubuntu--lv', '/dev/mapper/ubuntu--vg-ubuntu--lv', 'lvm', 'ext4', ['/'], ['nvme0n1p3']],
    );
    assert.deepEqual(device(facts, 'nvme0n1p3').fsType, 'LVM2_member');
    assert.deepEqual(
      descendantsOf(facts, nvme).map((d) => d.name),
      ['nvme0n1p1', 'nvme0n1p2', 'nvme0n1p3', 'ubuntu--vg-ubuntu--lv'],
    );
    assert.deepEqual(
      deviceChain(facts, nvme, lv)?.map((d) => d.name),
      ['nvme0n1', 'nvme0n1p3', 'ubuntu--vg-ubuntu--lv'],
    );
    assert.equal(deviceChain(facts, device(facts, 'sda'), lv), null);
  });

  it('trims padded vendor names and reads SAS, USB and CD-ROM devices', () => {
    const sas = device(facts, 'sda');
    assert.deepEqual(
      [sas.vendor, sas.wwn, sas.transport, sas.hctl, sas.rotational],
      ['SEAGATE', '0x5000c500d1e2f3a4', 'sas', '0:0:0:0', true],
    );
    const usb = device(facts, 'sdd');
    assert.deepEqual(
      [usb.removable, usb.transport, usb.subsystems],
      [true, 'usb', ['block', 'scsi', 'usb', 'pci']],
    );
    assert.deepEqual([device(facts, 'sr0').type, device(facts, 'sr0').removable], ['rom', true]);
    assert.deepEqual(device(facts, 'sdb').mountpoints, ['/srv/data']);
    assert.deepEqual(device(facts, 'sdc').fsType, 'xfs');
  });
});

describe('parseLsblk: Ubuntu 22.04 VM (util-linux 2.37.2)', () => {
  const facts = parseLsblk(fixture('ubuntu-22.04/lsblk-O.json'));

  it('reads a partitioned root disk, virtio disks and the cloud-init CD-ROM', () => {
    assert.deepEqual(device(facts, 'sda').children, ['sda1', 'sda14', 'sda15']);
    assert.deepEqual(device(facts, 'sda1').mountpoints, ['/']);
    assert.deepEqual(device(facts, 'sda15').mountpoints, ['/boot/efi']);
    const vda = device(facts, 'vda');
    assert.deepEqual([vda.serial, vda.transport, vda.subsystems], [null, null, ['block', 'virtio', 'pci']]);
    assert.deepEqual([device(facts, 'sr0').fsType, device(facts, 'sr0').fsLabel], ['iso9660', 'cidata']);
  });

  it('gives the same devices from the narrow -o column set', () => {
    const narrow = parseLsblk(fixture('ubuntu-22.04/lsblk-o.json'));
    assert.deepEqual(essentials(narrow), essentials(facts));
    assert.equal(narrow.hasPartitionTableColumn, false);
  });
});

describe('parseLsblk: older and other output forms', () => {
  it('reads util-linux 2.34 (Ubuntu 20.04), which has only the MOUNTPOINT column', () => {
    const facts = parseLsblk(
      JSON.stringify({
        blockdevices: [
          {
            name: 'sda',
            size: 10737418240,
            type: 'disk',
            ro: false,
            rm: false,
            fstype: null,
            mountpoint: null,
            children: [
              {
                name: 'sda1',
                size: 10736369664,
                type: 'part',
                ro: false,
                rm: false,
                fstype: 'ext4',
                mountpoint: '/',
              },
            ],
          },
        ],
      }),
    );
    assert.deepEqual(
      facts.devices.map((d) => [d.name, d.path, d.mountpoints, d.parents]),
      [
        ['sda', '/dev/sda', [], []],
        ['sda1', '/dev/sda1', ['/'], ['sda']],
      ],
    );
  });

  it('reads util-linux before 2.33, which printed every value as a string', () => {
    const facts = parseLsblk(
      '{"blockdevices": [{"name": "sdb", "size": "4000787030016", "type": "disk", "ro": "1", "rm": "0", ' +
        '"rota": "1", "fstype": null, "mountpoint": null}]}',
    );
    const sdb = facts.devices[0];
    assert.deepEqual(
      [sdb?.sizeBytes, sdb?.readOnly, sdb?.removable, sdb?.rotational],
      [4000787030016, true, false, true],
    );
  });

  it('strips /dev/ from `lsblk -p` names and merges a device printed under two parents', () => {
    const lv = {
      name: '/dev/mapper/data-lv',
      kname: '/dev/dm-0',
      size: 2147483648,
      type: 'lvm',
      ro: false,
      rm: false,
      fstype: 'xfs',
      mountpoints: ['/data'],
    };
    const disk = (name: string): Record<string, unknown> => ({
      name: `/dev/${name}`,
      size: 1073741824,
      type: 'disk',
      ro: false,
      rm: false,
      fstype: 'LVM2_member',
      mountpoints: [null],
      children: [lv],
    });
    const facts = parseLsblk(JSON.stringify({ blockdevices: [disk('sdb'), disk('sdc')] }));
    assert.deepEqual(
      facts.devices.map((d) => [d.name, d.kernelName, d.path, d.parents, d.children]),
      [
        ['sdb', 'sdb', '/dev/sdb', [], ['dm-0']],
        ['data-lv', 'dm-0', '/dev/mapper/data-lv', ['sdb', 'sdc'], []],
        ['sdc', 'sdc', '/dev/sdc', [], ['dm-0']],
      ],
    );
  });

  it('treats a null size (no media) as 0', () => {
    const facts = parseLsblk(
      '{"blockdevices":[{"name":"sr0","size":null,"type":"rom","ro":false,"rm":true,"fstype":null,"mountpoints":[null]}]}',
    );
    assert.equal(facts.devices[0]?.sizeBytes, 0);
  });
});

describe('parseLsblk: refuses output that is not lsblk JSON', () => {
  const disk = (fields: Record<string, unknown>): string =>
    JSON.stringify({
      blockdevices: [
        {
          name: 'sda',
          size: 1,
          type: 'disk',
          ro: false,
          rm: false,
          fstype: null,
          mountpoints: [null],
          ...fields,
        },
      ],
    });

  it('names the command when the text is not JSON', () => {
    const error = parseError('NAME MAJ:MIN RM SIZE RO TYPE MOUNTPOINTS\nsda    8:0    0  10G  0 disk');
    assert.equal(error.source, 'lsblk');
    assert.equal(error.location, '$');
    assert.equal(error.expected, 'JSON from `lsblk -J -b -O`');
    assert.match(
      error.message,
      /^lsblk: \$: expected JSON from `lsblk -J -b -O`, got "NAME MAJ:MIN RM SIZE RO TYPE MOUNTPOINTS" \(/,
    );
    assert.equal(parseError('').message, 'lsblk: $: expected JSON from `lsblk -J -b -O`, got empty output');
  });

  it('names the missing or malformed field and what was expected', () => {
    const cases: [string, string][] = [
      ['[]', 'lsblk: $: expected an object with "blockdevices", got []'],
      ['{"devices":[]}', 'lsblk: $.blockdevices: expected an array, got nothing'],
      [
        disk({ size: '10G' }),
        'lsblk: $.blockdevices[0].size: expected a size in bytes (run lsblk with -b), got "10G"',
      ],
      [
        disk({ size: -1 }),
        'lsblk: $.blockdevices[0].size: expected a size in bytes (run lsblk with -b), got -1',
      ],
      [
        disk({ fstype: undefined }),
        'lsblk: $.blockdevices[0].fstype: expected the FSTYPE column (run `lsblk -J -b -O`), got nothing',
      ],
      [
        disk({ mountpoints: undefined }),
        'lsblk: $.blockdevices[0].mountpoints: expected the MOUNTPOINTS or MOUNTPOINT column (run `lsblk -J -b -O`), got nothing',
      ],
      [disk({ ro: 'yes' }), 'lsblk: $.blockdevices[0].ro: expected true or false (or "1"/"0"), got "yes"'],
      [disk({ name: '' }), 'lsblk: $.blockdevices[0].name: expected a non-empty string, got ""'],
      [
        disk({ mountpoints: [5] }),
        'lsblk: $.blockdevices[0].mountpoints[0]: expected a mount point or null, got 5',
      ],
      [disk({ children: [5] }), 'lsblk: $.blockdevices[0].children[0]: expected an object, got 5'],
      [disk({ model: 7 }), 'lsblk: $.blockdevices[0].model: expected a string or null, got 7'],
      [disk({ 'maj:min': 8 }), 'lsblk: $.blockdevices[0]["maj:min"]: expected a string or null, got 8'],
    ];
    for (const [text, message] of cases) assert.equal(parseError(text).message, message);
  });
});
