import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  CLOCK_COMMAND,
  estimateClockOffset,
  findSnap,
  HOSTNAME_COMMAND,
  MEMINFO_COMMAND,
  NPROC_COMMAND,
  OS_RELEASE_COMMAND,
  parseClock,
  parseHostname,
  parseMemTotal,
  parseNproc,
  parseOsRelease,
  parseSnapList,
  parseUname,
  SNAP_LIST_COMMAND,
  UNAME_COMMAND,
} from '../../../src/domain/facts/index.js';
import { failure, fixture } from './helpers.js';

describe('commands', () => {
  it('are the documented command lines', () => {
    assert.deepEqual(
      [OS_RELEASE_COMMAND, UNAME_COMMAND, MEMINFO_COMMAND, NPROC_COMMAND, CLOCK_COMMAND, SNAP_LIST_COMMAND],
      [
        'cat /etc/os-release',
        'uname -r -m',
        'cat /proc/meminfo',
        'nproc',
        'date +%s.%N',
        'LC_ALL=C snap list',
      ],
    );
  });
});

describe('parseOsRelease', () => {
  it('reads Ubuntu 24.04 and 22.04', () => {
    const noble = parseOsRelease(fixture('ubuntu-24.04/os-release'));
    assert.deepEqual(
      [noble.id, noble.idLike, noble.versionId, noble.versionCodename, noble.prettyName, noble.name],
      ['ubuntu', ['debian'], '24.04', 'noble', 'Ubuntu 24.04.3 LTS', 'Ubuntu'],
    );
    assert.equal(noble.values['UBUNTU_CODENAME'], 'noble');
    const jammy = parseOsRelease(fixture('ubuntu-22.04/os-release'));
    assert.deepEqual([jammy.versionId, jammy.versionCodename], ['22.04', 'jammy']);
  });

  it('reads the captured Debian 12 file', () => {
    const debian = parseOsRelease(fixture('captured/os-release'));
    assert.deepEqual(
      [debian.id, debian.idLike, debian.versionId, debian.versionCodename, debian.prettyName],
      ['debian', [], '12', 'bookworm', 'Debian GNU/Linux 12 (bookworm)'],
    );
  });

  it('unquotes single and double quotes, skips comments, defaults ID to linux', () => {
    const parsed = parseOsRelease(
      '# written by hand\nNAME=\'My "Linux"\'\nPRETTY_NAME="say \\"hi\\" for \\$5"\nID_LIKE="rhel  fedora"\nVERSION_ID=\n',
    );
    assert.deepEqual(
      [parsed.id, parsed.name, parsed.prettyName, parsed.idLike, parsed.versionId],
      ['linux', 'My "Linux"', 'say "hi" for $5', ['rhel', 'fedora'], null],
    );
  });

  it('refuses other text', () => {
    assert.equal(
      failure(() => parseOsRelease('ID=ubuntu\ncat: /etc/os-release: No such file')),
      'os-release: line 2: expected KEY=value, got "cat: /etc/os-release: No such file"',
    );
    assert.equal(
      failure(() => parseOsRelease('\n')),
      'os-release: line 1: expected KEY=value lines from /etc/os-release, got empty output',
    );
    assert.equal(
      failure(() => parseOsRelease('NAME="Ubuntu')),
      'os-release: line 1: expected a value closed by ", got "Ubuntu',
    );
  });
});

describe('memory, CPUs, kernel', () => {
  it('reads the captured /proc/meminfo, nproc and uname', () => {
    assert.equal(parseMemTotal(fixture('captured/meminfo')), 24684084 * 1024);
    assert.equal(parseNproc(fixture('captured/nproc.txt')), 2);
    assert.deepEqual(parseUname(fixture('captured/uname.txt')), {
      release: '6.18.44-fc-v669',
      machine: 'x86_64',
    });
    assert.deepEqual(parseUname('6.8.0-45-generic aarch64\n'), {
      release: '6.8.0-45-generic',
      machine: 'aarch64',
    });
  });

  it('refuses other text', () => {
    assert.equal(
      failure(() => parseMemTotal('MemFree: 1 kB\n')),
      'meminfo: MemTotal: expected a `MemTotal: <n> kB` line from /proc/meminfo, got none',
    );
    assert.equal(
      failure(() => parseNproc('0\n')),
      'nproc: line 1: expected a positive whole number, got "0"',
    );
    assert.equal(
      failure(() => parseNproc('nproc: not found')),
      'nproc: line 1: expected a positive whole number, got "nproc: not found"',
    );
    assert.equal(
      failure(() => parseUname('Linux\n')),
      'uname: line 1: expected the kernel release and machine from `uname -r -m`, got "Linux"',
    );
    assert.equal(
      failure(() => parseUname('Linux host 6.8.0 x86_64')),
      'uname: line 1: expected the kernel release and machine from `uname -r -m`, got "Linux host 6.8.0 x86_64"',
    );
  });
});

describe('clock', () => {
  it('reads the captured `date +%s.%N`', () => {
    const captured = parseClock(fixture('captured/date.txt')).epochMs;
    assert.ok(Math.abs(captured - (1795263176 * 1000 + 468.000857)) < 1e-3, String(captured));
    assert.equal(parseClock('1700000000\n').epochMs, 1700000000000);
    assert.equal(parseClock('1700000000.5').epochMs, 1700000000500);
  });

  it('estimates the offset from the middle of the round trip', () => {
    assert.deepEqual(estimateClockOffset({ epochMs: 10_250 }, 10_000, 10_100), {
      offsetMs: 200,
      uncertaintyMs: 50,
    });
    assert.deepEqual(estimateClockOffset({ epochMs: 9_950 }, 10_000, 10_100), {
      offsetMs: -100,
      uncertaintyMs: 50,
    });
  });

  it('refuses busybox date, which prints %N as is', () => {
    assert.equal(
      failure(() => parseClock('1700000000.%N')),
      'date: line 1: expected seconds.nanoseconds from GNU `date +%s.%N`, got "1700000000.%N"',
    );
  });
});

describe('parseSnapList (§10.1)', () => {
  it('reads a MicroCloud member: verified publisher, held and in-cohort snaps', () => {
    const snaps = parseSnapList(fixture('ubuntu-24.04/snap-list.txt'));
    assert.deepEqual(
      snaps.map((s) => s.name),
      ['core22', 'core24', 'lxd', 'microceph', 'microcloud', 'microovn', 'snapd'],
    );
    assert.deepEqual(findSnap(snaps, 'microceph'), {
      name: 'microceph',
      version: '19.2.0+snapab139d4a1f',
      revision: '1393',
      tracking: 'squid/stable',
      publisher: 'canonical',
      publisherMark: 'verified',
      notes: ['in-cohort', 'held'],
      held: true,
      inCohort: true,
    });
    assert.deepEqual(findSnap(snaps, 'snapd')?.notes, ['snapd']);
    assert.equal(findSnap(snaps, 'lxc'), undefined);
  });

  it('reads the non-Unicode form and an Ubuntu branch channel (22.04 cloud image)', () => {
    const lxd = findSnap(parseSnapList(fixture('ubuntu-22.04/snap-list.txt')), 'lxd');
    assert.deepEqual(lxd, {
      name: 'lxd',
      version: '5.0.3-80aeff7',
      revision: '29619',
      tracking: '5.0/stable/ubuntu-22.04',
      publisher: 'canonical',
      publisherMark: 'verified',
      notes: [],
      held: false,
      inCohort: false,
    });
  });

  it('reads sideloaded snaps, starred publishers and the old Developer header', () => {
    const snaps = parseSnapList(
      'Name   Version  Rev  Tracking  Publisher  Notes\n' +
        'hello  2.10     x1   -         -          -\n' +
        'kubectl 1.31.0  3446 1.31/stable kubernetes✪ classic\n' +
        'nats   2.10.4   22   latest/edge  synadia*  -\n',
    );
    assert.deepEqual(
      snaps.map((s) => [s.name, s.revision, s.tracking, s.publisher, s.publisherMark, s.notes]),
      [
        ['hello', 'x1', null, null, null, []],
        ['kubectl', '3446', '1.31/stable', 'kubernetes', 'starred', ['classic']],
        ['nats', '22', 'latest/edge', 'synadia', 'starred', []],
      ],
    );
    const old = parseSnapList('Name  Version  Rev  Developer  Notes\ncore  16-2.30  3748  canonical  core\n');
    assert.deepEqual(
      old.map((s) => [s.name, s.tracking, s.publisher, s.notes]),
      [['core', null, 'canonical', ['core']]],
    );
  });

  it('reads an empty list', () => {
    assert.deepEqual(parseSnapList(''), []);
    assert.deepEqual(parseSnapList("No snaps are installed yet. Try 'snap install hello-world'.\n"), []);
  });

  it('refuses other text', () => {
    assert.equal(
      failure(() => parseSnapList('error: cannot communicate with server: connection refused\n')),
      'snap list: line 1: expected the header `Name Version Rev Tracking Publisher Notes`, ' +
        'got "error: cannot communicate with server: connection refused"',
    );
    assert.equal(
      failure(() =>
        parseSnapList('Name  Version  Rev  Tracking  Publisher  Notes\n\nlxd  5.21.3  33110  5.21/stable\n'),
      ),
      'snap list: line 3: expected 6 columns (Name Version Rev Tracking Publisher Notes), got 4 in "lxd  5.21.3  33110  5.21/stable"',
    );
  });
});

describe('parseHostname', () => {
  it('reads what `hostname` prints (simulator, and an FQDN)', () => {
    assert.equal(HOSTNAME_COMMAND, 'hostname');
    assert.equal(parseHostname(fixture('sim/fresh/hostname.txt')), 'micro1');
    assert.equal(parseHostname('node-1.lab.example.com\n'), 'node-1.lab.example.com');
  });

  it('refuses empty output and anything that is not one name', () => {
    assert.equal(
      failure(() => parseHostname('\n')),
      'hostname: line 1: expected one host name (letters, digits, "-", "_" and "."), got empty output',
    );
    assert.equal(
      failure(() => parseHostname('hostname: command not found\n')),
      'hostname: line 1: expected one host name (letters, digits, "-", "_" and "."), got "hostname: command not found"',
    );
  });
});
