// `mc plan` and `mc deploy --dry-run`: the design (with every choice mc made and why) and, per phase and
// host, exactly what would change. Pure text; `planAsData` is the JSON form.
import { escapeControl } from '../domain/input/index.js';
import { describeAction } from '../domain/cluster/actions.js';
import { engineOverview } from '../domain/cluster/engine.js';
import { pendingSteps, type Plan } from '../domain/cluster/plan.js';
import { snapsOf, type Choice, type MemberDesign } from '../domain/cluster/types.js';
import { formatBytesIec } from '../domain/facts/index.js';

const choice = <T>(c: Choice<T>, show: (v: T) => string): string =>
  c.source === 'inventory' ? show(c.value) : `${show(c.value)} (${c.source}: ${c.reason})`;

function memberLines(member: MemberDesign): string[] {
  const lines = [`  ${member.host}`, `    address  ${choice(member.address, (v) => v)}`];
  if (member.localDisk !== null) {
    lines.push(
      `    local    ${choice(member.localDisk, (d) => `${d.path} ${formatBytesIec(d.sizeBytes)}${d.wipe ? ' wipe' : ''}`)}`,
    );
  }
  for (const disk of member.cephDisks) {
    lines.push(
      `    ceph     ${choice(disk, (d) => `${d.path} ${formatBytesIec(d.sizeBytes)}${d.wipe ? ' wipe' : ''}${d.encrypt ? ' encrypt' : ''}`)}`,
    );
  }
  if (member.uplinkInterface !== null) lines.push(`    uplink   ${choice(member.uplinkInterface, (v) => v)}`);
  if (member.underlayIp !== null) lines.push(`    underlay ${member.underlayIp}`);
  return lines;
}

export function formatPlan(plan: Plan): string {
  const { design } = plan;
  const services = snapsOf(design.services);
  const lines = [
    `Cluster: ${design.members.length} member(s), initiator ${design.initiator}, services ${services.join(', ')}`,
  ];
  const engine = engineOverview(design);
  lines.push(
    `Engine: ${engine.kind === 'microcloud' ? 'MicroCloud' : 'direct'} (${engine.reason})`,
    ...engine.mcDoes.map((line) => `  mc ${line}`),
  );
  if (engine.microcloudGets.length > 0) {
    lines.push('  then MicroCloud forms the cluster from a preseed (mc preseed export shows it):');
    lines.push(...engine.microcloudGets.map((line) => `    ${line}`));
  }
  for (const member of design.members) lines.push(...memberLines(member));
  if (design.uplink !== null) {
    const u = design.uplink;
    const parts = [
      u.ipv4Gateway === undefined
        ? ''
        : `ipv4 ${u.ipv4Gateway}${u.ipv4Range === undefined ? '' : ` range ${u.ipv4Range}`}`,
      u.ipv6Gateway === undefined ? '' : `ipv6 ${u.ipv6Gateway}`,
      u.dnsServers.length === 0 ? '' : `dns ${u.dnsServers.join(',')}`,
    ].filter((p) => p !== '');
    lines.push(`  OVN uplink: ${parts.join(', ')}`);
  } else if (design.fan !== null) {
    lines.push(`  network: FAN bridge lxdfan0 on ${design.fan.underlaySubnet} (no OVN uplink configured)`);
  }
  for (const [what, objects] of [
    ['storage pool', design.lxd.storagePools],
    ['network', design.lxd.networks],
  ] as const) {
    for (const own of objects) {
      const config = Object.entries(own.config).map(([k, v]) => ` ${k}=${v}`);
      lines.push(`  ${what}: ${own.name} (${own.kind})${config.join('')}, from cluster.lxd`);
    }
  }
  if (design.ceph !== null) {
    lines.push(
      `  Ceph: public ${design.ceph.publicNetwork}, internal ${design.ceph.internalNetwork}${design.ceph.cephfs ? ', CephFS' : ''}`,
    );
  }
  const pending = pendingSteps(plan);
  lines.push('');
  if (plan.skipped.length > 0) {
    lines.push(`Skipped (${plan.skipped.length}): what this LXD cannot do`);
    for (const s of plan.skipped) lines.push(`    ${s.setting}: ${s.reason}`);
  }
  if (pending.length === 0) {
    lines.push('No changes: the cluster already matches the inventory.');
    return escapeControl(`${lines.join('\n')}\n`, { keepNewlines: true });
  }
  lines.push(`Changes (${pending.length}):`);
  for (const phase of plan.phases) {
    const steps = phase.stages.flatMap((s) => s.lanes.flat()).filter((s) => !s.done);
    if (steps.length === 0) continue;
    lines.push(`  ${phase.title}:`);
    const width = Math.max(...steps.map((s) => s.host.length));
    for (const step of steps) lines.push(`    ${step.host.padEnd(width)}  ${describeAction(step.action)}`);
  }
  // Facts in the design (disk models, NIC names) come from the hosts: escaped before a terminal sees them.
  return escapeControl(`${lines.join('\n')}\n`, { keepNewlines: true });
}

export function planAsData(plan: Plan): unknown {
  return {
    type: 'plan',
    design: plan.design,
    engine: engineOverview(plan.design),
    changes: pendingSteps(plan).length,
    skipped: plan.skipped,
    phases: plan.phases.map((phase) => ({
      id: phase.id,
      title: phase.title,
      steps: phase.stages
        .flatMap((s) => s.lanes.flat())
        .filter((s) => !s.done)
        .map((s) => ({ id: s.id, host: s.host, change: describeAction(s.action), action: s.action })),
    })),
  };
}
