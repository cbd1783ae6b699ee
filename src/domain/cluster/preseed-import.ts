// `mc preseed import`: a MicroCloud preseed (§2.1) written for `microcloud preseed`, turned into mc's cluster
// section. Pure: the file's text is read and the hosts' facts gathered before. Multicast files
// (`initiator` + `lookup_subnet`) become unicast: each host's address is the first one inside the lookup
// subnet, in interface order, as MicroCloud itself would pick it (preseed.go address()).

import type { Document } from 'yaml';
import { isMap, isSeq, stringify, type LineCounter, type Node } from 'yaml';
import * as z from 'zod';
import { cidrContains, parseCidr, parseIpAddress, type HostFacts } from '../facts/index.js';
import { parseBoundedYaml, quoteValue, toPlainYaml } from '../input/index.js';
import type { Inventory, SourcePosition } from '../inventory/types.js';
import { DeployIssues } from './issues.js';
import type { DeployIssue } from './types.js';

const text = z.string();
const count = z.number().int();
const diskSchema = z.object({ path: text, wipe: z.boolean().optional(), encrypt: z.boolean().optional() });
const filterSchema = z.object({
  find: text,
  find_min: count.optional(),
  find_max: count.optional(),
  wipe: z.boolean().optional(),
  encrypt: z.boolean().optional(),
});
const preseedSchema = z.strictObject({
  lookup_subnet: text.optional(),
  lookup_timeout: count.optional(),
  session_passphrase: text.optional(),
  session_timeout: count.optional(),
  initiator: text.optional(),
  initiator_address: text.optional(),
  systems: z
    .array(
      z.strictObject({
        name: text,
        address: text.optional(),
        ovn_uplink_interface: text.optional(),
        ovn_underlay_ip: text.optional(),
        storage: z
          .strictObject({ local: diskSchema.optional(), ceph: z.array(diskSchema).optional() })
          .optional(),
      }),
    )
    .min(1, { error: 'No systems given' }),
  ovn: z
    .strictObject({
      ipv4_gateway: text.optional(),
      ipv4_range: text.optional(),
      ipv6_gateway: text.optional(),
      dns_servers: text.optional(),
    })
    .optional(),
  ceph: z
    .strictObject({
      cephfs: z.boolean().optional(),
      internal_network: text.optional(),
      public_network: text.optional(),
    })
    .optional(),
  storage: z
    .strictObject({ local: z.array(filterSchema).optional(), ceph: z.array(filterSchema).optional() })
    .optional(),
});

type PreseedFile = z.infer<typeof preseedSchema>;

export type PreseedImport =
  | {
      ok: true;
      /** The `cluster:` section, as plain data in mc's key order. */
      cluster: Record<string, unknown>;
      /** What changed on the way, for comments above the section. */
      notes: string[];
    }
  | { ok: false; issues: DeployIssue[] };

function positionOf(
  file: string,
  doc: Document.Parsed,
  lineCounter: LineCounter,
  path: PropertyKey[],
): SourcePosition {
  for (let length = path.length; length >= 0; length--) {
    const node = doc.getIn(path.slice(0, length), true) as Node | undefined;
    if (node?.range !== undefined && node.range !== null) {
      const { line, col } = lineCounter.linePos(node.range[0]);
      return { file, line, col };
    }
    if (length === 0 && (isMap(doc.contents) || isSeq(doc.contents))) break;
  }
  return { file, line: 1, col: 1 };
}

/** The host a preseed system is: the inventory host whose probed hostname is the name, else the one named so. */
function hostOf(
  name: string,
  inventory: Inventory,
  facts: ReadonlyMap<string, HostFacts>,
): string | undefined {
  const byHostname = inventory.hosts.find((host) => facts.get(host.name)?.hostname === name);
  return byHostname?.name ?? inventory.hosts.find((host) => host.name === name)?.name;
}

/** MicroCloud's multicast address rule: the first address on any interface inside the subnet. */
function addressInSubnet(facts: HostFacts, subnetText: string): string | undefined {
  const subnet = parseCidr(subnetText);
  if (subnet === null) return undefined;
  for (const nic of facts.network.interfaces) {
    for (const entry of nic.addresses) {
      const address = parseIpAddress(entry.address);
      if (address !== null && cidrContains(subnet, address)) return address.text;
    }
  }
  return undefined;
}

function ownAddresses(facts: HostFacts): string {
  const all = facts.network.interfaces.flatMap((nic) =>
    nic.addresses
      .filter((entry) => entry.scope === 'global')
      .map((entry) => `${entry.address}/${entry.prefixLength}`),
  );
  return all.length === 0 ? 'no global addresses' : all.join(', ');
}

function compact(entries: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));
}

/** The map, or undefined when nothing in it is set. */
function nonEmpty(entries: Record<string, unknown>): Record<string, unknown> | undefined {
  const kept = compact(entries);
  return Object.keys(kept).length === 0 ? undefined : kept;
}

/** A preseed file read and checked for shape, before any host is contacted. */
export interface ParsedPreseed {
  data: PreseedFile;
  /** Where a path of the document is written. */
  at: (path: PropertyKey[]) => SourcePosition;
}

export type ParsedPreseedResult = { ok: true; preseed: ParsedPreseed } | { ok: false; issues: DeployIssue[] };

/** Reads the preseed at `file` (its text already read with the bounded reader): syntax, limits, shape. */
export function parsePreseedFile(file: string, source: string): ParsedPreseedResult {
  const parsed = parseBoundedYaml(file, source);
  if (!parsed.ok) {
    return {
      ok: false,
      issues: parsed.issues.map((issue) => ({
        message: issue.message,
        position: { file: issue.file, line: issue.line, col: issue.col },
      })),
    };
  }
  const at = (path: PropertyKey[]): SourcePosition => positionOf(file, parsed.doc, parsed.lineCounter, path);
  const checked = preseedSchema.safeParse(toPlainYaml(parsed.doc));
  if (!checked.success) {
    return {
      ok: false,
      issues: checked.error.issues.map((issue) => ({
        message:
          issue.code === 'unrecognized_keys'
            ? `unknown key ${issue.keys.map((key) => quoteValue(key)).join(', ')} in a MicroCloud preseed`
            : issue.message === 'No systems given'
              ? issue.message
              : `${issue.path.map(String).join('.') || 'the preseed'}: ${issue.message}`,
        position: at(issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path),
        hint: 'mc reads MicroCloud 2 preseed files (doc/reference/preseed.yaml)',
      })),
    };
  }
  return { ok: true, preseed: { data: checked.data, at } };
}

/** The cluster section for `inventory`, whose hosts' facts are given. */
export function preseedToCluster(
  preseed: ParsedPreseed,
  inventory: Inventory,
  facts: ReadonlyMap<string, HostFacts>,
): PreseedImport {
  return convert(preseed.data, preseed.at, inventory, facts);
}

/** parsePreseedFile, then preseedToCluster. */
export function importPreseed(
  file: string,
  source: string,
  inventory: Inventory,
  facts: ReadonlyMap<string, HostFacts>,
): PreseedImport {
  const parsed = parsePreseedFile(file, source);
  return parsed.ok ? preseedToCluster(parsed.preseed, inventory, facts) : parsed;
}

/** The section as YAML under `cluster:`, the notes as comments above it. */
export function renderClusterSection(source: string, result: Extract<PreseedImport, { ok: true }>): string {
  const header = [
    `# mc's cluster section, from the MicroCloud preseed ${source}`,
    ...result.notes.map((note) => `# ${note}`),
  ];
  return `${header.join('\n')}\n${stringify({ cluster: result.cluster }, { lineWidth: 0, indentSeq: false })}`;
}

function convert(
  preseed: PreseedFile,
  at: (path: PropertyKey[]) => SourcePosition,
  inventory: Inventory,
  facts: ReadonlyMap<string, HostFacts>,
): PreseedImport {
  const issues = new DeployIssues();
  const notes: string[] = [];
  // MicroCloud's own mode checks (preseed.go validate), in its words.
  if (preseed.initiator === undefined && preseed.initiator_address === undefined) {
    issues.add("Missing initiator's name or address", { position: at([]) });
  }
  if (preseed.initiator !== undefined && preseed.initiator_address !== undefined) {
    issues.add("Cannot provide both the initiator's name and address", { position: at(['initiator']) });
  }
  if (preseed.initiator !== undefined && preseed.lookup_subnet === undefined) {
    issues.add('Missing lookup subnet', { position: at(['initiator']) });
  }
  if (preseed.initiator_address !== undefined && preseed.lookup_subnet !== undefined) {
    issues.add("Cannot provide both the initiator's address and lookup subnet", {
      position: at(['lookup_subnet']),
    });
  }
  const multicast = preseed.lookup_subnet;
  if (multicast !== undefined && parseCidr(multicast) === null) {
    issues.add(`Invalid lookup subnet ${quoteValue(multicast)}`, { position: at(['lookup_subnet']) });
  }

  const systems: Record<string, Record<string, unknown>> = {};
  const addresses = new Map<string, string>();
  preseed.systems.forEach((system, index) => {
    const where = at(['systems', index, 'name']);
    const host = hostOf(system.name, inventory, facts);
    if (host === undefined) {
      issues.add(`system ${quoteValue(system.name)} is not an inventory host`, {
        position: where,
        hint: `inventory hosts: ${inventory.hosts.map((entry) => entry.name).join(', ')}; add it to ${inventory.source}, or remove it from the preseed`,
      });
      return;
    }
    if (host in systems) {
      issues.add(`Duplicate system name ${quoteValue(system.name)}`, { position: where });
      return;
    }
    if (host !== system.name) notes.push(`system ${system.name} is inventory host ${host} (its hostname)`);
    let address = system.address;
    if (address !== undefined && multicast !== undefined) {
      issues.add(`Cannot provide both the address for system "${system.name}" and the lookup subnet`, {
        position: at(['systems', index, 'address']),
      });
    } else if (address === undefined && preseed.initiator_address !== undefined) {
      issues.add(`Missing address for system "${system.name}" when the initiator's address is set`, {
        position: where,
      });
    } else if (address === undefined && multicast !== undefined) {
      const hostFacts = facts.get(host);
      address = hostFacts === undefined ? undefined : addressInSubnet(hostFacts, multicast);
      if (address === undefined) {
        issues.add(`cannot convert to unicast: ${host} has no address in the lookup subnet ${multicast}`, {
          position: at(['lookup_subnet']),
          host,
          hint: `its addresses: ${hostFacts === undefined ? 'unknown (no facts)' : ownAddresses(hostFacts)}; give it an address in ${multicast}, or write address: for ${system.name} and initiator_address: in the preseed`,
        });
      }
    }
    if (address !== undefined) addresses.set(host, address);
    const storage = system.storage;
    systems[host] = compact({
      address,
      ovn_uplink_interface: system.ovn_uplink_interface,
      ovn_underlay_ip: system.ovn_underlay_ip,
      storage:
        storage === undefined || (storage.local === undefined && storage.ceph === undefined)
          ? undefined
          : compact({
              local:
                storage.local === undefined
                  ? undefined
                  : compact({
                      path: storage.local.path,
                      wipe: storage.local.wipe === true ? true : undefined,
                    }),
              ceph: storage.ceph?.map((disk) =>
                compact({
                  path: disk.path,
                  wipe: disk.wipe === true ? true : undefined,
                  encrypt: disk.encrypt === true ? true : undefined,
                }),
              ),
            }),
    });
  });
  if (multicast !== undefined && addresses.size > 0) {
    notes.push(
      `multicast preseed (lookup_subnet ${multicast}) converted to unicast: ${[...addresses].map(([host, address]) => `${host} ${address}`).join(', ')}`,
    );
  }
  const missing = inventory.hosts.filter((host) => !(host.name in systems)).map((host) => host.name);
  if (missing.length > 0 && issues.size === 0) {
    issues.add(`the preseed lists no system for ${missing.join(', ')}`, {
      position: at(['systems']),
      hint: `mc deploys every inventory host: add ${missing.length === 1 ? 'it' : 'them'} to the preseed, or remove ${missing.length === 1 ? 'it' : 'them'} from ${inventory.source}`,
    });
  }

  let initiator: string | undefined;
  // Only once every system could be placed: a missing address says it better.
  const placed = issues.size === 0;
  if (placed && preseed.initiator !== undefined) {
    initiator = hostOf(preseed.initiator, inventory, facts);
    if (initiator === undefined) {
      issues.add(`the initiator ${quoteValue(preseed.initiator)} is not an inventory host`, {
        position: at(['initiator']),
      });
    }
  } else if (placed && preseed.initiator_address !== undefined) {
    const address = parseIpAddress(preseed.initiator_address)?.text ?? preseed.initiator_address;
    initiator = [...addresses].find(([, value]) => (parseIpAddress(value)?.text ?? value) === address)?.[0];
    if (initiator === undefined) {
      issues.add(
        `initiator_address ${preseed.initiator_address} is not the address of a system in the preseed`,
        {
          position: at(['initiator_address']),
          hint: 'a preseed that grows a MicroCloud lists only the new systems; mc wants every host of the cluster: list the members too',
        },
      );
    }
  }
  if (preseed.session_passphrase !== undefined) {
    notes.push('session_passphrase left out: mc generates a random one for each run');
  }
  if (issues.size > 0) return { ok: false, issues: issues.sorted() };

  const filters = (list: z.infer<typeof filterSchema>[] | undefined, ceph: boolean) =>
    list?.map((filter) =>
      compact({
        find: filter.find,
        find_min: filter.find_min,
        find_max: filter.find_max !== undefined && filter.find_max > 0 ? filter.find_max : undefined,
        wipe: filter.wipe === true ? true : undefined,
        encrypt: ceph && filter.encrypt === true ? true : undefined,
      }),
    );
  const storage = compact({
    local: filters(preseed.storage?.local, false),
    ceph: filters(preseed.storage?.ceph, true),
  });
  const positive = (value: number | undefined): number | undefined =>
    value !== undefined && value > 0 ? value : undefined;
  const cluster = compact({
    initiator: initiator === inventory.hosts[0]?.name ? undefined : initiator,
    lookup_timeout: positive(preseed.lookup_timeout),
    session_timeout: positive(preseed.session_timeout),
    systems,
    storage: Object.keys(storage).length === 0 ? undefined : storage,
    ceph:
      preseed.ceph === undefined
        ? undefined
        : nonEmpty({
            cephfs: preseed.ceph.cephfs === true ? true : undefined,
            internal_network: preseed.ceph.internal_network,
            public_network: preseed.ceph.public_network,
          }),
    ovn:
      preseed.ovn === undefined
        ? undefined
        : nonEmpty({
            ipv4_gateway: preseed.ovn.ipv4_gateway,
            ipv4_range: preseed.ovn.ipv4_range,
            ipv6_gateway: preseed.ovn.ipv6_gateway,
            dns_servers: preseed.ovn.dns_servers,
          }),
  });
  return { ok: true, cluster, notes };
}
