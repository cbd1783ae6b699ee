// `ip` (iproute2 6.1 key set, §10.3): `addr`, `link` and `route`, as JSON with -j (plus -d details) and as
// the classic and brief text forms.

import { broadcastOf, familyOf, networkOf } from '../net.js';
import type { AddressAssignment, Machine, Nic } from '../machine.js';
import { goJson } from '../format.js';
import { NotModelledError, Output, type ProgramContext, type ProgramResult } from '../program.js';

const FOREVER = 4294967295;

interface Options {
  json: boolean;
  details: boolean;
  brief: boolean;
  family: 'inet' | 'inet6' | null;
}

function linkFlags(nic: Nic): string[] {
  if (nic.kind === 'loopback') return ['LOOPBACK', 'UP', 'LOWER_UP'];
  const flags = ['BROADCAST', 'MULTICAST'];
  if (nic.state === 'UP') {
    if (!nic.carrier) flags.unshift('NO-CARRIER');
    flags.push('UP');
    if (nic.carrier) flags.push('LOWER_UP');
  }
  return flags;
}

function operstate(nic: Nic): string {
  if (nic.kind === 'loopback') return 'UNKNOWN';
  return nic.state === 'UP' && nic.carrier ? 'UP' : 'DOWN';
}

function qdisc(nic: Nic): string {
  return nic.kind === 'physical' ? 'mq' : 'noqueue';
}

function linkType(nic: Nic): string {
  return nic.kind === 'loopback' ? 'loopback' : 'ether';
}

function broadcastMac(nic: Nic): string {
  return nic.kind === 'loopback' ? '00:00:00:00:00:00' : 'ff:ff:ff:ff:ff:ff';
}

function addrInfo(nic: Nic, entry: AddressAssignment): Record<string, unknown> {
  const family = familyOf(entry.address) ?? 'inet';
  const info: Record<string, unknown> = { family, local: entry.address, prefixlen: entry.prefix };
  if (family === 'inet' && entry.scope === 'global' && entry.prefix < 31) {
    info['broadcast'] = broadcastOf(entry.address, entry.prefix);
  }
  info['scope'] = entry.scope;
  if (entry.dynamic) info['dynamic'] = true;
  if (family === 'inet') info['label'] = nic.name;
  info['valid_life_time'] = entry.dynamic ? 3600 : FOREVER;
  info['preferred_life_time'] = entry.dynamic ? 3600 : FOREVER;
  return info;
}

function baseLink(nic: Nic): Record<string, unknown> {
  const link: Record<string, unknown> = {
    ifindex: nic.ifindex,
    ifname: nic.name,
    flags: linkFlags(nic),
    mtu: nic.mtu,
    qdisc: qdisc(nic),
  };
  if (nic.master) link['master'] = nic.master;
  return link;
}

function details(nic: Nic): Record<string, unknown> {
  const extra: Record<string, unknown> = {
    promiscuity: nic.kind === 'bridge' ? 0 : nic.master ? 1 : 0,
    allmulti: 0,
    min_mtu: nic.kind === 'loopback' ? 0 : 68,
    max_mtu: 65535,
  };
  if (nic.kind === 'bridge')
    extra['linkinfo'] = { info_kind: 'bridge', info_data: { forward_delay: 1500, stp_state: 0 } };
  if (nic.kind === 'bond') extra['linkinfo'] = { info_kind: 'bond', info_data: { mode: 'active-backup' } };
  if (nic.kind === 'vlan' && nic.vlan) {
    extra['linkinfo'] = {
      info_kind: 'vlan',
      info_data: { protocol: '802.1Q', id: nic.vlan.id, flags: ['REORDER_HDR'] },
    };
  }
  extra['inet6_addr_gen_mode'] = 'eui64';
  extra['num_tx_queues'] = 1;
  extra['num_rx_queues'] = 1;
  extra['gso_max_size'] = 65536;
  extra['gso_max_segs'] = 65535;
  extra['tso_max_size'] = 65536;
  extra['tso_max_segs'] = 65535;
  extra['gro_max_size'] = 65536;
  if (nic.pciAddress) {
    extra['parentbus'] = 'pci';
    extra['parentdev'] = nic.pciAddress;
  }
  return extra;
}

function filteredAddresses(nic: Nic, options: Options): AddressAssignment[] {
  return nic.addresses.filter((a) => options.family === null || familyOf(a.address) === options.family);
}

/** `ip -j link` fields of a NIC; `afterState` goes between operstate and group, as iproute2 orders them. */
function linkFields(
  nic: Nic,
  options: Options,
  afterState: Record<string, unknown>,
): Record<string, unknown> {
  return {
    ...baseLink(nic),
    operstate: operstate(nic),
    ...afterState,
    group: 'default',
    txqlen: 1000,
    link_type: linkType(nic),
    address: nic.mac,
    broadcast: broadcastMac(nic),
    ...(options.details ? details(nic) : {}),
  };
}

function addrJson(nic: Nic, options: Options): Record<string, unknown> {
  return {
    ...linkFields(nic, options, {}),
    addr_info: filteredAddresses(nic, options).map((a) => addrInfo(nic, a)),
  };
}

function linkJson(nic: Nic, options: Options): Record<string, unknown> {
  return linkFields(nic, options, { linkmode: 'DEFAULT' });
}

function linkText(nic: Nic): string[] {
  const master = nic.master ? ` master ${nic.master}` : '';
  return [
    `${nic.ifindex}: ${nic.name}: <${linkFlags(nic).join(',')}> mtu ${nic.mtu} qdisc ${qdisc(nic)}${master} state ${operstate(nic)} group default qlen 1000`,
    `    link/${linkType(nic)} ${nic.mac} brd ${broadcastMac(nic)}`,
  ];
}

function addrText(nic: Nic, options: Options): string[] {
  const lines = linkText(nic);
  for (const entry of filteredAddresses(nic, options)) {
    const family = familyOf(entry.address) === 'inet6' ? 'inet6' : 'inet';
    const brd =
      family === 'inet' && entry.scope === 'global' && entry.prefix < 31
        ? ` brd ${broadcastOf(entry.address, entry.prefix)}`
        : '';
    const label = family === 'inet' ? ` ${nic.name}` : ' ';
    const dynamic = entry.dynamic ? ' dynamic' : '';
    lines.push(`    ${family} ${entry.address}/${entry.prefix}${brd} scope ${entry.scope}${dynamic}${label}`);
    const lifetime = entry.dynamic ? '3600sec' : 'forever';
    lines.push(`       valid_lft ${lifetime} preferred_lft ${lifetime}`);
  }
  return lines;
}

interface RouteEntry {
  dst: string;
  gateway?: string;
  dev: string;
  protocol: string;
  scope?: string;
  prefsrc?: string;
  metric?: number;
}

function routes(machine: Machine, family: 'inet' | 'inet6'): RouteEntry[] {
  const entries: RouteEntry[] = [];
  for (const route of machine.routes) {
    const routeFamily = route.gateway
      ? familyOf(route.gateway)
      : route.destination.includes(':')
        ? 'inet6'
        : 'inet';
    if (routeFamily !== family) continue;
    // iproute2 key order: dst, gateway, dev, protocol, scope, prefsrc, metric, flags.
    const entry: RouteEntry = route.gateway
      ? { dst: route.destination, gateway: route.gateway, dev: route.dev, protocol: route.protocol }
      : { dst: route.destination, dev: route.dev, protocol: route.protocol };
    if (route.metric !== null) entry.metric = route.metric;
    entries.push(entry);
  }
  // Connected routes the kernel adds for each configured address.
  for (const nic of [...machine.nics].sort((a, b) => a.ifindex - b.ifindex)) {
    if (nic.kind === 'loopback' || nic.state !== 'UP') continue;
    for (const entry of nic.addresses) {
      if (familyOf(entry.address) !== family) continue;
      if (family === 'inet' && entry.scope !== 'global') continue;
      const dst = `${networkOf(entry.address, entry.prefix)}/${entry.prefix}`;
      if (family === 'inet') {
        entries.push({ dst, dev: nic.name, protocol: 'kernel', scope: 'link', prefsrc: entry.address });
      } else {
        entries.push({ dst, dev: nic.name, protocol: 'kernel', metric: 256 });
      }
    }
  }
  return entries;
}

function routeText(entry: RouteEntry): string {
  let text = entry.dst;
  if (entry.gateway) text += ` via ${entry.gateway}`;
  text += ` dev ${entry.dev} proto ${entry.protocol}`;
  if (entry.scope) text += ` scope ${entry.scope}`;
  if (entry.prefsrc) text += ` src ${entry.prefsrc}`;
  if (entry.metric !== undefined) text += ` metric ${entry.metric}`;
  return `${text} `;
}

const OBJECTS: Record<string, 'addr' | 'link' | 'route'> = {
  a: 'addr',
  ad: 'addr',
  addr: 'addr',
  address: 'addr',
  l: 'link',
  li: 'link',
  link: 'link',
  r: 'route',
  ro: 'route',
  route: 'route',
};

/** iproute2 6.1's vxlan usage (Debian's, as printed on the lab machine), up to its options list. */
const VXLAN_USAGE = [
  'Usage: ... vxlan id VNI',
  '\t\t[ { group | remote } IP_ADDRESS ]',
  '\t\t[ local ADDR ]',
  '\t\t[ ttl TTL ]',
  '\t\t[ tos TOS ]',
  '\t\t[ df DF ]',
  '\t\t[ flowlabel LABEL ]',
  '\t\t[ dev PHYS_DEV ]',
  '\t\t[ dstport PORT ]',
  '\t\t[ srcport MIN MAX ]',
  '\t\t[ [no]learning ]',
  '\t\t[ [no]proxy ]',
  '\t\t[ [no]rsc ]',
  '\t\t[ [no]l2miss ]',
  '\t\t[ [no]l3miss ]',
  '\t\t[ ageing SECONDS ]',
  '\t\t[ maxaddress NUMBER ]',
  '\t\t[ [no]udpcsum ]',
  '\t\t[ [no]udp6zerocsumtx ]',
  '\t\t[ [no]udp6zerocsumrx ]',
  '\t\t[ [no]remcsumtx ] [ [no]remcsumrx ]',
  '\t\t[ [no]external ] [ gbp ] [ gpe ]',
  '\t\t[ [no]vnifilter ]',
];

/**
 * `ip link help vxlan`: the usage on stdout, status 0 (iproute2 6.1). Ubuntu's iproute2 carries the FAN patch,
 * which adds the fan-map option to it; `machine.fanMap === false` models an `ip` without it (Debian's).
 */
function linkHelp(ctx: ProgramContext, out: Output, type: string | undefined): ProgramResult {
  if (type !== 'vxlan') throw new NotModelledError(`ip link help ${type ?? ''}`.trim());
  const fan = ctx.machine.fanMap === false ? [] : ['\t\t[ fan-map OVERLAY:UNDERLAY ]'];
  for (const line of [...VXLAN_USAGE, ...fan]) out.println(line);
  out.println('');
  for (const line of [
    'Where:\tVNI\t:= 0-16777215',
    '\tADDR\t:= { IP_ADDRESS | any }',
    '\tTOS\t:= { NUMBER | inherit }',
    '\tTTL\t:= { 1..255 | auto | inherit }',
    '\tDF\t:= { unset | set | inherit }',
    '\tLABEL := 0-1048575',
  ])
    out.println(line);
  return out.done(0);
}

export async function ipProgram(ctx: ProgramContext): Promise<ProgramResult> {
  await Promise.resolve();
  const out = new Output();
  const options: Options = { json: false, details: false, brief: false, family: null };
  const args = ctx.argv.slice(1);
  while (args[0]?.startsWith('-')) {
    const option = (args.shift() as string).replace(/^--?/, '');
    if (['j', 'json'].includes(option)) options.json = true;
    else if (['d', 'details'].includes(option)) options.details = true;
    else if (['br', 'brief'].includes(option)) options.brief = true;
    else if (option === '4') options.family = 'inet';
    else if (option === '6') options.family = 'inet6';
    else if (['p', 'pretty'].includes(option)) continue;
    else if (/^[jd]{2,}$/.test(option)) {
      options.json ||= option.includes('j');
      options.details ||= option.includes('d');
    } else {
      out.eprintln(`Option "-${option}" is unknown, try "ip -help".`);
      return out.done(255);
    }
  }
  const objectWord = args.shift();
  if (objectWord === undefined) {
    out.eprintln('Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }');
    return out.done(255);
  }
  const object = OBJECTS[objectWord];
  if (!object) {
    out.eprintln(`Object "${objectWord}" is unknown, try "ip help".`);
    return out.done(255);
  }
  if (object === 'link' && args[0] === 'help') return linkHelp(ctx, out, args[1]);
  if (args[0] === 'show' || args[0] === 'list' || args[0] === 'ls') args.shift();
  if (args[0] !== undefined && !['dev', 'default'].includes(args[0]) && object !== 'route') {
    // `ip addr show enp5s0` is shorthand for `dev enp5s0`.
    args.unshift('dev');
  }
  let nics = [...ctx.machine.nics].sort((a, b) => a.ifindex - b.ifindex);
  if (args[0] === 'dev') {
    const name = args[1] ?? '';
    const nic = nics.find((n) => n.name === name);
    if (!nic) {
      out.eprintln(`Device "${name}" does not exist.`);
      return out.done(1);
    }
    nics = [nic];
  }
  if (object === 'route') {
    let entries = routes(ctx.machine, options.family ?? 'inet');
    if (args[0] === 'default') entries = entries.filter((e) => e.dst === 'default');
    if (args[0] === 'dev') entries = entries.filter((e) => e.dev === args[1]);
    if (options.json) {
      out.println(goJson(entries.map((e) => ({ ...e, flags: [] }))));
    } else {
      for (const entry of entries) out.println(routeText(entry));
    }
    return out.done(0);
  }
  if (options.json) {
    const render = object === 'addr' ? addrJson : linkJson;
    out.println(goJson(nics.map((nic) => render(nic, options))));
    return out.done(0);
  }
  if (options.brief) {
    for (const nic of nics) {
      const name = nic.name.padEnd(16);
      if (object === 'link') {
        out.println(`${name} ${operstate(nic).padEnd(14)} ${nic.mac} <${linkFlags(nic).join(',')}> `);
      } else {
        const addresses = filteredAddresses(nic, options)
          .map((a) => `${a.address}/${a.prefix} `)
          .join('');
        out.println(`${name} ${operstate(nic).padEnd(14)} ${addresses}`);
      }
    }
    return out.done(0);
  }
  for (const nic of nics)
    for (const line of object === 'addr' ? addrText(nic, options) : linkText(nic)) out.println(line);
  return out.done(0);
}
