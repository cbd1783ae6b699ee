// npm run demo: a 3-host lab, the main job run against it with the real commands, then the lab goes.
// The job is the one a user runs: connect, see the plan, deploy (MicroCloud forms the cluster), check its status.
import { labDown, labUp } from './lab.js';
import type { LabPaths } from './lab.js';

export interface DemoStep {
  title: string;
  argv: string[];
}

export function demoSteps(inventory: string): DemoStep[] {
  return [
    { title: 'Connect to every host', argv: ['ping', '-i', inventory] },
    { title: 'What mc deploy would do', argv: ['plan', '-i', inventory] },
    { title: 'Deploy the MicroCloud', argv: ['deploy', '-i', inventory, '--yes'] },
    { title: 'Its status, as microcloud status shows it', argv: ['status', '-i', inventory] },
  ];
}

export async function demo(
  paths: LabPaths,
  runMc: (argv: string[]) => Promise<number>,
  say: (text: string) => void,
): Promise<number> {
  say('Starting a lab of 3 simulated hosts on loopback...\n');
  const state = await labUp(paths, { hosts: 3, realistic: false, timeScale: 1 });
  let status = 0;
  try {
    for (const step of demoSteps(state.inventory)) {
      say(`\n== ${step.title}\n$ mc ${step.argv.join(' ')}\n`);
      status = await runMc(step.argv);
      if (status !== 0) break;
    }
  } finally {
    await labDown(paths);
    say('\nLab stopped.\n');
  }
  return status;
}
