// `mc remove HOST...`: the steps `microcloud remove` takes (mc2 api/services_cluster.go removeClusterMember,
// doc/how-to/member_remove.md), planned from what the cluster holds, with MicroCloud's refusals checked
// before anything changes. Order per member: LXD first (its images/backups volumes and keys, then the
// member), MicroCeph (replication shrunk to the OSDs that stay first) beside MicroOVN, MicroCloud last.
// Every step runs on a member that stays (the removed one may be gone, with --force). Pure.

import { isMember } from '../cluster/plan.js';
import type { CephOsd } from '../cluster/state.js';
import type { HostFacts } from '../facts/index.js';

export type RemovableService = 'lxd' | 'microceph' | 'microovn' | 'microcloud';
export const REMOVABLE_SERVICES: readonly RemovableService[] = ['lxd', 'microceph', 'microovn', 'microcloud'];
export const SERVICE_LABEL: Record<RemovableService, string> = {
  lxd: 'LXD',
  microceph: 'MicroCeph',
  microovn: 'MicroOVN',
  microcloud: 'MicroCloud',
};

/** MicroCloud's per-member LXD keys and the volumes they name (§3.5). */
const DAEMON_VOLUME_KEYS = ['storage.images_volume', 'storage.backups_volume'] as const;

export interface RemovalState {
  /** Each service's members as a member of it lists them; absent where the service is not set up. */
  members: Partial<Record<RemovableService, string[]>>;
  /** LXD's member-specific server config of the members to remove, and custom volumes per member. */
  lxd: { memberConfig: Record<string, Record<string, string>>; volumes: LxdVolumeRef[] } | null;
  ceph: {
    osds: CephOsd[];
    pools: { name: string; size: number }[];
    services: Record<string, string[]>;
  } | null;
}

export interface LxdVolumeRef {
  pool: string;
  volume: string;
  /** The member a local volume lives on; null for a remote (Ceph) pool's. */
  member: string | null;
}

export type RemovalAction =
  | { kind: 'lxd-config-unset'; key: string; member: string }
  | { kind: 'lxd-volume-delete'; pool: string; volume: string; member: string }
  | { kind: 'lxd-member-remove'; member: string; force: boolean }
  /** `microceph pool set-rf`: the pools above `size` ('' = the default for new pools). */
  | { kind: 'ceph-shrink'; size: number; pools: string[] }
  /** MicroCloud's own removal from every service (the MicroCloud engine formed the cluster). */
  | { kind: 'microcloud-remove'; member: string; force: boolean }
  | {
      kind: 'microcluster-member-remove';
      service: Exclude<RemovableService, 'lxd'>;
      member: string;
      force: boolean;
    };

export interface RemovalStep {
  id: string;
  /** Where it runs: a member of the service that stays. */
  host: string;
  action: RemovalAction;
}

export interface RemovalPhase {
  id: 'lxd' | 'services' | 'microcloud';
  title: string;
  /** Lanes run side by side (MicroCeph beside MicroOVN), the steps of a lane in order. */
  lanes: RemovalStep[][];
}

export interface MemberRemoval {
  member: string;
  /** The services it is a member of, in removal order. */
  services: RemovableService[];
  phases: RemovalPhase[];
  /** What goes with it, for the confirmation. */
  losses: string[];
}

export interface Refusal {
  member: string;
  reason: string;
  next: string;
}

export type RemovalPlan =
  { ok: true; removals: MemberRemoval[]; notMembers: string[] } | { ok: false; refusals: Refusal[] };

/** Members per service, as the first host (in `order`) that is a member of it lists them. */
export function membersFromFacts(
  facts: ReadonlyMap<string, HostFacts>,
  order: readonly string[],
): RemovalState['members'] {
  const members: RemovalState['members'] = {};
  for (const service of REMOVABLE_SERVICES) {
    const host = order.find((h) => isMember(facts.get(h), service, h));
    if (host === undefined) continue;
    const state = (facts.get(host) as HostFacts).services[service];
    if (state.state === 'clustered' || state.state === 'bootstrapped') {
      members[service] = state.members.map((m) => m.name);
    }
  }
  return members;
}

/** LXD's `used_by` of its storage pools: the custom volumes, with the member a local one lives on. */
export function customVolumes(
  pools: readonly { name: string; driver: string; usedBy: readonly string[] }[],
): LxdVolumeRef[] {
  const refs: LxdVolumeRef[] = [];
  for (const pool of pools) {
    for (const url of pool.usedBy) {
      const match = /^\/1\.0\/storage-pools\/([^/]+)\/volumes\/custom\/([^/?]+)(?:\?(.*))?$/.exec(url);
      if (!match) continue;
      const target = new URLSearchParams(match[3] ?? '').get('target');
      refs.push({
        pool: decodeURIComponent(match[1] as string),
        volume: decodeURIComponent(match[2] as string),
        member: pool.driver === 'ceph' || pool.driver === 'cephfs' ? null : target,
      });
    }
  }
  return refs;
}

export function describeRemoval(action: RemovalAction): string {
  const forced = (force: boolean): string => (force ? ' (--force)' : '');
  switch (action.kind) {
    case 'lxd-config-unset':
      return `unset ${action.key} on ${action.member}`;
    case 'lxd-volume-delete':
      return `delete volume ${action.pool}/${action.volume} on ${action.member}`;
    case 'lxd-member-remove':
      return `remove ${action.member} from LXD${forced(action.force)}`;
    case 'ceph-shrink':
      return `set Ceph replication to ${action.size} (${action.pools.map((p) => (p === '' ? 'default' : p)).join(', ')})`;
    case 'microcluster-member-remove':
      return `remove ${action.member} from ${SERVICE_LABEL[action.service]}${forced(action.force)}`;
    case 'microcloud-remove':
      return `microcloud remove ${action.member}${action.force ? ' --force' : ''} (LXD, then MicroCeph and MicroOVN, then MicroCloud)`;
  }
}

const MON_CLEANUP = (member: string, anchor: string): string =>
  `on ${anchor}: sudo microceph.ceph mon remove ${member}, then sudo microceph cluster sql "delete from services where member_id = (select id from core_cluster_members where name='${member}') and service='mon'"; then run mc remove again`;

/**
 * The removal of `hosts`, one after another, or every refusal. `order`: the inventory's hosts, the first
 * staying member of a service is where its steps run.
 */
export function planRemoval(
  request: { hosts: readonly string[]; force: boolean; order: readonly string[] },
  state: RemovalState,
): RemovalPlan {
  const { force } = request;
  const members: Partial<Record<RemovableService, string[]>> = Object.fromEntries(
    Object.entries(state.members).map(([s, list]) => [s, [...list]]),
  );
  let osds = [...(state.ceph?.osds ?? [])];
  const pools = (state.ceph?.pools ?? []).map((p) => ({ ...p }));
  const cephServices: Record<string, string[]> = { ...(state.ceph?.services ?? {}) };
  const removing = new Set(request.hosts);
  const refusals: Refusal[] = [];
  const removals: MemberRemoval[] = [];
  const notMembers: string[] = [];

  for (const member of request.hosts) {
    const services = REMOVABLE_SERVICES.filter((s) => members[s]?.includes(member) === true);
    if (services.length === 0) {
      notMembers.push(member);
      continue;
    }
    const anchor = (service: RemovableService): string | undefined =>
      request.order.find((h) => !removing.has(h) && members[service]?.includes(h) === true) ??
      members[service]?.find((h) => !removing.has(h));
    const refuse = (reason: string, next: string): void => {
      refusals.push({ member, reason, next });
    };
    for (const service of services) {
      if (anchor(service) === undefined) {
        refuse(
          `${member} is the last ${SERVICE_LABEL[service]} member that would remain`,
          'a cluster keeps at least one member: remove the other hosts from the command, or take the cluster apart by removing the snaps on every host',
        );
      }
    }
    // Where MicroCloud knows the member, its own `microcloud remove` takes it out of every service.
    const viaMicrocloud = services.includes('microcloud') && anchor('microcloud') !== undefined;
    const losses: string[] = [];
    const steps = { lxd: [] as RemovalStep[], ceph: [] as RemovalStep[], ovn: [] as RemovalStep[] };
    const cloud: RemovalStep[] = [];
    const lxdAt = anchor('lxd');
    if (services.includes('lxd') && lxdAt !== undefined) {
      const config = state.lxd?.memberConfig[member] ?? {};
      const volumes = (state.lxd?.volumes ?? []).filter((v) => v.member === member);
      const daemonVolumes = DAEMON_VOLUME_KEYS.map((k) => config[k]).filter((v): v is string => !!v);
      const isDaemonVolume = (v: LxdVolumeRef): boolean => daemonVolumes.includes(`${v.pool}/${v.volume}`);
      const others = volumes.filter((v) => !isDaemonVolume(v) && !['images', 'backups'].includes(v.volume));
      if (others.length > 0 && !force) {
        refuse(
          `LXD: Node still has the following custom volumes: ${others.map((v) => v.volume).join(', ')}`,
          `move them to another member (lxc storage volume move ... --target ${member}) or delete them, then run mc remove again; or --force to lose them`,
        );
      }
      if (others.length > 0) {
        losses.push(`custom volumes ${others.map((v) => `${v.pool}/${v.volume}`).join(', ')} on ${member}`);
      }
      if (!force) {
        // MicroCloud's docs: the images/backups volumes it made go first, their keys before them.
        for (const key of DAEMON_VOLUME_KEYS) {
          if (config[key]) {
            steps.lxd.push({
              id: `remove:${member}:lxd:unset:${key}`,
              host: lxdAt,
              action: { kind: 'lxd-config-unset', key, member },
            });
          }
        }
        for (const v of volumes.filter(
          (v) => isDaemonVolume(v) || ['images', 'backups'].includes(v.volume),
        )) {
          if (others.includes(v)) continue;
          steps.lxd.push({
            id: `remove:${member}:lxd:volume:${v.pool}/${v.volume}`,
            host: lxdAt,
            action: { kind: 'lxd-volume-delete', pool: v.pool, volume: v.volume, member },
          });
          losses.push(`volume ${v.pool}/${v.volume} on ${member} (LXD's images and backups there)`);
        }
      } else {
        losses.push(
          `${member}'s LXD is not told it left: reinstall the lxd snap there before it serves again`,
        );
      }
      if (!viaMicrocloud) {
        steps.lxd.push({
          id: `remove:${member}:lxd`,
          host: lxdAt,
          action: { kind: 'lxd-member-remove', member, force },
        });
      }
    }
    const cephAt = anchor('microceph');
    if (services.includes('microceph') && cephAt !== undefined) {
      const cephMembers = members.microceph ?? [];
      const mine = osds.filter((o) => o.location === member);
      const remaining = osds.length - mine.length;
      const runsMon = (cephServices[member] ?? []).includes('mon');
      if (cephMembers.length === 2 && runsMon) {
        refuse(
          `"${member}" must be removed from the Ceph monmap before it can be removed from MicroCloud`,
          MON_CLEANUP(member, cephAt),
        );
      }
      const largest = Math.max(0, ...pools.map((p) => p.size));
      if (mine.length > 0 && !force) {
        refuse(
          `MicroCeph: Node ${member} still has disks configured, remove before proceeding`,
          `remove its OSDs first (on ${member}: ${mine.map((o) => `sudo microceph disk remove osd.${o.osd}`).join('; ')}), then run mc remove again; or --force to remove it with them`,
        );
        if (remaining < largest) {
          refuse(
            `Ceph keeps ${largest} copies of each object; without ${member}'s OSDs only ${remaining} OSD(s) remain`,
            'add OSDs on the other members first (a disk under cluster.systems, then mc deploy), or --force to lower the replication',
          );
        }
      }
      const left = (unit: string): number =>
        Object.entries(cephServices).filter(([m, units]) => m !== member && units.includes(unit)).length;
      const [monsLeft, mgrLeft, mdsLeft] = [left('mon'), left('mgr'), left('mds')];
      if ((monsLeft < 3 || mgrLeft < 1 || mdsLeft < 1) && !force) {
        refuse(
          `MicroCeph: Insufficient non OSD services: need at least 3 mon, 1 mds, and 1 mgr services in the cluster besides those in node '${member}'`,
          'MicroCeph needs --force when fewer than 3 of its members would remain (MicroCloud docs); with --force the remaining monitors carry on',
        );
      }
      if (mine.length > 0) {
        losses.push(
          `OSDs ${mine.map((o) => `osd.${o.osd} (${o.path})`).join(', ')} on ${member}: data with no other copy is lost`,
        );
      }
      // removeClusterMember: the pools above the OSD count that stays are lowered to it first. MicroCloud
      // sets them to that count; mc, doing it itself, keeps the deploy's min(OSDs, 3) (§3.6).
      const size = viaMicrocloud ? remaining : Math.min(remaining, 3);
      const above = pools.filter((p) => p.size > size).map((p) => p.name);
      if (size > 0 && above.length > 0 && viaMicrocloud) {
        losses.push(`Ceph replication lowered from ${largest} to ${size} copies`);
        for (const p of pools) if (p.size > size) p.size = size;
      } else if (size > 0 && above.length > 0) {
        const shrink = [...above, ...(size < 3 ? [''] : [])];
        steps.ceph.push({
          id: `remove:${member}:ceph:replication`,
          host: cephAt,
          action: { kind: 'ceph-shrink', size, pools: shrink },
        });
        losses.push(`Ceph replication lowered from ${largest} to ${size} copies`);
        for (const p of pools) if (p.size > size) p.size = size;
      }
      if (!viaMicrocloud) {
        steps.ceph.push({
          id: `remove:${member}:microceph`,
          host: cephAt,
          action: { kind: 'microcluster-member-remove', service: 'microceph', member, force },
        });
      }
      osds = osds.filter((o) => o.location !== member);
      delete cephServices[member];
    }
    const ovnAt = anchor('microovn');
    if (services.includes('microovn') && ovnAt !== undefined && !viaMicrocloud) {
      steps.ovn.push({
        id: `remove:${member}:microovn`,
        host: ovnAt,
        action: { kind: 'microcluster-member-remove', service: 'microovn', member, force },
      });
    }
    const cloudAt = anchor('microcloud');
    if (services.includes('microcloud') && cloudAt !== undefined) {
      cloud.push({
        id: `remove:${member}:microcloud`,
        host: cloudAt,
        action: viaMicrocloud
          ? { kind: 'microcloud-remove', member, force }
          : { kind: 'microcluster-member-remove', service: 'microcloud', member, force },
      });
    }
    const phases: RemovalPhase[] = [];
    if (steps.lxd.length > 0) {
      phases.push({
        id: 'lxd',
        title: viaMicrocloud ? `Clean up ${member}'s LXD volumes` : `Remove ${member} from LXD`,
        lanes: [steps.lxd],
      });
    }
    const middle = [steps.ceph, steps.ovn].filter((lane) => lane.length > 0);
    if (middle.length > 0) {
      phases.push({
        id: 'services',
        title: `Remove ${member} from ${[steps.ceph.length > 0 ? 'MicroCeph' : '', steps.ovn.length > 0 ? 'MicroOVN' : ''].filter((s) => s !== '').join(' and ')}`,
        lanes: middle,
      });
    }
    if (cloud.length > 0) {
      phases.push({
        id: 'microcloud',
        title: viaMicrocloud ? `Remove ${member} with MicroCloud` : `Remove ${member} from MicroCloud`,
        lanes: [cloud],
      });
    }
    removals.push({ member, services, phases, losses });
    for (const service of services) {
      const list = members[service];
      if (list !== undefined) members[service] = list.filter((m) => m !== member);
    }
  }
  if (refusals.length > 0) return { ok: false, refusals };
  return { ok: true, removals, notMembers };
}

export function removalSteps(removal: MemberRemoval): RemovalStep[] {
  return removal.phases.flatMap((p) => p.lanes.flat());
}
