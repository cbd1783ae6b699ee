// The shape every eligibility rule returns: eligible or not, with every reason (never just the first).

/** One reason an item is refused: a stable code for programs and a sentence for people. */
export interface Reason<Code extends string = string> {
  code: Code;
  message: string;
}

/** Whether an item may be used for one purpose. `eligible` is true exactly when `reasons` is empty. */
export interface UseVerdict<Code extends string = string> {
  eligible: boolean;
  reasons: Reason<Code>[];
}

export function verdictOf<Code extends string>(reasons: Reason<Code>[]): UseVerdict<Code> {
  return { eligible: reasons.length === 0, reasons };
}

/** Sizes as MicroCloud prints them in its disk tables (§4.2): IEC units, two decimals, e.g. `10.00GiB`. */
export function formatBytesIec(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)}${units[unit] ?? 'B'}`;
}
