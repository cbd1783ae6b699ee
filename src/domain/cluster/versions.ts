// Snap channels and `major.minor` versions (microcloud.md §7).

/** The risk levels of a snap channel. */
const RISKS = new Set(['stable', 'candidate', 'beta', 'edge']);
const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/**
 * A channel in snapd's full form `track/risk[/branch]`, the way `snap list` prints it under Tracking: `5.21`
 * is `5.21/stable`, `edge` is `latest/edge`. Null when the text is not a channel.
 */
export function normalizeChannel(text: string): string | null {
  const parts = text.trim().split('/');
  if (parts.some((part) => !NAME.test(part))) return null;
  const [first, second, third] = parts;
  if (first === undefined) return null;
  if (parts.length === 1) return RISKS.has(first) ? `latest/${first}` : `${first}/stable`;
  if (parts.length === 2 && second !== undefined) {
    // risk/branch or track/risk.
    if (RISKS.has(first)) return `latest/${first}/${second}`;
    return RISKS.has(second) ? `${first}/${second}` : null;
  }
  if (parts.length === 3 && second !== undefined && third !== undefined && RISKS.has(second)) {
    return `${first}/${second}/${third}`;
  }
  return null;
}

/** The track of a normalised channel: `5.21` of `5.21/stable`. */
export function channelTrack(channel: string): string {
  return channel.split('/')[0] ?? channel;
}

export interface MajorMinor {
  major: number;
  minor: number;
}

/** `5.21` from `5.21`, `5.21.3` or `5.21.3-c5ae129`; null when the text does not start with major.minor. */
export function parseMajorMinor(text: string): MajorMinor | null {
  const match = /^(\d+)\.(\d+)(?:$|[.+~-])/.exec(text.trim());
  return match === null ? null : { major: Number(match[1]), minor: Number(match[2]) };
}

export function compareMajorMinor(a: MajorMinor, b: MajorMinor): number {
  return a.major - b.major || a.minor - b.minor;
}

/** The problem with running LXD `version` under the `floor` (cluster.lxd_min_version); undefined when none. */
export function lxdFloorProblem(version: string, floor: string): string | undefined {
  const wanted = parseMajorMinor(floor);
  const running = parseMajorMinor(version);
  if (wanted === null || running === null || compareMajorMinor(running, wanted) >= 0) return undefined;
  return `LXD ${version} is older than ${floor}, the oldest mc deploys`;
}
