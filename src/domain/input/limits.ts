// The limits every file mc reads is held to. Real inputs are far below them (a 1,000-host inventory
// is ~100 KiB and a few thousand YAML nodes); they exist so a hostile or broken file costs a one-line
// error instead of minutes of CPU or gigabytes of memory.

export interface InputLimits {
  /** Bytes one file may hold. */
  maxBytes: number;
  /** Alias expansions in one YAML document, nested ones included (also yaml's maxAliasCount). */
  maxAliasCount: number;
  /** Nesting depth of one YAML document, maps and lists, aliases expanded. */
  maxDepth: number;
  /** Nodes (keys, values, list items) of one YAML document, aliases expanded. */
  maxNodes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_INPUT_LIMITS: Readonly<InputLimits> = Object.freeze({
  maxBytes: 4 * MiB,
  maxAliasCount: 1000,
  maxDepth: 64,
  maxNodes: 250_000,
});

/** known_hosts files grow with every host ever visited; they get more room than hand-written files. */
export const KNOWN_HOSTS_MAX_BYTES = 64 * MiB;

/** `4 MiB`, `512 KiB`, `12 bytes`: sizes as messages show them. */
export function formatSize(bytes: number): string {
  if (bytes >= MiB) return `${formatNumber(bytes / MiB)} MiB`;
  if (bytes >= 1024) return `${formatNumber(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
