// `mc collect`: what a MicroCloud bug report needs from each member (what upstream's issue templates ask
// for: snap revisions, the clusters' views of their members, the daemons' journals, the kernel log, the
// addresses), and the masking applied to every byte of it before it reaches the controller's disk. Pure.

export interface CollectItem {
  /** The file in the host's folder of the archive. */
  file: string;
  /** Run by the login shell with sudo: the snaps' CLIs and the journal need root. */
  command: string;
  timeoutMs: number;
  /** Keep only the last lines (the kernel log has no line limit of its own). */
  tailLines?: number;
}

export interface CollectOptions {
  /** The journal of the snap daemons covers this many hours back. */
  journalHours: number;
}

/** Read-only status commands answer in seconds; a hung daemon is reported, not waited for. */
const STATUS_TIMEOUT_MS = 30_000;
const JOURNAL_TIMEOUT_MS = 60_000;
/** Enough of a journal to see a failure's cause without shipping days of a healthy daemon's chatter. */
export const JOURNAL_MAX_LINES = 5000;
export const DMESG_TAIL_LINES = 300;

/** The snaps whose daemons (snap.NAME.*) write the journal a MicroCloud bug report needs. */
export const COLLECTED_SNAPS = ['lxd', 'microcloud', 'microceph', 'microovn'] as const;

export function collectItems(options: CollectOptions): CollectItem[] {
  const units = COLLECTED_SNAPS.map((snap) => `-u 'snap.${snap}.*'`).join(' ');
  const status = (file: string, command: string): CollectItem => ({
    file,
    command,
    timeoutMs: STATUS_TIMEOUT_MS,
  });
  return [
    status('snap-list.txt', 'snap list'),
    status('microcloud-status.txt', 'microcloud status'),
    status('microcloud-cluster-list.txt', 'microcloud cluster list'),
    status('lxc-cluster-list.txt', 'lxc cluster list'),
    status('lxc-info.txt', 'lxc info'),
    status('microceph-status.txt', 'microceph status'),
    status('ceph-status.txt', 'microceph.ceph -s'),
    status('microovn-status.txt', 'microovn status'),
    {
      file: 'journal.txt',
      command: `journalctl --no-pager -o short-iso --since '${options.journalHours} hours ago' -n ${JOURNAL_MAX_LINES} ${units}`,
      timeoutMs: JOURNAL_TIMEOUT_MS,
    },
    { file: 'dmesg.txt', command: 'dmesg', timeoutMs: STATUS_TIMEOUT_MS, tailLines: DMESG_TAIL_LINES },
    status('ip-address.txt', 'ip address show'),
    status('ip-route.txt', 'ip route show'),
  ];
}

export const REDACTED = '<redacted>';

/** Names under which configs and logs carry secrets: `core.trust_password`, `join_token`, `passphrase`... */
const SECRET_NAME = String.raw`[\w.-]*(?:password|passphrase|secret|token|private[_-]?key)[\w.-]*`;
const SECRET_FIELDS: RegExp[] = [
  // YAML `name: value` and JSON `"name": "value"`.
  new RegExp(String.raw`("?${SECRET_NAME}"?\s*:\s*)("(?:[^"\\]|\\.)*"|[^\s,}]+)`, 'gi'),
  // `name=value` (lxc config, command lines in logs) and Ceph keyrings' `key = AQ...`.
  new RegExp(String.raw`(\b${SECRET_NAME}\s*=\s*)("(?:[^"\\]|\\.)*"|\S+)`, 'gi'),
];
const PRIVATE_KEY = /(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----)/g;
/** A cephx secret: base64 of 28 bytes, always `AQ` first (its type and creation time). */
const CEPHX_KEY = /\bAQ[A-Za-z0-9+/]{36}==/g;
/** Long base64 runs: LXD, MicroCloud and microcluster join and trust tokens are base64 JSON. */
const BASE64_RUN = /[A-Za-z0-9+/_-]{60,}={0,2}/g;

/** Whether a base64 run decodes to the JSON of a join or trust token (it carries a secret). */
function isToken(run: string): boolean {
  let decoded: string;
  try {
    decoded = Buffer.from(run, run.includes('-') || run.includes('_') ? 'base64url' : 'base64').toString(
      'utf8',
    );
  } catch {
    return false;
  }
  if (!decoded.startsWith('{')) return false;
  try {
    const value = JSON.parse(decoded) as unknown;
    return value !== null && typeof value === 'object' && ('secret' in value || 'fingerprint' in value);
  } catch {
    return false;
  }
}

/**
 * Masks the secrets a report could hold: private keys, cephx keys, join and trust tokens, and the value of
 * any field named like a password, passphrase, secret, token or private key. Certificates stay: they are
 * public, and a trust problem cannot be diagnosed without their fingerprints.
 */
export function redactReport(text: string): string {
  let out = text.replace(PRIVATE_KEY, `$1\n${REDACTED}\n$2`);
  out = out.replace(CEPHX_KEY, REDACTED);
  out = out.replace(BASE64_RUN, (run) => (isToken(run) ? REDACTED : run));
  for (const field of SECRET_FIELDS) {
    out = out.replace(field, (_whole, name: string, value: string) =>
      value === REDACTED || value === `"${REDACTED}"` ? `${name}${value}` : `${name}${REDACTED}`,
    );
  }
  return out;
}

/** The last `lines` lines of `text` (and a note saying how many were left out). */
export function tailLines(text: string, lines: number): string {
  const all = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  if (all.length <= lines) return text;
  return `[${all.length - lines} earlier lines left out]\n${all.slice(-lines).join('\n')}\n`;
}

export interface CollectedFile {
  item: CollectItem;
  /** null when the command did not finish (timeout, lost connection). */
  exitCode: number | null;
  ms: number;
  error?: string;
}

/** The host folder's index: one line per command, what it exited with and how long it took. */
export function formatIndex(host: string, files: CollectedFile[]): string {
  const rows = files.map((f) => {
    const status = f.exitCode === null ? `not finished: ${f.error ?? 'unknown'}` : `exit ${f.exitCode}`;
    return `${f.item.file}\t${status}\t${f.ms} ms\t${f.item.command}`;
  });
  return `# ${host}: file, status, duration, command (run with sudo)\n${rows.join('\n')}\n`;
}

/** `mc-collect-20261207T171500Z`: the archive's name and its top folder. */
export function archiveName(at: Date): string {
  return `mc-collect-${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;
}
