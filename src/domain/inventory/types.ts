// The typed inventory every workflow consumes, whatever the file format was.

/** A place in an input file, 1-based, for `file:line:col: message` errors. */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

/**
 * One validation problem, located. All of them are reported at once. Line 0 means the issue is about
 * the file as a whole (not found, unreadable); format with formatIssue().
 */
export interface InventoryIssue extends SourcePosition {
  message: string;
}

export type InventoryFormat = 'mc' | 'ansible-yaml' | 'ansible-ini';

export interface HostSpec {
  /** Inventory name: what the user types in --limit and what output shows. */
  name: string;
  /** Address to connect to (ansible_host / address); defaults to the name. ssh_config HostName may still apply. */
  address: string;
  /** Only set when the inventory says so: ssh_config and defaults fill the gaps later. */
  port?: number;
  user?: string;
  /** Identity file path as written (may start with ~). */
  keyFile?: string;
  /** SSH password (ansible_password / password); normally from an environment variable. */
  password?: string;
  /** ProxyJump value, OpenSSH syntax: [user@]host[:port][,[user@]host[:port]...]. */
  proxyJump?: string;
  /** Extra `-o Key=Value` options (from ansible_ssh_common_args / ssh_options), OpenSSH key names. */
  sshOptions: Record<string, string>;
  become: boolean;
  /** Only `sudo` is supported; kept so a wrong method is a validation error, not a surprise. */
  becomeUser?: string;
  becomePassword?: string;
  /** Every group the host belongs to, directly or through children, `all` included. */
  groups: string[];
  /** Remaining variables (merged: all < parent groups < child groups < host), for later phases. */
  vars: Record<string, unknown>;
  /** Where the host was defined. */
  origin: SourcePosition;
}

export interface GroupSpec {
  name: string;
  /** Hosts listed in the group itself, not through children; empty for `all`, which holds every host. */
  hosts: string[];
  children: string[];
  vars: Record<string, unknown>;
}

export interface Inventory {
  /** Path of the main inventory file. */
  source: string;
  format: InventoryFormat;
  hosts: HostSpec[];
  groups: GroupSpec[];
  /**
   * mc format only: the raw `cluster:` section with its position, validated by src/domain/cluster. `positions`
   * holds where each value (a scalar's) or key (a map's or list's) and list item under it is written, `keys`
   * where each key is, both by dotted path relative to `cluster` (see ClusterSpec.positions).
   */
  cluster?: {
    value: unknown;
    origin: SourcePosition;
    positions: Record<string, SourcePosition>;
    keys: Record<string, SourcePosition>;
  };
}

/** The text of the files that make up an inventory; the loader does the I/O, parsers stay pure. */
export interface InventorySources {
  main: { path: string; text: string };
  /** group_vars/<group>.yml|yaml|json or group_vars/<group>/*.yml, beside the main file. */
  groupVars: { group: string; path: string; text: string }[];
  hostVars: { host: string; path: string; text: string }[];
}

/** `warnings`: likely mistakes mc accepts (a mistyped ansible_* variable), located like issues. */
export type InventoryResult =
  { ok: true; inventory: Inventory; warnings?: InventoryIssue[] } | { ok: false; issues: InventoryIssue[] };
