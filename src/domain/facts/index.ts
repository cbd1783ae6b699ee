// Entry point of the facts layer: pure parsers of remote command output and the eligibility rules that judge
// disks and NICs from them. Nothing here runs a command; FACT_COMMANDS says what to run.

export { FactsParseError, type FactSource } from './parse-error.js';
export { formatBytesIec, type Reason, type UseVerdict } from './verdict.js';

export {
  FACT_COMMANDS,
  FACT_SNAPS,
  OPTIONAL_FACTS,
  SERVICE_FACTS,
  parseHostFacts,
  type FactName,
  type FactOutputs,
  type HostFacts,
  type HostFactsResult,
  type OptionalFactName,
  type ServiceFactName,
} from './host-facts.js';

export {
  LSBLK_COMMAND,
  parseLsblk,
  descendantsOf,
  deviceChain,
  type BlockDevice,
  type BlockDeviceFacts,
} from './block-devices.js';
export {
  DISK_LINKS_COMMAND,
  parseDiskLinks,
  stableDiskPath,
  type DiskLink,
  type StablePath,
} from './disk-links.js';
export {
  IP_ADDR_COMMAND,
  IP_ROUTE4_DEFAULT_COMMAND,
  IP_ROUTE6_DEFAULT_COMMAND,
  IP_VXLAN_HELP_COMMAND,
  parseFanMapSupport,
  parseIpAddr,
  parseDefaultRoutes,
  findInterface,
  type DefaultRoute,
  type InterfaceAddress,
  type InterfaceKind,
  type NetworkFacts,
  type NetworkInterface,
} from './network.js';
export {
  LISTENING_PORTS_COMMAND,
  formatListeningSocket,
  listenersOn,
  parseListeningPorts,
  type ListeningSocket,
} from './listening-ports.js';
export { SNAP_LIST_COMMAND, parseSnapList, findSnap, type InstalledSnap } from './snaps.js';
export {
  CLOCK_COMMAND,
  HOSTNAME_COMMAND,
  MEMINFO_COMMAND,
  NPROC_COMMAND,
  OS_RELEASE_COMMAND,
  UNAME_COMMAND,
  parseClock,
  parseHostname,
  parseMemTotal,
  parseNproc,
  parseOsRelease,
  parseUname,
  estimateClockOffset,
  type KernelFacts,
  type OsRelease,
  type RemoteClock,
} from './system.js';
export {
  LXD_RESOURCES_COMMAND,
  parseLxdResources,
  type LxdDisk,
  type LxdDiskPartition,
  type LxdNetworkCard,
  type LxdNetworkPort,
  type LxdResources,
} from './lxd-resources.js';
export {
  LXD_CLUSTER_MEMBERS_COMMAND,
  LXD_SERVER_COMMAND,
  LXD_STORAGE_POOLS_COMMAND,
  parseLxdClusterMembers,
  parseLxdServer,
  parseLxdStoragePools,
  type LxdClusterMember,
  type LxdServerInfo,
} from './lxd-server.js';
export {
  MICROCLUSTER_MEMBERS_COMMANDS,
  parseMicroclusterMembers,
  type MicroclusterApp,
  type MicroclusterMember,
} from './microcluster-members.js';
export {
  describeServiceFailure,
  failureMessage,
  isServiceFailure,
  readLxdState,
  readMicroclusterState,
  type CommandOutcome,
  type LxdState,
  type MicroclusterState,
  type ServiceFailure,
  type ServiceOutcomes,
  type ServiceStates,
} from './services.js';

export {
  cidrContains,
  cidrSize,
  isGlobalUnicast,
  isIpv6LinkLocal,
  nonGlobalClass,
  parseCidr,
  parseIpAddress,
  subnetOf,
  type Cidr,
  type IpAddress,
  type IpFamily,
  type NonGlobalClass,
} from './ip-address.js';

export {
  MIN_CEPH_DISK_BYTES,
  evaluateDisks,
  type DiskReason,
  type DiskRejectionCode,
  type DiskVerdict,
} from './disk-rules.js';
export {
  evaluateLxdDisks,
  microCloudDiskPath,
  type MicroCephDiskCode,
  type MicroCloudDiskCode,
  type MicroCloudDiskVerdict,
} from './microcloud-disks.js';
export {
  checkClusterAddress,
  evaluateAddressedInterfaces,
  evaluateUplinkInterfaces,
  findAddressInSubnet,
  globalUnicastAddresses,
  type AddressedInterfaceVerdict,
  type AddressedRejectionCode,
  type ClusterAddressCheck,
  type ClusterAddressCode,
  type HostAddress,
  type InterfaceVerdict,
  type NetworkSource,
  type UplinkOptions,
  type UplinkRejectionCode,
} from './nic-rules.js';
export {
  LXD_DIR_CONTENTS_COMMAND,
  LXD_JOIN_CLEAR_MARKER,
  LXD_PENDING_MEMBERS_COMMAND,
  findUnfinishedLxdJoins,
  parseLxdDirContents,
  parseLxdSqlTable,
  parsePendingLxdMembers,
  type LxdDirContents,
  type PendingLxdMember,
  type UnfinishedLxdJoin,
} from './lxd-unfinished-join.js';
