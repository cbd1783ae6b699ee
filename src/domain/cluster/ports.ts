// The ports MicroCloud's services listen on (microcloud.md §0) must be free on a host where the service that
// owns the port is not running yet, or its daemon fails to start: LXD 8443, MicroCeph 7443, MicroOVN 6443
// and the OVN northbound/southbound databases 6641/6642 (MicroOVN's central service), MicroCloud 9443.

import { findSnap, formatListeningSocket, listenersOn, LISTENING_PORTS_COMMAND } from '../facts/index.js';
import type { DesignContext, HostContext } from './context.js';
import { enabledSnaps } from './services.js';
import {
  OVN_NORTHBOUND_PORT,
  OVN_SOUTHBOUND_PORT,
  SERVICE_LABELS,
  SERVICE_PORT,
  type SnapName,
} from './types.js';

export const SERVICE_PORTS: readonly { port: number; snap: SnapName }[] = [
  { port: SERVICE_PORT.lxd, snap: 'lxd' },
  { port: SERVICE_PORT.microceph, snap: 'microceph' },
  { port: SERVICE_PORT.microovn, snap: 'microovn' },
  { port: OVN_NORTHBOUND_PORT, snap: 'microovn' },
  { port: OVN_SOUTHBOUND_PORT, snap: 'microovn' },
  { port: SERVICE_PORT.microcloud, snap: 'microcloud' },
];

/**
 * Whether a listener on the service's port can only be something else: the snap is not installed, or
 * MicroCeph/MicroOVN are installed but never bootstrapped (they listen once bootstrapped). An installed LXD
 * may listen before it is clustered (core.https_address), and MicroCloud's daemon listens on 9443 before it is
 * initialised (§0), so their own listeners are never mistaken for a conflict.
 */
function portMustBeFree(host: HostContext, snap: SnapName): boolean {
  if (findSnap(host.facts.snaps, snap) === undefined) return true;
  return (
    (snap === 'microceph' || snap === 'microovn') && host.facts.services[snap].state === 'not bootstrapped'
  );
}

export function checkPorts(ctx: DesignContext): void {
  const snaps = enabledSnaps(ctx);
  for (const host of ctx.hosts) {
    const sockets = host.facts.listeningPorts;
    if (sockets === null) {
      ctx.warn(`ports not checked: \`${LISTENING_PORTS_COMMAND}\` did not run`, host.name);
      continue;
    }
    for (const { port, snap } of SERVICE_PORTS) {
      if (!snaps.includes(snap) || !portMustBeFree(host, snap)) continue;
      const listeners = listenersOn(sockets, port);
      if (listeners.length === 0) continue;
      ctx.issues.add(
        `port ${port} is already in use (${listeners.map(formatListeningSocket).join(', ')}), and ${SERVICE_LABELS[snap]} needs it`,
        {
          host: host.name,
          hint: `find the program with \`sudo ss -ltnp 'sport = :${port}'\` and stop it or move it to another port`,
        },
      );
    }
  }
}
