// Taking a member out of a cluster, as `microcloud remove` and its manual equivalent do it (§6): the
// microcluster removal MicroCeph, MicroOVN and MicroCloud share (with MicroCeph's PreRemove checks), LXD's
// forced removal, and deleting a custom volume (the images/backups volumes MicroCloud leaves on `local`).
// Texts are upstream's, each quoted where it is produced.

import { cephData, setReplicationFactor } from './ceph.js';
import {
  LxdError,
  lxdCluster,
  lxdData,
  lxdDatabase,
  localMemberName,
  removeLxdMember,
  serverConfigOf,
} from './lxd.js';
import { requirePool } from './lxd-storage.js';
import type { Machine, MicroclusterServiceName } from './machine.js';
import { clusterOf, DaemonError, freshDaemon, requireCluster } from './microcluster.js';
import { CloudError } from './preseed.js';
import { NotModelledError } from './program.js';
import { ovnData } from './ovn.js';
import type { ClusterState, World } from './world.js';

/**
 * MicroCeph's PreRemove hook without --force (microceph squid microceph/ceph/remove.go checkPrerequisites):
 * the member must have no OSDs, and the mon, mgr and mds services elsewhere must stay at 3, 1 and 1.
 */
function cephPreRemoveProblem(cluster: ClusterState, name: string): string | null {
  const data = cephData(cluster);
  if (data.osds.some((osd) => osd.member === name)) {
    return `Node ${name} still has disks configured, remove before proceeding`;
  }
  const remaining = (service: string): number =>
    data.services.filter((s) => s.member !== name && s.service === service).length;
  if (remaining('mon') < 3 || remaining('mgr') < 1 || remaining('mds') < 1) {
    return `Insufficient non OSD services: need at least 3 mon, 1 mds, and 1 mgr services in the cluster besides those in node '${name}'`;
  }
  return null;
}

/**
 * `SERVICE cluster remove NAME [--force]` (microcluster v2 internal/rest/resources/cluster.go
 * clusterMemberDelete): the member must exist and at least two must be there; the member's PreRemove hook
 * runs (its error fails the removal unless forced); then its record goes and it is reset to a fresh,
 * uninitialised daemon (ResetClusterMember; ignored when forced and it cannot be reached).
 */
export function removeMicroclusterMember(
  world: World,
  machine: Machine,
  service: MicroclusterServiceName,
  name: string,
  force: boolean,
): void {
  const cluster = requireCluster(world, machine, service);
  const member = cluster.members.find((m) => m.name === name);
  if (!member) throw new DaemonError(`No remote exists with the given name "${name}"`);
  // A PENDING record dqlite never took in goes from the table alone; the counts are the records that are
  // not pending, then dqlite's own members (`info`), as clusterMemberDelete checks them.
  const inDqlite = cluster.members.filter((m) => m.joinedAt !== null).length;
  if (inDqlite < 1) {
    throw new DaemonError('Cannot remove cluster members, there are no remaining non-pending members');
  }
  if (inDqlite < 2) throw new DaemonError(`Cannot leave a cluster with ${inDqlite} members`);
  if (service === 'microceph') {
    const problem = cephPreRemoveProblem(cluster, name);
    if (problem !== null && !force) throw new DaemonError(problem);
    // deleteNodeServices, then the member's OSD rows go with its member row (ON DELETE CASCADE).
    const data = cephData(cluster);
    data.services = data.services.filter((s) => s.member !== name);
    data.osds = data.osds.filter((osd) => osd.member !== name);
  }
  if (service === 'microovn') {
    const data = ovnData(cluster);
    data.services = data.services.filter((s) => s.member !== name);
    delete data.encapIp[name];
  }
  cluster.members = cluster.members.filter((m) => m !== member);
  const removed = world.state.machines[member.host];
  if (removed?.daemons[service]?.clusterId === cluster.id) removed.daemons[service] = freshDaemon(world);
}

/**
 * `lxc cluster remove NAME --force --yes` (LXD 5.21 clusterNodeDelete with force=1): the member leaves the
 * database whatever it still holds, and is not contacted: its daemon keeps believing it is a member and
 * needs a full reset before it can serve again (the prompt --yes answers says as much).
 */
export function forceRemoveLxdMember(world: World, machine: Machine, name: string): void {
  const cluster = lxdCluster(world, machine);
  if (!cluster) throw new LxdError('Server is not clustered');
  const data = lxdData(cluster);
  const member = cluster.members.find((m) => m.name === name && m.joinedAt !== null);
  if (!member) throw new LxdError('Cluster member not found');
  if (cluster.members.filter((m) => m.joinedAt !== null).length === 1) {
    throw new LxdError('Member is the only member in the cluster');
  }
  for (const object of [...data.storagePools, ...data.networks]) {
    delete object.memberConfig[name];
    object.createdOn = object.createdOn.filter((m) => m !== name);
  }
  data.volumes = data.volumes.filter((v) => v.member !== name);
  cluster.members = cluster.members.filter((m) => m !== member);
}

/**
 * `lxc storage volume delete POOL VOLUME [--target M]` (LXD 5.21 storagePoolVolumeDelete): a volume the
 * daemon itself uses (storage.images_volume / storage.backups_volume, VolumeUsedByDaemon) is in use.
 */
export function deleteCustomVolume(
  world: World,
  target: Machine,
  poolName: string,
  volumeName: string,
): void {
  const database = lxdDatabase(world, target);
  const pool = requirePool(database, poolName);
  const remote = pool.driver === 'ceph' || pool.driver === 'cephfs';
  const member = remote ? null : localMemberName(target);
  const volume = database.volumes.find(
    (v) => v.pool === poolName && v.name === volumeName && (remote || v.member === member),
  );
  if (!volume) throw new LxdError('Storage volume not found');
  const config = serverConfigOf(world, target);
  const used = [config['storage.images_volume'], config['storage.backups_volume']].includes(
    `${poolName}/${volumeName}`,
  );
  if (used) throw new LxdError('The storage volume is still in use');
  database.volumes = database.volumes.filter((v) => v !== volume);
}

/**
 * `microcloud remove NAME [--force]` (mc2 api/services_cluster.go removeClusterMember, called on the local
 * daemon): a 2-member MicroCeph whose leaving member runs a monitor is refused first; then, for each service
 * the member is in, LXD first, MicroCeph and MicroOVN next, MicroCloud last, each removal as that service's
 * own (its refusals fail the command where it stands). Before MicroCeph, the pools above the OSD count that
 * stays are set to it ("" = the default size when none is). A member in no service is not found.
 */
export function microcloudRemove(world: World, machine: Machine, name: string, force: boolean): void {
  const cloud = requireCluster(world, machine, 'microcloud');
  const ceph = clusterOf(world, machine, 'microceph');
  const ovn = clusterOf(world, machine, 'microovn');
  const lxd = lxdCluster(world, machine);
  if (ceph !== null && ceph.members.length === 2 && ceph.members.some((m) => m.name === name)) {
    if (cephData(ceph).services.some((s) => s.member === name && s.service === 'mon')) {
      throw new CloudError(
        `${goQuote(name)} must be removed from the Ceph monmap before it can be removed from MicroCloud`,
      );
    }
  }
  let found = false;
  const lxdMember = lxd?.members.some((m) => m.name === name && m.joinedAt !== null) ?? false;
  if (lxdMember) {
    found = true;
    try {
      if (force) forceRemoveLxdMember(world, machine, name);
      else removeLxdMember(world, machine, name);
    } catch (err) {
      if (err instanceof LxdError) throw new CloudError(err.message);
      throw err;
    }
  }
  if (ceph !== null && ceph.members.some((m) => m.name === name)) {
    found = true;
    const data = cephData(ceph);
    const diskCount = data.osds.filter((osd) => osd.member !== name).length;
    if (diskCount === 0) throw new NotModelledError('microcloud remove leaving no OSD (pool size 0)');
    const above = data.pools.filter((p) => p.size > diskCount).map((p) => p.name);
    setReplicationFactor(ceph, above.length > 0 ? above : [''], diskCount);
    removeMicroclusterMember(world, machine, 'microceph', name, force);
  }
  if (ovn !== null && ovn.members.some((m) => m.name === name)) {
    found = true;
    removeMicroclusterMember(world, machine, 'microovn', name, force);
  }
  if (cloud.members.some((m) => m.name === name)) {
    found = true;
    removeMicroclusterMember(world, machine, 'microcloud', name, force);
  }
  if (!found) throw new CloudError(`Cluster member ${goQuote(name)} not found on any service`);
}

/** Go's %q of a plain name. */
const goQuote = (text: string): string => JSON.stringify(text);
