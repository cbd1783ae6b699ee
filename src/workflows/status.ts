// mc status: members and health of each service, as `microcloud status` shows them (§6, §10.9): a status
// line, MicroCloud's warnings, and a row per host with its OSDs, MicroCeph and MicroOVN units and status.
import { servicesByMember } from '../domain/cluster/state.js';
import type { OptionalService } from '../domain/cluster/types.js';
import { describeServiceFailure, isServiceFailure } from '../domain/facts/index.js';
import type { HostFacts, MicroclusterState } from '../domain/facts/index.js';
import type { FramedCommand } from '../domain/framed.js';
import { probe } from './probe.js';
import { readFramed } from './read-framed.js';
import type { Session } from './session.js';

export interface StatusRow {
  name: string;
  address: string;
  osds: number;
  cephUnits: string[];
  ovnUnits: string[];
  status: string;
  services: Record<'lxd' | 'microceph' | 'microovn' | 'microcloud', string>;
}

export interface ClusterStatus {
  level: 'HEALTHY' | 'WARNING' | 'ERROR';
  /** The services the inventory deploys (LXD always): only these are shown and judged. */
  services: Record<OptionalService, boolean>;
  warnings: string[];
  rows: StatusRow[];
}

function microclusterWord(state: MicroclusterState, host: string): string {
  if (state.state !== 'bootstrapped') return state.state;
  const me = state.members.find((m) => m.name === host);
  return me === undefined ? 'not a member' : `${me.role} ${me.status}`;
}

const LABELS: Record<OptionalService, string> = {
  microceph: 'MicroCeph',
  microovn: 'MicroOVN',
  microcloud: 'MicroCloud',
};

export async function clusterStatus(
  session: Session,
  options: { allowVeth: boolean; services: Record<OptionalService, boolean> },
): Promise<ClusterStatus | null> {
  const { services } = options;
  const probes = await probe(session, options);
  if (probes.size === 0) return null;
  const facts = new Map<string, HostFacts>([...probes].map(([h, p]) => [h, p.facts]));
  const hosts = session.hosts.filter((h) => facts.has(h));
  const bootstrappedOn = (service: OptionalService): string | undefined =>
    services[service]
      ? hosts.find((h) => facts.get(h)?.services[service].state === 'bootstrapped')
      : undefined;
  const cephHost = bootstrappedOn('microceph');
  const ovnHost = bootstrappedOn('microovn');
  let osds: { location: string }[] = [];
  let cephUnits = new Map<string, string[]>();
  let ovnUnits = new Map<string, string[]>();
  const ask = (host: string, commands: FramedCommand[]) => readFramed(session, host, commands);
  if (cephHost !== undefined) {
    const out = await ask(cephHost, [
      { name: 'disks', command: 'microceph disk list --json' },
      { name: 'status', command: 'microceph status' },
    ]);
    try {
      osds =
        (JSON.parse(out.get('disks')?.stdout ?? '{}') as { ConfiguredDisks?: { location: string }[] })
          .ConfiguredDisks ?? [];
    } catch {
      osds = [];
    }
    cephUnits = servicesByMember(out.get('status')?.stdout ?? '');
  }
  if (ovnHost !== undefined) {
    ovnUnits = servicesByMember(
      (await ask(ovnHost, [{ name: 'status', command: 'microovn status' }])).get('status')?.stdout ?? '',
    );
  }
  const warnings: string[] = [];
  let error = false;
  const rows = hosts.map((host): StatusRow => {
    const f = facts.get(host) as HostFacts;
    const lxd = f.services.lxd;
    const lxdMember = lxd.state === 'clustered' ? lxd.members.find((m) => m.name === host) : undefined;
    const lxdWord = lxd.state === 'clustered' ? (lxdMember?.status ?? 'not a member') : lxd.state;
    const address = (lxdMember?.url ?? probes.get(host)?.reachedAt ?? '')
      .replace(/^https:\/\/|:8443$/g, '')
      .replace(/^\[|\]$/g, '');
    const statuses = [
      isServiceFailure(lxd) ? lxd.state.toUpperCase() : (lxdMember?.status.toUpperCase() ?? 'NOT CLUSTERED'),
    ];
    if (lxd.state === 'not installed') warnings.push(`LXD is not found on ${host}`);
    if (isServiceFailure(lxd)) warnings.push(describeServiceFailure('LXD', host, lxd));
    // A service the inventory turns off is neither expected nor judged.
    for (const service of (['microceph', 'microovn', 'microcloud'] as const).filter((s) => services[s])) {
      const state = f.services[service];
      if (state.state === 'not installed') warnings.push(`${LABELS[service]} is not found on ${host}`);
      if (isServiceFailure(state)) {
        warnings.push(describeServiceFailure(LABELS[service], host, state));
        statuses.push(state.state.toUpperCase());
      }
      if (state.state === 'bootstrapped')
        statuses.push(state.members.find((m) => m.name === host)?.status ?? 'NOT FOUND');
    }
    const status = statuses.every((s) => s === 'ONLINE')
      ? 'ONLINE'
      : (statuses.find((s) => s !== 'ONLINE') ?? 'UNKNOWN');
    if (status !== 'ONLINE') error = true;
    return {
      name: host,
      address,
      osds: osds.filter((o) => o.location === host).length,
      cephUnits: cephUnits.get(host) ?? [],
      ovnUnits: ovnUnits.get(host) ?? [],
      status,
      services: {
        lxd: lxdWord,
        microceph: services.microceph ? microclusterWord(f.services.microceph, host) : 'not deployed',
        microovn: services.microovn ? microclusterWord(f.services.microovn, host) : 'not deployed',
        microcloud: services.microcloud ? microclusterWord(f.services.microcloud, host) : 'not deployed',
      },
    };
  });
  // MicroCloud's warnings (mc2 cmd/microcloud/status.go).
  if (rows.length < 3)
    warnings.unshift('Reliability risk: 3 systems are required for effective fault tolerance');
  if (cephHost !== undefined && osds.length === 0) warnings.push('No MicroCeph OSDs configured');
  else if (cephHost !== undefined && new Set(osds.map((o) => o.location)).size < 3) {
    warnings.push('Data loss risk: MicroCeph OSD replication recommends at least 3 disks across 3 systems');
  }
  return {
    level: error ? 'ERROR' : warnings.length > 0 ? 'WARNING' : 'HEALTHY',
    services,
    warnings,
    rows,
  };
}

export function formatStatus(status: ClusterStatus): string {
  const lines = ['', ` Status: ${status.level}`, ''];
  for (const w of status.warnings) lines.push(` ! ${w}`);
  if (status.warnings.length > 0) lines.push('');
  // Columns of the services the inventory deploys only.
  const ceph = status.services.microceph;
  const ovn = status.services.microovn;
  const header = [
    'Name',
    'Address',
    ...(ceph ? ['OSDs', 'MicroCeph Units'] : []),
    ...(ovn ? ['MicroOVN Units'] : []),
    'LXD',
    'Status',
  ];
  const table = status.rows.map((r) => [
    r.name,
    r.address,
    ...(ceph ? [String(r.osds), r.cephUnits.join(',') || '-'] : []),
    ...(ovn ? [r.ovnUnits.join(',') || '-'] : []),
    r.services.lxd,
    r.status,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
  const fmt = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  lines.push(fmt(header), ...table.map(fmt), '');
  return lines.join('\n');
}
