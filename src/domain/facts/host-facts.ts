// Everything mc learns about a host before changing it, and the exact commands that produce it: a remote
// script runs these in one round trip and hands each command's stdout to parseHostFacts.

import { LSBLK_COMMAND, parseLsblk, type BlockDeviceFacts } from './block-devices.js';
import { DISK_LINKS_COMMAND, parseDiskLinks, type DiskLink } from './disk-links.js';
import { LXD_RESOURCES_COMMAND, parseLxdResources, type LxdResources } from './lxd-resources.js';
import {
  IP_ADDR_COMMAND,
  IP_ROUTE4_DEFAULT_COMMAND,
  IP_ROUTE6_DEFAULT_COMMAND,
  parseDefaultRoutes,
  parseIpAddr,
  type NetworkFacts,
} from './network.js';
import { FactsParseError } from './parse-error.js';
import { parseSnapList, SNAP_LIST_COMMAND, type InstalledSnap } from './snaps.js';
import {
  CLOCK_COMMAND,
  MEMINFO_COMMAND,
  NPROC_COMMAND,
  OS_RELEASE_COMMAND,
  parseClock,
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
 * group). `lxdResources` only makes sense once LXD is installed; `snaps` fails with status 127 where snapd is
 * missing, which the caller reports rather than parses.
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
  lxdResources: LXD_RESOURCES_COMMAND,
} as const;

export type FactName = keyof typeof FACT_COMMANDS;

/** Each command's stdout. `lxdResources` is left out before LXD is installed. */
export type FactOutputs = Record<Exclude<FactName, 'lxdResources'>, string> & { lxdResources?: string };

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
    lxdResources === undefined
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
    },
  };
}
