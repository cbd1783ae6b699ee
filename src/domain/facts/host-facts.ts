// Everything mc learns about a host before changing it, and the exact commands that produce it: a remote
// script runs these in one round trip and hands each command's stdout to parseHostFacts.

import { LSBLK_COMMAND, parseLsblk, type BlockDeviceFacts } from './block-devices.js';
import { DISK_LINKS_COMMAND, parseDiskLinks, type DiskLink } from './disk-links.js';
import { LXD_RESOURCES_COMMAND, parseLxdResources, type LxdResources } from './lxd-resources.js';
import { LISTENING_PORTS_COMMAND, parseListeningPorts, type ListeningSocket } from './listening-ports.js';
import { LXD_CLUSTER_MEMBERS_COMMAND, LXD_SERVER_COMMAND, LXD_STORAGE_POOLS_COMMAND } from './lxd-server.js';
import { MICROCLUSTER_MEMBERS_COMMANDS } from './microcluster-members.js';
import {
  IP_ADDR_COMMAND,
  IP_ROUTE4_DEFAULT_COMMAND,
  IP_ROUTE6_DEFAULT_COMMAND,
  IP_VXLAN_HELP_COMMAND,
  parseDefaultRoutes,
  parseFanMapSupport,
  parseIpAddr,
  type NetworkFacts,
} from './network.js';
import type { UnfinishedLxdJoin } from './lxd-unfinished-join.js';
import { FactsParseError } from './parse-error.js';
import { readLxdState, readMicroclusterState, type ServiceOutcomes, type ServiceStates } from './services.js';
import { parseSnapList, SNAP_LIST_COMMAND, type InstalledSnap } from './snaps.js';
import {
  CLOCK_COMMAND,
  HOSTNAME_COMMAND,
  MEMINFO_COMMAND,
  NPROC_COMMAND,
  OS_RELEASE_COMMAND,
  parseClock,
  parseHostname,
  parseMemTotal,
  parseNproc,
  parseOsRelease,
  parseUname,
  UNAME_COMMAND,
  type KernelFacts,
  type OsRelease,
  type RemoteClock,
} from './system.js';

/**
 * The command lines whose stdout each parser expects, run with become (`lxc query` needs root or the lxd
 * group, `microcloud` refuses anyone but root). `snaps` fails with status 127 where snapd is missing, which
 * the caller reports rather than parses. The facts in OPTIONAL_FACTS may fail without failing the probe.
 */
export const FACT_COMMANDS = {
  osRelease: OS_RELEASE_COMMAND,
  kernel: UNAME_COMMAND,
  memory: MEMINFO_COMMAND,
  cpuCount: NPROC_COMMAND,
  clock: CLOCK_COMMAND,
  snaps: SNAP_LIST_COMMAND,
  blockDevices: LSBLK_COMMAND,
  diskLinks: DISK_LINKS_COMMAND,
  interfaces: IP_ADDR_COMMAND,
  defaultRoutes4: IP_ROUTE4_DEFAULT_COMMAND,
  defaultRoutes6: IP_ROUTE6_DEFAULT_COMMAND,
  vxlanHelp: IP_VXLAN_HELP_COMMAND,
  lxdResources: LXD_RESOURCES_COMMAND,
  hostname: HOSTNAME_COMMAND,
  listeningPorts: LISTENING_PORTS_COMMAND,
  lxdServer: LXD_SERVER_COMMAND,
  lxdStoragePools: LXD_STORAGE_POOLS_COMMAND,
  lxdMembers: LXD_CLUSTER_MEMBERS_COMMAND,
  microcephMembers: MICROCLUSTER_MEMBERS_COMMANDS.microceph,
  microovnMembers: MICROCLUSTER_MEMBERS_COMMANDS.microovn,
  microcloudMembers: MICROCLUSTER_MEMBERS_COMMANDS.microcloud,
} as const;

export type FactName = keyof typeof FACT_COMMANDS;

/**
 * The service commands: whether they fail, and how, says the service's state, so their exit status and
 * stderr are kept (as CommandOutcome) instead of only the stdout of a success.
 */
export type ServiceFactName = keyof ServiceOutcomes & FactName;

export const SERVICE_FACTS: readonly ServiceFactName[] = [
  'lxdServer',
  'lxdStoragePools',
  'lxdMembers',
  'microcephMembers',
  'microovnMembers',
  'microcloudMembers',
];

/**
 * Facts a host may lack without failing the probe: LXD's view, the host name, the listening ports (a minimal
 * image may lack iproute2's `ss`), the vxlan usage (an old `ip` may print it elsewhere) and the service commands.
 */
export type OptionalFactName = 'lxdResources' | 'hostname' | 'listeningPorts' | 'vxlanHelp' | ServiceFactName;

export const OPTIONAL_FACTS: readonly OptionalFactName[] = [
  'lxdResources',
  'hostname',
  'listeningPorts',
  'vxlanHelp',
  ...SERVICE_FACTS,
];

/**
 * The snap each optional fact's command belongs to: the command runs only where `snap list SNAP` finds it.
 * Checking the snap rather than the PATH matters on Ubuntu 24.04, whose lxd-installer package puts an `lxc`
 * on the PATH that installs the LXD snap when root runs it; a probe must change nothing.
 */
export const FACT_SNAPS: Readonly<Partial<Record<OptionalFactName, string>>> = {
  lxdResources: 'lxd',
  lxdServer: 'lxd',
  lxdStoragePools: 'lxd',
  lxdMembers: 'lxd',
  microcephMembers: 'microceph',
  microovnMembers: 'microovn',
  microcloudMembers: 'microcloud',
};

/**
 * Each command's stdout; for the service commands, what they did (CommandOutcome). The optional facts may be
 * missing: `lxdResources`, `hostname` and `listeningPorts` when their command failed, any of them when it was
 * not gathered.
 */
export type FactOutputs = Record<Exclude<FactName, OptionalFactName>, string> & {
  lxdResources?: string;
  hostname?: string;
  listeningPorts?: string;
  vxlanHelp?: string;
} & ServiceOutcomes;

export interface HostFacts {
  os: OsRelease;
  kernel: KernelFacts;
  memoryBytes: number;
  cpuCount: number;
  clock: RemoteClock;
  snaps: InstalledSnap[];
  blockDevices: BlockDeviceFacts;
  diskLinks: DiskLink[];
  network: NetworkFacts;
  lxdResources: LxdResources | null;
  /** What `hostname` printed; null when it could not be run. */
  hostname: string | null;
  /** The listening TCP sockets (`ss -Hltn`); null when `ss` could not be run. */
  listeningPorts: ListeningSocket[] | null;
  /** Whether `ip` can set up the FAN tunnel LXD makes for `bridge.mode=fan`; null when its usage was not read. */
  fanMap: boolean | null;
  services: ServiceStates;
  /**
   * Set only by deploy's second look at a host whose LXD cannot be asked: its join never finished
   * (lxd-unfinished-join.ts). Never part of a probe.
   */
  unfinishedLxdJoin?: UnfinishedLxdJoin;
}

export type HostFactsResult = { ok: true; facts: HostFacts } | { ok: false; errors: FactsParseError[] };

/** Parses every output; all parse errors are returned together, not just the first. */
export function parseHostFacts(outputs: FactOutputs): HostFactsResult {
  const errors: FactsParseError[] = [];
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof FactsParseError) {
        errors.push(error);
        return undefined;
      }
      throw error;
    }
  };
  const os = attempt(() => parseOsRelease(outputs.osRelease));
  const kernel = attempt(() => parseUname(outputs.kernel));
  const memoryBytes = attempt(() => parseMemTotal(outputs.memory));
  const cpuCount = attempt(() => parseNproc(outputs.cpuCount));
  const clock = attempt(() => parseClock(outputs.clock));
  const snaps = attempt(() => parseSnapList(outputs.snaps));
  const blockDevices = attempt(() => parseLsblk(outputs.blockDevices));
  const diskLinks = attempt(() => parseDiskLinks(outputs.diskLinks));
  const interfaces = attempt(() => parseIpAddr(outputs.interfaces));
  const routes4 = attempt(() => parseDefaultRoutes(outputs.defaultRoutes4, 'inet'));
  const routes6 = attempt(() => parseDefaultRoutes(outputs.defaultRoutes6, 'inet6'));
  const lxdText = outputs.lxdResources;
  const lxdResources = lxdText === undefined ? null : attempt(() => parseLxdResources(lxdText));
  const hostnameText = outputs.hostname;
  const hostname = hostnameText === undefined ? null : attempt(() => parseHostname(hostnameText));
  const fanMap = outputs.vxlanHelp === undefined ? null : parseFanMapSupport(outputs.vxlanHelp);
  const portsText = outputs.listeningPorts;
  const listeningPorts = portsText === undefined ? null : attempt(() => parseListeningPorts(portsText));
  // Each service on its own, so that every broken output is reported.
  const known = snaps ?? [];
  const lxd = attempt(() => readLxdState(known, outputs));
  const microceph = attempt(() => readMicroclusterState('microceph', known, outputs.microcephMembers));
  const microovn = attempt(() => readMicroclusterState('microovn', known, outputs.microovnMembers));
  const microcloud = attempt(() => readMicroclusterState('microcloud', known, outputs.microcloudMembers));
  if (
    os === undefined ||
    kernel === undefined ||
    memoryBytes === undefined ||
    cpuCount === undefined ||
    clock === undefined ||
    snaps === undefined ||
    blockDevices === undefined ||
    diskLinks === undefined ||
    interfaces === undefined ||
    routes4 === undefined ||
    routes6 === undefined ||
    lxdResources === undefined ||
    hostname === undefined ||
    listeningPorts === undefined ||
    lxd === undefined ||
    microceph === undefined ||
    microovn === undefined ||
    microcloud === undefined
  ) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    facts: {
      os,
      kernel,
      memoryBytes,
      cpuCount,
      clock,
      snaps,
      blockDevices,
      diskLinks,
      network: { interfaces, defaultRoutes: [...routes4, ...routes6] },
      lxdResources,
      hostname,
      listeningPorts,
      fanMap,
      services: { lxd, microceph, microovn, microcloud },
    },
  };
}
