// What every rule family of designCluster shares: the inventory, the spec, each host's facts, and the issues
// and warnings found so far.

import type { HostFacts } from '../facts/index.js';
import type { HostSpec, Inventory, SourcePosition } from '../inventory/types.js';
import { DeployIssues } from './issues.js';
import { positionIn, type ClusterSpec, type SystemSpec } from './types.js';

export interface DesignOptions {
  /**
   * Let mc choose veth interfaces as OVN uplinks (test labs whose "NICs" are veth pairs, such as the namespace
   * lab). A veth named in `cluster.systems.<host>.ovn_uplink_interface` is accepted without it, with a warning.
   */
  allowVeth?: boolean;
  /**
   * When each host's facts were gathered, by this machine's clock (`Date.now()` before sending the fact
   * script and after its output arrived). With it, each host's clock is compared with this machine's and the
   * round trip bounds the error; without it, the hosts are compared with each other only, as if their facts
   * had been read at the same moment.
   */
  localClock?: ReadonlyMap<string, { sentAtMs: number; receivedAtMs: number }>;
}

/** A host of the cluster with its facts. */
export interface HostContext {
  name: string;
  inventory: HostSpec;
  system: SystemSpec;
  facts: HostFacts;
}

export class DesignContext {
  readonly issues = new DeployIssues();
  readonly #warnings: string[] = [];
  /** The hosts with facts, in inventory order. */
  readonly hosts: HostContext[];

  constructor(
    readonly inventory: Inventory,
    readonly spec: ClusterSpec,
    facts: ReadonlyMap<string, HostFacts>,
    readonly options: DesignOptions,
  ) {
    this.hosts = spec.systems.flatMap((system) => {
      const hostFacts = facts.get(system.host);
      const inventoryHost = inventory.hosts.find((host) => host.name === system.host);
      if (hostFacts === undefined || inventoryHost === undefined) {
        this.issues.add('no facts were gathered from this host', {
          host: system.host,
          hint: `mc needs every host's facts to check the cluster: make sure it is reachable, e.g. with mc ping -i ${inventory.source}`,
        });
        return [];
      }
      return [{ name: system.host, inventory: inventoryHost, system, facts: hostFacts }];
    });
  }

  /** Where `path` (relative to `cluster`) is written, or the nearest written ancestor. */
  at(path: string): SourcePosition {
    return positionIn(this.spec, path);
  }

  /** The position of `path` when the user wrote it, else nothing (the problem is then not in the inventory). */
  writtenAt(path: string): SourcePosition | undefined {
    return this.spec.positions[path];
  }

  host(name: string): HostContext | undefined {
    return this.hosts.find((host) => host.name === name);
  }

  warn(message: string, host?: string): void {
    const text = host === undefined ? message : `${host}: ${message}`;
    if (!this.#warnings.includes(text)) this.#warnings.push(text);
  }

  get warnings(): string[] {
    return [...this.#warnings];
  }
}
