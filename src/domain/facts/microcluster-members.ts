// Members of a microcluster app's cluster (MicroCeph :7443, MicroOVN :6443, MicroCloud :9443), from
// `<app> cluster list -f json` (§10.7): microcluster's rest/types ClusterMember, whatever the app.

import { JsonObjectReader, parseJsonOutput } from './json-reader.js';
import { describeValue, FactsParseError, type FactSource } from './parse-error.js';

export type MicroclusterApp = 'microceph' | 'microovn' | 'microcloud';

export const MICROCLUSTER_MEMBERS_COMMANDS: Record<MicroclusterApp, string> = {
  microceph: 'microceph cluster list -f json',
  microovn: 'microovn cluster list -f json',
  microcloud: 'microcloud cluster list -f json',
};

export interface MicroclusterMember {
  name: string;
  /** `ip:port`, e.g. `10.1.123.10:7443`. */
  address: string;
  /** `voter`, `stand-by`, `spare`, or `PENDING` while joining. */
  role: string;
  /** `ONLINE`, `UNREACHABLE`, `NOT TRUSTED`, `NOT FOUND`, `UPGRADING`, `NEEDS UPGRADE`. */
  status: string;
}

const SOURCES: Record<MicroclusterApp, FactSource> = {
  microceph: 'microceph cluster list',
  microovn: 'microovn cluster list',
  microcloud: 'microcloud cluster list',
};

/** Parses `<app> cluster list -f json`. A bootstrapped cluster always lists this host, so `[]` is refused. */
export function parseMicroclusterMembers(app: MicroclusterApp, text: string): MicroclusterMember[] {
  const source = SOURCES[app];
  const value = parseJsonOutput(source, text, MICROCLUSTER_MEMBERS_COMMANDS[app]);
  if (!Array.isArray(value)) {
    throw new FactsParseError(source, '$', 'an array of cluster members', describeValue(value));
  }
  const items = value as unknown[];
  if (items.length === 0) {
    throw new FactsParseError(source, '$', 'at least one member (this host)', 'an empty array');
  }
  return items.map((item, index) => {
    const member = JsonObjectReader.of(source, `$[${index}]`, item);
    return {
      name: member.string('name'),
      address: member.string('address'),
      role: member.string('role'),
      status: member.string('status'),
    };
  });
}
