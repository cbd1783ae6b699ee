// mc preseed export / import: the facts every host gives (as mc plan gathers them), then the pure domain
// work: the preseed mc would run (domain/cluster/preseed.ts), or a MicroCloud preseed turned into mc's cluster
// section (domain/cluster/preseed-import.ts). Neither changes anything on a host.
import type { HostFacts } from '../domain/facts/index.js';
import type { Inventory } from '../domain/inventory/types.js';
import { preseedFor, renderPreseed, type Preseed } from '../domain/cluster/preseed.js';
import {
  preseedToCluster,
  renderClusterSection,
  type ParsedPreseed,
} from '../domain/cluster/preseed-import.js';
import type { ClusterSpec, DeployIssue } from '../domain/cluster/types.js';
import { designCluster } from '../domain/cluster/validate.js';
import { probe } from './probe.js';
import type { Session } from './session.js';

export type PreseedExport =
  | { kind: 'unreachable' }
  | { kind: 'invalid'; issues: DeployIssue[] }
  /** Every host is a member of the MicroCloud already: there is no preseed left to run. */
  | { kind: 'complete'; members: string[] }
  | { kind: 'exported'; preseed: Preseed; text: string };

export type PreseedImportOutcome =
  { kind: 'unreachable' } | { kind: 'invalid'; issues: DeployIssue[] } | { kind: 'imported'; text: string };

async function gatherFacts(
  session: Session,
  allowVeth: boolean,
): Promise<{
  facts: Map<string, HostFacts>;
  localClock: Map<string, { sentAtMs: number; receivedAtMs: number }>;
} | null> {
  const probes = await probe(session, { allowVeth });
  if (!session.ok) return null;
  return {
    facts: new Map([...probes].map(([host, p]) => [host, p.facts])),
    localClock: new Map([...probes].map(([host, p]) => [host, p.roundTrip])),
  };
}

export async function exportPreseed(
  session: Session,
  options: { inventory: Inventory; spec: ClusterSpec; allowVeth: boolean },
): Promise<PreseedExport> {
  const gathered = await gatherFacts(session, options.allowVeth);
  if (gathered === null) return { kind: 'unreachable' };
  const designed = designCluster(options.inventory, options.spec, gathered.facts, {
    allowVeth: options.allowVeth,
    localClock: gathered.localClock,
  });
  if (!designed.ok) return { kind: 'invalid', issues: designed.issues };
  for (const warning of designed.design.warnings) session.bus.emit({ type: 'warning', message: warning });
  const preseed = preseedFor(designed.design, gathered.facts);
  if (!('mode' in preseed)) return { kind: 'complete', members: preseed.members };
  return { kind: 'exported', preseed, text: renderPreseed(preseed) };
}

export async function importPreseed(
  session: Session,
  options: { inventory: Inventory; preseed: ParsedPreseed; source: string; allowVeth: boolean },
): Promise<PreseedImportOutcome> {
  const gathered = await gatherFacts(session, options.allowVeth);
  if (gathered === null) return { kind: 'unreachable' };
  const result = preseedToCluster(options.preseed, options.inventory, gathered.facts);
  if (!result.ok) return { kind: 'invalid', issues: result.issues };
  return { kind: 'imported', text: renderClusterSection(options.source, result) };
}
