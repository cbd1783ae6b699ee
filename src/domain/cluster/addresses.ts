// Each member's cluster address (§5.3): what MicroCloud, MicroCeph, MicroOVN and LXD listen on and talk over.
// Chosen in this order: the inventory's cluster.systems.<host>.address; the address the host already has in a
// cluster it belongs to (a member cannot move); the inventory address mc connects to, when it is configured
// on the host; the host's only global unicast address off the uplink. All members must share one subnet.

import {
  checkClusterAddress,
  globalUnicastAddresses,
  parseIpAddress,
  type ClusterAddressCheck,
  type HostFacts,
} from '../facts/index.js';
import type { DesignContext, HostContext } from './context.js';
import { SERVICE_LABELS, type Choice, type SnapName } from './types.js';

export interface MemberAddress {
  choice: Choice<string>;
  interfaceName: string;
  prefixLength: number;
  /** The subnet of the address on its interface, e.g. `10.1.123.0/24`. */
  subnet: string;
}

/** `https://10.1.123.10:8443`, `10.1.123.10:7443`, `[fd42::10]:9443` → the address. */
function addressOfUrl(url: string): string | null {
  const hostPort = url.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hostPort);
  const text = bracketed?.[1] ?? hostPort.replace(/:\d+$/, '');
  return parseIpAddress(text)?.text ?? null;
}

/** The address this host has as a member of a cluster it is already in, with the service that says so. */
function existingAddress(host: HostContext): { address: string; service: SnapName } | null {
  const { lxd, microcloud, microceph, microovn } = host.facts.services;
  if (lxd.state === 'clustered') {
    const own = lxd.members.find((member) => member.name === host.name);
    const address = own === undefined ? null : addressOfUrl(own.url);
    if (address !== null) return { address, service: 'lxd' };
  }
  for (const [service, state] of [
    ['microcloud', microcloud],
    ['microceph', microceph],
    ['microovn', microovn],
  ] as const) {
    if (state.state !== 'bootstrapped') continue;
    const own = state.members.find((member) => member.name === host.name);
    const address = own === undefined ? null : addressOfUrl(own.address);
    if (address !== null) return { address, service };
  }
  return null;
}

function accepted(
  check: Extract<ClusterAddressCheck, { ok: true }>,
  source: Choice<string>['source'],
  reason: string,
): MemberAddress {
  return {
    choice: { value: check.address, source, reason },
    interfaceName: check.interfaceName,
    prefixLength: check.prefixLength,
    subnet: check.subnet,
  };
}

function describeCandidates(facts: HostFacts, uplink: string | undefined): string {
  const own = globalUnicastAddresses(facts).map(
    (candidate) =>
      `${candidate.address}/${candidate.prefixLength} on ${candidate.interfaceName}${candidate.interfaceName === uplink ? ' (the uplink interface)' : ''}`,
  );
  return own.length === 0 ? 'it has no global addresses' : `its addresses: ${own.join(', ')}`;
}

function chooseAddress(ctx: DesignContext, host: HostContext): MemberAddress | null {
  const { name, facts, system } = host;
  const path = `systems.${name}.address`;
  const existing = existingAddress(host);
  const uplink = system.uplinkInterface;
  if (system.address !== undefined) {
    const check = checkClusterAddress(facts, system.address);
    if (!check.ok) {
      const reasons = check.reasons.map((reason) => reason.message).join('; ');
      if (ctx.spec.services.microcloud && check.reasons.some((reason) => reason.code === 'not-on-host')) {
        // `microcloud preseed` looks the address up among the host's interfaces (findInterfaceAndNetworkForAddress).
        ctx.issues.add(`Failed to find lookup interface for address "${check.address}"`, {
          position: ctx.at(path),
          host: name,
          hint: `${reasons}; set cluster.${path} to one of the host's own addresses`,
        });
        return null;
      }
      ctx.issues.add(`cluster address ${reasons}`, {
        position: ctx.at(path),
        host: name,
        hint: `set cluster.${path} to one of the host's own addresses`,
      });
      return null;
    }
    if (existing !== null && existing.address !== check.address) {
      ctx.issues.add(
        `cluster address ${check.address} differs from ${existing.address}, the address ${name} already has in its ${SERVICE_LABELS[existing.service]} cluster`,
        {
          position: ctx.at(path),
          host: name,
          hint: `a member cannot change its address: set cluster.${path} to ${existing.address}`,
        },
      );
      return null;
    }
    for (const warning of check.warnings) ctx.warn(warning, name);
    return accepted(check, 'inventory', `cluster.${path}`);
  }
  if (existing !== null) {
    const check = checkClusterAddress(facts, existing.address);
    if (check.ok) {
      return accepted(
        check,
        'probed',
        `its address in the existing ${SERVICE_LABELS[existing.service]} cluster`,
      );
    }
  }
  const sshAddress = parseIpAddress(host.inventory.address);
  if (sshAddress !== null) {
    const check = checkClusterAddress(facts, sshAddress.text);
    if (check.ok && check.interfaceName !== uplink) {
      for (const warning of check.warnings) ctx.warn(warning, name);
      return accepted(check, 'inventory', 'the inventory address mc connects to, configured on the host');
    }
  }
  const candidates = globalUnicastAddresses(facts).filter((candidate) => {
    if (candidate.interfaceName === uplink) return false;
    return checkClusterAddress(facts, candidate.address).ok;
  });
  const [only] = candidates;
  if (only !== undefined && candidates.length === 1) {
    const check = checkClusterAddress(facts, only.address);
    if (check.ok) {
      for (const warning of check.warnings) ctx.warn(warning, name);
      return accepted(check, 'probed', `the only global unicast address (on ${only.interfaceName})`);
    }
  }
  if (candidates.length > 1) {
    const list = candidates.map((candidate) => `${candidate.address} (${candidate.interfaceName})`);
    const position = ctx.writtenAt(`systems.${name}`);
    ctx.issues.add(`cannot choose the cluster address among ${list.join(', ')}`, {
      ...(position === undefined ? {} : { position }),
      host: name,
      hint: `set cluster.${path} to the address the members should talk over`,
    });
  } else {
    ctx.issues.add(`no address for the cluster: ${describeCandidates(facts, uplink)}`, {
      host: name,
      hint: `give the host a fixed global address on an interface that is up, and set cluster.${path} to it`,
    });
  }
  return null;
}

/** Every member's address; members without one have an issue. All of them must be in the initiator's subnet. */
export function chooseAddresses(ctx: DesignContext): Map<string, MemberAddress> {
  const chosen = new Map<string, MemberAddress>();
  for (const host of ctx.hosts) {
    const address = chooseAddress(ctx, host);
    if (address !== null) chosen.set(host.name, address);
  }
  const reference = chosen.get(ctx.spec.initiator) ?? [...chosen.values()][0];
  const referenceHost = [...chosen].find(([, address]) => address === reference)?.[0];
  if (reference === undefined || referenceHost === undefined) return chosen;
  for (const [name, address] of chosen) {
    if (address.subnet === reference.subnet) continue;
    const explicit = ctx.writtenAt(`systems.${name}.address`);
    ctx.issues.add(
      `cluster address ${address.choice.value}/${address.prefixLength} is not in ${reference.subnet}, the subnet of ${referenceHost}'s cluster address`,
      {
        ...(explicit === undefined ? {} : { position: explicit }),
        host: name,
        hint: `the members talk over one subnet, and Ceph's networks default to it: set cluster.systems.${name}.address to an address in ${reference.subnet}`,
      },
    );
  }
  return chosen;
}
