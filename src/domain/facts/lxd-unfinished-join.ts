// An LXD join that stopped half-way (the joiner's link cut for longer than LXD's own one-minute raft join
// wait): the cluster's database keeps the joiner as a pending member (nodes.state = 1, written by the
// leader's Accept before the joiner takes part in raft), which `lxc cluster list` does not show and
// `lxc cluster remove --force` cannot find (LXD 5.0 lxd/db/node.go reads only non-pending members); raft may
// keep the joiner's address as a spare; and the joiner's daemon holds its database lock forever (Join takes
// it with EnterExclusive and a failed join never gives it back), so it answers no request. These facts are
// asked only when a host's LXD cannot be asked (deploy's second look), never in a plain probe. A join that
// failed later (its link cut after it joined raft, before it finished: lxd/cluster/membership.go Join) gives the
// lock back but leaves a daemon that answers, clustered, with no member name (facts/services.ts 'no member
// name'), and the pending row only if the join's last transaction never committed: the same clear applies.
import { quoteArg } from '../../transport/quote.js';
import { isServiceFailure, type LxdState, type ServiceFailure } from './services.js';

/** LXD's nodes.state of a member whose join never finished (lxd/db/node.go: ClusterMemberStatePending). */
export const LXD_MEMBER_PENDING = 1;

/** On a working member: the members that never finished joining (`lxd sql` prints a table in LXD 5.0). */
export const LXD_PENDING_MEMBERS_COMMAND = `lxd sql global ${quoteArg(
  `SELECT id, name, address, state FROM nodes WHERE state = ${LXD_MEMBER_PENDING}`,
)}`;

/**
 * mc's marker on the joiner that a clear of its unfinished join began (`dir D` and `address A` lines): written
 * before the clear stops or deletes anything, removed once the host's LXD is back clean. A run cut in
 * between (the pending row gone already, LXD stopped, its database maybe removed) finds it and finishes the
 * clear. On disk under mc's state directory (not tmpfs: a reboot in between must not lose it); nothing secret.
 */
export const LXD_JOIN_CLEAR_MARKER = '"${MC_STATE_DIR:-/var/lib/mc}/lxd-join-clear"';

/**
 * LXD's state directory (the snap's, else Debian's; the one a begun clear names even when its database is
 * gone), whatever in it is more than an empty daemon's (instances, storage pools, images) and the address
 * of a begun clear. Shell globs and sed only: no program between the directory and the answer.
 */
export const LXD_DIR_CONTENTS_COMMAND = [
  `m=${LXD_JOIN_CLEAR_MARKER}; md=; ma=`,
  `if [ -f "$m" ]; then md=$(sed -n 's/^dir //p' "$m"); ma=$(sed -n 's/^address //p' "$m"); fi`,
  'for d in /var/snap/lxd/common/lxd /var/lib/lxd; do',
  '  [ -d "$d/database" ] || [ "$d" = "$md" ] || continue',
  '  echo "dir $d"',
  '  if [ "$d" = "$md" ] && [ -n "$ma" ]; then echo "clearing $ma"; fi',
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
  /** The raft address of a clear an earlier run began here and did not finish (its marker); else null. */
  clearing: string | null;
}

/** A host whose LXD join never finished, as the cluster and the host itself show it. */
export interface UnfinishedLxdJoin {
  /** The working member whose database lists the host as pending. */
  viewer: string;
  /**
   * The pending row's id in the cluster's `nodes` table; null when there is none any more because a clear
   * an earlier run began (its marker on the host) removed it and was cut before the host's LXD was back.
   */
  memberId: number | null;
  /**
   * The address the join gave (raft may keep it as a spare); `''` when neither a pending row nor a begun
   * clear names it (an unnamed LXD whose row is gone): then it is the join's address from the inventory.
   */
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
  const clearing = lines.find((line) => line.startsWith('clearing '))?.slice(9) ?? '';
  return {
    dir,
    holds: lines.filter((line) => line.startsWith('holds ')).map((line) => line.slice(6)),
    clearing: clearing === '' ? null : clearing,
  };
}

/**
 * The hosts whose LXD join never finished: no working member's `lxc cluster list` lists it, and either its
 * LXD cannot be asked while `viewer` (a working member) lists it as pending, or its LXD answers with no member
 * name (a failed join's revert; with or without a pending row left). A pending row is a member that was never
 * ONLINE (LXD clears the flag when the join completes and never sets it again); the last condition guards
 * against anything else. A working member is never one: its LXD answers. A host with no pending row left whose
 * LXD directory carries the marker of a clear an earlier run began is one too (memberId null): that clear
 * was cut after it removed the row, and the rest of it (each part idempotent) is still to do.
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
    const hostContents = contents.get(host) ?? null;
    const begun = hostContents?.clearing ?? null;
    // Answering with no member name, listed by no working member: its join failed after it stored the
    // cluster's raft nodes, whether or not the leader's pending row is still there.
    const unnamed = lxd.state === 'no member name';
    if (row === undefined && begun === null && !unnamed) continue;
    found.set(host, {
      viewer,
      memberId: row?.id ?? null,
      address: row?.address ?? begun ?? '',
      failure: lxd,
      contents: hostContents,
    });
  }
  return found;
}
