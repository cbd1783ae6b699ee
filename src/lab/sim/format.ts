// Output renderers of the real tools, re-implemented from their documented behaviour: LXD's RenderTable
// (olekukonko/tablewriter) used by microceph/microovn, MicroCloud's lipgloss tables, Go's text/tabwriter
// used by snap, go/doc paragraph filling used by snap's error messages, and Go's JSON/CSV encoders.

import { stringify as yamlStringify } from 'yaml';

/** Display width in terminal cells; the tools measure runes, and all our text is single-width. */
export function textWidth(text: string): number {
  return [...text].length;
}

function padRight(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - textWidth(text)));
}

/** tablewriter's Pad: centre, the odd space going right. */
function padCenter(text: string, width: number): string {
  const gap = width - textWidth(text);
  if (gap <= 0) return text;
  const left = Math.floor(gap / 2);
  return ' '.repeat(left) + text + ' '.repeat(gap - left);
}

/** Go's encoding/json escapes <, > and & (HTML safety) and ends Encoder output with a newline. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** Go's encoding/csv Writer: quote when needed, `""` escapes, `\n` line ends. */
export function goCsv(rows: readonly (readonly string[])[]): string {
  const field = (value: string): string => {
    const needsQuotes =
      value === '' ? false : /[",\r\n]/.test(value) || value.startsWith(' ') || value.startsWith('\t');
    return needsQuotes ? `"${value.replace(/"/g, '""')}"` : value;
  };
  return rows.map((row) => `${row.map(field).join(',')}\n`).join('');
}

/** lxdCmd.SortColumnsNaturally: row-wise, column by column, digit runs compared as numbers. */
export function sortRowsNaturally(rows: string[][]): string[][] {
  const chunk = (text: string): (string | number)[] =>
    (text.match(/\d+|\D+/g) ?? []).map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const compare = (a: string, b: string): number => {
    const ca = chunk(a);
    const cb = chunk(b);
    for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
      const x = ca[i] as string | number;
      const y = cb[i] as string | number;
      if (x === y) continue;
      if (typeof x === 'number' && typeof y === 'number') return x - y;
      return String(x) < String(y) ? -1 : 1;
    }
    return ca.length - cb.length;
  };
  return [...rows].sort((ra, rb) => {
    for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
      const result = compare(ra[i] ?? '', rb[i] ?? '');
      if (result !== 0) return result;
    }
    return 0;
  });
}

/** tablewriter's header formatting: upper case, `_`/`.` as spaces. */
function tableHeader(text: string): string {
  return text.replace(/[_.]/g, ' ').toUpperCase().trim();
}

/** A cell's lines: tablewriter prints multi-line cells (e.g. LXD's roles) as extra lines of the row. */
function cellLines(cell: string): string[] {
  return cell.split('\n');
}

function columnWidths(titles: readonly string[], rows: readonly (readonly string[])[]): number[] {
  return titles.map((title, col) =>
    Math.max(textWidth(title), ...rows.flatMap((row) => cellLines(row[col] ?? '').map(textWidth))),
  );
}

/** A row as its physical lines: the n-th line of every cell, blank where a cell has fewer lines. */
function rowLines(row: readonly string[], columns: number): string[][] {
  const cells = Array.from({ length: columns }, (_, col) => cellLines(row[col] ?? ''));
  const height = Math.max(1, ...cells.map((lines) => lines.length));
  return Array.from({ length: height }, (_, i) => cells.map((lines) => lines[i] ?? ''));
}

/** LXD `table` format: ASCII borders, row lines between all rows, header centred, cells left-aligned. */
export function asciiTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const titles = header.map(tableHeader);
  const widths = columnWidths(titles, rows);
  const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
  const render = (cells: readonly string[], pad: (text: string, width: number) => string): string =>
    `|${widths.map((w, col) => ` ${pad(cells[col] ?? '', w)} `).join('|')}|\n`;
  let text = line + render(titles, padCenter) + line;
  for (const row of rows) {
    for (const cells of rowLines(row, widths.length)) text += render(cells, padRight);
    text += line;
  }
  return text;
}

/** LXD `compact` format: no borders, two-space gutters. */
export function compactTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const titles = header.map(tableHeader);
  const widths = columnWidths(titles, rows);
  const render = (cells: readonly string[]): string =>
    `  ${widths.map((w, col) => padRight(cells[col] ?? '', w)).join('  ')}  \n`;
  return (
    render(titles) +
    rows
      .flatMap((row) => rowLines(row, widths.length))
      .map(render)
      .join('')
  );
}

export type TableFormat = 'table' | 'compact' | 'csv' | 'json' | 'yaml';

/**
 * LXD shared/cmd RenderTable as microceph and microovn call it (`-f csv|json|table|yaml|compact`).
 * Returns null for an unknown format so the caller can print `Invalid format %q`.
 */
export function renderLxdTable(
  format: string,
  header: readonly string[],
  rows: readonly (readonly string[])[],
  raw: unknown,
): string | null {
  switch (format) {
    case 'table':
      return asciiTable(header, rows);
    case 'compact':
      return compactTable(header, rows);
    case 'csv':
      return goCsv(rows);
    case 'json':
      return `${goJson(raw)}\n`;
    case 'yaml':
      return yamlStringify(raw);
    default:
      return null;
  }
}

const BOX = { tl: '┌', tr: '┐', bl: '└', br: '┘', h: '─', v: '│', t: '┬', b: '┴', l: '├', r: '┤', x: '┼' };

/** MicroCloud's lipgloss table (tui.NewTable): normal border, padding 1, every cell centred (§10.9). */
export function lipglossTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map(
    (title, col) => Math.max(textWidth(title), ...rows.map((row) => textWidth(row[col] ?? ''))) + 2,
  );
  const rule = (left: string, mid: string, right: string): string =>
    left + widths.map((w) => BOX.h.repeat(w)).join(mid) + right;
  const render = (cells: readonly string[]): string =>
    BOX.v + widths.map((w, col) => padCenter(cells[col] ?? '', w)).join(BOX.v) + BOX.v;
  return [
    rule(BOX.tl, BOX.t, BOX.tr),
    render(header),
    rule(BOX.l, BOX.x, BOX.r),
    ...rows.map(render),
    rule(BOX.bl, BOX.b, BOX.br),
  ].join('\n');
}

/** MicroCloud `-f compact`: lipgloss with an empty border, so only the padded, centred cells remain. */
export function lipglossCompact(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map(
    (title, col) => Math.max(textWidth(title), ...rows.map((row) => textWidth(row[col] ?? ''))) + 2,
  );
  const render = (cells: readonly string[]): string =>
    widths.map((w, col) => padCenter(cells[col] ?? '', w)).join('');
  return [render(header), ...rows.map(render)].join('\n');
}

/**
 * Go text/tabwriter with padchar ' ' and no flags: `\t` terminates a cell; a column block is a run of
 * consecutive lines that have a terminated cell in that column; text after the last tab is not aligned.
 */
export function goTabwriter(text: string, minwidth: number, padding: number): string {
  const lines = text.split('\n');
  const cells = lines.map((line) => line.split('\t'));
  const columnCount = Math.max(0, ...cells.map((c) => c.length - 1));
  const widths: number[][] = cells.map(() => []);
  for (let col = 0; col < columnCount; col++) {
    let start = 0;
    while (start < cells.length) {
      if ((cells[start]?.length ?? 0) - 1 <= col) {
        start++;
        continue;
      }
      let end = start;
      while (end < cells.length && (cells[end]?.length ?? 0) - 1 > col) end++;
      let width = minwidth;
      for (let i = start; i < end; i++) width = Math.max(width, textWidth(cells[i]?.[col] ?? '') + padding);
      for (let i = start; i < end; i++) (widths[i] as number[])[col] = width;
      start = end;
    }
  }
  return cells
    .map((row, i) =>
      row
        .map((cell, col) => (col < row.length - 1 ? padRight(cell, (widths[i] as number[])[col] ?? 0) : cell))
        .join(''),
    )
    .join('\n');
}

/**
 * go/doc ToText as snap's `fill` uses it: paragraphs are re-flowed to `width - indent` columns, indented
 * blocks are kept verbatim (common indent removed), every line gets `indent` spaces, then the whole text is
 * trimmed (so the first line starts right after the caller's `error: ` prefix). Greedy line breaking.
 */
export function goDocFill(text: string, indent: number, width: number): string {
  const pad = ' '.repeat(indent);
  const blocks: { pre: boolean; lines: string[] }[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      blocks.push({ pre: false, lines: [] });
      continue;
    }
    const pre = /^\s/.test(line);
    const last = blocks.at(-1);
    if (last && last.pre === pre && last.lines.length > 0) last.lines.push(line);
    else blocks.push({ pre, lines: [line] });
  }
  const rendered: string[] = [];
  for (const block of blocks.filter((b) => b.lines.length > 0)) {
    if (rendered.length > 0) rendered.push('');
    if (block.pre) {
      const common = Math.min(...block.lines.map((l) => /^\s*/.exec(l)?.[0].length ?? 0));
      for (const l of block.lines) rendered.push(pad + l.slice(common).trimEnd());
      continue;
    }
    const words = block.lines.join(' ').split(/\s+/).filter(Boolean);
    let current = '';
    for (const word of words) {
      if (current !== '' && textWidth(current) + 1 + textWidth(word) > width - indent) {
        rendered.push(pad + current);
        current = word;
      } else current = current === '' ? word : `${current} ${word}`;
    }
    if (current !== '') rendered.push(pad + current);
  }
  return rendered.join('\n').trim();
}

/** LXD units.GetByteSizeStringIEC: `10.00GiB` (§4.2 CAPACITY column). */
export function byteSizeIec(bytes: number, precision = 2): string {
  if (bytes < 1024) return `${bytes}B`;
  let value = bytes;
  for (const unit of ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB']) {
    value /= 1024;
    if (value < 1024 || unit === 'EiB') return `${value.toFixed(precision)}${unit}`;
  }
  return `${value.toFixed(precision)}EiB`;
}

/** snapd strutil.SizeToStr: decimal units, `100MB`. */
export function snapSizeToStr(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Math.floor(value)}${units[unit] as string}`;
}
