// LXD's own view of its state (§1.1 pre-checks, §10.4, §10.5): the server (`lxc query /1.0`: version, API
// extensions, clustered or not), its storage pools (`lxc query /1.0/storage-pools`: MicroCloud counts LXD as
// initialised once it is clustered or has any pool) and the cluster members (`lxc cluster list -f json`).
// Field names are LXD's (shared/api/server.go, shared/api/cluster.go).

import { JsonObjectReader, parseJsonOutput } from './json-reader.js';
import { describeValue, FactsParseError, type FactSource } from './parse-error.js';

export const LXD_SERVER_COMMAND = 'lxc query /1.0';
export const LXD_STORAGE_POOLS_COMMAND = 'lxc query /1.0/storage-pools';
/** Fails with "LXD server isn't part of a cluster" on a server that is not clustered (lxc/cluster.go). */
export const LXD_CLUSTER_MEMBERS_COMMAND = 'lxc cluster list -f json';

export interface LxdServerInfo {
  /** environment.server_version, e.g. `5.21.3`. */
  version: string;
  /** environment.server_lts; null where LXD predates the field. */
  lts: boolean | null;
  /** api_extensions, in the server's order. */
  apiExtensions: string[];
  /** environment.server_clustered. */
  clustered: boolean;
  /**
   * environment.server_name: the member name once clustered, the host name before; `''` on a clustered LXD
   * whose join never finished (the join's revert empties the name it set in memory, after the join already
   * stored the cluster's raft nodes: lxd/api_cluster.go clusterPutJoin), until the daemon restarts.
   */
  serverName: string;
}

/** Parses `lxc query /1.0` as a trusted client (root or the lxd group) sees it. */
export function parseLxdServer(text: string): LxdServerInfo {
  const root = JsonObjectReader.of(
    'lxd server',
    '$',
    parseJsonOutput('lxd server', text, LXD_SERVER_COMMAND),
    'the server object from `lxc query /1.0`',
  );
  // An untrusted client gets no environment: the command must run as root.
  if (root.optionalString('auth') !== 'trusted') root.fail('auth', '"trusted" (run `lxc` as root)');
  if (!root.has('api_extensions')) root.fail('api_extensions', 'an array of API extension names');
  const environment = root.object('environment');
  const clustered = environment.boolean('server_clustered');
  return {
    version: environment.string('server_version'),
    lts: environment.optionalBoolean('server_lts'),
    apiExtensions: root.stringArray('api_extensions'),
    clustered,
    // Only a clustered LXD may have no name (see serverName); a standalone one answers with its host name.
    serverName: clustered && environment.raw('server_name') === '' ? '' : environment.string('server_name'),
  };
}

/** Top-level JSON arrays (lxc query lists, `-f json` tables). */
function parseJsonArray(source: FactSource, text: string, command: string, expected: string): unknown[] {
  const value = parseJsonOutput(source, text, command);
  if (!Array.isArray(value)) throw new FactsParseError(source, '$', expected, describeValue(value));
  return value as unknown[];
}

const POOL_URL = /^\/1\.0\/storage-pools\/([^/?]+)$/;

/** Parses `lxc query /1.0/storage-pools`: the pools' URLs, returned as names. `[]` before `lxd init`. */
export function parseLxdStoragePools(text: string): string[] {
  return parseJsonArray(
    'lxd storage pools',
    text,
    LXD_STORAGE_POOLS_COMMAND,
    'an array of storage pool URLs',
  ).map((item, index) => {
    const match = typeof item === 'string' ? POOL_URL.exec(item) : null;
    if (match === null) {
      throw new FactsParseError(
        'lxd storage pools',
        `$[${index}]`,
        'a URL `/1.0/storage-pools/NAME`',
        describeValue(item),
      );
    }
    return decodeURIComponent(match[1] ?? '');
  });
}

export interface LxdClusterMember {
  /** server_name. */
  name: string;
  /** e.g. `https://10.1.123.10:8443`. */
  url: string;
  /** `Online`, `Offline`, `Evacuated`, `Blocked`, ... as LXD reports it. */
  status: string;
  /** e.g. `Fully operational`; null when empty. */
  message: string | null;
  /** e.g. `database-leader`, `database`, `database-standby`. */
  roles: string[];
  /** The member holds a copy of the database. */
  database: boolean;
  architecture: string | null;
  failureDomain: string | null;
}

/** Parses `lxc cluster list -f json` (or `lxc query '/1.0/cluster/members?recursion=1'`): at least one member. */
export function parseLxdClusterMembers(text: string): LxdClusterMember[] {
  const items = parseJsonArray(
    'lxd cluster list',
    text,
    LXD_CLUSTER_MEMBERS_COMMAND,
    'an array of cluster members',
  );
  if (items.length === 0) {
    throw new FactsParseError('lxd cluster list', '$', 'at least one member (this server)', 'an empty array');
  }
  return items.map((item, index) => {
    const member = JsonObjectReader.of('lxd cluster list', `$[${index}]`, item);
    return {
      name: member.string('server_name'),
      url: member.string('url'),
      status: member.string('status'),
      message: member.optionalString('message'),
      roles: member.stringArray('roles'),
      database: member.optionalBoolean('database') ?? false,
      architecture: member.optionalString('architecture'),
      failureDomain: member.optionalString('failure_domain'),
    };
  });
}
