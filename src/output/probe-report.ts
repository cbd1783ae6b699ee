// mc probe's report: per host, the services' states, and every disk and NIC with what MicroCloud could use it
// for and why not.
import { escapeControl } from '../domain/input/index.js';
import { SERVICE_LABELS, type SnapName } from '../domain/cluster/types.js';
import { describeServiceFailure, formatBytesIec } from '../domain/facts/index.js';
import type { LxdState, MicroclusterState, ServiceStates } from '../domain/facts/index.js';
import type { HostProbe } from '../workflows/probe.js';

export function formatProbeReport(probes: readonly HostProbe[]): string {
  const out: string[] = [];
  for (const p of probes) {
    const f = p.facts;
    const snapd = f.snaps.find((s) => s.name === 'snapd')?.version ?? 'not installed';
    // The member name the services default to is the host name; show it when it is not the inventory's.
    const name = f.hostname === null || f.hostname === p.host ? p.host : `${p.host} (hostname ${f.hostname})`;
    out.push(
      '',
      `${name}: ${f.os.prettyName ?? f.os.id}, kernel ${f.kernel.release} ${f.kernel.machine}, ${f.cpuCount} CPUs, ${formatBytesIec(f.memoryBytes)}, snapd ${snapd}`,
    );
    out.push(...serviceLines(f.services, p.host));
    const address = p.managementAddress;
    out.push(
      address.ok
        ? `  reached at ${address.address}/${address.prefixLength} on ${address.interfaceName}`
        : // Normal behind NAT, a forwarded port or in a lab: the cluster address then comes from the inventory.
          `  reached at ${p.reachedAt}, which is not one of its own addresses (NAT, a forwarded port or a lab)`,
    );
    // Shown only when missing: every Ubuntu release has it, and MicroCloud's FAN fallback needs it.
    if (f.fanMap === false) out.push('  no FAN: `ip` has no fan-map, LXD cannot create a FAN bridge here');
    out.push(
      ...table(
        ['DISK', 'SIZE', 'CEPH', 'LOCAL', 'WHY NOT'],
        p.disks.map((d) => [
          d.stablePath.path,
          formatBytesIec(d.device.sizeBytes),
          d.ceph.eligible ? 'yes' : 'no',
          d.local.eligible ? 'yes' : 'no',
          unique([...d.ceph.reasons, ...d.local.reasons].map((r) => r.message)).join('; '),
        ]),
      ),
    );
    out.push(
      ...table(
        ['NIC', 'KIND', 'STATE', 'ADDRESSES', 'UPLINK', 'WHY NOT'],
        p.uplinks
          .filter((u) => u.interface.kind !== 'loopback')
          .map((u) => [
            u.interface.name,
            u.interface.kind,
            u.interface.operState,
            u.interface.addresses.map((a) => `${a.address}/${a.prefixLength}`).join(' ') || '-',
            u.eligible ? 'yes' : 'no',
            u.reasons.map((r) => r.message).join('; '),
          ]),
      ),
    );
  }
  const cephTotal = probes.reduce((n, p) => n + p.disks.filter((d) => d.ceph.eligible).length, 0);
  const withUplink = probes.filter((p) => p.uplinks.some((u) => u.eligible)).length;
  out.push(
    '',
    `${probes.length} host(s) probed: ${cephTotal} disk(s) usable for Ceph, ${withUplink} host(s) with an OVN uplink candidate`,
  );
  // Disk models, NIC names and service messages come from the hosts: escaped before a terminal sees them.
  return escapeControl(`${out.join('\n')}\n`, { keepNewlines: true });
}

/** `services: lxd 5.21.3 clustered (3 members), microceph bootstrapped (3), ...`, then one line per failure. */
export function serviceLines(services: ServiceStates, host: string): string[] {
  const entries: [SnapName, LxdState | MicroclusterState, string][] = [
    ['lxd', services.lxd, describeLxd(services.lxd)],
    ['microceph', services.microceph, describeMicrocluster(services.microceph)],
    ['microovn', services.microovn, describeMicrocluster(services.microovn)],
    ['microcloud', services.microcloud, describeMicrocluster(services.microcloud)],
  ];
  const lines = [`  services: ${entries.map(([name, , text]) => `${name} ${text}`).join(', ')}`];
  for (const [name, state] of entries) {
    if (state.state === 'not answering' || state.state === 'no member name') {
      lines.push(`  ${name}: ${describeServiceFailure(SERVICE_LABELS[name], host, state)}`);
    } else if (state.state === 'error' || state.state === 'not running') {
      lines.push(`  ${name}: \`${state.command}\`: ${state.message}`);
    }
  }
  return lines;
}

function describeLxd(lxd: LxdState): string {
  switch (lxd.state) {
    case 'not initialised':
      return `${lxd.server.version} not initialised`;
    case 'initialised':
      return `${lxd.server.version} initialised, not clustered (storage pools: ${lxd.storagePools.join(', ')})`;
    case 'clustered': {
      const unwell = lxd.members.filter((m) => m.status !== 'Online').map((m) => `${m.name} ${m.status}`);
      const count = `${lxd.members.length} member${lxd.members.length === 1 ? '' : 's'}`;
      return `${lxd.server.version} clustered (${[count, ...unwell].join('; ')})`;
    }
    default:
      return lxd.state;
  }
}

function describeMicrocluster(service: MicroclusterState): string {
  if (service.state !== 'bootstrapped') return service.state;
  const unwell = service.members
    .filter((m) => m.status !== 'ONLINE' || m.role === 'PENDING')
    .map((m) => `${m.name} ${m.status === 'ONLINE' ? m.role : m.status}`);
  return `bootstrapped (${[String(service.members.length), ...unwell].join('; ')})`;
}

function table(header: string[], rows: string[][]): string[] {
  if (rows.length === 0) return [];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
