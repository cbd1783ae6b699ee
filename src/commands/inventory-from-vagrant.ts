// `mc inventory from-vagrant`: the inventory of a Vagrant lab, on stdout.
import { Command, Option } from 'commander';
import type { Io } from '../workflows/runtime.js';
import { InputError } from '../domain/input-error.js';
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
  uplinkGateway: string;
  uplinkRange: string;
}

/** The Vagrantfile's uplink network: 192.168.57.0/24, the host its gateway. */
const VAGRANTFILE_UPLINK = { gateway: '192.168.57.1/24', range: '192.168.57.100-192.168.57.254' };

export function fromVagrantCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('from-vagrant')
    .description('write an inventory of the machines of a Vagrant project (runs `vagrant ssh-config`)')
    .option('--dir <dir>', 'the Vagrant project directory', '.')
    .option(
      '--cluster',
      "add a cluster section: uplink NIC and disks chosen from the machines' probed facts",
      false,
    )
    .option(
      '--uplink-gateway <cidr>',
      "with --cluster: the OVN uplink network's IPv4 gateway, or 'none' for no uplink (MicroCloud's FAN fallback)",
      VAGRANTFILE_UPLINK.gateway,
    )
    .option(
      '--uplink-range <first-last>',
      'with --cluster: the addresses OVN may take on the uplink network',
      VAGRANTFILE_UPLINK.range,
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
    .action(async (flags: FromVagrantFlags) => {
      const [{ inventoryFromVagrant, FromVagrantHostError }, { parseAddressWithPrefix, parseIpv4Range }] =
        await Promise.all([import('../workflows/from-vagrant.js'), import('../domain/cluster/spec.js')]);
      const noUplink = flags.uplinkGateway.toLowerCase() === 'none';
      if (!noUplink && parseAddressWithPrefix(flags.uplinkGateway)?.address.family !== 4) {
        throw new InputError([
          `--uplink-gateway: not an IPv4 address with a prefix such as ${VAGRANTFILE_UPLINK.gateway}`,
        ]);
      }
      if (!noUplink && parseIpv4Range(flags.uplinkRange) === null) {
        throw new InputError([
          `--uplink-range: not a range of IPv4 addresses such as ${VAGRANTFILE_UPLINK.range}`,
        ]);
      }
      try {
        const result = await inventoryFromVagrant(
          {
            dir: flags.dir,
            cluster: flags.cluster,
            recordHostKeys: flags.recordHostKeys,
            vagrantTimeout: flags.vagrantTimeout,
            ...(noUplink
              ? {}
              : { uplinkNetwork: { ipv4Gateway: flags.uplinkGateway, ipv4Range: flags.uplinkRange } }),
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
        if (result.problems.length > 0) {
          // Written all the same, so that it can be edited; the exit status stops `&& mc deploy`.
          io.stderr.write(
            `${result.problems.map((p) => `problem: ${p}`).join('\n')}\nmc plan and mc deploy will refuse this cluster section until these are fixed\n`,
          );
          setExit(EXIT_FAILED);
          return;
        }
        setExit(EXIT_OK);
      } catch (err) {
        if (!(err instanceof FromVagrantHostError)) throw err;
        io.stderr.write(`error: ${err.message}\n`);
        setExit(EXIT_FAILED);
      }
    });
}
