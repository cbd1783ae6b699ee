// Installed snaps from `snap list` (§7, §10.1): versions, revisions, channels, holds and cohorts.

import { FactsParseError } from './parse-error.js';

/**
 * LC_ALL=C keeps the header in English (snapd translates it) and, without a UTF-8 locale, makes snap print
 * `**` for a verified publisher instead of `✓`; both forms are parsed.
 */
export const SNAP_LIST_COMMAND = 'LC_ALL=C snap list';

export interface InstalledSnap {
  name: string;
  /** e.g. `5.21.3-c5ae129`, `19.2.0+snapab139d4a1f`. */
  version: string;
  /** Store revisions are numbers; sideloaded ones look like `x1`. */
  revision: string;
  /** The channel followed, e.g. `5.21/stable`; null for `-` (sideloaded, or no channel). */
  tracking: string | null;
  publisher: string | null;
  publisherMark: 'verified' | 'starred' | null;
  /** The Notes column split on commas: held, in-cohort, base, snapd, disabled, classic, ... */
  notes: string[];
  /** `snap refresh --hold` is in force (§7). */
  held: boolean;
  /** Installed with `--cohort="+"`, so every member gets the same revision (§7). */
  inCohort: boolean;
}

const NO_SNAPS = /^No snaps are installed yet\./;
const REQUIRED_COLUMNS = ['Name', 'Version', 'Rev'];

function splitPublisher(raw: string): Pick<InstalledSnap, 'publisher' | 'publisherMark'> {
  if (raw === '-') return { publisher: null, publisherMark: null };
  for (const [suffix, mark] of [
    ['✓', 'verified'],
    ['**', 'verified'],
    ['✪', 'starred'],
    ['*', 'starred'],
  ] as const) {
    if (raw.endsWith(suffix)) return { publisher: raw.slice(0, -suffix.length), publisherMark: mark };
  }
  return { publisher: raw, publisherMark: null };
}

/** Parses `snap list`. An empty list ("No snaps are installed yet...") gives []. */
export function parseSnapList(text: string): InstalledSnap[] {
  const lines = text
    .split('\n')
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== '');
  const header = lines[0];
  if (header === undefined || NO_SNAPS.test(header.line)) return [];
  const columns = header.line.split(/\s+/);
  // Early snapd releases called the Publisher column Developer and had no Tracking column.
  const columnPosition = (name: string): number =>
    columns.indexOf(name === 'Publisher' && !columns.includes(name) ? 'Developer' : name);
  if (!REQUIRED_COLUMNS.every((name) => columns.includes(name))) {
    throw new FactsParseError(
      'snap list',
      `line ${header.number}`,
      'the header `Name Version Rev Tracking Publisher Notes`',
      JSON.stringify(header.line.slice(0, 80)),
    );
  }
  return lines.slice(1).map(({ line, number }) => {
    const cells = line.split(/\s+/);
    if (cells.length !== columns.length) {
      throw new FactsParseError(
        'snap list',
        `line ${number}`,
        `${columns.length} columns (${columns.join(' ')})`,
        `${cells.length} in ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    const cell = (name: string): string | null => {
      const position = columnPosition(name);
      return position < 0 ? null : (cells[position] ?? null);
    };
    const notesCell = cell('Notes');
    const notes = notesCell === null || notesCell === '-' ? [] : notesCell.split(',');
    const tracking = cell('Tracking');
    return {
      name: cell('Name') ?? '',
      version: cell('Version') ?? '',
      revision: cell('Rev') ?? '',
      tracking: tracking === null || tracking === '-' ? null : tracking,
      ...splitPublisher(cell('Publisher') ?? '-'),
      notes,
      held: notes.includes('held'),
      inCohort: notes.includes('in-cohort'),
    };
  });
}

export function findSnap(snaps: InstalledSnap[], name: string): InstalledSnap | undefined {
  return snaps.find((snap) => snap.name === name);
}
