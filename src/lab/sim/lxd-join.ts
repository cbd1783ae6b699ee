// Joining an LXD cluster (clusterPutJoin, clusterInitMember, internalClusterPostAccept in lxd/api_cluster.go;
// certificatesPost token checks in lxd/certificates.go; cluster.Accept in lxd/cluster/membership.go, all
// lxd-5.21.3): the joiner listens on its server address, proves the token to the cluster (single use,
// issued for this name, unexpired), creates the cluster's pools and networks locally with its
// member_config, and is accepted under a name and address no member has yet (§1.3 step 2c, §3.7).

import type { Machine } from './machine.js';
import { lxdApiExtensions } from './lxd-extensions.js';
import {
  LxdError,
  canonicalNetworkAddress,
  checkServerName,
  daemonVersionOf,
  decodeLxdJoinToken,
  goSplitHostPort,
  isAddressCovered,
  isWildcardAddress,
  joinedMembers,
  lxdAt,
  lxdCluster,
  lxdDaemonOf,
  lxdData,
  updateServerConfig,
} from './lxd.js';
import { NODE_SPECIFIC_NETWORK_KEYS } from './lxd-network.js';
import { NODE_SPECIFIC_STORAGE_KEYS, createPoolLocally } from './lxd-storage.js';
import { hasAddress } from './machine.js';
import { NotModelledError } from './program.js';
import { spend, type ClusterMemberRecord, type ClusterState, type World } from './world.js';

export interface MemberConfigKey {
  entity: string;
  name: string;
  key: string;
  value: string;
}

/** api.ClusterPut as the join path uses it. */
export interface LxdJoinRequest {
  serverName: string;
  serverAddress: string;
  clusterAddress: string;
  /** PEM of the cluster certificate the joiner pinned (from the token's fingerprint). */
  clusterCertificate: string;
  clusterToken: string;
  memberConfig: MemberConfigKey[];
}

function bindProblem(machine: Machine, address: string): string | null {
  const split = goSplitHostPort(address);
  if (!split || split.host === '' || split.host === '::' || split.host === '0.0.0.0') return null;
  return hasAddress(machine, split.host)
    ? null
    : `listen tcp ${address}: bind: cannot assign requested address`;
}

/**
 * PUT /1.0/cluster with a cluster address: the synchronous checks and listener changes, then the join
 * operation (`lxd.join` time). Throws LxdError with the API's message; `lxd init` prefixes
 * "Failed to join cluster: ".
 */
export async function joinLxdCluster(
  world: World,
  machine: Machine,
  request: LxdJoinRequest,
  signal?: AbortSignal,
): Promise<ClusterState> {
  const daemon = lxdDaemonOf(machine);
  checkServerName(request.serverName, true);
  if (request.clusterCertificate === '') throw new LxdError('No target cluster member certificate provided');
  if (daemon.clusterId !== null) throw new LxdError('This server is already clustered');
  if (request.serverAddress === '') throw new LxdError('No server address provided for this member');
  const serverAddress = canonicalNetworkAddress(request.serverAddress);
  let localAddress = daemon.config['core.https_address'] ?? '';
  if (localAddress === '') {
    const problem = bindProblem(machine, serverAddress);
    if (problem)
      throw new LxdError(
        `Cannot listen on network HTTPS socket ${JSON.stringify(serverAddress)}: ${problem}`,
      );
    daemon.config['core.https_address'] = request.serverAddress;
    daemon.config['cluster.https_address'] = request.serverAddress;
    localAddress = request.serverAddress;
  } else {
    if (!isAddressCovered(request.serverAddress, localAddress)) {
      const problem = bindProblem(machine, serverAddress);
      if (problem)
        throw new LxdError(
          `Cannot listen on cluster HTTPS socket ${JSON.stringify(serverAddress)}: ${problem}`,
        );
      localAddress = request.serverAddress;
    } else if (isWildcardAddress(localAddress)) {
      localAddress = request.serverAddress;
    }
    daemon.config['cluster.https_address'] = localAddress;
  }

  // The join operation.
  const leader = lxdAt(world, canonicalNetworkAddress(request.clusterAddress));
  const cluster = leader ? lxdCluster(world, leader) : null;
  if (!leader || !cluster) throw new NotModelledError('an LXD join whose cluster address stopped answering');
  const trust = (message: string): LxdError =>
    new LxdError(`Failed to setup cluster trust: Failed to add server cert to cluster: ${message}`);
  const token = decodeLxdJoinToken(request.clusterToken);
  const record = cluster.tokens.find((t) => t.name === token.server_name && t.secret === token.secret);
  if (!record) throw trust('No matching cluster join operation found');
  cluster.tokens = cluster.tokens.filter((t) => t !== record);
  if (record.expiresAt !== null && world.clock.now() > record.expiresAt) {
    throw trust('Failed during search for join token operation: Token has expired');
  }
  const data = lxdData(cluster);
  const initialised = initMember(world, machine, cluster, request.memberConfig);

  // internalClusterPostAccept on the leader (cluster.Accept, membershipCheckClusterStateForAccept).
  const address = canonicalNetworkAddress(localAddress);
  const accept = (message: string): LxdError => new LxdError(`Failed request to add member: ${message}`);
  if (joinedMembers(cluster).some((m) => m.name === request.serverName))
    throw accept(`The cluster already has a member with name: ${request.serverName}`);
  if (cluster.members.some((m) => m.address === address))
    throw accept(`The cluster already has a member with address: ${address}`);
  const leaderVersion = daemonVersionOf(world, leader, 'lxd') ?? '';
  const ownExtensions = lxdApiExtensions(daemonVersionOf(world, machine, 'lxd') ?? '');
  const leaderExtensions = lxdApiExtensions(leaderVersion);
  if (!ownExtensions || !leaderExtensions)
    throw new NotModelledError('LXD releases other than 5.21.2-5.21.4');
  if (ownExtensions.length !== leaderExtensions.length) {
    throw accept(
      `The joining server version doesn't match (expected ${leaderVersion} with API count ${ownExtensions.length})`,
    );
  }
  const member: ClusterMemberRecord = {
    name: request.serverName,
    host: machine.name,
    address,
    certificatePem: daemon.certificate.pem,
    certificateFingerprint: daemon.certificate.fingerprint,
    joinedAt: null,
  };
  cluster.members.push(member);
  daemon.clusterId = cluster.id;
  daemon.serverName = request.serverName;
  daemon.standalone = null;
  for (const [poolName, config] of Object.entries(initialised.pools)) {
    const pool = data.storagePools.find((p) => p.name === poolName);
    if (!pool) continue;
    pool.memberConfig[request.serverName] = config;
    if (!pool.createdOn.includes(request.serverName)) pool.createdOn.push(request.serverName);
  }
  for (const [networkName, config] of Object.entries(initialised.networks)) {
    const network = data.networks.find((n) => n.name === networkName);
    if (!network) continue;
    network.memberConfig[request.serverName] = config;
    if (!network.createdOn.includes(request.serverName)) network.createdOn.push(request.serverName);
  }
  // The join operation runs in the daemon: a client that stops waiting does not undo it.
  try {
    await spend(world, 'lxd.join', signal);
  } catch (error) {
    member.joinedAt = world.clock.now();
    throw error;
  }
  member.joinedAt = world.clock.now();
  return cluster;
}

/**
 * clusterInitMember: the cluster's created pools and managed networks, created on the joiner with the
 * member_config keys that are member-specific (others are ignored with a warning in LXD's log).
 * Returns each object's member-specific config on the joiner.
 */
function initMember(
  world: World,
  machine: Machine,
  cluster: ClusterState,
  memberConfig: MemberConfigKey[],
): { pools: Record<string, Record<string, string>>; networks: Record<string, Record<string, string>> } {
  const data = lxdData(cluster);
  const daemon = lxdDaemonOf(machine);
  const local = daemon.standalone;
  const fail = (message: string): LxdError =>
    new LxdError(`Failed to initialize member: Failed to initialize storage pools and networks: ${message}`);
  const pools: Record<string, Record<string, string>> = {};
  for (const pool of data.storagePools) {
    if (pool.status === 'Pending') continue;
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(pool.config)) {
      if (!NODE_SPECIFIC_STORAGE_KEYS.includes(key)) config[key] = value;
    }
    for (const entry of memberConfig) {
      if (entry.entity !== 'storage-pool' || entry.name !== pool.name) continue;
      if (NODE_SPECIFIC_STORAGE_KEYS.includes(entry.key)) config[entry.key] = entry.value;
    }
    const existing = local?.storagePools.find((p) => p.name === pool.name);
    if (existing) {
      if (existing.driver !== pool.driver) {
        throw fail(
          `Storage pool ${JSON.stringify(pool.name)} is of type ${JSON.stringify(existing.driver)} instead of ${JSON.stringify(pool.driver)}`,
        );
      }
      throw new NotModelledError('joining with a local storage pool of the same name (pool update)');
    }
    let created: Record<string, string>;
    try {
      // ClientTypeJoiner: remote drivers only mount, local ones run their Create.
      created = createPoolLocally(world, machine, pool, config, false);
    } catch (error) {
      if (!(error instanceof LxdError)) throw error;
      throw fail(`Failed to create storage pool ${JSON.stringify(pool.name)}: ${error.message}`);
    }
    const node: Record<string, string> = {};
    for (const [key, value] of Object.entries(created)) {
      if (NODE_SPECIFIC_STORAGE_KEYS.includes(key) && value !== '') node[key] = value;
    }
    pools[pool.name] = node;
  }
  const networks: Record<string, Record<string, string>> = {};
  for (const network of data.networks) {
    if (network.status !== 'Created') continue;
    const node: Record<string, string> = {};
    for (const entry of memberConfig) {
      if (entry.entity !== 'network' || entry.name !== network.name) continue;
      if (NODE_SPECIFIC_NETWORK_KEYS.includes(entry.key)) node[entry.key] = entry.value;
    }
    if (local?.networks.some((n) => n.name === network.name))
      throw new NotModelledError('joining with a local network of the same name (network update)');
    // Joiners skip validation and Start (doNetworksCreate); a missing parent only shows once started.
    networks[network.name] = node;
  }
  return { pools, networks };
}

/** After MicroCloud's LXD join: core.https_address back to the wildcard (mc2 service/lxd.go Join). */
export function listenOnAllAddresses(world: World, machine: Machine): void {
  updateServerConfig(world, machine, { 'core.https_address': '[::]:8443' });
}
