import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  DISK_LINKS_COMMAND,
  FactsParseError,
  parseDiskLinks,
  stableDiskPath,
  type DiskLink,
} from '../../../src/domain/facts/index.js';
import { fixture } from './helpers.js';

const ubuntu2404 = parseDiskLinks(fixture('ubuntu-24.04/disk-links.txt'));
const ubuntu2204 = parseDiskLinks(fixture('ubuntu-22.04/disk-links.txt'));

describe('parseDiskLinks', () => {
  it('is fed by one find command over by-id and by-path', () => {
    assert.equal(
      DISK_LINKS_COMMAND,
      "find /dev/disk/by-id /dev/disk/by-path -mindepth 1 -maxdepth 1 -type l -printf '%p %l\\n' 2>/dev/null || true",
    );
  });

  it('maps every link to the kernel name it resolves to', () => {
    assert.equal(ubuntu2404.length, 44);
    assert.deepEqual(
      ubuntu2404.filter((link) => link.target === 'sda'),
      [
        { directory: 'by-id', name: 'scsi-35000c500d1e2f3a4', target: 'sda' },
        { directory: 'by-id', name: 'scsi-SSEAGATE_ST4000NM0025_ZC1ABCDE', target: 'sda' },
        { directory: 'by-id', name: 'wwn-0x5000c500d1e2f3a4', target: 'sda' },
        { directory: 'by-path', name: 'pci-0000:03:00.0-sas-phy0-lun-0', target: 'sda' },
      ],
    );
    assert.deepEqual(
      ubuntu2404.filter((link) => link.target === 'dm-0').map((link) => link.name),
      [
        'dm-name-ubuntu--vg-ubuntu--lv',
        'dm-uuid-LVM-Qv3mN8pX2rT5wY7zA1bC4dE6fG9hJ0kLm4Nq7Rs2Tu5Vw8Xy1Za3Bc6De9Fg2Hi',
      ],
    );
    assert.deepEqual(
      ubuntu2204.filter((link) => link.target === 'vda'),
      [
        { directory: 'by-path', name: 'pci-0000:0a:00.0', target: 'vda' },
        { directory: 'by-path', name: 'virtio-pci-0000:0a:00.0', target: 'vda' },
      ],
    );
  });

  it('accepts no output (no udev links, as on the machine the captured fixtures come from)', () => {
    assert.deepEqual(parseDiskLinks(fixture('captured/disk-links.txt')), []);
    assert.deepEqual(parseDiskLinks('\n'), []);
  });

  it('accepts absolute link targets', () => {
    assert.deepEqual(parseDiskLinks('/dev/disk/by-id/wwn-0x5000c500a1b2c3d4 /dev/sdb\n'), [
      { directory: 'by-id', name: 'wwn-0x5000c500a1b2c3d4', target: 'sdb' },
    ]);
  });

  it('refuses ls -l output and other directories, naming the line', () => {
    const refuse = (text: string, message: string): void => {
      assert.throws(
        () => parseDiskLinks(text),
        (error: unknown) => error instanceof FactsParseError && error.message === message,
      );
    };
    const expected =
      'expected `/dev/disk/by-id/NAME ../../KERNELNAME` or `/dev/disk/by-path/NAME ../../KERNELNAME`';
    refuse(
      '/dev/disk/by-id/wwn-0x1 ../../sda\nlrwxrwxrwx 1 root root 9 Nov 21 12:00 wwn-0x5000c500a1b2c3d4 -> ../../sda',
      `disk links: line 2: ${expected}, got "lrwxrwxrwx 1 root root 9 Nov 21 12:00 wwn-0x5000c500a1b2c3d4 -> ../../sda"`,
    );
    refuse(
      '/dev/disk/by-uuid/6E21-9A4F ../../sdd1',
      `disk links: line 1: ${expected}, got "/dev/disk/by-uuid/6E21-9A4F ../../sdd1"`,
    );
  });
});

describe('stableDiskPath', () => {
  it('prefers wwn-, then NVMe namespace ids, then scsi-, then virtio-, then the rest', () => {
    assert.deepEqual(stableDiskPath('sda', ubuntu2404), {
      path: '/dev/disk/by-id/wwn-0x5000c500d1e2f3a4',
      kind: 'by-id',
    });
    assert.deepEqual(stableDiskPath('nvme1n1', ubuntu2404), {
      path: '/dev/disk/by-id/nvme-eui.36344730523456780025384500000001',
      kind: 'by-id',
    });
    assert.deepEqual(stableDiskPath('sdb', ubuntu2204), {
      path: '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_lxd_disk1',
      kind: 'by-id',
    });
    assert.deepEqual(stableDiskPath('vdb', ubuntu2204), {
      path: '/dev/disk/by-id/virtio-smalldisk',
      kind: 'by-id',
    });
    assert.deepEqual(stableDiskPath('sdd', ubuntu2404), {
      path: '/dev/disk/by-id/usb-SanDisk_Ultra_4C530001230812345678-0:0',
      kind: 'by-id',
    });
  });

  it('breaks ties as LXD does: the last name in sorted order', () => {
    const links: DiskLink[] = [
      { directory: 'by-id', name: 'scsi-35000c500a1b2c3d4', target: 'sdx' },
      { directory: 'by-id', name: 'scsi-SATA_ST4000NM0035_ZC12345', target: 'sdx' },
      { directory: 'by-id', name: 'ata-ST4000NM0035_ZC12345', target: 'sdx' },
    ];
    assert.equal(stableDiskPath('sdx', links).path, '/dev/disk/by-id/scsi-SATA_ST4000NM0035_ZC12345');
  });

  it('falls back to by-path (virtio without a serial), then to /dev/NAME', () => {
    assert.deepEqual(stableDiskPath('vda', ubuntu2204), {
      path: '/dev/disk/by-path/virtio-pci-0000:0a:00.0',
      kind: 'by-path',
    });
    assert.deepEqual(stableDiskPath('vda', []), { path: '/dev/vda', kind: 'kernel' });
  });

  it('never uses links that name logical devices (LVM PV, device-mapper, md)', () => {
    const links: DiskLink[] = [
      { directory: 'by-id', name: 'lvm-pv-uuid-hR3kVd-0aZq-Lp7T-xW2m-Yb9N-cE4f-Gs1uJo', target: 'sde' },
      { directory: 'by-id', name: 'md-uuid-1b2c3d4e:5f6a7b8c:9d0e1f2a:3b4c5d6e', target: 'sde' },
      { directory: 'by-path', name: 'pci-0000:00:17.0-ata-5.0', target: 'sde' },
    ];
    assert.deepEqual(stableDiskPath('sde', links), {
      path: '/dev/disk/by-path/pci-0000:00:17.0-ata-5.0',
      kind: 'by-path',
    });
  });
});
