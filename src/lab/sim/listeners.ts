// The TCP sockets a simulated host listens on: what `ss -Hltn` prints, and what a daemon asked to listen on
// a port would collide with. Derived from the model, never stored, so it cannot drift from it.
//
// Modelled listeners (a fresh Ubuntu server image, then what each modelled daemon opens):
// - systemd-resolved's stub 127.0.0.53%lo:53, and on 24.04 (systemd 255) also its proxy stub 127.0.0.54:53;
// - sshd on 0.0.0.0:22 and [::]:22 (IPV6_V6ONLY). 24.04 starts it from systemd's ssh.socket, whose backlog is
//   the kernel's somaxconn (4096); 22.04 runs sshd itself, which listens with backlog 128 (SSH_LISTEN_BACKLOG);
// - each microcluster daemon whose snap is installed and whose `<snap>.daemon` unit is active, on its
//   `ip:port` once bootstrapped or joined; the MicroCloud daemon listens on [::]:9443 before that (§0,
//   PreInitListenAddress). Go listens with backlog somaxconn (4096) and makes `[::]` sockets dual-stack, which
//   ss prints as `*`;
// - LXD on core.https_address, and on cluster.https_address when that is not covered by it (lxd/endpoints);
// - OVN central members (MicroOVN 24.03 microovn/ovn/cluster/cluster.go and snapcraft/commands/
//   ovn-ovsdb-server-*.start): the NB/SB databases on pssl:6641:[::] and pssl:6642:[::] (dual-stack: OVS's
//   inet_open_passive sets no IPV6_V6ONLY) and their raft ports 6643/6644 on the member's address, all with
//   OVS's backlog 10;
// - Ceph monitors on the mon address: msgr2 3300 and v1 6789 with Ceph's ms_tcp_listen_backlog (512).
// Not modelled: Ceph mgr/mds/osd ports (6800-7300, picked at start), LXD's dnsmasq and forwards, anything
// a test starts by hand. The order is IPv4 sockets, then IPv6, each by port: the kernel's hash order is not.

import { clusterOf, memberNameOf } from './microcluster.js';
import { canonicalNetworkAddress, goSplitHostPort, isAddressCovered } from './lxd.js';
import { machineAddresses, type Machine, type MicroclusterServiceName } from './machine.js';
import { canonicalIp, cidrContains, familyOf, isGlobalUnicast, parseCidr, splitHostPort } from './net.js';
import { ovnServicesOn } from './ovn.js';
import { activeSession } from './session.js';
import type { World } from './world.js';

export interface TcpListener {
  /** The socket's address family: a dual-stack `[::]` socket is an AF_INET6 socket. */
  family: 'inet' | 'inet6';
  /** Bound address: `0.0.0.0`, `::`, or one address of the host. */
  ip: string;
  /** An AF_INET6 wildcard socket without IPV6_V6ONLY, which also takes IPv4 connections (ss: `*`). */
  dualStack: boolean;
  /** SO_BINDTODEVICE interface (ss prints `%lo` after the address). */
  device: string | null;
  port: number;
  /** listen(2) backlog, capped by somaxconn: what ss shows as Send-Q of a listening socket. */
  backlog: number;
  /** Who holds it: sshd, systemd-resolved, microceph, microovn, microcloud, lxd, ovsdb-server, ceph-mon. */
  owner: string;
}

/** Go's listen backlog (somaxconn on Ubuntu 22.04 and 24.04 kernels). */
const GO_BACKLOG = 4096;
/** OVS lib/socket-util.c inet_open_passive: listen(fd, 10). */
const OVS_BACKLOG = 10;
/** Ceph's ms_tcp_listen_backlog default. */
const CEPH_BACKLOG = 512;

const MICROCLUSTER_SERVICES: readonly MicroclusterServiceName[] = ['microceph', 'microovn', 'microcloud'];

/** Whether the snap's daemon runs: installed (the model has its daemon) and its unit not stopped. */
export function daemonRunning(machine: Machine, snap: MicroclusterServiceName | 'lxd'): boolean {
  if (!machine.daemons[snap]) return false;
  return machine.services[`${snap}.daemon`]?.active ?? true;
}

/** A Go `net.Listen("tcp", hostPort)` socket. */
function goListener(hostPort: string, owner: string): TcpListener | null {
  const split = goSplitHostPort(hostPort);
  const port = Number(split?.port);
  if (!split || !Number.isInteger(port)) return null;
  const host = split.host;
  if (host === '' || host === '::') {
    return { family: 'inet6', ip: '::', dualStack: true, device: null, port, backlog: GO_BACKLOG, owner };
  }
  const family = familyOf(host);
  if (!family) return null;
  return { family, ip: host, dualStack: false, device: null, port, backlog: GO_BACKLOG, owner };
}

function sshAndResolved(machine: Machine): TcpListener[] {
  const noble = machine.os.versionId === '24.04';
  const sshBacklog = noble ? 4096 : 128;
  const listeners: TcpListener[] = [
    {
      family: 'inet',
      ip: '127.0.0.53',
      dualStack: false,
      device: 'lo',
      port: 53,
      backlog: 4096,
      owner: 'systemd-resolved',
    },
    {
      family: 'inet',
      ip: '0.0.0.0',
      dualStack: false,
      device: null,
      port: 22,
      backlog: sshBacklog,
      owner: 'sshd',
    },
    {
      family: 'inet6',
      ip: '::',
      dualStack: false,
      device: null,
      port: 22,
      backlog: sshBacklog,
      owner: 'sshd',
    },
  ];
  if (noble) {
    listeners.push({
      family: 'inet',
      ip: '127.0.0.54',
      dualStack: false,
      device: null,
      port: 53,
      backlog: 4096,
      owner: 'systemd-resolved',
    });
  }
  return listeners;
}

function microclusterListeners(machine: Machine): TcpListener[] {
  const listeners: TcpListener[] = [];
  for (const service of MICROCLUSTER_SERVICES) {
    const daemon = machine.daemons[service];
    if (!daemon || !daemonRunning(machine, service)) continue;
    const address = daemon.address ?? (service === 'microcloud' ? '[::]:9443' : null);
    const listener = address === null ? null : goListener(address, service);
    if (listener) listeners.push(listener);
  }
  return listeners;
}

function lxdListeners(machine: Machine): TcpListener[] {
  const daemon = machine.daemons.lxd;
  if (!daemon || !daemonRunning(machine, 'lxd')) return [];
  const core = daemon.config['core.https_address'] ?? '';
  const cluster = daemon.config['cluster.https_address'] ?? '';
  const addresses: string[] = [];
  if (core !== '') addresses.push(canonicalNetworkAddress(core));
  if (cluster !== '' && (core === '' || !isAddressCovered(cluster, core)))
    addresses.push(canonicalNetworkAddress(cluster));
  return addresses.flatMap((address) => goListener(address, 'lxd') ?? []);
}

/** The member's own address in a microcluster service (`ip` of its `ip:port`). */
function memberIp(machine: Machine, service: MicroclusterServiceName): string | null {
  const address = machine.daemons[service]?.address;
  return address ? (splitHostPort(address)?.host ?? null) : null;
}

function ovnListeners(world: World, machine: Machine): TcpListener[] {
  const cluster = clusterOf(world, machine, 'microovn');
  const ip = memberIp(machine, 'microovn');
  if (!cluster || !ip || !daemonRunning(machine, 'microovn')) return [];
  if (!ovnServicesOn(cluster, memberNameOf(machine, 'microovn')).includes('central')) return [];
  const family = familyOf(ip) ?? 'inet';
  const listeners: TcpListener[] = [];
  for (const [db, port] of [
    ['nb', 6641],
    ['sb', 6642],
  ] as const) {
    if (machine.services[`microovn.ovn-ovsdb-server-${db}`]?.active === false) continue;
    listeners.push(
      {
        family: 'inet6',
        ip: '::',
        dualStack: true,
        device: null,
        port,
        backlog: OVS_BACKLOG,
        owner: 'ovsdb-server',
      },
      {
        family,
        ip,
        dualStack: false,
        device: null,
        port: port + 2,
        backlog: OVS_BACKLOG,
        owner: 'ovsdb-server',
      },
    );
  }
  return listeners;
}

function cephListeners(world: World, machine: Machine): TcpListener[] {
  const cluster = clusterOf(world, machine, 'microceph');
  if (!cluster?.ceph || !daemonRunning(machine, 'microceph')) return [];
  const member = memberNameOf(machine, 'microceph');
  const runsMon = cluster.ceph.services.some((s) => s.member === member && s.service === 'mon');
  if (!runsMon || machine.services['microceph.mon']?.active === false) return [];
  // The mon binds to the host's address on the public network (MicroCeph picks it with FindIpOnSubnet).
  const network = parseCidr(cluster.ceph.config['public_network'] ?? '');
  const onPublic = network
    ? machineAddresses(machine)
        .map(({ assignment }) => assignment.address)
        .find((ip) => isGlobalUnicast(ip) && cidrContains(network, ip))
    : undefined;
  const ip = onPublic ?? memberIp(machine, 'microceph');
  if (!ip) return [];
  const family = familyOf(ip) ?? 'inet';
  return [3300, 6789].map((port) => ({
    family,
    ip,
    dualStack: false,
    device: null,
    port,
    backlog: CEPH_BACKLOG,
    owner: 'ceph-mon',
  }));
}

/** Every listening TCP socket of the host, IPv4 first, then IPv6, each by port. */
export function tcpListeners(world: World, machine: Machine): TcpListener[] {
  const all = [
    ...sshAndResolved(machine),
    ...microclusterListeners(machine),
    ...lxdListeners(machine),
    ...ovnListeners(world, machine),
    ...cephListeners(world, machine),
  ];
  const rank = (l: TcpListener): number => (l.family === 'inet' ? 0 : 1);
  return all.sort((a, b) => rank(a) - rank(b) || a.port - b.port || a.ip.localeCompare(b.ip));
}

/**
 * The listener a new `ip:port` socket would collide with (bind: address already in use): Linux refuses a
 * second TCP listener on a port when either side is a wildcard of the family, or both name the same address.
 */
export function bindConflict(
  listeners: readonly TcpListener[],
  ip: string,
  port: number,
): TcpListener | null {
  const family = familyOf(ip);
  const wanted = canonicalIp(ip);
  const wildcard = ip === '0.0.0.0' || ip === '::';
  for (const l of listeners) {
    if (l.port !== port || l.device !== null) continue;
    const covers = l.dualStack || l.family === family;
    if (!covers) continue;
    const theirsWild = l.ip === '0.0.0.0' || l.ip === '::';
    if (theirsWild || wildcard || canonicalIp(l.ip) === wanted) return l;
  }
  return null;
}

/** An unconnected UDP socket: what `ss -Hlun` lists (state UNCONN, no queues). */
export interface UdpSocket {
  ip: string;
  device: string | null;
  port: number;
  owner: string;
}

/** MicroCloud's multicast discovery port (mc2 service/service_handler.go CloudMulticastPort). */
export const MICROCLOUD_MULTICAST_PORT = 9444;

/**
 * The host's UDP sockets: systemd-resolved's stub(s), and the MicroCloud daemon's multicast responder, which
 * an initiating session opens on 0.0.0.0:9444 (`net.ListenPacket("udp4", ":9444")`, mc2 multicast/
 * discovery.go Respond, started by api/session.go handleInitiatingSession right after StartSession) and
 * closes when the session ends; a joiner's lookup sends from a random port and keeps no socket here. Not
 * modelled: DHCP clients' sockets (systemd-networkd binds `ADDR%IFACE:68` on DHCP interfaces).
 */
export function udpSockets(world: World, machine: Machine): UdpSocket[] {
  const sockets: UdpSocket[] = [{ ip: '127.0.0.53', device: 'lo', port: 53, owner: 'systemd-resolved' }];
  if (machine.os.versionId === '24.04')
    sockets.push({ ip: '127.0.0.54', device: null, port: 53, owner: 'systemd-resolved' });
  const session = activeSession(world, machine.name);
  if (session?.role === 'initiating' && daemonRunning(machine, 'microcloud')) {
    sockets.push({ ip: '0.0.0.0', device: null, port: MICROCLOUD_MULTICAST_PORT, owner: 'microcloud' });
  }
  return sockets.sort((a, b) => a.port - b.port || a.ip.localeCompare(b.ip));
}
