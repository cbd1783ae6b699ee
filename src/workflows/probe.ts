// mc probe: what each host has (OS, snaps, disks, NICs) and what MicroCloud could use, before anything
// is changed. One round trip per host.
import { randomBytes } from 'node:crypto';
import {
  checkClusterAddress,
  evaluateDisks,
  evaluateUplinkInterfaces,
  isServiceFailure,
  parseHostFacts,
} from '../domain/facts/index.js';
import type { ClusterAddressCheck, DiskVerdict, HostFacts, InterfaceVerdict } from '../domain/facts/index.js';
import { NO_SCRATCH_EXIT } from '../domain/framed.js';
import { gatherScript, splitGathered } from '../domain/probe.js';
import { runPerHost } from './per-host.js';
import type { Session } from './session.js';

export interface HostProbe {
  host: string;
  facts: HostFacts;
  disks: DiskVerdict[];
  uplinks: InterfaceVerdict<string>[];
  /** The address mc reached the host on. */
  reachedAt: string;
  /** That address checked against the host's own addresses. */
  managementAddress: ClusterAddressCheck;
  /** This machine's clock around the round trip that read the host's: bounds the skew between the two. */
  roundTrip: { sentAtMs: number; receivedAtMs: number };
}

export interface ProbeOptions {
  /** Lab hosts' NICs are veth pairs, which real MicroCloud would not offer. */
  allowVeth: boolean;
}

export async function probe(session: Session, options: ProbeOptions): Promise<Map<string, HostProbe>> {
  const results = new Map<string, HostProbe>();
  await runPerHost(session, 'probe', 'probe disks and NICs', async (host, connection) => {
    const { script, nonce } = gatherScript(randomBytes(6).toString('hex'));
    // Root: lsblk and lxc query see everything only as root.
    const sentAtMs = Date.now();
    const run = await connection
      .exec(script, { timeoutMs: session.options.commandTimeoutMs, become: true })
      .catch((err: unknown) => {
        // The script goes to the log file; the error names it only by its length.
        session.bus.emit({ type: 'command', host, step: 'probe', command: script });
        throw err;
      });
    const receivedAtMs = Date.now();
    if (run.code === NO_SCRATCH_EXIT) return { failed: firstLine(run.stderr) };
    const gathered = splitGathered(run.stdout, nonce);
    if (!gathered.ok) return { failed: gathered.problems.join('; ') };
    const parsed = parseHostFacts(gathered.outputs);
    if (!parsed.ok) return { failed: parsed.errors.map((e) => e.message).join('; ') };
    const facts = parsed.facts;
    // The address mc connects to: the management NIC must not be offered as uplink.
    const address = session.addressOf(host);
    const report: HostProbe = {
      host,
      facts,
      disks: evaluateDisks(facts.blockDevices, facts.diskLinks),
      uplinks: evaluateUplinkInterfaces(facts.network, {
        managementAddress: address,
        allowVeth: options.allowVeth,
      }),
      reachedAt: address,
      managementAddress: checkClusterAddress(facts.network, address),
      roundTrip: { sentAtMs, receivedAtMs },
    };
    results.set(host, report);
    const cephDisks = report.disks.filter((d) => d.ceph.eligible).length;
    const uplinks = report.uplinks.filter((u) => u.eligible).map((u) => u.interface.name);
    // A daemon that could not be asked is part of the host's one-line summary, not only of the report.
    const unwell = (['lxd', 'microceph', 'microovn', 'microcloud'] as const)
      .map((service) => ({ service, state: facts.services[service] }))
      .filter(({ state }) => isServiceFailure(state))
      .map(({ service, state }) => `; ${service} ${state.state}`);
    return {
      summary: `${facts.os.prettyName ?? facts.os.id}, ${cephDisks} disk(s) for Ceph, uplink ${uplinks.length > 0 ? uplinks.join(' or ') : 'none'}${unwell.join('')}`,
    };
  });
  return results;
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '') ?? `exit status ${NO_SCRATCH_EXIT}`;
}
