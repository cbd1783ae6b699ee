// Public surface of the simulator.

export { VirtualClock, realClock, SimAbortError, type Clock } from './clock.js';
export {
  defaultSnapStore,
  parseChannel,
  resolveRevision,
  type SnapStore,
  type StoreChannel,
  type StoreRevision,
  type StoreSnap,
} from './catalog.js';
export {
  FaultPlan,
  matchesPattern,
  type CommandPattern,
  type FaultAction,
  type FaultRule,
} from './faults.js';
export * from './machine.js';
export {
  runProgram,
  runShell,
  builtinProgramNames,
  lookupProgram,
  type RunOptions,
  type RunResult,
} from './dispatcher.js';
export { createProgramRunner, type SimProgramOutcome, type SimProgramRunner } from './runner.js';
export { NotModelledError, type Program, type ProgramContext, type ProgramResult } from './program.js';
export { preinstallSnap, seedImageSnaps, removeSnap, installedSnap, isSnapInstalled } from './snapd.js';
export { createSimLab, type SimLabOptions } from './scenario.js';
export { oidcLogin } from './lxd-auth.js';
export {
  DaemonError,
  MICROCLUSTER_PORT,
  decodeJoinToken,
  encodeJoinToken,
  listJoinTokens,
  memberNameOf,
  memberViews,
  revokeJoinToken,
  type MemberRole,
  type MemberView,
} from './microcluster.js';
export { microclusterApi, type ApiOutcome, type ApiRequest } from './microcluster-api.js';
export { bindConflict, daemonRunning, tcpListeners, type TcpListener } from './listeners.js';
export { MIN_OSD_SIZE, availableDisks } from './ceph.js';
export { cloudStatus, runPreseed } from './microcloud.js';
export {
  LxdError,
  LXD_PORT,
  decodeLxdJoinToken,
  encodeLxdJoinToken,
  lxdMemberViews,
  type LxdJoinToken,
  type LxdMemberView,
} from './lxd.js';
export { CloudError, matchDiskFilter, parsePreseed, validatePreseed, type Preseed } from './preseed.js';
export * from './world.js';
