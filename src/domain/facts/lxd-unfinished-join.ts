// An LXD join that stopped half-way (the joiner's link cut for longer than LXD's own one-minute raft join
// wait): the cluster's database keeps the joiner as a pending member (nodes.state = 1, written by the
// leader's Accept before the joiner takes part in raft), which `lxc cluster list` does not show and
// `lxc cluster remove --force` cannot find (LXD 5.0 lxd/db/node.go reads only non-pending members); raft may
// keep the joiner's address as a spare; and the joiner's daemon holds its database lock forever (Join takes
// it with EnterExclusive and a failed join never gives it back), so it answers no request. These facts are
// asked only when a host's LXD cannot be asked (deploy's second look), never in a plain probe.
import { quoteArg } from '../../transport/quote.js';
import { isServiceFailure, type LxdState, type ServiceFailure } from './services.js';

/** LXD's nodes.state of a member whose join never finished (lxd/db/node.go: ClusterMemberStatePending). */
export const LXD_MEMBER_PENDING = 1;

/** On a working member: the members that never finished joining (`lxd sql` prints a table in LXD 5.0). */
export const LXD_PENDING_MEMBERS_COMMAND = `lxd sql global ${quoteArg(
  `SELECT id, name, address, state FROM nodes WHERE state = ${LXD_MEMBER_PENDING}`,
)}`;

/**
 * LXD's state directory (the snap's, else Debian's), and whatever in it is more than an empty daemon's:
 * instances, storage pools, images. Shell globs only: no program between the directory and the answer.
 */
export const LXD_DIR_CONTENTS_COMMAND = [
  'for d in /var/snap/lxd/common/lxd /var/lib/lxd; do',
  '  [ -d "$d/database" ] || continue',
  '  echo "dir $d"',
  '  for e in "$d"/containers/* "$d"/virtual-machines/* "$d"/storage-pools/* "$d"/images/*; do',
  '    [ -e "$e" ] && echo "holds $e"',
  '  done',
  '  exit 0',
  'done',
].join('\n');

export interface PendingLxdMember {
  id: number;
  name: string;
  address: string;
}

/** What LXD's state directory holds beyond an empty daemon's; null where none was found. */
export interface LxdDirContents {
  dir: string;
  holds: string[];
}

/** A host whose LXD join never finished, as the cluster and the host itself show it. */
export interface UnfinishedLxdJoin {
  /** The working member whose database lists the host as pending. */
  viewer: string;
  /** The pending row's id in the cluster's `nodes` table. */
  memberId: number;
  /** The address the join gave (raft may keep it as a spare). */
  address: string;
  /** Why the host's LXD could not be asked. */
  failure: ServiceFailure;
  /** Where the host's LXD keeps its state, and what it holds; null when no LXD directory was found. */
  contents: LxdDirContents | null;
}

/** The rows of a table `lxd sql` printed (`| a | b |` lines, the first one the header). */
export function parseLxdSqlTable(text: string): Record<string, string>[] {
  const rows = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('|') && line.endsWith('|'))
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
  const [header, ...body] = rows;
  if (header === undefined) return [];
  return body.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ''])));
}

/** The pending members in the output of LXD_PENDING_MEMBERS_COMMAND; rows in any other state are dropped. */
export function parsePendingLxdMembers(text: string): PendingLxdMember[] {
  return parseLxdSqlTable(text).flatMap((row) => {
    const id = Number(row['id']);
    if (!Number.isInteger(id) || id <= 0 || Number(row['state']) !== LXD_MEMBER_PENDING) return [];
    return [{ id, name: row['name'] ?? '', address: row['address'] ?? '' }];
  });
}

/** The output of LXD_DIR_CONTENTS_COMMAND. */
export function parseLxdDirContents(text: string): LxdDirContents | null {
  const lines = text.split('\n').map((line) => line.trim());
  const dir = lines.find((line) => line.startsWith('dir '))?.slice(4);
  if (dir === undefined || dir === '') return null;
  return { dir, holds: lines.filter((line) => line.startsWith('holds ')).map((line) => line.slice(6)) };
}

/**
 * The hosts whose LXD join never finished: the host's LXD cannot be asked, `viewer` (a working member) lists
 * it as pending, and no working member's `lxc cluster list` lists it. A pending row is a member that was never
 * ONLINE (LXD clears the flag when the join completes and never sets it again); the last condition guards
 * against anything else. A working member is never one: its LXD answers.
 */
export function findUnfinishedLxdJoins(
  facts: ReadonlyMap<string, { services: { lxd: LxdState } }>,
  viewer: string,
  pending: readonly PendingLxdMember[],
  contents: ReadonlyMap<string, LxdDirContents | null>,
): Map<string, UnfinishedLxdJoin> {
  const listed = new Set(
    [...facts.values()].flatMap((f) =>
      f.services.lxd.state === 'clustered' ? f.services.lxd.members.map((m) => m.name) : [],
    ),
  );
  const found = new Map<string, UnfinishedLxdJoin>();
  for (const [host, hostFacts] of facts) {
    const lxd = hostFacts.services.lxd;
    if (!isServiceFailure(lxd) || listed.has(host)) continue;
    const row = pending.find((member) => member.name === host);
    if (row === undefined) continue;
    found.set(host, {
      viewer,
      memberId: row.id,
      address: row.address,
      failure: lxd,
      contents: contents.get(host) ?? null,
    });
  }
  return found;
}
