// mc probe's report: per host, every disk and NIC with what MicroCloud could use it for and why not.
import { formatBytesIec } from '../domain/facts/index.js';
import type { HostProbe } from '../workflows/probe.js';

export function formatProbeReport(probes: readonly HostProbe[]): string {
  const out: string[] = [];
  for (const p of probes) {
    const f = p.facts;
    const snapd = f.snaps.find((s) => s.name === 'snapd')?.version ?? 'not installed';
    out.push(
      '',
      `${p.host}: ${f.os.prettyName ?? f.os.id}, kernel ${f.kernel.release} ${f.kernel.machine}, ${f.cpuCount} CPUs, ${formatBytesIec(f.memoryBytes)}, snapd ${snapd}`,
    );
    const address = p.managementAddress;
    out.push(
      address.ok
        ? `  reached at ${address.address}/${address.prefixLength} on ${address.interfaceName}`
        : // Normal behind NAT, a forwarded port or in a lab: the cluster address then comes from the inventory.
          `  reached at ${p.reachedAt}, which is not one of its own addresses (NAT, a forwarded port or a lab)`,
    );
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
  return `${out.join('\n')}\n`;
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
