import { Command, InvalidArgumentError } from 'commander';
import type { Io } from '../workflows/runtime.js';
import { EXIT_FAILED, EXIT_OK } from './errors.js';
import { positiveInt } from './options.js';

interface LabFlags {
  dir?: string;
  inventoryFile?: string;
}

const positiveNumber = (value: string): number => {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError('--time-scale must be a positive number');
  return n;
};

const labWorkflows = () => import('../workflows/lab.js');

/** `mc lab`: simulated MicroCloud hosts on loopback, for the demo and for trying mc without a cloud. */
export function labCommand(
  io: Io,
  setExit: (code: number) => void,
  runMc: (argv: string[], io: Io) => Promise<number>,
): Command {
  const lab = new Command('lab').description('simulated MicroCloud hosts on this machine (no root needed)');
  const common = (command: Command): Command =>
    command
      .option('--dir <dir>', 'where the lab keeps its keys and state', '.mc/lab')
      .option('--inventory-file <file>', 'where to write the inventory of the lab', 'inventories/lab.yaml');

  lab.addCommand(
    common(new Command('up'))
      .description('start N simulated hosts on loopback and write an inventory for them')
      .option('--hosts <n>', 'how many hosts', positiveInt('--hosts'), 3)
      .option('--realistic', 'simulate real durations (snap install 20 s, bootstrap 30 s, ...)', false)
      .option('--time-scale <factor>', 'multiply simulated durations by this', positiveNumber, 1)
      .action(async (flags: LabFlags & { hosts: number; realistic: boolean; timeScale: number }) => {
        const { labPaths, labUp } = await labWorkflows();
        const paths = labPaths(io.cwd, flags.dir, flags.inventoryFile);
        const state = await labUp(paths, {
          hosts: flags.hosts,
          realistic: flags.realistic,
          timeScale: flags.timeScale,
        });
        io.stdout.write(
          [
            `lab up: ${state.hosts.length} hosts (pid ${state.pid})`,
            ...state.hosts.map((h) => `  ${h.name}  ${h.address}:${h.port}`),
            `inventory: ${state.inventory}`,
            `try: mc ping -i ${state.inventory}`,
            '',
          ].join('\n'),
        );
        setExit(EXIT_OK);
      }),
  );
  lab.addCommand(
    common(new Command('status'))
      .description('show the running lab')
      .action(async (flags: LabFlags) => {
        const { labPaths, labStatus } = await labWorkflows();
        const status = await labStatus(labPaths(io.cwd, flags.dir, flags.inventoryFile));
        if (status === undefined) {
          io.stdout.write('no lab is running\n');
          setExit(EXIT_FAILED);
          return;
        }
        io.stdout.write(
          [
            `lab running since ${status.state.startedAt} (pid ${status.state.pid}), inventory ${status.state.inventory}`,
            ...status.hosts.map((h) => `  ${h.name}  ${h.address}:${h.port}  ${h.listening ? 'up' : 'DOWN'}`),
            '',
          ].join('\n'),
        );
        setExit(status.hosts.every((h) => h.listening) ? EXIT_OK : EXIT_FAILED);
      }),
  );
  lab.addCommand(
    common(new Command('down'))
      .description('stop the lab and remove its files')
      .action(async (flags: LabFlags) => {
        const { labDown, labPaths } = await labWorkflows();
        const stopped = await labDown(labPaths(io.cwd, flags.dir, flags.inventoryFile));
        io.stdout.write(stopped ? 'lab down\n' : 'no lab was running\n');
        setExit(EXIT_OK);
      }),
  );
  lab.addCommand(
    common(new Command('demo'))
      .description('start a 3-host lab, run the main job against it, show the result, stop the lab')
      .action(async (flags: LabFlags) => {
        const [{ labPaths }, { demo }] = await Promise.all([labWorkflows(), import('../workflows/demo.js')]);
        const paths = labPaths(io.cwd, flags.dir, flags.inventoryFile);
        const status = await demo(
          paths,
          (argv) => runMc(argv, io),
          (text) => void io.stdout.write(text),
        );
        setExit(status);
      }),
  );
  lab.addCommand(
    common(new Command('serve'))
      .description('(internal) run the lab in the foreground; mc lab up starts it in the background')
      .requiredOption('--hosts <n>', 'how many hosts', positiveInt('--hosts'))
      .option('--realistic', 'simulate real durations', false)
      .option('--time-scale <factor>', 'multiply simulated durations by this', positiveNumber, 1)
      .action(async (flags: LabFlags & { hosts: number; realistic: boolean; timeScale: number }) => {
        const [{ labPaths }, { serveLab }] = await Promise.all([
          labWorkflows(),
          import('../lab/embedded/serve.js'),
        ]);
        const paths = labPaths(io.cwd, flags.dir, flags.inventoryFile);
        await serveLab({
          dir: paths.dir,
          hosts: flags.hosts,
          inventoryPath: paths.inventory,
          realistic: flags.realistic,
          timeScale: flags.timeScale,
        });
        setExit(EXIT_OK);
      }),
    { hidden: true },
  );
  return lab;
}
