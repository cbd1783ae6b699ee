// mc probe's text report: the services line and the host header.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import {
  checkClusterAddress,
  evaluateDisks,
  evaluateUplinkInterfaces,
  parseHostFacts,
  parseLxdClusterMembers,
  parseLxdServer,
  parseMicroclusterMembers,
  type FactOutputs,
  type ServiceStates,
} from '../../src/domain/facts/index.js';
import { formatProbeReport, serviceLines } from '../../src/output/probe-report.js';

const fixture = (path: string): string =>
  readFileSync(new URL(`../fixtures/facts/${path}`, import.meta.url), 'utf8');

const server = parseLxdServer(fixture('sim/installed/lxd-server.json'));

describe('serviceLines', () => {
  it('says what each service is, the LXD version and the member counts', () => {
    const services: ServiceStates = {
      lxd: {
        state: 'clustered',
        server: { ...server, clustered: true },
        storagePools: ['local', 'remote'],
        members: parseLxdClusterMembers(fixture('sim/deployed/lxd-cluster-list.json')),
      },
      microceph: {
        state: 'bootstrapped',
        members: parseMicroclusterMembers('microceph', fixture('sim/deployed/microceph-cluster-list.json')),
      },
      microovn: { state: 'not installed' },
      microcloud: { state: 'not installed' },
    };
    assert.deepEqual(serviceLines(services, 'micro1'), [
      '  services: lxd 5.21.3 clustered (3 members), microceph bootstrapped (3), microovn not installed, microcloud not installed',
    ]);
  });

  it('names members that are not online or still joining, and every failure with its command', () => {
    const lxdMembers = parseLxdClusterMembers(fixture('reference/lxd-cluster-list.json')).map((m) =>
      m.name === 'micro4' ? { ...m, status: 'Offline' } : m,
    );
    const services: ServiceStates = {
      lxd: {
        state: 'clustered',
        server: { ...server, clustered: true },
        storagePools: [],
        members: lxdMembers,
      },
      microceph: {
        state: 'not running',
        command: 'microceph cluster list -f json',
        message: 'dial unix /var/snap/microceph/common/state/control.socket: connect: connection refused',
      },
      microovn: {
        state: 'bootstrapped',
        members: parseMicroclusterMembers('microovn', fixture('reference/microovn-cluster-list.json')),
      },
      microcloud: {
        state: 'error',
        command: 'microcloud cluster list -f json',
        message: 'This must be run as root',
      },
    };
    assert.deepEqual(serviceLines(services, 'micro1'), [
      '  services: lxd 5.21.3 clustered (4 members; micro4 Offline), microceph not running, microovn bootstrapped (3; micro2 UNREACHABLE; micro3 PENDING), microcloud error',
      '  microceph: `microceph cluster list -f json`: dial unix /var/snap/microceph/common/state/control.socket: connect: connection refused',
      '  microcloud: `microcloud cluster list -f json`: This must be run as root',
    ]);
  });

  it('says which service on which host is not answering, and what timed out', () => {
    const services: ServiceStates = {
      lxd: { state: 'not answering', command: 'lxc query /1.0', message: 'timed out after 10 s' },
      microceph: { state: 'not installed' },
      microovn: { state: 'not installed' },
      microcloud: { state: 'not installed' },
    };
    assert.deepEqual(serviceLines(services, 'node3'), [
      '  services: lxd not answering, microceph not installed, microovn not installed, microcloud not installed',
      '  lxd: LXD on node3 is not answering (`lxc query /1.0` timed out after 10 s)',
    ]);
  });

  it('tells LXD not initialised from initialised without a cluster', () => {
    const base: Omit<ServiceStates, 'lxd'> = {
      microceph: { state: 'not bootstrapped' },
      microovn: { state: 'not bootstrapped' },
      microcloud: { state: 'not bootstrapped' },
    };
    assert.deepEqual(serviceLines({ ...base, lxd: { state: 'not initialised', server } }, 'micro1'), [
      '  services: lxd 5.21.3 not initialised, microceph not bootstrapped, microovn not bootstrapped, microcloud not bootstrapped',
    ]);
    assert.match(
      serviceLines(
        { ...base, lxd: { state: 'initialised', server, storagePools: ['default'] } },
        'micro1',
      )[0] ?? '',
      /^ {2}services: lxd 5\.21\.3 initialised, not clustered \(storage pools: default\), /,
    );
  });
});

describe('formatProbeReport', () => {
  /** The 24.04 server's outputs, its `hostname` saying micro1. */
  function outputs(hostname: string): FactOutputs {
    return {
      osRelease: fixture('ubuntu-24.04/os-release'),
      kernel: fixture('captured/uname.txt'),
      memory: fixture('captured/meminfo'),
      cpuCount: fixture('captured/nproc.txt'),
      clock: fixture('captured/date.txt'),
      snaps: fixture('sim/fresh/snap-list.txt'),
      blockDevices: fixture('ubuntu-24.04/lsblk-O.json'),
      diskLinks: fixture('ubuntu-24.04/disk-links.txt'),
      interfaces: fixture('ubuntu-24.04/ip-addr.json'),
      defaultRoutes4: fixture('ubuntu-24.04/ip-route-default.json'),
      defaultRoutes6: fixture('ubuntu-24.04/ip-route6-default.json'),
      hostname,
    };
  }

  const report = (host: string, hostname: string): string => reportOf(host, (o) => ({ ...o, hostname }));
  const reportOf = (host: string, change: (o: FactOutputs) => FactOutputs): string => {
    const parsed = parseHostFacts(change(outputs('micro1\n')));
    assert.ok(parsed.ok);
    const facts = parsed.facts;
    return formatProbeReport([
      {
        host,
        facts,
        disks: evaluateDisks(facts.blockDevices, facts.diskLinks),
        uplinks: evaluateUplinkInterfaces(facts.network, { managementAddress: '10.0.100.11' }),
        reachedAt: '10.0.100.11',
        managementAddress: checkClusterAddress(facts.network, '10.0.100.11'),
        roundTrip: { sentAtMs: 0, receivedAtMs: 0 },
      },
    ]);
  };

  it('shows the host name in the header only where it differs from the inventory name', () => {
    assert.match(report('node1', 'micro1\n'), /^node1 \(hostname micro1\): Ubuntu 24\.04\.3 LTS, /m);
    assert.match(report('micro1', 'micro1\n'), /^micro1: Ubuntu 24\.04\.3 LTS, /m);
    assert.match(
      report('micro1', 'micro1\n'),
      /^micro1: .*\n {2}services: lxd not installed, microceph not installed, microovn not installed, microcloud not installed\n/m,
    );
  });

  it('says where `ip` cannot set up a FAN bridge, and only there', () => {
    const debian = reportOf('micro1', (o) => ({
      ...o,
      vxlanHelp: fixture('captured/ip-link-help-vxlan.txt'),
    }));
    assert.match(debian, /^ {2}no FAN: `ip` has no fan-map, LXD cannot create a FAN bridge here$/m);
    const ubuntu = reportOf('micro1', (o) => ({
      ...o,
      vxlanHelp: 'Usage: ... vxlan id VNI\n\t\t[ fan-map OVERLAY:UNDERLAY ]\n',
    }));
    assert.doesNotMatch(ubuntu, /no FAN/);
  });

  it('escapes what the host sent: a terminal escape in its OS name cannot retitle the terminal', () => {
    const text = reportOf('node1', (o) => ({
      ...o,
      osRelease: o.osRelease.replace(/^PRETTY_NAME=.*$/m, 'PRETTY_NAME="Ubuntu\u001b]0;pwned\u0007"'),
    }));
    assert.ok(!text.includes('\u001b') && !text.includes('\u0007'), JSON.stringify(text));
    assert.match(text, /^node1 \(hostname micro1\): Ubuntu\\x1b\]0;pwned\\x07, /m);
  });
});
