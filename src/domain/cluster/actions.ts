// The changes a deploy can make, as data: the planner decides which are needed, the deploy phases execute
// them, `mc plan` prints them. Each action is one idempotent step on one host.

import type { Preseed } from './preseed.js';
import type { DiskChoice, OptionalService, SnapName } from './types.js';

export type MicroclusterService = OptionalService;

/** LXD member_config entry for a member joining an existing cluster (§3.7). */
export interface MemberConfigEntry {
  entity: 'storage-pool' | 'network';
  name: string;
  key: string;
  value: string;
}

export type Action =
  /** minVersion (LXD only): the LXD that answers once it is ready must be at least this (lxd_min_version). */
  | { kind: 'snap-install'; snap: SnapName; channel: string; minVersion?: string }
  | { kind: 'snap-refresh'; snap: SnapName; channel: string; minVersion?: string }
  | { kind: 'snap-hold'; snaps: SnapName[] }
  /** Through the daemon's control socket: MicroOVN 24.03 and MicroCloud have no CLI with an address (§1.4). */
  | {
      kind: 'microcluster-bootstrap';
      service: 'microcloud' | 'microovn';
      address: string;
      config: Record<string, string>;
    }
  | { kind: 'microceph-bootstrap'; address: string; publicNetwork: string; clusterNetwork: string }
  | { kind: 'lxd-bootstrap'; address: string; config: Record<string, string> }
  /** A token issued on `anchor`, then the join on the step's host, token on stdin. */
  | {
      kind: 'microcluster-join';
      service: MicroclusterService;
      anchor: string;
      address: string;
      config: Record<string, string>;
    }
  | { kind: 'lxd-join'; anchor: string; address: string; memberConfig: MemberConfigEntry[] }
  /**
   * Clears a join that never finished (facts/lxd-unfinished-join.ts) before the host joins again: on the
   * step's host, mc's leftover `lxd init` ends and LXD restarts without the half-made cluster state in
   * `lxdDir`; on `viewer`, the pending member `memberId` and the raft node at `address` go. `memberId` is
   * null when no pending row is left: an earlier clear removed it, or (`unnamed`: the host's LXD answers with
   * no member name) the join failed after raft added it and its row is gone.
   */
  | {
      kind: 'lxd-join-clear';
      viewer: string;
      memberId: number | null;
      address: string;
      lxdDir: string;
      unnamed?: true;
    }
  | { kind: 'ceph-disk-add'; disk: DiskChoice }
  /** §3.6: n = min(OSDs, 3), decided when it runs from the OSDs then present. */
  | { kind: 'ceph-replication'; osds: number }
  | { kind: 'lxd-config'; key: string; value: string; target?: string }
  /**
   * `resume`: the pool's cluster-wide create failed midway in an earlier run (LXD left it Errored); LXD takes
   * the create again only without global config (networksPostCluster, storagePoolsPostCluster).
   */
  | {
      kind: 'lxd-storage-create';
      pool: string;
      driver: string;
      description: string;
      config: Record<string, string>;
      target?: string;
      resume?: true;
    }
  | {
      kind: 'lxd-network-create';
      network: string;
      type: string;
      config: Record<string, string>;
      target?: string;
      resume?: true;
    }
  /**
   * Cluster-wide keys of an existing pool or network set to the inventory's values (`lxc storage|network
   * set`), `stored` being what LXD holds: LXD keeps the global config of the first create, and an Errored
   * object is resumed with it, so keys the inventory changed since are set afterwards.
   */
  | {
      kind: 'lxd-object-set';
      entity: 'storage' | 'network';
      name: string;
      config: Record<string, string>;
      stored: Record<string, string>;
    }
  /** A network's description, set once it exists cluster-wide (`lxc network create` reads no stdin). */
  | { kind: 'lxd-network-describe'; network: string; description: string }
  | { kind: 'lxd-profile-device'; device: string; config: Record<string, string> }
  | { kind: 'lxd-volume-create'; pool: string; volume: string; target: string }
  /**
   * MicroCloud forms or grows the cluster (§2): `microcloud preseed` with the same preseed on every host, the
   * initiator first, each joiner once the initiator's trust session is open. The passphrase is added at run time.
   */
  | { kind: 'microcloud-preseed'; role: 'initiator' | 'joiner'; preseed: Preseed };

const kv = (config: Record<string, string>): string =>
  Object.entries(config)
    .map(([k, v]) => ` ${k}=${v}`)
    .join('');

/** One line saying what the action changes, for `mc plan` and the live task titles. */
export function describeAction(action: Action): string {
  switch (action.kind) {
    case 'snap-install':
      return `install ${action.snap} (${action.channel}, cohort +)`;
    case 'snap-refresh':
      return `refresh ${action.snap} to ${action.channel} (cohort +)`;
    case 'snap-hold':
      return `hold ${action.snaps.join(', ')} (no automatic refresh)`;
    case 'microcluster-bootstrap':
      return `bootstrap ${action.service} on ${action.address}`;
    case 'microceph-bootstrap':
      return `bootstrap microceph on ${action.address} (public ${action.publicNetwork}, cluster ${action.clusterNetwork})`;
    case 'lxd-bootstrap':
      return `bootstrap the LXD cluster on ${action.address}${kv(action.config)}`;
    case 'microcluster-join':
      return `join ${action.service} as ${action.address} (token from ${action.anchor})`;
    case 'lxd-join':
      return `join LXD as ${action.address} (token from ${action.anchor})${action.memberConfig.map((e) => ` ${e.name}.${e.key}=${e.value}`).join('')}`;
    case 'lxd-join-clear':
      if (action.memberId === null && action.unnamed === true)
        return `clear the LXD join that never finished (its LXD answers with no member name; no member lists it): restart LXD without its half-made cluster state (${action.lxdDir}/database, cluster.crt, cluster.key), remove raft node ${action.address} on ${action.viewer}`;
      return action.memberId === null
        ? `finish clearing the LXD join that never finished (an earlier run removed its pending member and was cut): restart LXD without its half-made cluster state (${action.lxdDir}/database, cluster.crt, cluster.key), remove raft node ${action.address} on ${action.viewer}`
        : `clear the LXD join that never finished: restart LXD without its half-made cluster state (${action.lxdDir}/database, cluster.crt, cluster.key), remove pending member ${action.memberId} and raft node ${action.address} on ${action.viewer}`;
    case 'ceph-disk-add':
      return `add OSD ${action.disk.path}${action.disk.wipe ? ' (wipe)' : ''}${action.disk.encrypt ? ' (encrypt)' : ''}`;
    case 'ceph-replication':
      return `set Ceph replication to ${Math.min(action.osds, 3)} (${action.osds} OSDs)`;
    case 'lxd-config':
      return `set ${action.key}=${action.value}${action.target === undefined ? '' : ` on ${action.target}`}`;
    case 'lxd-storage-create':
      if (action.resume === true)
        return `resume creating storage pool ${action.pool} (${action.driver}): an earlier create failed midway (Errored)`;
      return `${action.target === undefined ? 'create' : `define on ${action.target}`} storage pool ${action.pool} (${action.driver})${kv(action.config)}`;
    case 'lxd-network-create':
      if (action.resume === true)
        return `resume creating network ${action.network} (${action.type}): an earlier create failed midway (Errored)`;
      return `${action.target === undefined ? 'create' : `define on ${action.target}`} network ${action.network} (${action.type})${kv(action.config)}`;
    case 'lxd-object-set': {
      const stored = Object.keys(action.config)
        .map((key) => `${key}=${action.stored[key] ?? '(unset)'}`)
        .join(' ');
      return `set ${action.entity === 'storage' ? 'storage pool' : 'network'} ${action.name}${kv(action.config)} (LXD holds ${stored})`;
    }
    case 'lxd-network-describe':
      return `describe network ${action.network}: ${action.description}`;
    case 'lxd-profile-device':
      return `add device ${action.device} to profile default:${kv(action.config)}`;
    case 'lxd-volume-create':
      return `create volume ${action.pool}/${action.volume} on ${action.target}`;
    case 'microcloud-preseed': {
      const { preseed } = action;
      const names = preseed.systems.map((s) => s.name).join(', ');
      if (action.role === 'joiner') {
        return `microcloud preseed: join through ${preseed.initiatorHost} (${preseed.initiatorAddress})`;
      }
      return preseed.mode === 'bootstrap'
        ? `microcloud preseed: form MicroCloud as the initiator (${names})`
        : `microcloud preseed: take in ${names} (add mode, initiator_address ${preseed.initiatorAddress})`;
    }
  }
}
