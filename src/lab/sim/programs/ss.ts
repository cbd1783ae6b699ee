// `ss -Hltn` (iproute2 6.1, Ubuntu 22.04 ships 5.15 with the same layout): the host's listening TCP sockets
// from the model (listeners.ts says which). Only that form is modelled: the letters H, l, t and n in any
// grouping and order; anything else (other sockets, -p, filters) is not.

import { tcpListeners, type TcpListener } from '../listeners.js';
import { NotModelledError, Output, type ProgramContext, type ProgramResult } from '../program.js';

export interface SsRow {
  state: string;
  recvQ: number;
  sendQ: number;
  localAddress: string;
  localPort: string;
  peerAddress: string;
  peerPort: string;
}

/** How ss prints a listening socket's two ends: `*` for a dual-stack `::`, `[v6]`, `%dev` after the address. */
export function ssRow(listener: TcpListener): SsRow {
  let local: string;
  let peer: string;
  if (listener.dualStack) {
    local = '*';
    peer = '*';
  } else if (listener.family === 'inet6') {
    local = `[${listener.ip}]`;
    peer = '[::]';
  } else {
    local = listener.ip;
    peer = '0.0.0.0';
  }
  if (listener.device !== null) local += `%${listener.device}`;
  return {
    state: 'LISTEN',
    recvQ: 0,
    sendQ: listener.backlog,
    localAddress: local,
    localPort: String(listener.port),
    peerAddress: peer,
    peerPort: '*',
  };
}

/**
 * ss's column rendering without a header (misc/ss.c render()): each column as wide as its widest cell;
 * State, Recv-Q and Send-Q left-aligned (the queues printed `%-6d`), addresses right-aligned, ports
 * (`:PORT`) left-aligned and glued to their address; one space before every column but the ports.
 */
export function renderSs(rows: readonly SsRow[]): string {
  const cells = rows.map((r) => [
    r.state,
    String(r.recvQ).padEnd(6),
    String(r.sendQ).padEnd(6),
    r.localAddress,
    `:${r.localPort}`,
    r.peerAddress,
    `:${r.peerPort}`,
  ]);
  const widths = [0, 1, 2, 3, 4, 5, 6].map((i) => Math.max(0, ...cells.map((c) => (c[i] as string).length)));
  const rightAligned = new Set([3, 5]);
  const leadingSpace = new Set([1, 2, 3, 5]);
  return cells
    .map((c) => {
      let line = '';
      c.forEach((cell, i) => {
        if (leadingSpace.has(i)) line += ' ';
        const width = widths[i] as number;
        line += rightAligned.has(i) ? cell.padStart(width) : cell.padEnd(width);
      });
      return `${line.trimEnd()}\n`;
    })
    .join('');
}

export async function ssProgram(ctx: ProgramContext): Promise<ProgramResult> {
  await Promise.resolve();
  const args = ctx.argv.slice(1);
  const letters = args.every((a) => /^-[A-Za-z]+$/.test(a)) ? args.map((a) => a.slice(1)).join('') : null;
  const wanted = 'Hlnt';
  if (letters === null || [...letters].sort().join('') !== wanted) {
    throw new NotModelledError(`ss ${args.join(' ')} (only ss -Hltn is modelled)`);
  }
  const out = new Output();
  out.print(renderSs(tcpListeners(ctx.world, ctx.machine).map(ssRow)));
  return out.done(0);
}
