// A member joins LXD with a token from the anchor and the member_config MicroCloud's pools and networks
// need on it (§3.7), then listens on every address as MicroCloud's members do (§1.3).
import { stringify as toYaml } from 'yaml';
import type { Action } from '../../../domain/cluster/actions.js';
import { LXD_HTTPS_ANY } from '../../../domain/cluster/types.js';
import { LXD_JOIN_CLEAR_MARKER } from '../../../domain/facts/index.js';
import { quoteArg, shellJoin } from '../../../transport/quote.js';
import { waitForMember } from '../members.js';
import { endLeftover, recordedCommandLine, type RecordedCommand } from '../recorded-process.js';
import { StepError, type Remote } from '../remote.js';
import { definePhase, type StepContext } from './phase.js';

type LxdJoinAction = Extract<Action, { kind: 'lxd-join' }>;
type LxdJoinClearAction = Extract<Action, { kind: 'lxd-join-clear' }>;

/** How long `snap stop lxd` may wait for a daemon hung in its join before mc ends it (systemd waits 600 s). */
const STOP_GRACE_S = 15;
/** The stop: the grace, then the kill and snapd's own wrap-up. */
const STOP_TIMEOUT_MS = 90_000;
/** The start and `lxd waitready --timeout 60`. */
const START_TIMEOUT_MS = 90_000;
const VIEWER_TIMEOUT_MS = 90_000;

/**
 * On the host whose join never finished, first: stop LXD (a daemon hung in its join holds its database lock
 * and answers nothing, not even `lxd shutdown`: after a grace, the process that serves LXD's unix socket is
 * killed, which ends the stop). Once it is stopped, its join cannot complete behind mc's back. Refuses when
 * LXD holds instances, pools or images (the plan never gets here then). Before anything else, the marker that
 * the clear began (LXD_JOIN_CLEAR_MARKER): a run cut from here on finishes the clear. A stopped LXD stays
 * stopped (snap stop is idempotent).
 */
export function stopJoinerScript(lxdDir: string, address: string): string {
  return [
    `d=${quoteArg(lxdDir)}`,
    'for e in "$d"/containers/* "$d"/virtual-machines/* "$d"/storage-pools/* "$d"/images/*; do',
    '  if [ -e "$e" ]; then echo "LXD holds $e: mc clears only an LXD that holds nothing" >&2; exit 3; fi',
    'done',
    `m=${LXD_JOIN_CLEAR_MARKER}`,
    'mkdir -p "$(dirname "$m")"',
    `printf 'dir %s\\naddress %s\\n' "$d" ${quoteArg(address)} > "$m.new" && mv -f "$m.new" "$m" || exit 1`,
    'snap stop lxd >/dev/null & stop=$!',
    'i=0',
    `while kill -0 "$stop" 2>/dev/null && [ $i -lt ${STOP_GRACE_S} ]; do sleep 1; i=$((i + 1)); done`,
    'if kill -0 "$stop" 2>/dev/null; then',
    '  ino=',
    '  while read -r _ _ _ _ _ _ inode path; do',
    '    if [ "$path" = "$d/unix.socket" ]; then ino=$inode; break; fi',
    '  done < /proc/net/unix',
    '  for f in /proc/[0-9]*/fd/*; do',
    '    [ -n "$ino" ] || break',
    '    if [ "$(readlink "$f" 2>/dev/null)" = "socket:[$ino]" ]; then',
    '      p=${f#/proc/}; p=${p%%/*}',
    '      kill -KILL "$p" && echo "killed $p"',
    '      break',
    '    fi',
    '  done',
    'fi',
    'if ! wait "$stop"; then echo "snap stop lxd failed" >&2; exit 1; fi',
  ].join('\n');
}

/**
 * Last, on that host: remove the cluster state the join made (the database, which the join replaced with the
 * cluster's, and the cluster certificate) and start LXD again: it comes up as before the join, not
 * initialised. Only then is the marker removed. Each part may run again (rm of absent files, start of a
 * running LXD).
 */
export function restartJoinerScript(lxdDir: string): string {
  return [
    `d=${quoteArg(lxdDir)}`,
    'rm -rf "$d/database" "$d/cluster.crt" "$d/cluster.key" || exit 1',
    'snap start lxd >/dev/null || exit 1',
    'lxd waitready --timeout 60 || exit 1',
    `rm -f ${LXD_JOIN_CLEAR_MARKER}`,
  ].join('\n');
}

/**
 * On the member that lists the host as pending, once the host's LXD is stopped: the pending row, by id and
 * only while it is still pending (prints LXD's `Rows affected: N`; a member that ever joined is never
 * pending; none when an earlier clear removed it), then the raft node the join may have added (gone already
 * is fine).
 */
export function clearViewerScript(host: string, memberId: number | null, address: string): string {
  const sqlName = `'${host.replaceAll("'", "''")}'`;
  const remove = `DELETE FROM nodes WHERE id = ${memberId} AND name = ${sqlName} AND state = 1`;
  return [
    ...(memberId === null ? [] : [`lxd sql global ${quoteArg(remove)} || exit 1`]),
    `if ! out=$(lxd cluster remove-raft-node -q ${quoteArg(address)} 2>&1); then`,
    '  case "$out" in',
    '    *"No raft node with address"*) ;;',
    '    *) echo "$out" >&2; exit 1 ;;',
    '  esac',
    'fi',
  ].join('\n');
}

async function clearUnfinishedJoin(action: LxdJoinClearAction, context: StepContext): Promise<void> {
  const { remote } = context;
  const viewer = await context.on(action.viewer);
  await endLeftover(remote, LXD_INIT_COMMAND);
  const stopped = await remote.run(`sh -c ${quoteArg(stopJoinerScript(action.lxdDir, action.address))}`, {
    shownAs: 'snap stop lxd',
    quiet: true,
    timeoutMs: STOP_TIMEOUT_MS,
  });
  const killed = /^killed (\d+)$/m.exec(stopped.stdout);
  if (killed !== null) {
    remote.session.bus.emit({
      type: 'warning',
      host: remote.host,
      message: `LXD (pid ${killed[1] ?? '?'}) did not stop within ${STOP_GRACE_S} s (hung in its unfinished join): killed it`,
    });
  }
  const cleared = await viewer.run(
    `sh -c ${quoteArg(clearViewerScript(remote.host, action.memberId, action.address))}`,
    {
      shownAs:
        action.memberId === null
          ? `remove raft node ${action.address} of LXD`
          : `remove pending member ${action.memberId} of LXD`,
      quiet: true,
      timeoutMs: VIEWER_TIMEOUT_MS,
    },
  );
  // No row to delete when an earlier clear removed it (its marker): then the host never joined either.
  if (action.memberId !== null && !/^Rows affected: 1$/m.test(cleared.stdout)) {
    // The join completed after mc looked and before LXD stopped: the member is in the cluster, keep its state.
    await remote.run(`sh -c ${quoteArg(`snap start lxd && rm -f ${LXD_JOIN_CLEAR_MARKER}`)}`, {
      shownAs: 'snap start lxd',
      timeoutMs: START_TIMEOUT_MS,
    });
    throw new StepError(
      `${remote.host} finished its LXD join before mc stopped its LXD (${action.viewer} no longer lists it as pending): nothing was cleared, its LXD was started again`,
      'run mc deploy again',
    );
  }
  await remote.run(`sh -c ${quoteArg(restartJoinerScript(action.lxdDir))}`, {
    shownAs: 'snap start lxd',
    quiet: true,
    timeoutMs: START_TIMEOUT_MS,
  });
}

/**
 * `lxd init --preseed` (a join, or the first member's bootstrap): its pid is recorded, so that a run after a
 * cut link ends the one an earlier run left behind before it starts another.
 */
export const LXD_INIT_COMMAND: RecordedCommand = {
  pidFile: 'mc-lxd-init.pid',
  argv: ['lxd', 'init', '--preseed'],
};

async function issueLxdToken(anchor: Remote, name: string): Promise<string> {
  const result = await anchor.run(shellJoin(['lxc', 'cluster', 'add', name]), { quiet: true });
  const token = result.stdout.trim().split('\n').at(-1)?.trim() ?? '';
  if (token === '') throw new StepError(`LXD gave no join token for ${name}`);
  anchor.session.bus.addSecret(token);
  return token;
}

export const joinLxd = definePhase({
  title: 'join LXD',
  owns: (action): action is LxdJoinAction | LxdJoinClearAction =>
    action.kind === 'lxd-join' || action.kind === 'lxd-join-clear',
  async run(action, context) {
    if (action.kind === 'lxd-join-clear') {
      await clearUnfinishedJoin(action, context);
      return;
    }
    const { remote } = context;
    const anchor = await context.on(action.anchor);
    await endLeftover(remote, LXD_INIT_COMMAND);
    const token = await issueLxdToken(anchor, remote.host);
    await remote.run(recordedCommandLine(LXD_INIT_COMMAND), {
      shownAs: LXD_INIT_COMMAND.argv.join(' '),
      quiet: true,
      stdin: toYaml({
        cluster: {
          enabled: true,
          server_name: remote.host,
          server_address: action.address,
          cluster_token: token,
          member_config: action.memberConfig,
        },
      }),
    });
    await remote.run(shellJoin(['lxc', 'config', 'set', 'core.https_address', LXD_HTTPS_ANY]));
    // A clear cut after LXD was back clean but before it removed its marker: the join has made it moot.
    await remote.run(`sh -c ${quoteArg(`rm -f ${LXD_JOIN_CLEAR_MARKER}`)}`, { quiet: true });
  },
  async verify(action, context) {
    if (action.kind === 'lxd-join-clear') return;
    await waitForMember(await context.on(action.anchor), 'lxd', context.remote.host);
  },
});
