// mc's record on a host of the snaps it installed there, so that `mc reset` removes those and never one that
// was there before mc: a file of snap names under /var/lib/mc (MC_STATE_DIR moves it: labs, whose hosts
// share one filesystem). The snap's name is written before `snap install` runs, so a cut right after the
// install still leaves it recorded; the bases the install pulled in (core22, core24) are added after it.
// Nothing secret in it. Each command runs as root, through `sh -c` so that sudo sees one command.
import { quoteArg } from '../../transport/quote.js';

const RECORD_FILE = '"${MC_STATE_DIR:-/var/lib/mc}/installed-snaps"';

/** The snap names `snap list` prints, one per line (its header and "No snaps..." left out). */
const SNAP_NAMES = "snap list 2>/dev/null | awk 'NR > 1 { print $1 }'";

const sh = (lines: string[]): string => `sh -c ${quoteArg(lines.join('; '))}`;

/** Before `snap install SNAP`: the snap is recorded, and the snaps there now kept aside. */
export function recordBeforeInstall(snap: string): string {
  return sh([
    `f=${RECORD_FILE}`,
    'mkdir -p "$(dirname "$f")"',
    `{ grep -qx ${quoteArg(snap)} "$f" 2>/dev/null || echo ${quoteArg(snap)} >> "$f"; }`,
    `${SNAP_NAMES} > "$f.before"`,
  ]);
}

/** After it: the snaps that came with it are recorded too. */
export const RECORD_AFTER_INSTALL = sh([
  `f=${RECORD_FILE}`,
  '[ -f "$f.before" ] || exit 0',
  `for s in $(${SNAP_NAMES}); do grep -qx "$s" "$f.before" || grep -qx "$s" "$f" || echo "$s" >> "$f"; done`,
  'rm -f "$f.before"',
]);

/** Prints `present` and the recorded names, or `absent`. */
export const READ_RECORD_COMMAND = sh([
  `f=${RECORD_FILE}`,
  'if [ -f "$f" ]; then echo present; cat "$f"; else echo absent; fi',
]);

/** Removes the record (and mc's directory when nothing else is in it). */
export const FORGET_RECORD_COMMAND = sh([
  `f=${RECORD_FILE}`,
  'rm -f "$f" "$f.before"',
  'rmdir "$(dirname "$f")" 2>/dev/null || true',
]);
