// What the running cluster already has, read on one member in one round trip: LXD's pools, networks, default
// profile and per-member server config, MicroCeph's OSDs and pools, and which MicroOVN members run `central`.
// The planner compares this with the design; a re-run on a converged cluster finds nothing to change.

import { z } from 'zod';
// Quoting is pure and lives in one module, whichever layer builds the command.
import { quoteArg } from '../../transport/quote.js';
import { TIMED_OUT_EXIT, timedOutMessage, type FramedCommand, type FramedOutput } from '../framed.js';

export interface LxdPoolState {
  name: string;
  driver: string;
  /** `Created`, or `Pending` while only per-member (`--target`) definitions exist (§3.2). */
  status: string;
  config: Record<string, string>;
  /** Members with a definition of the pool (pending or created). */
  locations: string[];
  usedBy: string[];
}

export interface LxdNetworkState {
  name: string;
  type: string;
  status: string;
  description: string;
  config: Record<string, string>;
  locations: string[];
}

export interface LxdClusterState {
  serverConfig: Record<string, string>;
  apiExtensions: string[];
  pools: LxdPoolState[];
  /** Managed networks only. */
  networks: LxdNetworkState[];
  /** Devices of the `default` profile. */
  profileDevices: Record<string, Record<string, string>>;
  /** Member-specific server config (`lxc config get KEY --target M`), by member. */
  memberConfig: Record<string, Record<string, string>>;
}

export interface CephOsd {
  osd: number;
  path: string;
  location: string;
}

export interface CephState {
  osds: CephOsd[];
  pools: { name: string; size: number }[];
}

export interface ClusterState {
  /** Null when LXD is not clustered on the host that was asked. */
  lxd: LxdClusterState | null;
  /** Null when MicroCeph is not bootstrapped there. */
  ceph: CephState | null;
  /** MicroOVN members running `central` (they serve the OVN databases); null without MicroOVN. */
  ovnCentral: string[] | null;
}

export const EMPTY_CLUSTER_STATE: ClusterState = { lxd: null, ceph: null, ovnCentral: null };

export interface ClusterStateQuery {
  lxdMembers: string[];
  microceph: boolean;
  microovn: boolean;
}

/** The commands to run (as root) on a member of every service that `query` says is there. */
export function clusterStateCommands(query: ClusterStateQuery): FramedCommand[] {
  const commands: FramedCommand[] = [];
  if (query.lxdMembers.length > 0) {
    commands.push(
      { name: 'lxdServer', command: 'lxc query /1.0' },
      { name: 'lxdPools', command: `lxc query ${quoteArg('/1.0/storage-pools?recursion=1')}` },
      { name: 'lxdNetworks', command: `lxc query ${quoteArg('/1.0/networks?recursion=1')}` },
      { name: 'lxdProfile', command: 'lxc query /1.0/profiles/default' },
    );
    query.lxdMembers.forEach((member, i) =>
      commands.push({
        name: `lxdMember${i}`,
        command: `lxc query ${quoteArg(`/1.0?target=${encodeURIComponent(member)}`)}`,
      }),
    );
  }
  if (query.microceph) {
    commands.push(
      { name: 'cephDisks', command: 'microceph disk list --json' },
      { name: 'cephPools', command: 'microceph pool list' },
    );
  }
  if (query.microovn) commands.push({ name: 'ovnStatus', command: 'microovn status' });
  return commands;
}

const stringMap = z.record(z.string(), z.string()).nullish();
const poolSchema = z.looseObject({
  name: z.string(),
  driver: z.string(),
  status: z.string(),
  config: stringMap,
  locations: z.array(z.string()).nullish(),
  used_by: z.array(z.string()).nullish(),
});
const networkSchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  managed: z.boolean(),
  status: z.string().nullish(),
  description: z.string().nullish(),
  config: stringMap,
  locations: z.array(z.string()).nullish(),
});
const serverSchema = z.looseObject({ config: stringMap, api_extensions: z.array(z.string()) });
const profileSchema = z.looseObject({
  devices: z.record(z.string(), z.record(z.string(), z.string())).nullish(),
});
const cephDisksSchema = z.looseObject({
  ConfiguredDisks: z
    .array(z.looseObject({ osd: z.number(), path: z.string(), location: z.string() }))
    .nullish(),
});

export class ClusterStateError extends Error {}

function parseJson<T>(what: string, output: FramedOutput | undefined, schema: z.ZodType<T>): T {
  if (output === undefined) throw new ClusterStateError(`${what}: the command did not run to its end`);
  if (output.exitCode === TIMED_OUT_EXIT) throw new ClusterStateError(`${what} ${timedOutMessage()}`);
  if (output.exitCode !== 0) {
    throw new ClusterStateError(`${what} failed (exit ${output.exitCode}): ${output.stderr.trim()}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(output.stdout);
  } catch {
    throw new ClusterStateError(`${what}: not JSON: ${output.stdout.trim().slice(0, 60)}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ClusterStateError(`${what}: unexpected shape: ${parsed.error.message}`);
  return parsed.data;
}

/** Rows of the ASCII tables LXD-style CLIs print (`+---+` borders, `|` separated cells). */
export function parseAsciiTable(text: string): Record<string, string>[] {
  const rows = text
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .slice(1, line.lastIndexOf('|'))
        .split('|')
        .map((cell) => cell.trim()),
    );
  const [header, ...body] = rows;
  if (header === undefined) return [];
  return body.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ''])));
}

/** The `- name (ip)` / `  Services: a, b` blocks of `microceph status` and `microovn status` (§10.7, §10.8). */
export function servicesByMember(text: string): Map<string, string[]> {
  const units = new Map<string, string[]>();
  let member: string | null = null;
  for (const line of text.split('\n')) {
    const head = /^- (\S+) \(/.exec(line);
    if (head) member = head[1] ?? null;
    const services = /^\s+Services: (.*)$/.exec(line);
    if (services && member !== null) {
      units.set(
        member,
        (services[1] ?? '').split(/,\s*/).filter((s) => s !== ''),
      );
    }
  }
  return units;
}

/** `microovn status`: the members that run `central`. */
export function parseOvnCentral(text: string): string[] {
  return [...servicesByMember(text)]
    .filter(([, units]) => units.includes('central'))
    .map(([member]) => member);
}

export function parseClusterState(
  query: ClusterStateQuery,
  outputs: ReadonlyMap<string, FramedOutput>,
): ClusterState {
  let lxd: LxdClusterState | null = null;
  if (query.lxdMembers.length > 0) {
    const server = parseJson('lxc query /1.0', outputs.get('lxdServer'), serverSchema);
    const pools = parseJson('lxc query /1.0/storage-pools', outputs.get('lxdPools'), z.array(poolSchema));
    const networks = parseJson('lxc query /1.0/networks', outputs.get('lxdNetworks'), z.array(networkSchema));
    const profile = parseJson('lxc query /1.0/profiles/default', outputs.get('lxdProfile'), profileSchema);
    const memberConfig: Record<string, Record<string, string>> = {};
    query.lxdMembers.forEach((member, i) => {
      const view = parseJson(`lxc query /1.0?target=${member}`, outputs.get(`lxdMember${i}`), serverSchema);
      memberConfig[member] = view.config ?? {};
    });
    lxd = {
      serverConfig: server.config ?? {},
      apiExtensions: server.api_extensions,
      pools: pools.map((p) => ({
        name: p.name,
        driver: p.driver,
        status: p.status,
        config: p.config ?? {},
        locations: p.locations ?? [],
        usedBy: p.used_by ?? [],
      })),
      networks: networks
        .filter((n) => n.managed)
        .map((n) => ({
          name: n.name,
          type: n.type,
          status: n.status ?? '',
          description: n.description ?? '',
          config: n.config ?? {},
          locations: n.locations ?? [],
        })),
      profileDevices: profile.devices ?? {},
      memberConfig,
    };
  }
  let ceph: CephState | null = null;
  if (query.microceph) {
    const disks = parseJson('microceph disk list --json', outputs.get('cephDisks'), cephDisksSchema);
    const poolsOutput = outputs.get('cephPools');
    if (poolsOutput === undefined || poolsOutput.exitCode !== 0) {
      throw new ClusterStateError(
        `microceph pool list failed: ${poolsOutput?.stderr.trim() ?? 'did not run'}`,
      );
    }
    ceph = {
      osds: disks.ConfiguredDisks ?? [],
      pools: parseAsciiTable(poolsOutput.stdout).map((row) => ({
        name: row['NAME'] ?? '',
        size: Number(row['SIZE'] ?? 0),
      })),
    };
  }
  let ovnCentral: string[] | null = null;
  if (query.microovn) {
    const status = outputs.get('ovnStatus');
    if (status === undefined || status.exitCode !== 0) {
      throw new ClusterStateError(`microovn status failed: ${status?.stderr.trim() ?? 'did not run'}`);
    }
    ovnCentral = parseOvnCentral(status.stdout);
  }
  return { lxd, ceph, ovnCentral };
}
