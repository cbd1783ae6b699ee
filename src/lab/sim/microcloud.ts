// The MicroCloud 2.x model behind `microcloud preseed` and `status` (§1.1-§2.3, §3, §4.3, §7): pre-checks,
// version checks, disk and network planning, and setupCluster's order of operations. The document lives in
// preseed.ts, the trust session in session.ts. Messages are mc2's (canonical/microcloud v2-edge); each is
// quoted where it is produced.

import {
  addDisks,
  afterCephBootstrap,
  afterCephJoin,
  cephData,
  servicesOn,
  setReplicationFactor,
  type DiskAddRequest,
} from './ceph.js';
import {
  LXD_PORT,
  LxdError,
  bootstrapLxdCluster,
  daemonVersionOf,
  decodeLxdJoinToken,
  isLxdInitialized,
  issueLxdJoinToken,
  lxdAt,
  lxdCluster,
  lxdData,
  lxdIsLts521,
  servedCertificate,
  updateServerConfig,
} from './lxd.js';
import { joinLxdCluster, listenOnAllAddresses, type MemberConfigKey } from './lxd-join.js';
import { createNetwork } from './lxd-network.js';
import { profilePut, updateProfile } from './lxd-profiles.js';
import { createCustomVolume, createStoragePool } from './lxd-storage.js';
import {
  machineAddresses,
  stableDiskPath,
  type BlockDevice,
  type Machine,
  type MicroclusterServiceName,
} from './machine.js';
import { DaemonError, bootstrapCluster, clusterOf, issueJoinToken, joinCluster } from './microcluster.js';
import {
  cidrContains,
  familyOf,
  formatCidr,
  joinHostPort,
  networkOf,
  parseCidr,
  parseIPv4,
  splitHostPort,
} from './net.js';
import { afterOvnMemberAdded } from './ovn.js';
import type { Output } from './program.js';
import { isSnapInstalled } from './snapd.js';
import { type ClusterState, type World } from './world.js';
import {
  CloudError,
  diskFields,
  isBootstrap,
  isInitiator,
  matchDiskFilter,
  parsePreseed,
  preseedAddress,
  validatePreseed,
  type DiskFilter,
  type Preseed,
  type PreseedDisk,
} from './preseed.js';
import { DEFAULT_SESSION_TIMEOUT_MS, endSession, joinerSession, startSession, waitFor } from './session.js';

export { CloudError } from './preseed.js';

export type ServiceType = 'MicroCloud' | 'LXD' | 'MicroCeph' | 'MicroOVN';

const SNAP_OF: Record<ServiceType, string> = {
  MicroCloud: 'microcloud',
  LXD: 'lxd',
  MicroCeph: 'microceph',
  MicroOVN: 'microovn',
};

/** Defaults from mc2 (§1.2, §1.3): lookup 60 s, membership wait 30 s, service tokens 1 h. */
const DEFAULT_LOOKUP_TIMEOUT_MS = 60_000;
const MEMBER_APPEAR_TIMEOUT_MS = 30_000;
const TOKEN_LIFETIME_MS = 3_600_000;

// ---------------------------------------------------------------------------------------------------------
// Services and versions.

/** Installed services in MicroCloud's order: MicroCloud and LXD are required, the others optional. */
function installedServices(machine: Machine): ServiceType[] {
  const services: ServiceType[] = ['MicroCloud', 'LXD'];
  if (isSnapInstalled(machine, 'microceph')) services.push('MicroCeph');
  if (isSnapInstalled(machine, 'microovn')) services.push('MicroOVN');
  return services;
}

function majorMinor(version: string): [number, number] | null {
  const match = /^(\d+)\.(\d+)/.exec(version);
  return match ? [Number(match[1]), Number(match[2])] : null;
}

/**
 * MicroCloud 3's service/version.go (canonical/microcloud main, 3.2): LXD, MicroOVN and MicroCeph each at
 * least their minimum (5.21, 24.03, 19.2 by major.minor, leading zeros dropped); a higher one is accepted
 * with the non-LTS warning.
 */
function validateVersion3(service: ServiceType, version: string, out: Output): string | null {
  let present = version;
  if (service === 'MicroCeph') {
    const match = /\d+\.\d+\.\d+/.exec(version);
    if (!match) return `MicroCeph version format not supported (${version})`;
    present = match[0];
  }
  const minimum: Partial<Record<ServiceType, [number, number]>> = {
    LXD: [5, 21],
    MicroOVN: [24, 3],
    MicroCeph: [19, 2],
  };
  const floor = minimum[service];
  if (!floor) return null;
  const have = majorMinor(present);
  const compare = !have ? -1 : have[0] !== floor[0] ? have[0] - floor[0] : have[1] - floor[1];
  if (compare < 0) return `${service} version "${present}" is not supported`;
  if (compare > 0) printWarning(out, `Discovered non-LTS version "${present}" of ${service}`);
  return null;
}

/**
 * service/version.go validateVersion (§7) of the running MicroCloud: 2.x below, 3.x relaxes MicroOVN and
 * MicroCeph to minimums. Returns the error, or null; prints the non-LTS warning.
 */
function validateVersion(
  service: ServiceType,
  version: string,
  cloudVersion: string,
  out: Output,
): string | null {
  if ((majorMinor(cloudVersion)?.[0] ?? 2) >= 3) return validateVersion3(service, version, out);
  if (service === 'LXD') {
    const present = majorMinor(version);
    if (!present || present[0] < 5 || (present[0] === 5 && present[1] < 21))
      return `LXD version "${version}" is not supported`;
    if (present[0] > 5 || present[1] > 21)
      printWarning(out, `Discovered non-LTS version "${version}" of LXD`);
    return null;
  }
  if (service === 'MicroOVN')
    return version === '24.03' ? null : `MicroOVN version "${version}" is not supported`;
  if (service === 'MicroCeph') {
    const match = /\d+\.\d+\.\d+/.exec(version);
    if (!match) return `MicroCeph version format not supported (${version})`;
    const present = majorMinor(match[0]);
    if (!present || present[0] !== 19 || present[1] !== 2)
      return `MicroCeph version "v${match[0]}" is not supported`;
  }
  return null;
}

function serviceVersions(
  world: World,
  machine: Machine,
  services: ServiceType[],
  out: Output,
): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const service of services) {
    const version = daemonVersionOf(world, machine, SNAP_OF[service]) ?? '';
    const problem = validateVersion(
      service,
      version,
      daemonVersionOf(world, machine, 'microcloud') ?? '',
      out,
    );
    if (problem) throw new CloudError(problem);
    versions[service] = version;
  }
  return versions;
}

function isServiceInitialized(world: World, machine: Machine, service: ServiceType): boolean {
  if (service === 'LXD') return isLxdInitialized(world, machine);
  return machine.daemons[SNAP_OF[service] as MicroclusterServiceName]?.clusterId != null;
}

/** checkInitialized in preseed mode (§1.1 pre-checks). */
function checkInitialized(world: World, machine: Machine, expectInitialized: boolean): void {
  if (!isSnapInstalled(machine, 'lxd')) {
    // The LXD unix socket is missing; worded like the other services' IsInitialized checks.
    throw new CloudError('Unix socket not found. Check if LXD is installed');
  }
  for (const service of installedServices(machine)) {
    const initialized = isServiceInitialized(world, machine, service);
    if (expectInitialized && !initialized) throw new CloudError(`${service} is not initialized`);
    if (!expectInitialized && initialized) throw new CloudError(`${service} is already initialized`);
  }
}

/** tui.PrintWarning without a terminal: `! Warning: <message>`. */
function printWarning(out: Output, message: string): void {
  out.println(`! Warning: ${message}`);
}

// ---------------------------------------------------------------------------------------------------------
// Disks and networks per system.

interface SystemPlan {
  name: string;
  host: string;
  address: string;
  cephDisks: DiskAddRequest[];
  localDisk: PreseedDisk | null;
  uplink: string | null;
  encapIp: string | null;
}

/** MicroCloud's candidate disks: no partitions, not a CD-ROM, not already an OSD of this member (§4.2). */
function candidateDisks(world: World, machine: Machine): BlockDevice[] {
  const ceph = clusterOf(world, machine, 'microceph');
  const osdPaths = ceph?.ceph?.osds.filter((o) => o.member === machine.hostname).map((o) => o.path) ?? [];
  return machine.blockDevices.filter(
    (d) => d.type === 'disk' && d.partitions.length === 0 && !osdPaths.includes(stableDiskPath(d)),
  );
}

/** Each filter must have matched between find_min and find_max disks over all systems. */
function checkFilterCounts(filters: DiskFilter[], matches: Map<string, number>): void {
  for (const f of filters) {
    const count = matches.get(f.find) ?? 0;
    if (count < f.findMin)
      throw new CloudError(`Failed to find at least ${f.findMin} disks for filter "${f.find}"`);
    if (f.findMax > 0 && count > f.findMax)
      throw new CloudError(`Found more than ${f.findMax} disks for filter "${f.find}"`);
  }
}

function applyDiskFilters(
  world: World,
  p: Preseed,
  plans: SystemPlan[],
  bootstrap: boolean,
  out: Output,
): void {
  const explicitCeph = new Set(p.systems.filter((s) => s.ceph.length > 0).map((s) => s.name));
  const explicitLocal = new Set(p.systems.filter((s) => s.local).map((s) => s.name));
  if (p.storage.ceph.length > 0 && plans.every((pl) => explicitCeph.has(pl.name))) {
    throw new CloudError('Ceph disk filter cannot be used. All systems have explicitly specified disks');
  }
  if (p.storage.local.length > 0 && plans.every((pl) => explicitLocal.has(pl.name))) {
    throw new CloudError('Local disk filter cannot be used. All systems have explicitly specified a disk');
  }
  const remaining = new Map(
    plans.map((pl) => [pl.name, candidateDisks(world, world.state.machines[pl.host] as Machine)]),
  );
  const cephMatches = new Map<string, number>();
  for (const plan of plans) {
    if (explicitCeph.has(plan.name)) continue;
    for (const f of p.storage.ceph) {
      const disks = remaining.get(plan.name) ?? [];
      const matched = disks.filter((d) => matchDiskFilter(f.find, diskFields(d)));
      for (const d of matched)
        plan.cephDisks.push({ paths: [stableDiskPath(d)], wipe: f.wipe, encrypt: f.encrypt });
      cephMatches.set(f.find, (cephMatches.get(f.find) ?? 0) + matched.length);
      remaining.set(
        plan.name,
        disks.filter((d) => !matched.includes(d)),
      );
    }
  }
  checkFilterCounts(p.storage.ceph, cephMatches);
  const localMatches = new Map<string, number>();
  for (const plan of plans) {
    if (explicitLocal.has(plan.name) || plan.localDisk) continue;
    for (const f of p.storage.local) {
      const disks = remaining.get(plan.name) ?? [];
      const matched = disks.filter((d) => matchDiskFilter(f.find, diskFields(d)));
      localMatches.set(f.find, (localMatches.get(f.find) ?? 0) + matched.length);
      const first = matched[0];
      if (first && !plan.localDisk)
        plan.localDisk = { path: stableDiskPath(first), wipe: f.wipe, encrypt: false };
    }
  }
  checkFilterCounts(p.storage.local, localMatches);
  if (bootstrap && plans.some((pl) => pl.localDisk) && !plans.every((pl) => pl.localDisk)) {
    throw new CloudError(
      'Failed to find at least 1 disk on each machine for local storage pool configuration',
    );
  }
  const supplying = plans.filter((pl) => pl.cephDisks.length > 0).length;
  if (supplying > 0 && supplying < 3) {
    printWarning(
      out,
      `Disk configuration does not meet recommendations for fault tolerance. At least 3 systems must supply disks (${supplying} currently supplying). Continuing with this configuration will inhibit MicroCloud's ability to retain data on system failure`,
    );
  }
}

/** GetNetworkInterfaces uplink candidates: UP, OVN-compatible type, no global address or a bridge (§5.1). */
function uplinkCandidates(machine: Machine): string[] {
  return machine.nics
    .filter((nic) => nic.state === 'UP' && ['physical', 'bridge', 'bond', 'vlan'].includes(nic.kind))
    .filter((nic) => nic.kind === 'bridge' || !nic.addresses.some((a) => a.scope === 'global'))
    .map((nic) => nic.name)
    .sort();
}

/** validateGatewayNet + validateSystems (main_init.go, §1.1 step 8). */
function validateUplink(p: Preseed, plans: SystemPlan[]): void {
  const gateway = p.ovn.ipv4Gateway;
  if (gateway === '' || p.ovn.ipv4Range === '') return;
  const cidr = parseCidr(gateway) as NonNullable<ReturnType<typeof parseCidr>>;
  const gatewayIp = gateway.split('/')[0] as string;
  const [start = '', end = ''] = p.ovn.ipv4Range.split('-');
  const startValue = parseIPv4(start) ?? 0;
  const endValue = parseIPv4(end) ?? 0;
  if (startValue > endValue) {
    throw new CloudError(
      `Invalid ipv4.ovn.ranges "${p.ovn.ipv4Range}": Start IP "${start}" must be less than End IP "${end}"`,
    );
  }
  if (!cidrContains(cidr, start) || !cidrContains(cidr, end)) {
    throw new CloudError(
      `Invalid ipv4.ovn.ranges "${p.ovn.ipv4Range}": IP range "${p.ovn.ipv4Range}" does not fall within any of the allowed networks [${formatCidr(cidr)}]`,
    );
  }
  const inRange = (ip: string): boolean => {
    const value = parseIPv4(ip);
    return value !== null && value >= startValue && value <= endValue;
  };
  // The message prints the gateway's network address (net.ParseCIDR's IPNet.IP), a quirk kept on purpose.
  if (inRange(gatewayIp))
    throw new CloudError(`UPLINK ipv4.ovn.ranges must not include gateway address "${cidr.network}"`);
  for (const plan of plans) {
    if (inRange(plan.address))
      throw new CloudError(`UPLINK ipv4.ovn.ranges must not include system address "${plan.address}"`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The preseed run.

export interface PreseedContext {
  world: World;
  machine: Machine;
  stdin: string;
  out: Output;
  signal?: AbortSignal;
}

/** `microcloud preseed` (RunPreseed). Throws CloudError for failures, returns on success. */
export async function runPreseed(ctx: PreseedContext): Promise<void> {
  const { world, machine, out, signal } = ctx;
  const p = parsePreseed(ctx.stdin);
  const hostname = machine.hostname;
  const cloud = machine.daemons.microcloud;
  if (!cloud) throw new CloudError('MicroCloud is not installed');
  const ready = cloud.clusterId !== null;
  const bootstrap = isBootstrap(p);
  const invalid = validatePreseed(p, hostname, bootstrap);
  if (invalid) throw new CloudError(invalid);
  const address = ready ? (splitHostPort(cloud.address ?? '')?.host ?? '') : preseedAddress(p, machine);
  if (familyOf(address) === null) throw new CloudError(`Invalid MicroCloud listen address "${address}"`);
  const initiator = isInitiator(p, hostname, address);
  out.println('Waiting for services to start ...');
  checkInitialized(world, machine, initiator && !bootstrap);
  const lookupTimeoutMs = p.lookupTimeout > 0 ? p.lookupTimeout * 1000 : DEFAULT_LOOKUP_TIMEOUT_MS;
  const sessionTimeoutMs = p.sessionTimeout > 0 ? p.sessionTimeout * 1000 : DEFAULT_SESSION_TIMEOUT_MS;
  const services = installedServices(machine);
  const versions = serviceVersions(world, machine, services, out);
  if (!ready && !bootstrap && initiator)
    throw new CloudError("MicroCloud isn't yet initialized and cannot be the initiator");
  if (ready && !initiator)
    throw new CloudError('MicroCloud is already initialized and can only be the initiator');
  if (!machineAddresses(machine).some(({ assignment }) => assignment.address === address)) {
    throw new CloudError(`Failed to find lookup interface for address "${address}"`);
  }
  if (!initiator) {
    await joinerSession(
      world,
      {
        machine,
        address,
        lookupSubnet: p.lookupSubnet,
        initiatorAddress: p.initiatorAddress,
        passphrase: p.sessionPassphrase,
        lookupTimeoutMs,
        sessionTimeoutMs,
        services: versions,
      },
      out,
      signal,
    );
    return;
  }
  const expected = p.systems.filter((s) => s.name !== hostname).map((s) => s.name);
  const joiners = await initiatorSession(
    world,
    machine,
    p,
    expected,
    versions,
    lookupTimeoutMs,
    sessionTimeoutMs,
    out,
    signal,
  );
  const active = new Set<ServiceType>(services);
  const allHosts = [machine, ...joiners.map((j) => world.state.machines[j.host] as Machine)];
  for (const host of allHosts) {
    for (const service of ['MicroCeph', 'MicroOVN'] as const) {
      if (!active.has(service)) continue;
      if (host !== machine && isServiceInitialized(world, host, service)) {
        printWarning(
          out,
          `Existing ${service} cluster is incompatible with MicroCloud. Skipping ${service} setup`,
        );
        active.delete(service);
      }
    }
  }
  if (!bootstrap) {
    const cloudCluster = clusterOf(world, machine, 'microcloud') as ClusterState;
    for (const joiner of joiners) {
      if (cloudCluster.members.some((m) => m.name === joiner.name))
        throw new CloudError(`System with name "${joiner.name}" is already clustered`);
    }
  }
  const plans = planSystems(world, p, machine, address, joiners, active, bootstrap, out);
  validateUplink(p, plans);
  await setupCluster(world, machine, p, plans, active, bootstrap, out, signal);
  out.println('MicroCloud is ready');
}

interface ConfirmedJoiner {
  name: string;
  host: string;
  address: string;
}

async function initiatorSession(
  world: World,
  machine: Machine,
  p: Preseed,
  expected: string[],
  versions: Record<string, string>,
  lookupTimeoutMs: number,
  sessionTimeoutMs: number,
  out: Output,
  signal?: AbortSignal,
): Promise<ConfirmedJoiner[]> {
  if (expected.length === 0) return [];
  out.println(`Searching for joining systems (${expected.join(', ')})`);
  const session = startSession(world, machine, 'initiating', p.sessionPassphrase, sessionTimeoutMs, versions);
  // askJoinIntents (preseed): wait until every expected system reached out, or the lookup timeout. The
  // session lives in the handler of the CLI's websocket (api/session.go, `defer sh.StopSession(nil)`): when
  // the CLI dies (its call aborted), the daemon's session ends with it.
  try {
    await waitFor(
      world,
      () => expected.every((name) => session.intents.some((i) => i.name === name)),
      lookupTimeoutMs,
      signal,
    );
  } catch (err) {
    endSession(world, session, null);
    throw err;
  }
  for (const name of expected) {
    if (!session.intents.some((i) => i.name === name)) {
      endSession(world, session, `System "${name}" hasn't reached out`);
      throw new CloudError(`System "${name}" hasn't reached out`);
    }
  }
  const intents = session.intents
    .filter((i) => expected.includes(i.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  for (const intent of intents)
    out.println(`Detected joining system "${intent.name}" at "${intent.address}"`);
  session.confirmed = intents.map((i) => i.name);
  endSession(world, session, null);
  return intents.map((i) => ({ name: i.name, host: i.host, address: i.address }));
}

function planSystems(
  world: World,
  p: Preseed,
  initiator: Machine,
  initiatorAddress: string,
  joiners: ConfirmedJoiner[],
  active: Set<ServiceType>,
  bootstrap: boolean,
  out: Output,
): SystemPlan[] {
  const entries = [
    ...(bootstrap ? [{ name: initiator.hostname, host: initiator.name, address: initiatorAddress }] : []),
    ...joiners,
  ];
  const plans: SystemPlan[] = entries.map((entry) => {
    const spec = p.systems.find((s) => s.name === entry.name);
    return {
      name: entry.name,
      host: entry.host,
      address: entry.address,
      cephDisks: active.has('MicroCeph')
        ? (spec?.ceph ?? []).map((d) => ({ paths: [d.path], wipe: d.wipe, encrypt: d.encrypt }))
        : [],
      localDisk: spec?.local ?? null,
      uplink: spec?.uplinkInterface || null,
      encapIp: spec?.underlayIp || null,
    };
  });
  if (active.has('MicroCeph')) applyDiskFilters(world, p, plans, bootstrap, out);
  else
    applyDiskFilters(world, { ...p, storage: { local: p.storage.local, ceph: [] } }, plans, bootstrap, out);
  const usingOvn =
    active.has('MicroOVN') &&
    (p.ovn.ipv4Gateway !== '' || p.ovn.ipv6Gateway !== '' || plans.some((pl) => pl.uplink));
  for (const plan of plans) {
    const host = world.state.machines[plan.host] as Machine;
    if (!usingOvn) {
      plan.uplink = null;
    } else if (!plan.uplink) {
      plan.uplink = uplinkCandidates(host)[0] ?? null;
    }
    if (plan.encapIp) {
      const onSubnet = machineAddresses(host).some(
        ({ assignment }) =>
          assignment.scope === 'global' &&
          networkOf(plan.encapIp as string, assignment.prefix) ===
            networkOf(assignment.address, assignment.prefix),
      );
      if (!onSubnet)
        throw new CloudError(`No available interface found for OVN underlay IP "${plan.encapIp}"`);
    }
    for (const network of [p.ceph.internalNetwork, p.ceph.publicNetwork]) {
      if (network === '' || !active.has('MicroCeph')) continue;
      const cidr = parseCidr(network);
      if (cidr && !machineAddresses(host).some(({ assignment }) => cidrContains(cidr, assignment.address))) {
        throw new CloudError(
          `Not enough network interfaces found with an IP within the given CIDR subnet on "${plan.name}".\nYou need at least one interface per cluster member.`,
        );
      }
    }
  }
  return plans;
}

function machineOfPlan(world: World, plan: SystemPlan): Machine {
  return world.state.machines[plan.host] as Machine;
}

async function waitForMember(
  world: World,
  cluster: ClusterState,
  name: string,
  signal?: AbortSignal,
): Promise<void> {
  const appeared = await waitFor(
    world,
    () => cluster.members.some((m) => m.name === name),
    MEMBER_APPEAR_TIMEOUT_MS,
    signal,
  );
  if (!appeared) throw new CloudError(`Timed out waiting for cluster member "${name}" to appear`);
}

function daemonError(error: unknown): string {
  if (error instanceof DaemonError || error instanceof CloudError || error instanceof LxdError)
    return error.message;
  throw error;
}

/** setupCluster (§1.3): bootstrap, addPeers, initiator OSDs, replication, LXD devices. */
async function setupCluster(
  world: World,
  initiator: Machine,
  p: Preseed,
  plans: SystemPlan[],
  active: Set<ServiceType>,
  bootstrap: boolean,
  out: Output,
  signal?: AbortSignal,
): Promise<void> {
  const initiatorPlan = plans.find((pl) => pl.host === initiator.name);
  const initiatorIp =
    initiatorPlan?.address ?? splitHostPort(initiator.daemons.microcloud?.address ?? '')?.host ?? '';
  const cloudVersion = daemonVersionOf(world, initiator, 'microcloud') ?? '';
  out.println('Initializing new services ...');
  // RunConcurrent(MicroCloud, LXD): MicroCloud first, MicroCeph ∥ MicroOVN, then LXD.
  const bootstrapService = async (service: ServiceType): Promise<void> => {
    if (isServiceInitialized(world, initiator, service)) return;
    try {
      injectedDaemonFault(world, initiator, 'bootstrap', service);
      if (service === 'LXD') {
        await bootstrapLxd(world, initiator, initiatorIp, cloudVersion, signal);
      } else if (service === 'MicroCeph') {
        const internal = parseCidr(`${initiatorIp}/${subnetPrefix(initiator, initiatorIp)}`);
        const fallback = internal ? formatCidr(internal) : null;
        const { cluster } = await bootstrapCluster(world, initiator, 'microceph', initiatorIp, signal);
        afterCephBootstrap(initiator, cluster, {
          monIp: initiatorIp,
          publicNetwork: p.ceph.publicNetwork || fallback,
          clusterNetwork: p.ceph.internalNetwork || fallback,
        });
      } else if (service === 'MicroOVN') {
        const { cluster } = await bootstrapCluster(world, initiator, 'microovn', initiatorIp, signal);
        afterOvnMemberAdded(initiator, cluster, initiatorPlan?.encapIp ?? null);
      } else {
        await bootstrapCluster(world, initiator, 'microcloud', initiatorIp, signal);
      }
    } catch (error) {
      throw new CloudError(`Failed to bootstrap local ${service}: ${daemonError(error)}`);
    }
    out.println(` Local ${service} is ready`);
  };
  await bootstrapService('MicroCloud');
  const middle = (['MicroCeph', 'MicroOVN'] as const).filter((s) => active.has(s));
  const results = await Promise.allSettled(middle.map(bootstrapService));
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  await bootstrapService('LXD');

  const cloudCluster = clusterOf(world, initiator, 'microcloud') as ClusterState;
  const joiners = plans.filter((pl) => pl.host !== initiator.name);
  // addPeers a: MicroCloud joins, strictly one peer at a time.
  for (const plan of joiners) {
    const host = machineOfPlan(world, plan);
    const token = await issueJoinToken(world, initiator, 'microcloud', plan.name, TOKEN_LIFETIME_MS).catch(
      (error: unknown) => {
        throw new CloudError(
          `Failed to issue MicroCloud token for peer "${plan.name}": ${daemonError(error)}`,
        );
      },
    );
    try {
      await joinCluster(world, host, 'microcloud', token, plan.address, signal);
    } catch (error) {
      throw new CloudError(
        `System "${plan.name}" failed to join the cluster: Failed to join "MicroCloud" cluster: ${daemonError(error)}`,
      );
    }
    await waitForMember(world, cloudCluster, plan.name, signal);
  }
  if (joiners.length > 0) out.println('Awaiting cluster formation ...');
  // addPeers c: the other services, one peer after another; MicroCeph ∥ MicroOVN, then LXD.
  for (const plan of joiners) {
    const host = machineOfPlan(world, plan);
    const fail = (service: ServiceType, error: unknown): never => {
      throw new CloudError(
        `System "${plan.name}" failed to join the cluster: Failed to join "${service}" cluster: ${daemonError(error)}`,
      );
    };
    const joins: Promise<void>[] = [];
    if (active.has('MicroCeph')) {
      joins.push(
        (async () => {
          const cluster = clusterOf(world, initiator, 'microceph') as ClusterState;
          const token = await issueJoinToken(world, initiator, 'microceph', plan.name, TOKEN_LIFETIME_MS);
          try {
            injectedDaemonFault(world, host, 'join', 'MicroCeph');
            await joinCluster(world, host, 'microceph', token, plan.address, signal);
            afterCephJoin(host, cluster);
            // CephService.Join adds the joiner's disks and ignores the per-disk reports (mc2 service/microceph.go).
            for (const request of plan.cephDisks) await addDisks(world, host, cluster, request, signal);
          } catch (error) {
            fail('MicroCeph', error);
          }
        })(),
      );
    }
    if (active.has('MicroOVN')) {
      joins.push(
        (async () => {
          const token = await issueJoinToken(world, initiator, 'microovn', plan.name, TOKEN_LIFETIME_MS);
          try {
            injectedDaemonFault(world, host, 'join', 'MicroOVN');
            const { cluster } = await joinCluster(world, host, 'microovn', token, plan.address, signal);
            afterOvnMemberAdded(host, cluster, plan.encapIp);
          } catch (error) {
            fail('MicroOVN', error);
          }
        })(),
      );
    }
    const joined = await Promise.allSettled(joins);
    for (const r of joined) if (r.status === 'rejected') throw r.reason;
    try {
      injectedDaemonFault(world, host, 'join', 'LXD');
      const token = await issueLxdJoinToken(world, initiator, plan.name);
      await joinLxd(
        world,
        host,
        token,
        plan.address,
        bootstrap ? [] : joinMemberConfig(world, host, p, plan, active),
        signal,
      );
    } catch (error) {
      fail('LXD', error);
    }
    out.println(` Peer ${plan.name} has joined the cluster`);
  }

  // The initiator's own OSDs, after all peers joined; any report error aborts (§1.3 step 3).
  if (active.has('MicroCeph') && initiatorPlan) {
    const ceph = clusterOf(world, initiator, 'microceph') as ClusterState;
    for (const request of initiatorPlan.cephDisks) {
      const reports = await addDisks(world, initiator, ceph, request, signal);
      const errors = reports.filter((r) => r.error !== '').map((r) => r.error);
      if (errors.length > 0)
        throw new CloudError(`Failed to add disk to MicroCeph: ${errors.reverse().join(': ')}`);
    }
  }
  // Replication: min(OSDs, 3) on the default pools that are smaller, else the default size (§3.6).
  const ceph = active.has('MicroCeph') ? clusterOf(world, initiator, 'microceph') : null;
  if (ceph && (ceph.ceph?.osds.length ?? 0) > 0) {
    const size = Math.min(ceph.ceph?.osds.length ?? 0, 3);
    const defaults = ['.mgr', 'lxd_cephfs_data', 'lxd_cephfs_meta', 'lxd_cephfs', 'lxd_remote'];
    const smaller = cephData(ceph)
      .pools.filter((pool) => defaults.includes(pool.name) && pool.size < size)
      .map((pool) => pool.name);
    setReplicationFactor(ceph, smaller.length > 0 ? smaller : [''], size);
  }
  out.println('Configuring cluster-wide devices ...');
  await configureLxd(world, initiator, p, plans, active, ceph, bootstrap);
}

/**
 * A fault in what MicroCloud's daemon does for the preseed, not in a command: a `fail` rule whose pattern is
 * `microcloud-setup <bootstrap|join> <service>` (e.g. `microcloud-setup bootstrap microceph` on the initiator,
 * `microcloud-setup join lxd` on a joiner) makes that step on that host fail with the rule's stderr, as the
 * service's error.
 */
function injectedDaemonFault(
  world: World,
  machine: Machine,
  operation: 'bootstrap' | 'join',
  service: ServiceType,
): void {
  const faults = world.faults.take(machine.name, ['microcloud-setup', operation, service.toLowerCase()]);
  const failure = faults.find((f) => f.kind === 'fail');
  if (failure?.kind === 'fail') throw new DaemonError(failure.stderr.trim() || 'injected failure');
}

function subnetPrefix(machine: Machine, ip: string): number {
  return (
    machineAddresses(machine).find(({ assignment }) => assignment.address === ip)?.assignment.prefix ?? 24
  );
}

/** MicroCloud's LXD Bootstrap: server config keys then `PUT /1.0/cluster` (mc2 service/lxd.go, §1.3). */
async function bootstrapLxd(
  world: World,
  machine: Machine,
  ip: string,
  microcloudVersion: string,
  signal?: AbortSignal,
): Promise<void> {
  updateServerConfig(world, machine, {
    'core.https_address': '[::]:8443',
    'cluster.https_address': joinHostPort(ip, LXD_PORT),
    'user.microcloud': microcloudVersion,
    'instances.migration.stateful': 'true',
  });
  await bootstrapLxdCluster(world, machine, machine.hostname, signal);
}

/**
 * MicroCloud's LXD join (mc2 service/lxd_join.go configFromToken): the certificate of the first token
 * address that answers (a different fingerprint is an error), `PUT /1.0/cluster` with the member config,
 * then core.https_address on the wildcard.
 */
async function joinLxd(
  world: World,
  machine: Machine,
  token: string,
  ip: string,
  memberConfig: MemberConfigKey[],
  signal?: AbortSignal,
): Promise<void> {
  let decoded;
  try {
    decoded = decodeLxdJoinToken(token);
  } catch (error) {
    if (error instanceof LxdError) throw new CloudError(`Invalid cluster join token: ${error.message}`);
    throw error;
  }
  let clusterAddress = '';
  let certificate = '';
  for (const address of decoded.addresses) {
    const member = lxdAt(world, address);
    if (!member) continue;
    const served = servedCertificate(world, member);
    if (served.fingerprint !== decoded.fingerprint) {
      throw new CloudError(
        `Certificate fingerprint mismatch between join token and cluster member ${JSON.stringify(address)}`,
      );
    }
    clusterAddress = address;
    certificate = served.pem;
    break;
  }
  if (certificate === '')
    throw new CloudError('Unable to connect to any of the cluster members specified in join token');
  await joinLxdCluster(
    world,
    machine,
    {
      serverName: machine.hostname,
      serverAddress: joinHostPort(ip, LXD_PORT),
      clusterAddress,
      clusterCertificate: certificate,
      clusterToken: token,
      memberConfig,
    },
    signal,
  );
  listenOnAllAddresses(world, machine);
}

/** The member_config a joiner of an existing MicroCloud gets instead of pending objects (§3.7). */
function joinMemberConfig(
  world: World,
  host: Machine,
  p: Preseed,
  plan: SystemPlan,
  active: Set<ServiceType>,
): MemberConfigKey[] {
  const config: MemberConfigKey[] = [];
  if (plan.localDisk) {
    config.push({ entity: 'storage-pool', name: 'local', key: 'source', value: plan.localDisk.path });
    if (plan.localDisk.wipe)
      config.push({ entity: 'storage-pool', name: 'local', key: 'source.wipe', value: 'true' });
  }
  if (plan.uplink) config.push({ entity: 'network', name: 'UPLINK', key: 'parent', value: plan.uplink });
  const version = daemonVersionOf(world, host, 'lxd') ?? '';
  if (active.has('MicroCeph') && p.ceph.cephfs && lxdIsLts521(version))
    config.push({ entity: 'storage-pool', name: 'remote-fs', key: 'source', value: 'lxd_cephfs' });
  return config;
}

/** Runs an LXD API call of MicroCloud's setup; LXD's message becomes MicroCloud's error. */
async function lxdStep(step: () => Promise<void> | void): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (error instanceof LxdError) throw new CloudError(error.message);
    throw error;
  }
}

/**
 * §3.1-§3.5 through LXD's API as mc2 setupCluster does it: cluster config, per-member pending pools and
 * networks (`?target=`), the final cluster-wide objects, the default profile, and each new member's
 * images/backups volumes with storage.*_volume.
 */
async function configureLxd(
  world: World,
  initiator: Machine,
  p: Preseed,
  plans: SystemPlan[],
  active: Set<ServiceType>,
  ceph: ClusterState | null,
  bootstrap: boolean,
): Promise<void> {
  const lxd = lxdCluster(world, initiator) as ClusterState;
  const data = lxdData(lxd);
  const lxdVersion = daemonVersionOf(world, initiator, 'lxd') ?? '';
  const lts = lxdIsLts521(lxdVersion);
  const ovn = active.has('MicroOVN') ? clusterOf(world, initiator, 'microovn') : null;
  if (ovn && lts) {
    const central = (ovn.ovn?.services ?? []).filter((s) => s.service === 'central').map((s) => s.member);
    const addresses = ovn.members
      .filter((m) => central.includes(m.name))
      .map((m) => `ssl:${splitHostPort(m.address)?.host ?? ''}:6641`);
    await lxdStep(() =>
      updateServerConfig(world, initiator, { 'network.ovn.northbound_connection': addresses.join(',') }),
    );
  }
  const hasCeph = ceph !== null && (ceph.ceph?.osds.length ?? 0) > 0;
  const hasLocal = plans.some((pl) => pl.localDisk);
  const uplinks = plans.filter((pl) => pl.uplink);
  const useOvn = ovn !== null && uplinks.length > 0;
  const fan = !useOvn && bootstrap && fanSubnet(initiator) !== null;
  const pool = (
    name: string,
    driver: string,
    description: string,
    config: Record<string, string>,
    target: string | null,
  ) =>
    lxdStep(() => {
      createStoragePool(world, initiator, { name, driver, description, config }, target);
    });
  const network = (
    name: string,
    type: string,
    description: string,
    config: Record<string, string>,
    target: string | null,
  ) =>
    lxdStep(() => {
      createNetwork(world, initiator, { name, type, description, config }, target);
    });
  if (bootstrap) {
    // Pending definitions, one member after another (UseTarget).
    for (const plan of plans) {
      if (hasLocal && plan.localDisk) {
        const config: Record<string, string> = { source: plan.localDisk.path };
        if (plan.localDisk.wipe) config['source.wipe'] = 'true';
        await pool('local', 'zfs', '', config, plan.name);
      }
      if (hasCeph) {
        await pool('remote', 'ceph', '', lts ? { source: 'lxd_remote' } : {}, plan.name);
        if (p.ceph.cephfs)
          await pool('remote-fs', 'cephfs', '', lts ? { source: 'lxd_cephfs' } : {}, plan.name);
      }
      if (useOvn && plan.uplink) await network('UPLINK', 'physical', '', { parent: plan.uplink }, plan.name);
      if (fan) await network('lxdfan0', 'bridge', '', {}, plan.name);
    }
    if (hasLocal) await pool('local', 'zfs', 'Local storage on ZFS', {}, null);
    if (hasCeph) {
      const features = 'layering,striping,exclusive-lock,object-map,fast-diff,deep-flatten';
      await pool(
        'remote',
        'ceph',
        'Distributed storage on Ceph',
        {
          'ceph.osd.pool_name': 'lxd_remote',
          'ceph.rbd.du': 'false',
          ...(lts ? { 'ceph.rbd.features': features } : {}),
        },
        null,
      );
      if (p.ceph.cephfs) {
        await pool(
          'remote-fs',
          'cephfs',
          'Distributed file-system storage using CephFS',
          {
            'cephfs.create_missing': 'true',
            'cephfs.meta_pool': 'lxd_cephfs_meta',
            'cephfs.data_pool': 'lxd_cephfs_data',
            'cephfs.path': 'lxd_cephfs',
          },
          null,
        );
      }
    }
    if (useOvn) {
      const config: Record<string, string> = {};
      if (p.ovn.ipv4Gateway) config['ipv4.gateway'] = p.ovn.ipv4Gateway;
      if (p.ovn.ipv4Gateway && p.ovn.ipv4Range) config['ipv4.ovn.ranges'] = p.ovn.ipv4Range;
      if (p.ovn.ipv6Gateway) config['ipv6.gateway'] = p.ovn.ipv6Gateway;
      if (p.ovn.dnsServers) config['dns.nameservers'] = p.ovn.dnsServers;
      await network('UPLINK', 'physical', 'Uplink for OVN networks', config, null);
      await network('default', 'ovn', 'Default OVN network', { network: 'UPLINK' }, null);
    } else if (fan) {
      await network(
        'lxdfan0',
        'bridge',
        'Default Ubuntu fan powered bridge',
        {
          'bridge.mode': 'fan',
          'fan.underlay_subnet': fanSubnet(initiator) as string,
        },
        null,
      );
    }
    // Default profile: devices MicroCloud adds when missing (§3.4).
    await lxdStep(() => {
      const put = profilePut(world, initiator, 'default');
      const nic =
        data.networks.find((n) => n.name === 'default') ?? data.networks.find((n) => n.name === 'lxdfan0');
      if (nic && !put.devices['eth0']) put.devices['eth0'] = { name: 'eth0', network: nic.name, type: 'nic' };
      const rootPool = hasCeph ? 'remote' : hasLocal ? 'local' : null;
      if (rootPool && !put.devices['root']) put.devices['root'] = { path: '/', pool: rootPool, type: 'disk' };
      updateProfile(world, initiator, 'default', put);
    });
  }
  // images/backups volumes and storage.*_volume on each member with a local pool (§3.5).
  for (const plan of plans) {
    if (!plan.localDisk || !data.storagePools.some((sp) => sp.name === 'local')) continue;
    const host = machineOfPlan(world, plan);
    await lxdStep(() => {
      createCustomVolume(world, host, 'local', 'images', 'filesystem', {});
      createCustomVolume(world, host, 'local', 'backups', 'filesystem', {});
      updateServerConfig(world, host, {
        'storage.backups_volume': 'local/backups',
        'storage.images_volume': 'local/images',
      });
    });
  }
}

/** The FAN underlay: the initiator's default-route IPv4 subnet, /16 unless /16 or /24 (§3.3). */
function fanSubnet(initiator: Machine): string | null {
  const route = initiator.routes.find(
    (r) => r.destination === 'default' && r.gateway && familyOf(r.gateway) === 'inet',
  );
  const nic = route ? initiator.nics.find((n) => n.name === route.dev) : undefined;
  const v4 = nic?.addresses.filter((a) => familyOf(a.address) === 'inet' && a.scope === 'global') ?? [];
  if (v4.length !== 1 || !v4[0]) return null;
  const prefix = v4[0].prefix === 16 || v4[0].prefix === 24 ? v4[0].prefix : 16;
  return `${networkOf(v4[0].address, prefix)}/${prefix}`;
}

// ---------------------------------------------------------------------------------------------------------
// Status (§6, §10.9).

export interface MemberStatusRow {
  name: string;
  address: string;
  osds: string;
  cephUnits: string;
  ovnUnits: string;
  status: string;
}

export interface CloudStatus {
  warnings: { level: 'warn' | 'error'; message: string }[];
  rows: MemberStatusRow[];
}

/** compileWarnings + formatStatusRow from mc2 cmd/microcloud/status.go (without colours). */
export function cloudStatus(world: World, machine: Machine): CloudStatus {
  const cloud = clusterOf(world, machine, 'microcloud');
  if (!cloud) throw new CloudError("MicroCloud is uninitialized, run 'microcloud init' first");
  const ceph = clusterOf(world, machine, 'microceph');
  const ovn = clusterOf(world, machine, 'microovn');
  const lxd = lxdCluster(world, machine);
  const warnings: CloudStatus['warnings'] = [];
  const size = cloud.members.length;
  const osdCount = ceph?.ceph?.osds.length ?? 0;
  const osdsConfigured = osdCount > 0 && ceph !== null;
  if (size < 3)
    warnings.push({
      level: 'warn',
      message: 'Reliability risk: 3 systems are required for effective fault tolerance',
    });
  if (osdCount < 3 && osdsConfigured) {
    warnings.push({
      level: 'warn',
      message: 'Data loss risk: MicroCeph OSD replication recommends at least 3 disks across 3 systems',
    });
  }
  const names = cloud.members.map((m) => m.name);
  const missing = (cluster: ClusterState | null): string[] =>
    names.filter((name) => !(cluster?.members.some((m) => m.name === name) ?? false));
  if (!lxd) warnings.push({ level: 'error', message: `LXD is not found on ${names.join(', ')}` });
  for (const [label, cluster] of [
    ['LXD', lxd],
    ['MicroCeph', ceph],
    ['MicroOVN', ovn],
  ] as const) {
    if (!cluster) continue;
    const orphaned = missing(cluster);
    if (orphaned.length > 0)
      warnings.push({
        level: 'error',
        message: `MicroCloud members not found in ${label}: ${orphaned.join(', ')}`,
      });
  }
  if (!osdsConfigured && ceph) warnings.push({ level: 'warn', message: 'No MicroCeph OSDs configured' });
  for (const [label, cluster] of [
    ['MicroCeph', ceph],
    ['MicroOVN', ovn],
  ] as const) {
    if (!cluster) warnings.push({ level: 'warn', message: `${label} is not found on ${names.join(', ')}` });
    else {
      const notFound = missing(cluster);
      if (notFound.length > 0)
        warnings.push({ level: 'warn', message: `${label} is not found on ${notFound.join(', ')}` });
    }
  }
  for (const [label, cluster] of [
    ['LXD', lxd],
    ['MicroCeph', ceph],
    ['MicroOVN', ovn],
  ] as const) {
    const foreign = cluster?.members.filter((m) => !names.includes(m.name)).map((m) => m.name) ?? [];
    if (foreign.length > 0)
      warnings.push({
        level: 'warn',
        message: `Found ${label} systems not managed by MicroCloud: ${foreign.join(',')}`,
      });
  }
  const rows = cloud.members
    .map((member) => {
      const inCeph = ceph?.members.some((m) => m.name === member.name) ?? false;
      const inOvn = ovn?.members.some((m) => m.name === member.name) ?? false;
      const osds = ceph?.ceph?.osds.filter((o) => o.member === member.name).length ?? 0;
      const cephUnits = ceph ? servicesOn(ceph, member.name).sort() : [];
      const ovnUnits = (ovn?.ovn?.services ?? [])
        .filter((s) => s.member === member.name)
        .map((s) => s.service)
        .sort();
      return {
        name: member.name,
        address: splitHostPort(member.address)?.host ?? member.address,
        osds: inCeph ? String(osds) : '-',
        cephUnits: inCeph && cephUnits.length > 0 ? cephUnits.join(',') : '-',
        ovnUnits: inOvn && ovnUnits.length > 0 ? ovnUnits.join(',') : '-',
        status: 'ONLINE',
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return { warnings, rows };
}
