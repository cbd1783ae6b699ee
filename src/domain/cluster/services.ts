// The services' snaps and states: channels and versions (§7), LXD's version floor, daemons that cannot be
// asked, an LXD initialised by hand (§1.1 point 1), and clusters the hosts already belong to (§1.1 point 6).

import {
  describeServiceFailure,
  findSnap,
  type InstalledSnap,
  type LxdState,
  type MicroclusterState,
  type UnfinishedLxdJoin,
} from '../facts/index.js';
import type { DesignContext, HostContext } from './context.js';
import { listWords } from './issues.js';
import { SERVICE_LABELS, snapsOf, type SnapName } from './types.js';
import { lxdFloorProblem, normalizeChannel } from './versions.js';

/** The snaps of the enabled services, LXD first. */
export function enabledSnaps(ctx: DesignContext): SnapName[] {
  return snapsOf(ctx.spec.services);
}

function stateOf(host: HostContext, snap: SnapName): LxdState | MicroclusterState {
  return host.facts.services[snap];
}

/**
 * §7: 22.04 images ship LXD 5.0 (tracking `5.0/stable/ubuntu-22.04`). While it is not initialised, refreshing
 * it to the cluster's channel is part of the install, as MicroCloud's docs say; nothing to report.
 */
function isPreinstalledLxd(host: HostContext, snap: InstalledSnap): boolean {
  return (
    snap.name === 'lxd' &&
    (snap.tracking ?? '').startsWith('5.0/') &&
    host.facts.services.lxd.state === 'not initialised'
  );
}

function refreshHint(snap: SnapName, channel: string): string {
  return `sudo snap refresh ${snap} --channel=${channel} --cohort="+"`;
}

/** Installed snaps on the wrong channel, versions that differ between hosts, LXD below the floor. */
export function checkSnaps(ctx: DesignContext): void {
  for (const snap of enabledSnaps(ctx)) {
    const wanted = ctx.spec.channels[snap];
    const onChannel: { host: string; installed: InstalledSnap }[] = [];
    for (const host of ctx.hosts) {
      const installed = findSnap(host.facts.snaps, snap);
      if (installed === undefined || isPreinstalledLxd(host, installed)) continue;
      const tracking =
        installed.tracking === null ? null : (normalizeChannel(installed.tracking) ?? installed.tracking);
      if (tracking === wanted) {
        onChannel.push({ host: host.name, installed });
        continue;
      }
      const position = ctx.writtenAt(`channels.${snap}`);
      ctx.issues.add(
        `${snap} is installed from ${tracking === null ? 'no channel (sideloaded)' : tracking}, not ${wanted}`,
        { ...(position === undefined ? {} : { position }), host: host.name, hint: refreshHint(snap, wanted) },
      );
    }
    const versions = new Set(onChannel.map(({ installed }) => `${installed.version} ${installed.revision}`));
    if (versions.size > 1) {
      const list = onChannel.map(
        ({ host, installed }) => `${host} ${installed.version} (rev ${installed.revision})`,
      );
      ctx.issues.add(`${snap} differs between hosts: ${list.join(', ')}`, {
        hint: `MicroCloud requires identical versions; on every host: ${refreshHint(snap, wanted)}`,
      });
    }
  }
  checkLxdFloor(ctx);
}

function checkLxdFloor(ctx: DesignContext): void {
  for (const host of ctx.hosts) {
    const lxd = host.facts.services.lxd;
    if (!('server' in lxd)) continue;
    const installed = findSnap(host.facts.snaps, 'lxd');
    if (installed !== undefined && isPreinstalledLxd(host, installed)) continue;
    const problem = lxdFloorProblem(lxd.server.version, ctx.spec.lxdMinVersion);
    if (problem === undefined) continue;
    const position = ctx.writtenAt('lxd_min_version');
    ctx.issues.add(problem, {
      ...(position === undefined ? {} : { position }),
      host: host.name,
      hint: refreshHint('lxd', ctx.spec.channels.lxd),
    });
  }
}

/** Commands that remove a stale member from a service's cluster, run on a host still in it. */
const REMOVE_MEMBER: Record<SnapName, (name: string) => string> = {
  lxd: (name) => `lxc cluster remove ${name} --force`,
  microceph: (name) => `microceph cluster remove ${name} --force`,
  microovn: (name) => `microovn cluster remove ${name}`,
  microcloud: (name) => `microcloud cluster remove ${name} --force`,
};

/** The members of the service's cluster this host is in, or null when it is in none (or cannot say). */
function clusterMembers(state: LxdState | MicroclusterState): string[] | null {
  if (state.state === 'clustered' || state.state === 'bootstrapped') {
    return state.members.map((member) => member.name);
  }
  return null;
}

function isOutsideAnyCluster(state: LxdState | MicroclusterState): boolean {
  return ['not installed', 'not initialised', 'initialised', 'not bootstrapped'].includes(state.state);
}

/**
 * Daemons that cannot be asked, an LXD set up by hand, and existing clusters: a cluster whose members are all
 * inventory hosts is fine (mc resumes or grows it); members outside the inventory, hosts in different
 * clusters of one service, or a member the cluster lists but that left it, are not.
 */
export function checkServiceStates(ctx: DesignContext): void {
  for (const snap of enabledSnaps(ctx)) {
    const label = SERVICE_LABELS[snap];
    for (const host of ctx.hosts) {
      const state = stateOf(host, snap);
      const unfinished = snap === 'lxd' ? host.facts.unfinishedLxdJoin : undefined;
      if (unfinished !== undefined) {
        checkUnfinishedLxdJoin(ctx, host.name, unfinished);
      } else if (state.state === 'error') {
        ctx.issues.add(`${label}: \`${state.command}\` failed: ${state.message}`, {
          host: host.name,
          hint: `mc cannot tell whether ${label} is set up; fix it on the host, then run again`,
        });
      } else if (state.state === 'not answering') {
        // No host prefix: the sentence names the host itself.
        ctx.issues.add(describeServiceFailure(label, host.name, state), {
          hint: `its daemon is hung or stopped: look at \`sudo snap logs ${snap}\` on ${host.name}, restart it (sudo snap restart ${snap}), then run again`,
        });
      } else if (state.state === 'no member name') {
        // Listed by a working member (else the second look would have found it as an unfinished join): the
        // cluster's database holds it as a member, only its daemon lost the name; a restart reads it again.
        ctx.issues.add(describeServiceFailure(label, host.name, state), {
          hint: `a working member lists ${host.name}, so mc does not clear it; restart its LXD (sudo snap restart lxd on ${host.name}: LXD reads its name from the cluster's database), then run again`,
        });
      } else if (state.state === 'not running') {
        ctx.issues.add(`${label} is installed but its daemon is not running: ${state.message}`, {
          host: host.name,
          hint: `sudo snap start --enable ${snap}`,
        });
      } else if (state.state === 'initialised' && ctx.spec.services.microcloud) {
        // `microcloud preseed` refuses every host whose services are set up already (checkInitialized).
        ctx.issues.add('LXD is already initialized', {
          host: host.name,
          hint: `LXD was set up by hand (storage pools: ${state.storagePools.join(', ')}); MicroCloud sets LXD up itself: delete those pools and networks, or reinstall LXD: sudo snap remove --purge lxd`,
        });
      } else if (state.state === 'initialised') {
        ctx.issues.add(
          `LXD is already initialized (storage pools: ${state.storagePools.join(', ')}) but not clustered`,
          {
            host: host.name,
            hint: 'MicroCloud sets LXD up itself; undo `lxd init` by deleting its storage pools and networks, or reinstall LXD: sudo snap remove --purge lxd',
          },
        );
      }
    }
    checkExistingClusters(ctx, snap);
  }
}

/** What clears an unfinished LXD join by hand, on the host and on the member that lists it as pending. */
export function clearUnfinishedLxdJoinByHand(host: string, join: UnfinishedLxdJoin): string {
  const deleteRow =
    join.memberId === null
      ? ''
      : `; sudo lxd sql global "DELETE FROM nodes WHERE id = ${join.memberId} AND state = 1"`;
  const address =
    join.address !== '' ? join.address : `"$(sudo lxc config get cluster.https_address)" (${host}'s)`;
  return `on ${join.viewer}: sudo lxd cluster remove-raft-node -q ${address}${deleteRow}; on ${host}: sudo snap remove --purge lxd`;
}

/**
 * A host whose LXD join never finished (facts/lxd-unfinished-join.ts) is the plan's to clear when its LXD
 * holds nothing the join did not make; otherwise clearing it would lose what it holds: the user decides.
 */
function checkUnfinishedLxdJoin(ctx: DesignContext, host: string, join: UnfinishedLxdJoin): void {
  const { failure } = join;
  const why =
    failure.state === 'not answering'
      ? `is not answering (\`${failure.command}\` ${failure.message})`
      : failure.state === 'no member name'
        ? `answers but has no member name (\`${failure.command}\`: ${failure.message})`
        : `cannot be asked (\`${failure.command}\`: ${failure.message})`;
  const seen =
    join.memberId !== null
      ? `${join.viewer} lists it as pending member ${join.memberId}`
      : join.contents?.clearing != null
        ? 'an earlier mc deploy began clearing it and was cut before its LXD was back'
        : `no working member lists it`;
  const what = `LXD on ${host} never finished joining the cluster (${seen}) and ${why}`;
  if (join.contents === null) {
    ctx.issues.add(what, {
      hint: `mc found no LXD state directory on ${host} (/var/snap/lxd/common/lxd, /var/lib/lxd) to clear; to start it over: ${clearUnfinishedLxdJoinByHand(host, join)}; then run mc deploy again`,
    });
  } else if (join.contents.holds.length > 0) {
    const shown = join.contents.holds.slice(0, 3).join(', ');
    const more = join.contents.holds.length > 3 ? ` and ${join.contents.holds.length - 3} more` : '';
    ctx.issues.add(what, {
      hint: `${host}'s LXD holds ${shown}${more}, which mc does not clear; to start it over, losing them: ${clearUnfinishedLxdJoinByHand(host, join)}; then run mc deploy again`,
    });
  }
}

/**
 * Whether a cluster of a service, found on hosts outside MicroCloud, is mc's own: every member an inventory
 * host, the initiator among them. mc's direct engine (MicroCloud off, or an mc before the MicroCloud engine)
 * bootstraps every service on the initiator first, then joins the others, so a deploy of it that stopped
 * half-way looks like that; MicroCloud never leaves a service set up on a host outside itself. Pure.
 */
export function formedByMc(
  members: readonly string[],
  inventoryHosts: ReadonlySet<string>,
  initiator: string,
): boolean {
  return members.includes(initiator) && members.every((member) => inventoryHosts.has(member));
}

function listsAsPending(viewer: HostContext | undefined, name: string): boolean {
  const cloud = viewer?.facts.services.microcloud;
  return (
    cloud?.state === 'bootstrapped' && cloud.members.some((m) => m.name === name && m.role === 'PENDING')
  );
}

/** Hosts in different clusters of the service: checkExistingClusters says so, which says more. */
function inDifferentClusters(ctx: DesignContext, snap: SnapName): boolean {
  const clusters = new Set(
    ctx.hosts.flatMap((host) => {
      const members = clusterMembers(stateOf(host, snap));
      return members === null ? [] : [[...members].sort().join('\0')];
    }),
  );
  return clusters.size > 1;
}

/** What it takes to start a service over on a host (and what that loses), for a refusal's hint. */
const START_OVER: Record<Exclude<SnapName, 'microcloud'>, string> = {
  lxd: 'sudo snap remove --purge lxd (deletes its instances, images and storage on that host)',
  microceph:
    "sudo snap remove --purge microceph (deletes that MicroCeph cluster's OSDs and their data on that host)",
  microovn: 'sudo snap remove --purge microovn (deletes its OVN databases on that host)',
};

/**
 * MicroCloud's checkInitialized (cmd/microcloud/ask.go): a joiner's or a new initiator's `microcloud preseed`
 * stops with "<service> is already initialized" when any of its services is set up. mc refuses that here,
 * before anything is touched, except for what mc itself set up (formedByMc): the plan keeps such a cluster
 * converged with the direct engine. A cluster with members outside the inventory is checkExistingClusters'.
 */
export function checkSetUpOutsideMicroCloud(ctx: DesignContext): void {
  if (!ctx.spec.services.microcloud) return;
  const inventoryHosts = new Set(ctx.spec.systems.map((system) => system.host));
  for (const host of ctx.hosts) {
    // A host in a MicroCloud runs no preseed as a joiner; another MicroCloud is checkExistingClusters'.
    if (host.facts.services.microcloud.state === 'bootstrapped') continue;
    for (const snap of enabledSnaps(ctx)) {
      if (snap === 'microcloud' || inDifferentClusters(ctx, snap)) continue;
      const members = clusterMembers(stateOf(host, snap));
      if (members === null || members.some((member) => !inventoryHosts.has(member))) continue;
      if (formedByMc(members, inventoryHosts, ctx.spec.initiator)) continue;
      const label = SERVICE_LABELS[snap];
      const position = ctx.writtenAt(`systems.${host.name}`);
      ctx.issues.add(`${label} is already initialized`, {
        ...(position === undefined ? {} : { position }),
        host: host.name,
        hint: `${host.name}'s ${label} is a cluster of ${listWords(members)}, which mc did not form (it forms every service on the initiator ${ctx.spec.initiator} first); MicroCloud sets ${label} up itself and refuses a host where it is set up already: to start it over, on ${host.name}: ${START_OVER[snap]}`,
      });
    }
  }
}

/**
 * A MicroCloud member stuck PENDING: its host's join made the record on the others (microcluster's
 * clusterPost adds it PENDING before dqlite takes the host in) and then never finished, so the host's own
 * MicroCloud is not set up while the others list it. MicroCloud will not add a system it lists already: an
 * add-mode preseed stops with "System with name ... is already clustered" (cmd/microcloud/preseed.go). A
 * member that is PENDING only while it settles is set up on its own host, and is not this. The record holds
 * nothing; removing it is the user's call: the hint says how (microcluster removes a pending record only while
 * two members are in dqlite, else only SQL does).
 */
export function checkStuckPendingMembers(ctx: DesignContext): void {
  if (!ctx.spec.services.microcloud) return;
  const reported = new Set<string>();
  for (const viewer of ctx.hosts) {
    const cloud = viewer.facts.services.microcloud;
    if (cloud.state !== 'bootstrapped') continue;
    const joined = cloud.members.filter((m) => m.role !== 'PENDING').map((m) => m.name);
    for (const member of cloud.members) {
      const host = ctx.host(member.name);
      if (member.role !== 'PENDING' || host === undefined || reported.has(host.name)) continue;
      if (host.facts.services.microcloud.state !== 'not bootstrapped') continue;
      reported.add(host.name);
      const remove =
        joined.length >= 2
          ? `sudo microcloud cluster remove ${host.name} --force`
          : `sudo microcloud cluster sql "DELETE FROM core_cluster_members WHERE name = '${host.name}'"`;
      ctx.issues.add(`System with name "${host.name}" is already clustered`, {
        host: host.name,
        hint: `${viewer.name}'s MicroCloud lists ${host.name} as PENDING, but ${host.name}'s own MicroCloud is not set up: its join never finished, and MicroCloud adds no system it lists already. Remove that record (it holds nothing; ${host.name} is in no MicroCloud service yet), on ${viewer.name}: ${remove}; then run mc deploy again`,
      });
    }
  }
}

/**
 * Growing a MicroCloud (§2.2): `microcloud preseed` on a named initiator outside it stops. (A host whose
 * services were set up without MicroCloud is left to the planner: a half-done deployment looks the same.)
 */
export function checkMicroCloudInitiator(ctx: DesignContext): void {
  if (!ctx.spec.services.microcloud) return;
  const members = ctx.hosts
    .filter((host) => host.facts.services.microcloud.state === 'bootstrapped')
    .map((host) => host.name);
  if (members.length === 0) return;
  checkInitiatorInMicroCloud(ctx, members);
}

/** Growing: `microcloud preseed` on a named initiator outside the MicroCloud stops (§2.2). */
function checkInitiatorInMicroCloud(ctx: DesignContext, members: string[]): void {
  const position = ctx.writtenAt('initiator');
  if (position === undefined || members.includes(ctx.spec.initiator)) return;
  ctx.issues.add("MicroCloud isn't yet initialized and cannot be the initiator", {
    position,
    host: ctx.spec.initiator,
    hint: `to grow the MicroCloud of ${listWords(members)}, name one of them as cluster.initiator, or leave initiator out`,
  });
}

function checkExistingClusters(ctx: DesignContext, snap: SnapName): void {
  const label = SERVICE_LABELS[snap];
  const inventoryHosts = new Set(ctx.spec.systems.map((system) => system.host));
  // A server is in one cluster at most: views that share a member are one cluster, read at different moments
  // (while a member joins, the members it was read on list it and the others do not yet).
  const groups: { members: string[]; hosts: string[] }[] = [];
  for (const host of ctx.hosts) {
    const members = clusterMembers(stateOf(host, snap));
    if (members === null) continue;
    const overlapping = groups.filter((g) => g.members.some((m) => members.includes(m)));
    const merged = {
      members: [...new Set([...members, ...overlapping.flatMap((g) => g.members)])].sort(),
      hosts: [...overlapping.flatMap((g) => g.hosts), host.name],
    };
    for (const g of overlapping) groups.splice(groups.indexOf(g), 1);
    groups.push(merged);
  }
  for (const group of groups) {
    const first = group.hosts[0] ?? '';
    const outside = group.members.filter((member) => !inventoryHosts.has(member));
    if (outside.length > 0 && snap === 'microcloud') {
      // A joiner's `microcloud preseed` stops here (checkInitialized): it belongs to another MicroCloud.
      ctx.issues.add('MicroCloud is already initialized', {
        host: first,
        hint: `${listWords(group.hosts)} ${group.hosts.length === 1 ? 'is' : 'are'} in a MicroCloud with ${listWords(outside)}, which ${outside.length === 1 ? 'is' : 'are'} not in the inventory: add ${outside.length === 1 ? 'it' : 'them'} to the inventory to grow that cluster, or take ${listWords(group.hosts)} out of it first (on ${outside[0] ?? ''}: sudo microcloud remove ${first})`,
      });
    } else if (outside.length > 0) {
      ctx.issues.add(
        `${label} is already clustered with ${listWords(outside)}, which ${outside.length === 1 ? 'is' : 'are'} not in the inventory`,
        {
          host: first,
          hint: `add ${outside.length === 1 ? 'it' : 'them'} to the inventory to grow that cluster, or take ${listWords(group.hosts)} out of it first`,
        },
      );
    }
    // `lxc cluster remove --force` leaves the removed member's daemon believing it is still a member: its
    // view of the cluster lacks itself, and joining again fails with "This server is already clustered".
    for (const host of group.hosts.filter((h) => !group.members.includes(h))) {
      ctx.issues.add(
        `${label} on ${host} believes it is in the cluster of ${listWords(group.members)}, which no longer lists it (removed with --force)`,
        {
          host,
          hint: `a member removed by force needs a full reset before it can join again, losing what is left on it: on ${host}: sudo snap remove --purge ${snap}; then run mc deploy again`,
        },
      );
    }
    for (const member of group.members) {
      const memberHost = ctx.host(member);
      if (memberHost === undefined || group.hosts.includes(member)) continue;
      if (!isOutsideAnyCluster(stateOf(memberHost, snap))) continue;
      // A MicroCloud member whose join never finished: checkStuckPendingMembers says more.
      if (snap === 'microcloud' && ctx.spec.services.microcloud && listsAsPending(ctx.host(first), member))
        continue;
      ctx.issues.add(
        `${label} on ${first} lists ${member} as a member, but ${member}'s ${label} is not clustered`,
        {
          host: member,
          hint: `remove the stale member, on ${first}: sudo ${REMOVE_MEMBER[snap](member)}`,
        },
      );
    }
  }
  if (groups.length > 1) {
    const described = groups.map(
      (group) => `${listWords(group.hosts)} in a cluster of ${group.members.join(', ')}`,
    );
    ctx.issues.add(`Some systems are already part of different ${label} clusters`, {
      hint: `mc joins hosts to one cluster only; found: ${described.join('; ')}`,
    });
  }
}
