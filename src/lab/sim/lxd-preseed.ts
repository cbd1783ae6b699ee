// `lxd init --preseed` (lxd/main_init.go, main_init_preseed.go, init.go at lxd-5.21.3): the YAML read strictly
// into api.InitPreseed, the join token resolved to a reachable member whose certificate matches, then
// either the join API (cluster address and server address both set) or the local config, pools, networks
// and profiles followed by clustering (§1.4). Changes are undone when a later step fails, as LXD's revert
// does.

import type { Machine } from './machine.js';
import {
  LxdError,
  bootstrapLxdCluster,
  canonicalNetworkAddress,
  checkServerName,
  decodeLxdJoinToken,
  goSplitHostPort,
  lxdAt,
  lxdCluster,
  lxdDaemonOf,
  lxdDatabase,
  servedCertificate,
  updateServerConfig,
} from './lxd.js';
import { joinLxdCluster, type MemberConfigKey } from './lxd-join.js';
import { createNetwork } from './lxd-network.js';
import { profilePut, updateProfile } from './lxd-profiles.js';
import { createStoragePool } from './lxd-storage.js';
import { machineWithAddress } from './machine.js';
import { NotModelledError, type Output } from './program.js';
import {
  YamlUnmarshalError,
  decodedList,
  decodedString,
  decodedStringMap,
  unmarshalStrict,
  type Decoded,
  type GoType,
} from './yaml-v2.js';
import { allMachines, type World } from './world.js';

const STRING: GoType = { kind: 'string' };
const BOOL: GoType = { kind: 'bool' };
const STRING_MAP: GoType = { kind: 'map', goType: 'map[string]string', value: STRING };

/** api.InitPreseed with its inline structs flattened, as yaml.v2 sees the fields. */
const INIT_PRESEED: GoType & { kind: 'struct' } = {
  kind: 'struct',
  goType: 'api.InitPreseed',
  fields: {
    config: { kind: 'map', goType: 'map[string]interface {}', value: { kind: 'any' } },
    networks: {
      kind: 'slice',
      goType: '[]api.InitNetworksProjectPost',
      item: {
        kind: 'struct',
        goType: 'api.InitNetworksProjectPost',
        fields: { config: STRING_MAP, description: STRING, name: STRING, type: STRING, project: STRING },
      },
    },
    storage_pools: {
      kind: 'slice',
      goType: '[]api.StoragePoolsPost',
      item: {
        kind: 'struct',
        goType: 'api.StoragePoolsPost',
        fields: { config: STRING_MAP, description: STRING, name: STRING, driver: STRING },
      },
    },
    storage_volumes: {
      kind: 'slice',
      goType: '[]api.InitStorageVolumesProjectPost',
      item: { kind: 'opaque' },
    },
    profiles: {
      kind: 'slice',
      goType: '[]api.ProfilesPost',
      item: {
        kind: 'struct',
        goType: 'api.ProfilesPost',
        fields: {
          config: STRING_MAP,
          description: STRING,
          devices: { kind: 'map', goType: 'map[string]map[string]string', value: STRING_MAP },
          name: STRING,
        },
      },
    },
    projects: { kind: 'slice', goType: '[]api.ProjectsPost', item: { kind: 'opaque' } },
    cluster: {
      kind: 'struct',
      goType: 'api.InitClusterPreseed',
      fields: {
        server_name: STRING,
        enabled: BOOL,
        member_config: {
          kind: 'slice',
          goType: '[]api.ClusterMemberConfigKey',
          item: {
            kind: 'struct',
            goType: 'api.ClusterMemberConfigKey',
            fields: { entity: STRING, name: STRING, key: STRING, value: STRING, description: STRING },
          },
        },
        cluster_address: STRING,
        cluster_certificate: STRING,
        server_address: STRING,
        cluster_password: STRING,
        cluster_token: STRING,
        cluster_certificate_path: STRING,
      },
    },
  },
};

interface ClusterPreseed {
  serverName: string;
  enabled: boolean;
  memberConfig: MemberConfigKey[];
  clusterAddress: string;
  clusterCertificate: string;
  serverAddress: string;
  clusterPassword: string;
  clusterToken: string;
  clusterCertificatePath: string;
}

function asRecord(value: Decoded | undefined): Record<string, Decoded> | null {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value)
    ? value
    : null;
}

function clusterOf(value: Decoded | undefined): ClusterPreseed | null {
  const record = asRecord(value);
  if (!record) return null;
  return {
    serverName: decodedString(record['server_name']),
    enabled: record['enabled'] === true,
    memberConfig: decodedList(record['member_config']).map((entry) => ({
      entity: decodedString(entry['entity']),
      name: decodedString(entry['name']),
      key: decodedString(entry['key']),
      value: decodedString(entry['value']),
    })),
    clusterAddress: decodedString(record['cluster_address']),
    clusterCertificate: decodedString(record['cluster_certificate']),
    serverAddress: decodedString(record['server_address']),
    clusterPassword: decodedString(record['cluster_password']),
    clusterToken: decodedString(record['cluster_token']),
    clusterCertificatePath: decodedString(record['cluster_certificate_path']),
  };
}

/** Go's net/http error for a dial that failed: refused where a host exists, a 10 s timeout elsewhere. */
async function certificateFetchError(world: World, address: string, signal?: AbortSignal): Promise<string> {
  const split = goSplitHostPort(address);
  const host = split ? machineWithAddress(allMachines(world), split.host) : undefined;
  if (!host) await world.clock.sleep(10_000, signal);
  const dial = host ? 'connect: connection refused' : 'i/o timeout';
  return `Get "https://${address}": Unable to connect to: ${address} ([dial tcp ${address}: ${dial}])`;
}

/** Everything a failed init must put back (revert.Fail in main_init.go / init.go). */
function snapshot(world: World, machine: Machine): () => void {
  const daemon = lxdDaemonOf(machine);
  const config = structuredClone(daemon.config);
  const database = lxdDatabase(world, machine);
  const copy = structuredClone(database);
  return () => {
    daemon.config = config;
    Object.assign(database, copy);
  };
}

/**
 * `lxd init --preseed` with the YAML on stdin. Messages printed on stdout (unreachable members) go to
 * `out`; failures throw LxdError with the text cobra prints after `Error: `.
 */
export async function lxdInitPreseed(
  world: World,
  machine: Machine,
  stdin: string,
  out: Output,
  signal?: AbortSignal,
): Promise<void> {
  let document: Record<string, Decoded>;
  try {
    document = unmarshalStrict(stdin, INIT_PRESEED);
  } catch (error) {
    if (error instanceof YamlUnmarshalError)
      throw new LxdError(`Failed to parse the preseed: ${error.message}`);
    throw error;
  }
  for (const key of ['storage_volumes', 'projects']) {
    const list = document[key];
    if (Array.isArray(list) && list.length > 0) throw new NotModelledError(`${key} in an LXD preseed`);
  }
  const cluster = clusterOf(document['cluster']);
  const config = decodedStringMap(document['config']);

  if (cluster && cluster.clusterCertificatePath !== '')
    throw new NotModelledError('cluster_certificate_path in an LXD preseed');
  if (cluster && cluster.clusterToken !== '') {
    let token;
    try {
      token = decodeLxdJoinToken(cluster.clusterToken);
    } catch (error) {
      if (error instanceof LxdError) throw new LxdError(`Invalid cluster join token: ${error.message}`);
      throw error;
    }
    cluster.serverName = token.server_name;
    for (const raw of token.addresses) {
      cluster.clusterAddress = canonicalNetworkAddress(raw);
      const member = lxdAt(world, cluster.clusterAddress);
      if (!member) {
        out.println(
          `Error connecting to existing cluster member ${JSON.stringify(raw)}: ${await certificateFetchError(world, cluster.clusterAddress, signal)}`,
        );
        continue;
      }
      const certificate = servedCertificate(world, member);
      if (certificate.fingerprint !== token.fingerprint) {
        throw new LxdError(
          `Certificate fingerprint mismatch between join token and cluster member ${JSON.stringify(raw)}`,
        );
      }
      cluster.clusterCertificate = certificate.pem;
      break;
    }
    if (cluster.clusterCertificate === '')
      throw new LxdError('Unable to connect to any of the cluster members specified in join token');
    cluster.clusterPassword = cluster.clusterToken;
  }
  if (
    cluster &&
    config['core.https_address'] !== undefined &&
    config['cluster.https_address'] === undefined
  ) {
    config['cluster.https_address'] = config['core.https_address'];
  }
  if (cluster && cluster.clusterAddress !== '' && cluster.serverAddress !== '') {
    try {
      if (!cluster.enabled && cluster.serverName === '')
        throw new NotModelledError('disabling clustering through a preseed');
      checkServerName(cluster.serverName, cluster.enabled);
      if (!cluster.enabled) throw new NotModelledError('disabling clustering through a preseed');
      await joinLxdCluster(
        world,
        machine,
        {
          serverName: cluster.serverName,
          serverAddress: canonicalNetworkAddress(cluster.serverAddress),
          clusterAddress: canonicalNetworkAddress(cluster.clusterAddress),
          clusterCertificate: cluster.clusterCertificate,
          clusterToken: cluster.clusterToken,
          memberConfig: cluster.memberConfig,
        },
        signal,
      );
    } catch (error) {
      if (error instanceof LxdError) throw new LxdError(`Failed to join cluster: ${error.message}`);
      throw error;
    }
    return;
  }

  const revert = snapshot(world, machine);
  const wasClustered = lxdCluster(world, machine) !== null;
  try {
    applyLocal(world, machine, document, config);
    if (cluster?.enabled && !lxdCluster(world, machine)) {
      try {
        checkServerName(cluster.serverName, cluster.enabled);
        if (cluster.clusterAddress !== '') {
          if (cluster.clusterCertificate === '')
            throw new LxdError('No target cluster member certificate provided');
          if (cluster.serverAddress === '') throw new LxdError('No server address provided for this member');
        }
        await bootstrapLxdCluster(world, machine, cluster.serverName, signal);
      } catch (error) {
        if (error instanceof LxdError) throw new LxdError(`Failed to configure cluster: ${error.message}`);
        throw error;
      }
    }
  } catch (error) {
    // A bootstrap that went through is not undone; everything before it is (revert.Fail).
    if (wasClustered || !lxdCluster(world, machine)) revert();
    throw error;
  }
}

/** initDataNodeApply: server config, storage pools, networks, profiles. */
function applyLocal(
  world: World,
  machine: Machine,
  document: Record<string, Decoded>,
  config: Record<string, string>,
): void {
  if (Object.keys(config).length > 0) {
    try {
      updateServerConfig(world, machine, config);
    } catch (error) {
      if (error instanceof LxdError)
        throw new LxdError(`Failed to update server configuration: ${error.message}`);
      throw error;
    }
  }
  const database = lxdDatabase(world, machine);
  for (const pool of decodedList(document['storage_pools'])) {
    const name = decodedString(pool['name']);
    const driver = decodedString(pool['driver']);
    const existing = database.storagePools.find((p) => p.name === name);
    if (existing) {
      if (existing.driver !== driver) {
        throw new LxdError(
          `Storage pool ${JSON.stringify(name)} is of type ${JSON.stringify(existing.driver)} instead of ${JSON.stringify(driver)}`,
        );
      }
      throw new NotModelledError('updating an existing storage pool from a preseed');
    }
    try {
      createStoragePool(
        world,
        machine,
        {
          name,
          driver,
          description: decodedString(pool['description']),
          config: decodedStringMap(pool['config']),
        },
        null,
      );
    } catch (error) {
      if (error instanceof LxdError)
        throw new LxdError(`Failed to create storage pool ${JSON.stringify(name)}: ${error.message}`);
      throw error;
    }
  }
  for (const network of decodedList(document['networks'])) {
    const name = decodedString(network['name']);
    const project = decodedString(network['project']) || 'default';
    if (project !== 'default') throw new NotModelledError('networks in projects other than default');
    if (database.networks.some((n) => n.name === name) || machine.nics.some((n) => n.name === name))
      throw new NotModelledError('updating an existing network from a preseed');
    try {
      createNetwork(
        world,
        machine,
        {
          name,
          type: decodedString(network['type']),
          description: decodedString(network['description']),
          config: decodedStringMap(network['config']),
        },
        null,
      );
    } catch (error) {
      if (error instanceof LxdError) {
        throw new LxdError(
          `Failed to create local member network ${JSON.stringify(name)} in project "default": ${error.message}`,
        );
      }
      throw error;
    }
  }
  for (const profile of decodedList(document['profiles'])) {
    const name = decodedString(profile['name']);
    if (!database.profiles[name]) throw new NotModelledError('creating profiles from a preseed');
    const put = profilePut(world, machine, name);
    const description = decodedString(profile['description']);
    if (description !== '') put.description = description;
    Object.assign(put.config, decodedStringMap(profile['config']));
    const devices = asRecord(profile['devices']) ?? {};
    for (const [deviceName, device] of Object.entries(devices)) {
      const values = decodedStringMap(device);
      const current = put.devices[deviceName];
      if (current) Object.assign(current, values);
      else put.devices[deviceName] = values;
    }
    try {
      updateProfile(world, machine, name, put);
    } catch (error) {
      if (error instanceof LxdError)
        throw new LxdError(`Failed to update profile ${JSON.stringify(name)}: ${error.message}`);
      throw error;
    }
  }
}
