// What the planner reads: every host's facts (one round trip each, as `mc probe`) and the running cluster's
// state, asked of one member of each service in one round trip per member. Who is asked what, and how the
// answers combine, is pure (domain/cluster/snapshot.ts); this module only runs the asks.
import { randomBytes } from 'node:crypto';
import {
  clusterSnapshot,
  clusterStateAsks,
  type ClusterSnapshot,
  type ClusterStateAnswer,
} from '../../domain/cluster/snapshot.js';
import { ClusterStateError } from '../../domain/cluster/state.js';
import type { ClusterDesign } from '../../domain/cluster/types.js';
import type { HostFacts } from '../../domain/facts/index.js';
import { framedScript, splitFramed } from '../../domain/framed.js';
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
    clusterStateAsks(design, facts).map(async (ask): Promise<ClusterStateAnswer> => {
      const nonce = randomBytes(6).toString('hex');
      const connection = await session.pool.get(ask.host);
      const result = await connection.exec(framedScript(ask.commands, nonce), {
        timeoutMs: session.options.commandTimeoutMs,
        become: true,
      });
      return { ask, outputs: splitFramed(result.stdout, nonce) };
    }),
  );
  try {
    return clusterSnapshot(design, facts, answers);
  } catch (err) {
    if (err instanceof ClusterStateError) throw new StepError(err.message);
    throw err;
  }
}
