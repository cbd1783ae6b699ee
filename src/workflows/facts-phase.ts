// The first phase of every day-2 command that changes a cluster (remove, reset, upgrade): connect to every
// host and probe it, shown as one phase; the hosts that did not answer are named for the command's refusal.
import type { HostFacts } from '../domain/facts/index.js';
import { probe } from './probe.js';
import type { Session } from './session.js';

export async function gatherFacts(session: Session, allowVeth: boolean): Promise<Map<string, HostFacts>> {
  const probes = await probe(session, { allowVeth });
  return new Map([...probes].map(([host, p]) => [host, p.facts]));
}

/** Facts from every host that answered, and the hosts that did not. */
export async function factsPhase(
  session: Session,
  allowVeth: boolean,
): Promise<{ facts: Map<string, HostFacts>; lost: string[] }> {
  const { bus } = session;
  bus.emit({
    type: 'phase-start',
    phase: 'facts',
    title: 'Connect and gather facts',
    hosts: [...session.hosts],
  });
  const facts = await gatherFacts(session, allowVeth);
  const lost = session.hosts.filter((h) => !facts.has(h));
  bus.emit({ type: 'phase-done', phase: 'facts', ok: lost.length === 0, changed: 0, ms: 0 });
  return { facts, lost };
}
