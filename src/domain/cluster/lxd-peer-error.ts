// A cluster-wide LXD create (network, storage pool) runs on one member and asks every other member to create
// the object too; when one of them fails, LXD's error names that peer, by address in LXD 5.0
// (lxd/cluster/notify.go: `failed to notify peer ADDR: …`), by name and address in 5.21 (`Failed to notify
// peer NAME at ADDR: …`) and 6.x (`Failed notifying cluster member "NAME" at "ADDR": …`). The cause is on that
// peer, not on the member that ran the command.
import type { MemberDesign } from './types.js';

const PEER_PATTERNS: readonly RegExp[] = [
  /Failed notifying cluster member "(?<name>[^"]+)" at "(?<address>[^"]+)":/,
  /Failed to notify peer (?<name>\S+) at (?<address>\S+):/,
  /failed to notify peer (?<address>\S+):/,
];

/** The address without its port: `10.0.0.3:8443` → `10.0.0.3`, `[fd00::3]:8443` → `fd00::3`. */
function withoutPort(address: string): string {
  const bracketed = /^\[(?<ip>[^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed?.groups !== undefined) return bracketed.groups['ip'] as string;
  return /^[^:]+:\d+$/.test(address) ? address.slice(0, address.lastIndexOf(':')) : address;
}

/** The inventory host of the peer a cluster-wide LXD error names, when it is one of the members. */
export function failingPeer(message: string, members: readonly MemberDesign[]): string | undefined {
  for (const pattern of PEER_PATTERNS) {
    const groups = pattern.exec(message)?.groups;
    if (groups === undefined) continue;
    const byName = members.find((m) => m.host === groups['name']);
    if (byName !== undefined) return byName.host;
    const address = withoutPort(groups['address'] as string);
    return members.find((m) => m.address.value === address)?.host;
  }
  return undefined;
}
