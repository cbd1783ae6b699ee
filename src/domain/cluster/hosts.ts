// Host-wide rules: host names (§2.1: the member name is the host name) and clocks.

import { estimateClockOffset } from '../facts/index.js';
import type { DesignContext } from './context.js';
import { listWords } from './issues.js';

/** Every host's `hostname` must be its inventory name, and no two hosts may share one (§2.1, §11.2). */
export function checkHostNames(ctx: DesignContext): void {
  const byName = new Map<string, string[]>();
  for (const { name, facts, inventory } of ctx.hosts) {
    if (facts.hostname === null) {
      ctx.issues.add('the host name is unknown: `hostname` did not run', {
        host: name,
        hint: 'MicroCloud names each member by its host name; make `hostname` work on the host',
      });
      continue;
    }
    byName.set(facts.hostname, [...(byName.get(facts.hostname) ?? []), name]);
    if (facts.hostname !== name) {
      const fix = `run \`sudo hostnamectl set-hostname ${name}\` on the host, or name it ${facts.hostname} in the inventory`;
      if (ctx.spec.services.microcloud) {
        // What `microcloud preseed` says on a host whose name is not among the systems (unicast mode, §2.1).
        ctx.issues.add(`Preseed file does not contain a system with name "${facts.hostname}"`, {
          position: inventory.origin,
          host: name,
          hint: `the host name is "${facts.hostname}", the inventory says "${name}"; ${fix}`,
        });
      } else {
        ctx.issues.add(`host name is "${facts.hostname}", not "${name}" as in the inventory`, {
          position: inventory.origin,
          host: name,
          hint: `MicroCloud names members by host name: ${fix}`,
        });
      }
    }
  }
  for (const [hostname, hosts] of byName) {
    if (hosts.length < 2) continue;
    ctx.issues.add(`Duplicate system name "${hostname}": the host name of ${listWords(hosts)}`, {
      hint: 'give each machine its own host name with hostnamectl set-hostname',
    });
  }
}

/**
 * Clock skew. Ceph's monitors report HEALTH_WARN "clock skew detected" beyond 0.05 s (mon_clock_drift_allowed),
 * a figure an NTP-synchronised host meets easily but a measurement over SSH cannot resolve: the reading is
 * good to half a round trip at best. Hosts whose clocks differ by more than 1 s are not synchronised at all
 * (NTP keeps them within milliseconds), which is a warning: the cluster forms, Ceph will warn. Beyond 10 s it
 * is an error: microcluster and LXD join tokens, their freshly issued certificates and dqlite's leader
 * leases are all judged by the receiving host's clock, so a cluster formed across such skew fails in ways
 * that look unrelated (tokens "expired", certificates "not yet valid"). The same limits apply against this
 * machine's clock, the only reference outside the cluster: hosts that agree with each other but not with the
 * world fail TLS to the snap store and time out tokens mc measures.
 */
export const CLOCK_WARNING_MS = 1_000;
export const CLOCK_ERROR_MS = 10_000;

function seconds(ms: number): string {
  return `${(Math.abs(ms) / 1000).toFixed(1)} s`;
}

function judge(ctx: DesignContext, host: string, skewMs: number, uncertaintyMs: number, what: string): void {
  const certain = Math.abs(skewMs) - uncertaintyMs;
  const direction = skewMs > 0 ? 'ahead of' : 'behind';
  const message = `clock is ${seconds(skewMs)} ${direction} ${what}`;
  const hint = 'synchronise the clocks with NTP, e.g. sudo timedatectl set-ntp true, then run again';
  if (certain > CLOCK_ERROR_MS) ctx.issues.add(message, { host, hint });
  else if (certain > CLOCK_WARNING_MS) ctx.warn(`${message}; Ceph warns about clock skew above 0.05 s`, host);
}

export function checkClocks(ctx: DesignContext): void {
  const timings = ctx.options.localClock;
  const readings = ctx.hosts.map(({ name, facts }) => {
    const timing = timings?.get(name);
    if (timing === undefined) return { name, offsetMs: facts.clock.epochMs, uncertaintyMs: 0, local: false };
    const { offsetMs, uncertaintyMs } = estimateClockOffset(
      facts.clock,
      timing.sentAtMs,
      timing.receivedAtMs,
    );
    return { name, offsetMs, uncertaintyMs, local: true };
  });
  for (const reading of readings) {
    if (reading.local) judge(ctx, reading.name, reading.offsetMs, reading.uncertaintyMs, "this machine's");
  }
  // Between hosts: against the initiator (the first host with facts when it has none), like for like only.
  const reference =
    readings.find((reading) => reading.name === ctx.spec.initiator) ?? readings.find(() => true);
  if (reference === undefined) return;
  for (const reading of readings) {
    if (reading === reference || reading.local !== reference.local) continue;
    judge(
      ctx,
      reading.name,
      reading.offsetMs - reference.offsetMs,
      reading.uncertaintyMs + reference.uncertaintyMs,
      `${reference.name}'s`,
    );
  }
}
