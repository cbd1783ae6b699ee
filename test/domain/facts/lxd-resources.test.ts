import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  evaluateLxdDisks,
  LXD_RESOURCES_COMMAND,
  microCloudDiskPath,
  parseLxdResources,
  type LxdDisk,
} from '../../../src/domain/facts/index.js';
import { failure, fixture } from './helpers.js';

/** The parse error for LXD resources text. */
function resourcesFailure(text: string): string {
  return failure(() => parseLxdResources(text));
}

describe('parseLxdResources', () => {
  it('is fed by lxc query', () => {
    assert.equal(LXD_RESOURCES_COMMAND, 'lxc query /1.0/resources');
  });

  it('reads the captured LXD 5.0.2 output (no `mounted` field, empty device_id)', () => {
    const resources = parseLxdResources(fixture('captured/lxd-resources.json'));
    assert.deepEqual(
      [resources.architecture, resources.cpuThreads, resources.memoryTotalBytes !== null],
      ['x86_64', 2, true],
    );
    assert.deepEqual(resources.disks, [
      {
        id: 'vda',
        device: '254:0',
        model: null,
        type: 'virtio',
        readOnly: false,
        sizeBytes: 274877906944,
        removable: false,
        wwn: null,
        deviceId: null,
        devicePath: null,
        serial: null,
        rpm: 1,
        blockSize: 0,
        pciAddress: '0000:00:02.0',
        usbAddress: null,
        mounted: null,
        usedBy: null,
        partitions: [],
      },
    ]);
    assert.deepEqual(resources.networkCards, [
      {
        driver: 'virtio_net',
        pciAddress: '0000:00:03.0',
        vendor: null,
        product: null,
        usbAddress: null,
        ports: [
          {
            id: 'eth0',
            macAddress: '02:fc:00:00:00:01',
            port: 0,
            protocol: 'ethernet',
            linkDetected: true,
            linkSpeedMbps: null,
          },
        ],
      },
    ]);
  });

  it('reads an LXD 5.21 server with partitions, mount state and NIC ports', () => {
    const resources = parseLxdResources(fixture('ubuntu-24.04/lxd-resources.json'));
    assert.deepEqual(
      resources.disks.map((d) => [
        d.id,
        d.type,
        d.mounted,
        d.removable,
        d.partitions.map((p) => [p.id, p.partition, p.mounted]),
      ]),
      [
        [
          'nvme0n1',
          'nvme',
          true,
          false,
          [
            ['nvme0n1p1', 1, true],
            ['nvme0n1p2', 2, true],
            ['nvme0n1p3', 3, false],
          ],
        ],
        ['nvme1n1', 'nvme', false, false, []],
        ['sda', 'scsi', false, false, []],
        ['sdb', 'scsi', true, false, []],
        ['sdc', 'scsi', false, false, []],
        ['sdd', 'scsi', false, true, [['sdd1', 1, false]]],
        ['sr0', 'cdrom', false, true, []],
      ],
    );
    assert.deepEqual(
      resources.networkCards.map((card) =>
        card.ports.map((port) => [port.id, port.linkDetected, port.linkSpeedMbps]),
      ),
      [
        [['eno1', true, 10000]],
        [['eno2', true, 10000]],
        [['eno3', true, 1000]],
        [['eno4', true, 1000]],
        [['enp65s0f0np0', true, 25000]],
        [['enp65s0f1np1', false, null]],
        [['enp66s0', false, null]],
      ],
    );
  });

  it('accepts a raw API response and null lists (Go marshals empty slices as null)', () => {
    const resources = parseLxdResources(
      JSON.stringify({
        type: 'sync',
        status: 'Success',
        metadata: {
          storage: {
            disks: [{ id: 'sdb', read_only: false, size: 10737418240, partitions: null }],
            total: 1,
          },
          network: { cards: null, total: 0 },
        },
      }),
    );
    assert.deepEqual(
      [resources.disks.map((d) => [d.id, d.partitions]), resources.networkCards, resources.architecture],
      [[['sdb', []]], [], null],
    );
  });

  it('refuses other output', () => {
    assert.match(
      resourcesFailure('Error: not authorized'),
      /^lxd resources: \$: expected JSON from `lxc query \/1\.0\/resources`, got "Error: not authorized" \(/,
    );
    assert.equal(
      resourcesFailure('[]'),
      'lxd resources: $: expected the resources object from `lxc query /1.0/resources`, got []',
    );
    assert.equal(resourcesFailure('{"cpu":{}}'), 'lxd resources: $.storage: expected an object, got nothing');
    assert.equal(
      resourcesFailure('{"storage":{"disks":[{"id":"sdb","read_only":false,"size":"10G"}]}}'),
      'lxd resources: $.storage.disks[0].size: expected an integer of at least 0, got "10G"',
    );
  });
});

describe('evaluateLxdDisks: what MicroCloud itself would offer (§4.2)', () => {
  it('offers every disk without partitions that is not a CD-ROM, even mounted or formatted ones', () => {
    const verdicts = evaluateLxdDisks(parseLxdResources(fixture('ubuntu-24.04/lxd-resources.json')));
    assert.deepEqual(
      verdicts.map((v) => [
        v.path,
        v.microCloud.reasons.map((r) => [r.code, r.message]),
        v.microCeph.reasons.map((r) => [r.code, r.message]),
      ]),
      [
        [
          '/dev/disk/by-id/nvme-eui.36344630528123450025384500000001',
          [['partitioned', 'has partitions: nvme0n1p1, nvme0n1p2, nvme0n1p3']],
          [['mounted', 'is mounted, or one of its partitions is']],
        ],
        ['/dev/disk/by-id/nvme-eui.36344730523456780025384500000001', [], []],
        ['/dev/disk/by-id/wwn-0x5000c500d1e2f3a4', [], []],
        [
          '/dev/disk/by-id/wwn-0x5002538f4123abcd',
          [],
          [['mounted', 'is mounted, or one of its partitions is']],
        ],
        ['/dev/disk/by-id/wwn-0x50014ee2b1234567', [], []],
        [
          '/dev/disk/by-id/usb-SanDisk_Ultra_4C530001230812345678-0:0',
          [['partitioned', 'has partitions: sdd1']],
          [],
        ],
        [
          '/dev/disk/by-id/usb-AMI_Virtual_CDROM0_AAAABBBBCCCC1-0:0',
          [['cdrom', 'is a CD/DVD drive']],
          [['too-small', 'is 0B; a Ceph OSD needs at least 2.00GiB']],
        ],
      ],
    );
    assert.deepEqual(
      verdicts.map((v) => [v.microCloud.eligible, v.microCeph.eligible]),
      [
        [false, false],
        [true, true],
        [true, true],
        [true, false],
        [true, true],
        [false, true],
        [false, false],
      ],
    );
  });

  it('offers the captured root disk: LXD 5.0 reports neither partitions nor mounts for a whole-disk filesystem', () => {
    const [vda] = evaluateLxdDisks(parseLxdResources(fixture('captured/lxd-resources.json')));
    assert.deepEqual(
      [vda?.path, vda?.microCloud.eligible, vda?.microCeph.eligible],
      ['/dev/vda', true, true],
    );
  });

  it('refuses read-only disks for MicroCeph', () => {
    const disk: LxdDisk = {
      id: 'sdx',
      device: '8:96',
      model: null,
      type: 'scsi',
      readOnly: true,
      sizeBytes: 1024 ** 3,
      removable: false,
      wwn: null,
      deviceId: null,
      devicePath: 'pci-0000:00:17.0-ata-6.0',
      serial: null,
      rpm: 0,
      blockSize: 512,
      pciAddress: null,
      usbAddress: null,
      mounted: false,
      usedBy: null,
      partitions: [],
    };
    const [verdict] = evaluateLxdDisks({
      architecture: null,
      cpuThreads: null,
      memoryTotalBytes: null,
      disks: [disk],
      networkCards: [],
    });
    assert.deepEqual(verdict?.microCeph.reasons, [
      { code: 'read-only', message: 'is read-only' },
      { code: 'too-small', message: 'is 1.00GiB; a Ceph OSD needs at least 2.00GiB' },
    ]);
    assert.equal(microCloudDiskPath(disk), '/dev/disk/by-path/pci-0000:00:17.0-ata-6.0');
  });
});
