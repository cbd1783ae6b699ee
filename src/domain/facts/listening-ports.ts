// The TCP ports a host listens on, from iproute2's `ss -Hltn` (no header, listening TCP sockets, numeric). mc
// checks that MicroCloud's ports (LXD 8443, MicroCeph 7443, MicroOVN 6443 and the OVN databases 6641/6642,
// MicroCloud 9443) are free before the service that owns one is installed (microcloud.md §0, §11.2).

import { FactsParseError } from './parse-error.js';

export const LISTENING_PORTS_COMMAND = 'ss -Hltn';

export interface ListeningSocket {
  /**
   * The local address without brackets or zone: `0.0.0.0`, `127.0.0.1`, `::`, `::1`, or `*` for a dual-stack
   * IPv6 socket bound to every address (ss prints `*:9443` for `[::]:9443` without IPV6_V6ONLY).
   */
  address: string;
  port: number;
  /** The interface the socket is bound to, from `127.0.0.53%lo:53`; null when it is not bound to one. */
  interface: string | null;
}

/** `ADDRESS:PORT` as ss prints a local address: `[v6]` in brackets, an optional `%interface`, `*` for any. */
const LOCAL_ADDRESS = /^(?:\[([^\]]+)\]|([^\s[\]]+?))(?:%([^\s:]+))?:(\d{1,5})$/;

function readLocal(text: string, lineNumber: number): ListeningSocket {
  const match = LOCAL_ADDRESS.exec(text);
  const port = Number(match?.[4]);
  if (match === null || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new FactsParseError(
      'ss',
      `line ${lineNumber}`,
      'a local address and port such as 0.0.0.0:22, [::]:8443, *:9443 or 127.0.0.53%lo:53',
      JSON.stringify(text),
    );
  }
  // ss prints the interface after the address, outside the brackets: [fe80::1]%eth0:53.
  return { address: match[1] ?? match[2] ?? '', port, interface: match[3] ?? null };
}

/**
 * Parses `ss -Hltn`: one line per listening socket, `State Recv-Q Send-Q Local:Port Peer:Port [Process]`. Empty
 * output is valid (nothing listens). A header line (ss without -H) or another state is refused.
 */
export function parseListeningPorts(text: string): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  text.split('\n').forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '') return;
    const fields = line.split(/\s+/);
    const [state, receiveQueue, sendQueue, local, peer] = fields;
    if (
      state !== 'LISTEN' ||
      !/^\d+$/.test(receiveQueue ?? '') ||
      !/^\d+$/.test(sendQueue ?? '') ||
      local === undefined ||
      peer === undefined
    ) {
      throw new FactsParseError(
        'ss',
        `line ${index + 1}`,
        `\`LISTEN RECV-Q SEND-Q LOCAL:PORT PEER:PORT\` from \`${LISTENING_PORTS_COMMAND}\``,
        JSON.stringify(line.length > 80 ? `${line.slice(0, 77)}...` : line),
      );
    }
    sockets.push(readLocal(local, index + 1));
  });
  return sockets;
}

/** The sockets listening on `port`, whatever their address. */
export function listenersOn(sockets: readonly ListeningSocket[], port: number): ListeningSocket[] {
  return sockets.filter((socket) => socket.port === port);
}

/** A socket as ss prints its local address: `0.0.0.0:22`, `[::]:8443`, `127.0.0.53%lo:53`. */
export function formatListeningSocket(socket: ListeningSocket): string {
  const zone = socket.interface === null ? '' : `%${socket.interface}`;
  const host = socket.address.includes(':') ? `[${socket.address}]` : socket.address;
  return `${host}${zone}:${socket.port}`;
}
