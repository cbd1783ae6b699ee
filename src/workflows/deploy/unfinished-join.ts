// Deploy's second look at hosts whose LXD cannot be asked: is it a join that never finished? A working LXD
// member is asked for the pending members, each such host for what its LXD directory holds; the answer is
// pure (facts/lxd-unfinished-join.ts). Nothing is asked when every LXD answers, so a normal run pays nothing.
import type { FramedCommand } from '../../domain/framed.js';
import {
  findUnfinishedLxdJoins,
  isServiceFailure,
  LXD_DIR_CONTENTS_COMMAND,
  LXD_PENDING_MEMBERS_COMMAND,
  parseLxdDirContents,
  parsePendingLxdMembers,
  type HostFacts,
  type LxdDirContents,
} from '../../domain/facts/index.js';
import { readFramed } from '../read-framed.js';
import type { Session } from '../session.js';

const PENDING: FramedCommand = { name: 'pending', command: LXD_PENDING_MEMBERS_COMMAND };
const CONTENTS: FramedCommand = { name: 'contents', command: LXD_DIR_CONTENTS_COMMAND };

/**
 * Each ask runs under framed.ts's own per-command limit (FACT_TIMEOUT_SECONDS). The facts, with `unfinishedLxdJoin` set on each host whose LXD join never finished. A host that cannot be
 * asked here keeps its facts as they were (validate then says its LXD is not answering).
 */
export async function withUnfinishedLxdJoins(
  session: Session,
  facts: ReadonlyMap<string, HostFacts>,
): Promise<Map<string, HostFacts>> {
  const result = new Map(facts);
  const failing = [...facts].filter(([, f]) => isServiceFailure(f.services.lxd)).map(([host]) => host);
  // The first working member in inventory order: the same one on every run.
  const viewer = session.hosts.find((host) => facts.get(host)?.services.lxd.state === 'clustered');
  if (failing.length === 0 || viewer === undefined) return result;
  const ask = async (host: string, command: FramedCommand): Promise<string | null> => {
    try {
      const output = (await readFramed(session, host, [command])).get(command.name);
      return output === undefined || output.exitCode !== 0 ? null : output.stdout;
    } catch {
      return null;
    }
  };
  const [pendingText, ...contentTexts] = await Promise.all([
    ask(viewer, PENDING),
    ...failing.map(async (host) => ask(host, CONTENTS)),
  ]);
  if (pendingText === null || pendingText === undefined) return result;
  const contents = new Map<string, LxdDirContents | null>(
    failing.map((host, i) => [host, parseLxdDirContents(contentTexts[i] ?? '')]),
  );
  const found = findUnfinishedLxdJoins(facts, viewer, parsePendingLxdMembers(pendingText), contents);
  for (const [host, join] of found) {
    const own = result.get(host);
    if (own !== undefined) result.set(host, { ...own, unfinishedLxdJoin: join });
  }
  return result;
}
