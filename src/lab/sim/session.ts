// The MicroCloud trust-establishment session (§1.2): the initiator's session collecting join intents, and
// the joiner side that finds the initiator, sends its intent and waits to be joined.

import { machineAddresses, machineWithAddress, type Machine } from './machine.js';
import { MICROCLUSTER_PORT, clusterOf } from './microcluster.js';
import { cidrContains, parseCidr } from './net.js';
import { CloudError } from './preseed.js';
import type { Output } from './program.js';
import { allMachines, type MicroCloudSession, type World } from './world.js';

/** Defaults from mc2 (§1.2): session 60 min; joiners poll every 100 ms here. */
export const DEFAULT_SESSION_TIMEOUT_MS = 60 * 60_000;
const POLL_MS = 100;
/** api/session_join.go: every join request waits 100 ms; 50 failures stop the session. */
const JOIN_REQUEST_DELAY_MS = 100;
const MAX_FAILED_JOIN_ATTEMPTS = 50;

/** Polls `done` in modelled time until it holds or `timeoutMs` passed. */
export async function waitFor(
  world: World,
  done: () => boolean,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const deadline = world.clock.now() + timeoutMs;
  for (;;) {
    if (done()) return true;
    if (world.clock.now() >= deadline) return false;
    await world.clock.sleep(Math.min(POLL_MS, deadline - world.clock.now()), signal);
  }
}

export function activeSession(world: World, host: string): MicroCloudSession | null {
  const session = world.state.sessions[host];
  if (!session || session.ended) return null;
  if (world.clock.now() >= session.startedAt + session.timeoutMs) {
    session.ended = { at: session.startedAt + session.timeoutMs, error: 'Session timeout exceeded' };
    return null;
  }
  return session;
}

export function startSession(
  world: World,
  machine: Machine,
  role: MicroCloudSession['role'],
  passphrase: string,
  timeoutMs: number,
  services: Record<string, string>,
): MicroCloudSession {
  if (activeSession(world, machine.name)) throw new CloudError('There already is an active session');
  if (timeoutMs > DEFAULT_SESSION_TIMEOUT_MS)
    throw new CloudError('Session timeout cannot exceed 60 minutes');
  const session: MicroCloudSession = {
    host: machine.name,
    role,
    passphrase,
    startedAt: world.clock.now(),
    timeoutMs,
    services,
    intents: [],
    failedAttempts: 0,
    confirmed: [],
    joined: [],
    ended: null,
  };
  world.state.sessions[machine.name] = session;
  return session;
}

export function endSession(world: World, session: MicroCloudSession, error: string | null): void {
  if (!session.ended) session.ended = { at: world.clock.now(), error };
}

export interface JoinerParams {
  machine: Machine;
  address: string;
  lookupSubnet: string;
  initiatorAddress: string;
  passphrase: string;
  lookupTimeoutMs: number;
  sessionTimeoutMs: number;
  services: Record<string, string>;
}

/** Joiner side of the session: find the initiator, send the intent, wait to be joined (§1.1, §1.2). */
export async function joinerSession(
  world: World,
  params: JoinerParams,
  out: Output,
  signal?: AbortSignal,
): Promise<void> {
  const { machine } = params;
  const session = startSession(
    world,
    machine,
    'joining',
    params.passphrase,
    params.sessionTimeoutMs,
    params.services,
  );
  try {
    await joinAsJoiner(world, params, session, out, signal);
  } finally {
    // api/session.go: the session lives in the handler of the CLI's websocket (`defer
    // sh.StopSession(nil)`): when the CLI dies (its call aborted), the daemon's session ends with it.
    endSession(world, session, null);
  }
}

async function joinAsJoiner(
  world: World,
  params: JoinerParams,
  session: MicroCloudSession,
  out: Output,
  signal?: AbortSignal,
): Promise<void> {
  const { machine } = params;
  const fail = (message: string): never => {
    endSession(world, session, message);
    throw new CloudError(message);
  };
  let initiatorAddress = params.initiatorAddress;
  if (initiatorAddress === '') {
    // Multicast lookup every second on the lookup interface; clouds drop it (§2.3, §9 item 1).
    const subnet = parseCidr(params.lookupSubnet);
    const found = await waitFor(
      world,
      () => world.state.network.multicast && findInitiatorBySubnet(world, subnet) !== null,
      params.lookupTimeoutMs,
      signal,
    );
    const initiator = found ? findInitiatorBySubnet(world, subnet) : null;
    if (!initiator)
      return fail(
        'Failed to find an eligible system: Failed to lookup eligible system: Lookup timeout exceeded',
      );
    initiatorAddress = initiator;
  }
  const joinError = await sendJoinIntent(world, params, initiatorAddress, signal);
  if (joinError)
    return fail(
      `Failed to find an eligible system: Failed to send our intent to join "${initiatorAddress}": ${joinError}`,
    );
  const initiatorHost = machineWithAddress(allMachines(world), initiatorAddress) as Machine;
  const initiatorSession = world.state.sessions[initiatorHost.name] as MicroCloudSession;
  const confirmed = await waitFor(
    world,
    () =>
      initiatorSession.confirmed.includes(machine.hostname) ||
      initiatorSession.ended !== null ||
      activeSession(world, machine.name) === null,
    params.sessionTimeoutMs,
    signal,
  );
  if (!confirmed || !initiatorSession.confirmed.includes(machine.hostname)) {
    const cause = activeSession(world, machine.name) === null ? ': Session timeout exceeded' : '';
    return fail(`Failed to read join confirmation: Exit waiting for join confirmation${cause}`);
  }
  // The session ends when the initiator has joined us to MicroCloud (PostJoin hook), or times out.
  const joinedCloud = (): boolean => {
    const cluster = clusterOf(world, machine, 'microcloud');
    return cluster?.members.some((m) => m.host === machine.name && m.joinedAt !== null) ?? false;
  };
  const joined = await waitFor(
    world,
    () => joinedCloud() || activeSession(world, machine.name) === null,
    session.startedAt + session.timeoutMs - world.clock.now(),
    signal,
  );
  if (!joined || !joinedCloud()) {
    return fail('Failed to join system: Exit waiting for session to end: Session timeout exceeded');
  }
  endSession(world, session, null);
  out.println('Successfully joined the MicroCloud cluster and closing the session.');
  const remaining = Object.keys(params.services)
    .filter((s) => s !== 'MicroCloud')
    .sort();
  if (remaining.length > 0)
    out.println(`Commencing cluster join of the remaining services (${remaining.join(',')})`);
}

function findInitiatorBySubnet(world: World, subnet: ReturnType<typeof parseCidr>): string | null {
  if (!subnet) return null;
  for (const session of Object.values(world.state.sessions)) {
    if (session.role !== 'initiating' || session.ended) continue;
    const host = world.state.machines[session.host];
    const address =
      host && machineAddresses(host).find(({ assignment }) => cidrContains(subnet, assignment.address));
    if (address) return address.assignment.address;
  }
  return null;
}

/** POST /1.0/session/join on the initiator; returns the API error text or null (api/session_join.go). */
async function sendJoinIntent(
  world: World,
  params: JoinerParams,
  initiatorAddress: string,
  signal?: AbortSignal,
): Promise<string | null> {
  const target = machineWithAddress(allMachines(world), initiatorAddress);
  const url = `https://${initiatorAddress}:${MICROCLUSTER_PORT.microcloud}/1.0/session/join`;
  // Our link down: the kernel has no route out, the dial fails at once.
  if (world.state.network.linkDown.includes(params.machine.name))
    return `Post "${url}": dial tcp ${initiatorAddress}:${MICROCLUSTER_PORT.microcloud}: connect: network is unreachable`;
  if (!target)
    return `Post "${url}": dial tcp ${initiatorAddress}:${MICROCLUSTER_PORT.microcloud}: connect: no route to host`;
  if (!target.daemons.microcloud)
    return `Post "${url}": dial tcp ${initiatorAddress}:${MICROCLUSTER_PORT.microcloud}: connect: connection refused`;
  await world.clock.sleep(JOIN_REQUEST_DELAY_MS, signal);
  const session = activeSession(world, target.name);
  // service/service_handler.go: no (initiating) session -> 400 "No active session".
  if (!session || session.role !== 'initiating') return 'No active session';
  if (session.passphrase !== params.passphrase) {
    session.failedAttempts++;
    if (session.failedAttempts >= MAX_FAILED_JOIN_ATTEMPTS)
      endSession(world, session, 'Too many failed join attempts');
    return 'Wrong passphrase';
  }
  for (const [service, version] of Object.entries(session.services)) {
    const theirs = params.services[service];
    if (theirs === undefined)
      return `Rejecting peer "${params.machine.hostname}" due to missing services (${service})`;
    if (theirs !== version) {
      return `Rejecting peer "${params.machine.hostname}" due to invalid ${service} version. (Want: "${version}", Detected: "${theirs}")`;
    }
  }
  if (!session.intents.some((i) => i.name === params.machine.hostname)) {
    session.intents.push({
      name: params.machine.hostname,
      host: params.machine.name,
      address: params.address,
      certificateFingerprint: params.machine.daemons.microcloud?.serverCertificate.fingerprint ?? '',
      services: params.services,
      receivedAt: world.clock.now(),
    });
  }
  return null;
}
