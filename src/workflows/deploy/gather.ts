// What the planner reads: every host's facts (one round trip each, as `mc probe`) and the running cluster's
// state, asked of one member of each service in one round trip per member. Who is asked what, and how the
// answers combine, is pure (domain/cluster/snapshot.ts); this module only runs the asks.
import {
  clusterSnapshot,
  clusterStateAsks,
  type ClusterSnapshot,
  type ClusterStateAnswer,
} from '../../domain/cluster/snapshot.js';
import { ClusterStateError } from '../../domain/cluster/state.js';
import type { ClusterDesign } from '../../domain/cluster/types.js';
import type { HostFacts } from '../../domain/facts/index.js';
import { readFramed } from '../read-framed.js';
import type { Session } from '../session.js';
import { StepError } from './remote.js';

export type { ClusterSnapshot } from '../../domain/cluster/snapshot.js';
export { microcloudRelease } from '../../domain/cluster/snapshot.js';

export async function gatherClusterState(
  session: Session,
  design: ClusterDesign,
  facts: ReadonlyMap<string, HostFacts>,
): Promise<ClusterSnapshot> {
  const answers = await Promise.all(
    clusterStateAsks(design, facts).map(async (ask): Promise<ClusterStateAnswer> => ({
      ask,
      outputs: await readFramed(session, ask.host, ask.commands),
    })),
  );
  try {
    return clusterSnapshot(design, facts, answers);
  } catch (err) {
    if (err instanceof ClusterStateError) throw new StepError(err.message);
    throw err;
  }
}
