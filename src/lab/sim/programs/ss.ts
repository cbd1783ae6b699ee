// `ss -Hltn` and `ss -Hlun` (iproute2 6.1, Ubuntu 22.04 ships 5.15 with the same layout): the host's
// listening TCP sockets and unconnected UDP sockets from the model (listeners.ts says which). Only these forms
// are modelled: the letters H, l, n and t or u in any grouping and order; anything else (both t and u,
// other sockets, -p, filters) is not.

import { tcpListeners, udpSockets, type TcpListener, type UdpSocket } from '../listeners.js';
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

/** An unconnected UDP socket: `UNCONN`, empty queues, the peer the wildcard of its family. */
export function ssUdpRow(socket: UdpSocket): SsRow {
  return {
    state: 'UNCONN',
    recvQ: 0,
    sendQ: 0,
    localAddress: socket.device === null ? socket.ip : `${socket.ip}%${socket.device}`,
    localPort: String(socket.port),
    peerAddress: '0.0.0.0',
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
  const sorted = letters === null ? '' : [...letters].sort().join('');
  if (sorted !== 'Hlnt' && sorted !== 'Hlnu') {
    throw new NotModelledError(`ss ${args.join(' ')} (only ss -Hltn and ss -Hlun are modelled)`);
  }
  const out = new Output();
  const rows =
    sorted === 'Hlnt'
      ? tcpListeners(ctx.world, ctx.machine).map(ssRow)
      : udpSockets(ctx.world, ctx.machine).map(ssUdpRow);
  out.print(renderSs(rows));
  return out.done(0);
}
