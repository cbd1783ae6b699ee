// Facts for the cluster tests, from the simulator (src/lab/sim): every command of FACT_COMMANDS runs against a
// simulated host with runShell, as the probe's script would, and parseHostFacts reads the outputs. Three
// outputs are made here instead: `date` (the simulator leaves it to the lab machine; the world's virtual clock
// plus a per-host offset stands in), the disk links (runShell models no redirection, so the `find` runs
// without `2>/dev/null || true`) and `ss -Hltn` (built from the host's services, or given by the test).
import assert from 'node:assert/strict';
import { parse as parseShell } from 'shell-quote';
import {
  FACT_COMMANDS,
  FACT_SNAPS,
  parseHostFacts,
  type CommandOutcome,
  type FactName,
  type FactOutputs,
  type HostFacts,
  type OptionalFactName,
} from '../../../src/domain/facts/index.js';
import { formatIssue, parseInventory } from '../../../src/domain/inventory/index.js';
import type { Inventory } from '../../../src/domain/inventory/types.js';
import {
  clusterSnapshot,
  clusterStateAsks,
  type ClusterSnapshot,
} from '../../../src/domain/cluster/snapshot.js';
import { parseClusterSpec } from '../../../src/domain/cluster/spec.js';
import type { ClusterDesign, ClusterSpec, DeployIssue } from '../../../src/domain/cluster/types.js';
import type { FramedOutput } from '../../../src/domain/framed.js';
import {
  designCluster,
  formatDeployIssue,
  type DesignOptions,
} from '../../../src/domain/cluster/validate.js';
import {
  allMachines,
  createSimLab,
  getMachine,
  isSnapInstalled,
  runProgram,
  runShell,
  VirtualClock,
  type Machine,
  type SimLabOptions,
  type World,
} from '../../../src/lab/sim/index.js';

export const FILE = 'hosts.yaml';

/** Joins lines with newlines, so that a test's line numbers are the argument positions (1-based). */
export function lines(...content: string[]): string {
  return `${content.join('\n')}\n`;
}

export function inventoryOf(text: string): Inventory {
  const result = parseInventory({ main: { path: FILE, text }, groupVars: [], hostVars: [] }, {});
  if (!result.ok) assert.fail(`invalid inventory:\n${result.issues.map(formatIssue).join('\n')}`);
  return result.inventory;
}

/** `hosts:` for micro1..microN at the simulator's addresses (10.1.123.11, .12, ...), then `extra` lines. */
export function inventoryText(hosts: number, ...extra: string[]): string {
  const names = Array.from({ length: hosts }, (_, i) => `micro${i + 1}`);
  return lines('hosts:', ...names.map((name, i) => `  ${name}: {address: 10.1.123.${11 + i}}`), ...extra);
}

export function specOf(inventory: Inventory): ClusterSpec {
  const parsed = parseClusterSpec(inventory);
  if (!parsed.ok) assert.fail(`invalid cluster section:\n${parsed.issues.map(formatDeployIssue).join('\n')}`);
  return parsed.spec;
}

/** The issues of an invalid cluster section, formatted. */
export function specIssues(text: string): string[] {
  const parsed = parseClusterSpec(inventoryOf(text));
  if (parsed.ok) assert.fail('expected issues, but the cluster section is valid');
  return parsed.issues.map(formatDeployIssue);
}

export interface HostFactOptions {
  /** The host's clock minus the world's, in ms. */
  clockOffsetMs?: number;
  /** `ss -Hltn` as it would print; default: sshd, systemd-resolved and the services the host runs. */
  listening?: string | null;
}

const SSHD = [
  'LISTEN 0      4096         0.0.0.0:22        0.0.0.0:*',
  'LISTEN 0      4096            [::]:22           [::]:*',
];
const RESOLVED = 'LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*';

/** What `ss -Hltn` shows on a host running these services (§0 ports). */
function listeningOf(facts: HostFacts): string {
  const own = facts.network.interfaces
    .flatMap((nic) => nic.addresses)
    .find((entry) => entry.family === 'inet' && entry.scope === 'global')?.address;
  const socket = (address: string, port: number): string =>
    `LISTEN 0      4096   ${address}:${port}   0.0.0.0:*`;
  const rows = [...SSHD, RESOLVED];
  const { lxd, microceph, microovn, microcloud } = facts.services;
  if (lxd.state === 'clustered') rows.push('LISTEN 0      4096            [::]:8443         [::]:*');
  if (microceph.state === 'bootstrapped' && own) rows.push(socket(own, 7443));
  if (microovn.state === 'bootstrapped' && own)
    rows.push(socket(own, 6443), socket(own, 6641), socket(own, 6642));
  if (microcloud.state !== 'not installed')
    rows.push('LISTEN 0      4096               *:9443            *:*');
  return `${rows.join('\n')}\n`;
}

const DISK_LINKS_SIM =
  "find /dev/disk/by-id /dev/disk/by-path -mindepth 1 -maxdepth 1 -type l -printf '%p %l\\n'";

/** Runs the fact commands on one simulated host and parses them. */
export async function simHostFacts(
  world: World,
  host: string,
  options: HostFactOptions = {},
): Promise<HostFacts> {
  const machine = getMachine(world, host);
  const outputs: Record<string, string | CommandOutcome> = {};
  for (const [name, command] of Object.entries(FACT_COMMANDS) as [FactName, string][]) {
    if (name === 'clock' || name === 'listeningPorts') continue;
    const snap = FACT_SNAPS[name as OptionalFactName];
    const service = [
      'lxdServer',
      'lxdStoragePools',
      'lxdMembers',
      'microcephMembers',
      'microovnMembers',
      'microcloudMembers',
    ].includes(name);
    if (snap !== undefined && !isSnapInstalled(machine, snap)) {
      if (service) outputs[name] = { exitCode: 127, stdout: '', stderr: `the ${snap} snap is not installed` };
      continue;
    }
    const result = await runShell(world, host, name === 'diskLinks' ? DISK_LINKS_SIM : command);
    if (service) {
      outputs[name] = { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
    } else if (result.exitCode === 0) {
      outputs[name] = result.stdout;
    } else if (name !== 'lxdResources' && name !== 'hostname') {
      assert.fail(`${host}$ ${command}: exit ${result.exitCode}: ${result.stderr}`);
    }
  }
  outputs.clock = ((world.clock.now() + (options.clockOffsetMs ?? 0)) / 1000).toFixed(6);
  const first = parseHostFacts(outputs as FactOutputs);
  if (!first.ok) assert.fail(first.errors.map((error) => error.message).join('\n'));
  if (options.listening === null) return first.facts;
  const parsed = parseHostFacts({
    ...(outputs as FactOutputs),
    listeningPorts: options.listening ?? listeningOf(first.facts),
  });
  if (!parsed.ok) assert.fail(parsed.errors.map((error) => error.message).join('\n'));
  return parsed.facts;
}

export async function simFacts(
  world: World,
  options: Record<string, HostFactOptions> = {},
): Promise<Map<string, HostFacts>> {
  const facts = new Map<string, HostFacts>();
  for (const machine of allMachines(world)) {
    facts.set(machine.name, await simHostFacts(world, machine.name, options[machine.name] ?? {}));
  }
  return facts;
}

/** A simulated lab of fresh hosts (snapd only), micro1..microN; `change` edits a machine's model first. */
export function freshWorld(hosts: number, options: Omit<SimLabOptions, 'hosts' | 'clock'> = {}): World {
  return createSimLab({ hosts, clock: new VirtualClock(), ...options });
}

export function machine(world: World, host: string): Machine {
  return getMachine(world, host);
}

async function must(world: World, host: string, line: string, stdin = ''): Promise<void> {
  const result = await runShell(world, host, line, stdin);
  if (result.exitCode !== 0) assert.fail(`${host}$ ${line}: ${result.stderr}`);
}

/** §7's install sequence on the hosts. */
export async function installStack(world: World, hosts: readonly string[]): Promise<void> {
  for (const host of hosts) {
    await must(world, host, 'snap install microceph --channel=squid/stable --cohort="+"');
    await must(world, host, 'snap install microovn --channel=24.03/stable --cohort="+"');
    await must(world, host, 'snap install lxd --channel=5.21/stable --cohort="+"');
    await must(world, host, 'snap install microcloud --channel=2/stable --cohort="+"');
    await must(world, host, 'snap refresh --hold lxd microceph microovn microcloud');
  }
}

/**
 * A unicast preseed run as upstream runs it (§2.3): the initiator (the first of `hosts`) first, the others 5 s
 * later. Default: every host, each installed first; `install` names the hosts to install the stack on.
 */
export async function deployWithPreseed(
  world: World,
  preseed: string,
  hosts: readonly string[] = allMachines(world).map((m) => m.name),
  install: readonly string[] = hosts,
): Promise<void> {
  await installStack(world, install);
  const [first, ...rest] = hosts;
  if (first === undefined) return;
  const initiator = must(world, first, 'microcloud preseed', preseed);
  await world.clock.sleep(5_000);
  await Promise.all([initiator, ...rest.map((host) => must(world, host, 'microcloud preseed', preseed))]);
  await world.clock.sleep(60_000);
}

export type Designed = ReturnType<typeof designCluster>;

export function design(
  inventory: Inventory,
  facts: ReadonlyMap<string, HostFacts>,
  options: DesignOptions = {},
): Designed {
  return designCluster(inventory, specOf(inventory), facts, options);
}

/** The issues of a design that must fail, formatted. */
export function designIssues(
  inventory: Inventory,
  facts: ReadonlyMap<string, HostFacts>,
  options: DesignOptions = {},
): string[] {
  const result = design(inventory, facts, options);
  if (result.ok)
    assert.fail(`expected issues, got a design with warnings: ${result.design.warnings.join('; ')}`);
  return result.issues.map(formatDeployIssue);
}

export function designOf(
  inventory: Inventory,
  facts: ReadonlyMap<string, HostFacts>,
  options: DesignOptions = {},
) {
  const result = design(inventory, facts, options);
  if (!result.ok) assert.fail(`unexpected issues:\n${result.issues.map(formatDeployIssue).join('\n')}`);
  return result.design;
}

/**
 * One command of clusterStateCommands on a simulated host. They are simple argv whose `?` and `=` quoteArg
 * escapes; shell-quote (which runShell parses with) reports an escaped `?` as a glob, which runShell refuses,
 * so the words are taken here, the glob's pattern as the literal word it is once escaped.
 */
async function simCommand(world: World, host: string, command: string): Promise<FramedOutput> {
  const argv = parseShell(command).map((token) => {
    if (typeof token === 'string') return token;
    if ('op' in token && token.op === 'glob') return token.pattern;
    return assert.fail(`${host}$ ${command}: shell syntax the helper does not model`);
  });
  const result = await runProgram(world, host, argv);
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
}

/** What gather.ts reads of the running cluster, asked of the simulated hosts: the planner's other input. */
export async function simClusterSnapshot(
  world: World,
  design: ClusterDesign,
  facts: ReadonlyMap<string, HostFacts>,
): Promise<ClusterSnapshot> {
  const answers = [];
  for (const ask of clusterStateAsks(design, facts)) {
    const outputs = new Map<string, FramedOutput>();
    for (const { name, command } of ask.commands)
      outputs.set(name, await simCommand(world, ask.host, command));
    answers.push({ ask, outputs });
  }
  return clusterSnapshot(design, facts, answers);
}

export type { DeployIssue };
