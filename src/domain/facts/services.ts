// The state of MicroCloud's four services on a host, from their own commands (§1.1 pre-checks, §6, §10.4-§10.9):
// installed or not (the snap), initialised/bootstrapped or not, clustered with which members. A command that
// fails the way an uninitialised or stopped service fails is a state; any other failure is an error that names
// the command. Output of a command that succeeded is parsed strictly (a FactsParseError otherwise).

import { TIMED_OUT_EXIT, timedOutMessage } from '../framed.js';
import {
  LXD_CLUSTER_MEMBERS_COMMAND,
  LXD_SERVER_COMMAND,
  LXD_STORAGE_POOLS_COMMAND,
  parseLxdClusterMembers,
  parseLxdServer,
  parseLxdStoragePools,
  type LxdClusterMember,
  type LxdServerInfo,
} from './lxd-server.js';
import {
  MICROCLUSTER_MEMBERS_COMMANDS,
  parseMicroclusterMembers,
  type MicroclusterApp,
  type MicroclusterMember,
} from './microcluster-members.js';
import { findSnap, type InstalledSnap } from './snaps.js';

/** What one command left behind: its exit status and both streams. */
export interface CommandOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The outcomes of the service commands; a missing one was not gathered. */
export interface ServiceOutcomes {
  lxdServer?: CommandOutcome;
  lxdStoragePools?: CommandOutcome;
  lxdMembers?: CommandOutcome;
  microcephMembers?: CommandOutcome;
  microovnMembers?: CommandOutcome;
  microcloudMembers?: CommandOutcome;
}

/**
 * A service that is installed but could not be asked: `not running` when its daemon's socket is missing or
 * refuses connections, `not answering` when its command ran out of its time, `error` for anything else. `command` is the command line that failed.
 */
export type ServiceFailure =
  | { state: 'not running'; command: string; message: string }
  /** The command ran out of its time: the daemon accepts connections but does not answer (hung, stopped). */
  | { state: 'not answering'; command: string; message: string }
  | { state: 'error'; command: string; message: string }
  /**
   * LXD only: it answers, clustered, but has no member name: a join that never finished (lxd-server.ts
   * serverName). Not a member to use; deploy's second look decides whether it is a join to clear.
   */
  | { state: 'no member name'; command: string; message: string };

export type LxdState =
  | { state: 'not installed' }
  /** Neither clustered nor any storage pool: what MicroCloud requires before it sets LXD up (§1.1). */
  | { state: 'not initialised'; server: LxdServerInfo }
  /** Storage pools but no cluster (e.g. after `lxd init --auto`): MicroCloud refuses such a host. */
  | { state: 'initialised'; server: LxdServerInfo; storagePools: string[] }
  | { state: 'clustered'; server: LxdServerInfo; storagePools: string[]; members: LxdClusterMember[] }
  | ServiceFailure;

export type MicroclusterState =
  | { state: 'not installed' }
  | { state: 'not bootstrapped' }
  | { state: 'bootstrapped'; members: MicroclusterMember[] }
  | ServiceFailure;

export interface ServiceStates {
  lxd: LxdState;
  microceph: MicroclusterState;
  microovn: MicroclusterState;
  microcloud: MicroclusterState;
}

/**
 * A microcluster daemon that was never bootstrapped nor joined: endpoints not allowed before init answer with
 * the database status (microcluster v2 rest/types DatabaseNotReady, "Database is not yet initialized"); older
 * microcluster said "Daemon not yet initialized" (MicroCloud's test suite greps `microceph cluster list` and
 * `microovn cluster list` for it).
 */
const NOT_BOOTSTRAPPED = /\b(?:Database is not yet initialized|Daemon not yet initialized)\b/;

/**
 * A daemon that is not running: lxc's "LXD unix socket %q not found: Please check LXD is running"
 * (client/connection.go), and Go's dial error on a missing or dead unix socket, which older lxc and the
 * microcluster CLIs print as it is (`dial unix /var/snap/microceph/common/state/control.socket: connect: ...`).
 */
const NOT_RUNNING = [
  /LXD unix socket "[^"]*" not found/,
  /dial unix \S+: connect: (?:no such file or directory|connection refused)/,
];

/** cobra's `Error: ` and MicroCloud's `⨯ Error: ` prefixes. */
const ERROR_PREFIX = /^(?:⨯ )?Error: /;

/**
 * The failure in words: from the first `Error: ` line on (lxc may print first-run hints before it), else the
 * last line of stderr, else the exit status.
 */
export function failureMessage(outcome: CommandOutcome): string {
  const lines = outcome.stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const first = lines.findIndex((line) => ERROR_PREFIX.test(line));
  const text =
    first >= 0
      ? lines.slice(first).join(' ').replace(ERROR_PREFIX, '')
      : (lines.at(-1) ??
        (outcome.exitCode === 127 ? 'command not found' : `exit status ${outcome.exitCode}`));
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

function failure(command: string, outcome: CommandOutcome | undefined): ServiceFailure {
  if (outcome === undefined) return { state: 'error', command, message: 'its output was not gathered' };
  if (outcome.exitCode === TIMED_OUT_EXIT)
    return { state: 'not answering', command, message: timedOutMessage() };
  const message = failureMessage(outcome);
  if (NOT_RUNNING.some((pattern) => pattern.test(outcome.stderr))) {
    return { state: 'not running', command, message };
  }
  return { state: 'error', command, message };
}

/** A service that could not be asked, in one sentence that names it and its host. */
export function describeServiceFailure(label: string, host: string, failure: ServiceFailure): string {
  switch (failure.state) {
    case 'not answering':
      return `${label} on ${host} is not answering (\`${failure.command}\` ${failure.message})`;
    case 'not running':
      return `${label} on ${host} is installed but its daemon is not running: ${failure.message}`;
    case 'no member name':
      return `${label} on ${host} answers but has no member name (\`${failure.command}\`: ${failure.message})`;
    default:
      return `${label} on ${host}: \`${failure.command}\` failed: ${failure.message}`;
  }
}

export function isServiceFailure(state: LxdState | MicroclusterState): state is ServiceFailure {
  return (
    state.state === 'not running' ||
    state.state === 'not answering' ||
    state.state === 'error' ||
    state.state === 'no member name'
  );
}

/** The fact, in words (LxdState 'no member name'). */
export const LXD_NO_MEMBER_NAME = 'clustered, server_name ""; a join that never finished';

/** The stdout of a command that succeeded, or null. */
function stdoutOf(outcome: CommandOutcome | undefined): string | null {
  return outcome !== undefined && outcome.exitCode === 0 ? outcome.stdout : null;
}

/**
 * LXD's state from `lxc query /1.0`, `lxc query /1.0/storage-pools` and, once clustered,
 * `lxc cluster list -f json`. The members command fails on a server that is not clustered, which is
 * expected and ignored. Throws FactsParseError when a command succeeded with unexpected output.
 */
export function readLxdState(snaps: InstalledSnap[], outcomes: ServiceOutcomes): LxdState {
  if (findSnap(snaps, 'lxd') === undefined) return { state: 'not installed' };
  const serverText = stdoutOf(outcomes.lxdServer);
  if (serverText === null) return failure(LXD_SERVER_COMMAND, outcomes.lxdServer);
  const server = parseLxdServer(serverText);
  const poolsText = stdoutOf(outcomes.lxdStoragePools);
  if (poolsText === null) return failure(LXD_STORAGE_POOLS_COMMAND, outcomes.lxdStoragePools);
  const storagePools = parseLxdStoragePools(poolsText);
  if (server.clustered && server.serverName === '') {
    return { state: 'no member name', command: LXD_SERVER_COMMAND, message: LXD_NO_MEMBER_NAME };
  }
  if (server.clustered) {
    const membersText = stdoutOf(outcomes.lxdMembers);
    if (membersText === null) return failure(LXD_CLUSTER_MEMBERS_COMMAND, outcomes.lxdMembers);
    return { state: 'clustered', server, storagePools, members: parseLxdClusterMembers(membersText) };
  }
  return storagePools.length > 0
    ? { state: 'initialised', server, storagePools }
    : { state: 'not initialised', server };
}

/**
 * MicroCeph's, MicroOVN's or MicroCloud's state from `<app> cluster list -f json`. Throws FactsParseError
 * when the command succeeded with unexpected output.
 */
export function readMicroclusterState(
  app: MicroclusterApp,
  snaps: InstalledSnap[],
  outcome: CommandOutcome | undefined,
): MicroclusterState {
  if (findSnap(snaps, app) === undefined) return { state: 'not installed' };
  const text = stdoutOf(outcome);
  if (text !== null) return { state: 'bootstrapped', members: parseMicroclusterMembers(app, text) };
  if (outcome !== undefined && NOT_BOOTSTRAPPED.test(outcome.stderr)) return { state: 'not bootstrapped' };
  return failure(MICROCLUSTER_MEMBERS_COMMANDS[app], outcome);
}
