// The two engines, and who does what with each key of the cluster section. With the MicroCloud engine every
// key either has a preseed counterpart (MicroCloud acts on it) or is done by mc before the preseed runs;
// CLUSTER_KEYS says which, and the plan shows it (engineOverview). Pure.

import { formatBytesIec } from '../facts/index.js';
import { listWords } from './issues.js';
import { SERVICE_LABELS, snapsOf, type ClusterDesign } from './types.js';

/** Who acts on a key with the MicroCloud engine. */
export type KeyHandling = { by: 'preseed'; preseedKey: string; note?: string } | { by: 'mc'; does: string };

/**
 * Every key of `cluster:`, by path with `<host>` for a host name and `[]` for a list entry. A disk given as a
 * bare path (`local: /dev/sdb`) is written at the disk's own path.
 */
export const CLUSTER_KEYS: Readonly<Record<string, KeyHandling>> = {
  'services.microceph': {
    by: 'mc',
    does: 'installs the microceph snap or not; MicroCloud sets up the services it finds installed',
  },
  'services.microovn': {
    by: 'mc',
    does: 'installs the microovn snap or not; MicroCloud sets up the services it finds installed',
  },
  'services.microcloud': { by: 'mc', does: 'chooses the engine: MicroCloud when on, mc itself when off' },
  'channels.lxd': { by: 'mc', does: 'installs and holds lxd from this channel before the preseed' },
  'channels.microceph': {
    by: 'mc',
    does: 'installs and holds microceph from this channel before the preseed',
  },
  'channels.microovn': { by: 'mc', does: 'installs and holds microovn from this channel before the preseed' },
  'channels.microcloud': { by: 'mc', does: 'installs and holds microcloud from this channel' },
  lxd_min_version: { by: 'mc', does: 'refuses an LXD daemon older than this before MicroCloud runs' },
  initiator: {
    by: 'preseed',
    preseedKey: 'initiator_address',
    note: "the initiator's cluster address; mc starts it first",
  },
  lookup_timeout: { by: 'preseed', preseedKey: 'lookup_timeout' },
  session_timeout: { by: 'preseed', preseedKey: 'session_timeout' },
  'systems.<host>': { by: 'preseed', preseedKey: 'systems[].name', note: "the host's hostname" },
  'systems.<host>.address': { by: 'preseed', preseedKey: 'systems[].address' },
  'systems.<host>.ovn_uplink_interface': { by: 'preseed', preseedKey: 'systems[].ovn_uplink_interface' },
  'systems.<host>.ovn_underlay_ip': { by: 'preseed', preseedKey: 'systems[].ovn_underlay_ip' },
  'systems.<host>.storage.local': { by: 'preseed', preseedKey: 'systems[].storage.local.path' },
  'systems.<host>.storage.local.path': { by: 'preseed', preseedKey: 'systems[].storage.local.path' },
  'systems.<host>.storage.local.wipe': { by: 'preseed', preseedKey: 'systems[].storage.local.wipe' },
  'systems.<host>.storage.ceph.[]': { by: 'preseed', preseedKey: 'systems[].storage.ceph[].path' },
  'systems.<host>.storage.ceph.[].path': { by: 'preseed', preseedKey: 'systems[].storage.ceph[].path' },
  'systems.<host>.storage.ceph.[].wipe': { by: 'preseed', preseedKey: 'systems[].storage.ceph[].wipe' },
  'systems.<host>.storage.ceph.[].encrypt': { by: 'preseed', preseedKey: 'systems[].storage.ceph[].encrypt' },
  ...Object.fromEntries(
    (['local', 'ceph'] as const).flatMap((kind) =>
      ['find', 'find_min', 'find_max', 'wipe', ...(kind === 'ceph' ? ['encrypt'] : [])].map((field) => [
        `storage.${kind}.[].${field}`,
        {
          by: 'preseed',
          preseedKey: `systems[].storage.${kind}${kind === 'ceph' ? '[]' : ''}`,
          note: `mc applies MicroCloud's filter rules (storage.${kind}[].${field}) while planning and passes the disks it chose, so the preseed holds exactly the disks the plan shows`,
        } satisfies KeyHandling,
      ]),
    ),
  ),
  'ceph.cephfs': { by: 'preseed', preseedKey: 'ceph.cephfs' },
  'ceph.internal_network': { by: 'preseed', preseedKey: 'ceph.internal_network' },
  'ceph.public_network': { by: 'preseed', preseedKey: 'ceph.public_network' },
  'ovn.ipv4_gateway': { by: 'preseed', preseedKey: 'ovn.ipv4_gateway' },
  'ovn.ipv4_range': { by: 'preseed', preseedKey: 'ovn.ipv4_range' },
  'ovn.ipv6_gateway': { by: 'preseed', preseedKey: 'ovn.ipv6_gateway' },
  'ovn.dns_servers': { by: 'preseed', preseedKey: 'ovn.dns_servers', note: 'joined with commas' },
};

/** `systems.micro1.storage.ceph.0.path` → `systems.<host>.storage.ceph.[].path`. */
export function clusterKeyPattern(path: string): string {
  return path
    .split('.')
    .map((segment, index, all) => {
      if (index === 1 && all[0] === 'systems') return '<host>';
      return /^\d+$/.test(segment) ? '[]' : segment;
    })
    .join('.');
}

/** What the plan says about the engine: why it runs, what mc does itself, what MicroCloud is given. */
export interface EngineOverview {
  kind: ClusterDesign['engine']['kind'];
  reason: string;
  /** What mc does on the hosts (before the preseed, with the MicroCloud engine). */
  mcDoes: string[];
  /** What the preseed gives MicroCloud; empty with the direct engine. */
  microcloudGets: string[];
}

export function engineOverview(design: ClusterDesign): EngineOverview {
  const snaps = snapsOf(design.services);
  const installs = `installs ${snaps.map((snap) => `${snap} ${design.channels[snap]}`).join(', ')} and holds ${snaps.length === 1 ? 'it' : 'them'} (snap refresh --hold)`;
  const floor = `checks that LXD is ${design.lxdMinVersion} or later`;
  const { engine } = design;
  if (engine.kind === 'direct') {
    return {
      kind: 'direct',
      reason: engine.reason,
      mcDoes: [
        installs,
        floor,
        `forms the ${listWords(snaps.map((snap) => SERVICE_LABELS[snap]))} cluster${snaps.length === 1 ? '' : 's'} itself, step by step as MicroCloud would`,
      ],
      microcloudGets: [],
    };
  }
  const initiator = design.members.find((member) => member.host === design.initiator);
  const gets = [
    `microcloud preseed on every host, ${design.initiator} first (unicast: initiator_address ${initiator?.address.value ?? '?'}, no multicast)`,
    `systems: ${design.members.map((member) => `${member.host} ${member.address.value}`).join(', ')}`,
    `lookup_timeout ${engine.lookupTimeout} s, session_timeout ${engine.sessionTimeout} s; the session passphrase is random per run and sent on stdin only`,
  ];
  const local = design.members.filter((member) => member.localDisk !== null);
  if (local.length > 0) {
    gets.push(
      `local storage: ${local.map((member) => `${member.host} ${member.localDisk?.value.path ?? ''}${member.localDisk?.value.wipe ? ' (wipe)' : ''}`).join(', ')}`,
    );
  }
  const ceph = design.members.flatMap((member) =>
    member.cephDisks.map(
      (disk) =>
        `${member.host} ${disk.value.path} ${formatBytesIec(disk.value.sizeBytes)}${disk.value.wipe ? ' (wipe)' : ''}${disk.value.encrypt ? ' (encrypt)' : ''}`,
    ),
  );
  if (design.services.microceph && ceph.length > 0 && design.ceph !== null) {
    gets.push(`Ceph disks: ${ceph.join(', ')}`);
    gets.push(
      `ceph: internal ${design.ceph.internalNetwork}, public ${design.ceph.publicNetwork}${design.ceph.cephfs ? ', cephfs' : ''}`,
    );
  }
  const uplinks = design.members.filter((member) => member.uplinkInterface !== null);
  if (design.uplink !== null && uplinks.length > 0) {
    gets.push(
      `OVN uplinks: ${uplinks.map((member) => `${member.host} ${member.uplinkInterface?.value ?? ''}`).join(', ')}`,
    );
  }
  const underlays = design.members.filter((member) => member.underlayIp !== null);
  if (underlays.length > 0) {
    gets.push(
      `OVN underlay: ${underlays.map((member) => `${member.host} ${member.underlayIp ?? ''}`).join(', ')}`,
    );
  }
  return { kind: 'microcloud', reason: engine.reason, mcDoes: [installs, floor], microcloudGets: gets };
}
