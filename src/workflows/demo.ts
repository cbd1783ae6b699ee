// npm run demo: a 3-host lab, the main job run against it with the real commands, then the lab goes.
// Until `mc deploy` exists the job is: ping, install and pin the MicroCloud snaps, bootstrap MicroCeph.
import { labDown, labUp } from './lab.js';
import type { LabPaths } from './lab.js';

export interface DemoStep {
  title: string;
  argv: string[];
}

export function demoSteps(inventory: string): DemoStep[] {
  const run = (title: string, command: string): DemoStep => ({
    title,
    argv: ['run', '-i', inventory, '--', command],
  });
  return [
    { title: 'Connect to every host', argv: ['ping', '-i', inventory] },
    run(
      'Install the MicroCloud snaps, pinned to their LTS channels in one cohort',
      [
        'sudo snap install lxd --channel=5.21/stable --cohort="+"',
        'sudo snap install microceph --channel=squid/stable --cohort="+"',
        'sudo snap install microovn --channel=24.03/stable --cohort="+"',
        'sudo snap install microcloud --channel=2/stable --cohort="+"',
        'sudo snap refresh --hold lxd microceph microovn microcloud',
        'snap list',
      ].join(' && '),
    ),
    {
      title: 'Bootstrap MicroCeph on the first host',
      argv: [
        'run',
        '-i',
        inventory,
        '--limit',
        'node1',
        '--',
        'sudo microceph cluster bootstrap && sudo microceph status',
      ],
    },
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
