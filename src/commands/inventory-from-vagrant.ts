// `mc inventory from-vagrant`: the inventory of a Vagrant lab, on stdout.
import { Command, Option } from 'commander';
import type { Io } from '../workflows/runtime.js';
import { EXIT_FAILED, EXIT_OK } from './errors.js';
import { positiveInt } from './options.js';

interface FromVagrantFlags {
  dir: string;
  cluster: boolean;
  recordHostKeys: boolean;
  vagrantTimeout: number;
  output: 'auto' | 'tty' | 'plain' | 'json';
  timeout: number;
  connectTimeout: number;
  allowVeth: boolean;
}

export function fromVagrantCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('from-vagrant')
    .description('write an inventory of the machines of a Vagrant project (runs `vagrant ssh-config`)')
    .option('--dir <dir>', 'the Vagrant project directory', '.')
    .option(
      '--cluster',
      "add a cluster section: uplink NIC and disks chosen from the machines' probed facts",
      false,
    )
    .option('--record-host-keys', 'record the host keys and check them (Vagrant turns checking off)', false)
    .option(
      '--vagrant-timeout <seconds>',
      'limit for each vagrant command',
      positiveInt('--vagrant-timeout'),
      120,
    )
    .addOption(
      new Option('-o, --output <mode>', 'progress on stderr with --cluster or --record-host-keys')
        .choices(['auto', 'tty', 'plain', 'json'])
        .default('auto'),
    )
    .option('--timeout <seconds>', 'limit for each remote command', positiveInt('--timeout'), 120)
    .option(
      '--connect-timeout <seconds>',
      'limit for the SSH handshake and login',
      positiveInt('--connect-timeout'),
      10,
    )
    .addOption(
      new Option('--allow-veth', 'offer veth NICs as OVN uplinks (test labs)').default(false).hideHelp(),
    )
    .action(async (flags: FromVagrantFlags) => {
      const { inventoryFromVagrant, FromVagrantHostError } = await import('../workflows/from-vagrant.js');
      try {
        const result = await inventoryFromVagrant(
          {
            dir: flags.dir,
            cluster: flags.cluster,
            recordHostKeys: flags.recordHostKeys,
            vagrantTimeout: flags.vagrantTimeout,
            allowVeth: flags.allowVeth,
            run: {
              output: flags.output,
              timeout: flags.timeout,
              connectTimeout: flags.connectTimeout,
              connectRetries: 3,
              forks: 20,
            },
          },
          io,
        );
        for (const note of result.notes) io.stderr.write(`note: ${note}\n`);
        io.stdout.write(result.inventory);
        setExit(EXIT_OK);
      } catch (err) {
        if (!(err instanceof FromVagrantHostError)) throw err;
        io.stderr.write(`error: ${err.message}\n`);
        setExit(EXIT_FAILED);
      }
    });
}
