// Which renderer a run gets. The listr2 tree only on a terminal, outside CI, and only while it fits:
// log-update cannot redraw lines that scrolled away, and listr2 9 redraws the whole tree on every
// update (npm-stack.md §0.4), so a tall tree both garbles and costs the event loop ssh2 needs.
export type RendererChoice = 'tty' | 'plain' | 'json';

export interface TerminalFacts {
  isTTY: boolean;
  rows: number | undefined;
  ci: boolean;
}

/** Lines a host takes in the tree: its title plus up to three lines of live output. */
const LINES_PER_HOST = 4;

export function chooseRenderer(
  requested: 'auto' | RendererChoice,
  hosts: number,
  terminal: TerminalFacts,
): RendererChoice {
  if (requested !== 'auto') return requested;
  if (!terminal.isTTY || terminal.ci) return 'plain';
  const rows = terminal.rows ?? 24;
  return hosts * LINES_PER_HOST + 6 <= rows ? 'tty' : 'plain';
}
