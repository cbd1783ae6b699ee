// The one error every facts parser throws: which command's output was wrong, where, and what was expected.

/** The remote outputs mc parses; used to name the source of a parse error. */
export type FactSource =
  | 'lsblk'
  | 'disk links'
  | 'ip addr'
  | 'ip route'
  | 'snap list'
  | 'os-release'
  | 'meminfo'
  | 'nproc'
  | 'uname'
  | 'date'
  | 'lxd resources'
  | 'hostname'
  | 'ss'
  | 'lxd server'
  | 'lxd storage pools'
  | 'lxd cluster list'
  | 'microceph cluster list'
  | 'microovn cluster list'
  | 'microcloud cluster list';

/**
 * Output that does not look like what the command prints. `location` is a JSON path (`$.blockdevices[2].size`)
 * or `line N`; `expected` says what would have been accepted, so the message tells the user which command or
 * flag is off (for example lsblk without `-b`).
 */
export class FactsParseError extends Error {
  constructor(
    readonly source: FactSource,
    readonly location: string,
    readonly expected: string,
    readonly found?: string,
  ) {
    super(`${source}: ${location}: expected ${expected}${found === undefined ? '' : `, got ${found}`}`);
    this.name = 'FactsParseError';
  }
}

/** A short, single-line rendering of an unexpected value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON.parse output holds only JSON values, which JSON.stringify always renders.
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
