// A namespace lab whose hosts' simulated programs (snap, lsblk, microceph...) share one simulated world,
// built with the addresses the lab gives its hosts, and the mc inventory that reaches those hosts. Used by
// the namespace-lab tests and the benchmarks alike.
import type { ProgramRunner } from './embedded/ssh-host.js';
import { namespaceAddresses, pickSubnet, startNamespaceLab } from './netns.js';
import type { NamespaceLab } from './netns.js';
import { createProgramRunner, createSimLab, realClock } from './sim/index.js';
import type { LatencyTable, World } from './sim/index.js';

export interface SimNamespaceLabOptions {
  names: string[];
  baseDir: string;
  /** Debian's LXD runs for real inside each host once `snap install lxd` succeeds there. */
  realLxd?: boolean;
  /** Modelled durations of the simulated programs (REALISTIC_LATENCY for real-world ones). */
  latency?: Partial<LatencyTable>;
  /** Real time per modelled time: 0.1 runs a 20 s snap install in 2 s. */
  timeScale?: number;
  /** Wraps the simulator's runner, e.g. to inject faults. */
  wrapRunner?: (runner: ProgramRunner) => ProgramRunner;
}

export async function startSimNamespaceLab(
  options: SimNamespaceLabOptions,
): Promise<{ lab: NamespaceLab; world: World }> {
  const { names, baseDir } = options;
  const subnet = pickSubnet();
  const addresses = namespaceAddresses(names, subnet);
  const world = createSimLab({
    hosts: names,
    clock: realClock({ scale: options.timeScale ?? 1 }),
    ...(options.latency === undefined ? {} : { latency: options.latency }),
    machine: (name) => ({ address: addresses.get(name) ?? '', managementCidr: `10.77.${subnet}.0/24` }),
  });
  const runner = createProgramRunner(world);
  const lab = await startNamespaceLab({
    names,
    baseDir,
    runner: options.wrapRunner?.(runner) ?? runner,
    subnet,
    ...(options.realLxd === undefined ? {} : { realLxd: options.realLxd }),
  });
  // The simulated daemons talk between hosts through the world, not the lab's links: a cut link is told.
  const setLink = lab.setLink.bind(lab);
  lab.setLink = async (name, state) => {
    await setLink(name, state);
    const down = world.state.network.linkDown.filter((host) => host !== name);
    world.state.network.linkDown = state === 'down' ? [...down, name] : down;
  };
  return { lab, world };
}

/**
 * The `defaults:` and `hosts:` sections of an mc inventory reaching every host of the lab as root, with the
 * lab's key and known_hosts; `sshOptions` are more `Name: value` lines for `ssh_options`.
 */
export function labInventoryLines(lab: NamespaceLab, sshOptions: string[] = []): string[] {
  return [
    'defaults:',
    '  user: root',
    `  key: ${lab.clientKeyPath}`,
    '  ssh_options:',
    ...sshOptions.map((line) => `    ${line}`),
    `    UserKnownHostsFile: ${lab.knownHostsPath}`,
    'hosts:',
    ...lab.hosts.map((h) => `  ${h.name}: { address: ${h.address} }`),
  ];
}
