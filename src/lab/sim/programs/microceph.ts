// `microceph` (squid): cluster bootstrap/add/join/list/config, disk add/list/remove, pool set-rf/list, status.
// Command shapes and outputs follow canonical/microceph squid cmd/microceph; errors come from the daemon
// (microcluster and microceph/ceph/osd.go) and are printed by cobra as `Error: <message>`.

import {
  addDisks,
  afterCephBootstrap,
  afterCephJoin,
  availableDisks,
  cephData,
  checkCephBootstrap,
  osdCountOn,
  removeDisk,
  servicesOn,
  setReplicationFactor,
} from '../ceph.js';
import { asciiTable, byteSizeIec, goJson, sortRowsNaturally } from '../format.js';
import { defaultInterfaceAddress } from '../machine.js';
import { bootstrapCluster, clusterOf, issueJoinToken, joinCluster, requireCluster } from '../microcluster.js';
import { splitHostPort } from '../net.js';
import {
  NotModelledError,
  boolFlag,
  cobraFail,
  cobraHelp,
  numberFlag,
  parseGoDuration,
  runCobra,
  stringFlag,
  type CobraApp,
  type ProgramContext,
  type ProgramResult,
} from '../program.js';
import { getMachine } from '../world.js';
import { registerClusterRemove } from './cluster-remove.js';
import { microclusterCli } from './microcluster-cli.js';

/** Keys of microceph's cluster config table (microceph/ceph/config.go GetConstConfigTable), RO marked. */
const CONFIG_KEYS: Record<string, 'ro' | 'rw'> = {
  public_network: 'ro',
  cluster_network: 'rw',
  rbd_default_features: 'rw',
  osd_pool_default_crush_rule: 'rw',
};

/** The daemon's refusal of a config key it does not know (microceph/ceph/config.go). */
const unsupportedKey = (key: string): string =>
  `requested key ${key} is not a MicroCeph supported cluster config`;

function buildApp(ctx: ProgramContext): CobraApp {
  const { world, machine } = ctx;
  const cli = microclusterCli(ctx, { name: 'microceph' });
  const { app, command, waitready, notModelled, clusterList } = cli;

  command(
    'cluster bootstrap',
    'bootstrap',
    'Sets up a new cluster',
    [
      { name: 'microceph-ip', type: 'string' },
      { name: 'mon-ip', type: 'string' },
      { name: 'public-network', type: 'string' },
      { name: 'cluster-network', type: 'string' },
      { name: 'availability-zone', type: 'string' },
    ],
    async (parsed, out, self) => {
      if (parsed.positionals.length !== 0) return cobraHelp(app, self, out);
      const ip = stringFlag(parsed, 'microceph-ip') || defaultInterfaceAddress(machine);
      const options = {
        monIp: stringFlag(parsed, 'mon-ip') || ip,
        publicNetwork: stringFlag(parsed, 'public-network') || null,
        clusterNetwork: stringFlag(parsed, 'cluster-network') || null,
      };
      const problem = checkCephBootstrap(options);
      if (problem) return cobraFail(app, out, problem);
      const { cluster } = await bootstrapCluster(world, machine, 'microceph', ip, ctx.signal);
      afterCephBootstrap(machine, cluster, options);
      return 0;
    },
  );

  command(
    'cluster add',
    'add <NAME>',
    'Generates a token for a new server',
    [{ name: 'timeout', short: 't', type: 'string' }],
    async (parsed, out, self) => {
      if (parsed.positionals.length !== 1) return cobraHelp(app, self, out);
      const duration = parseGoDuration(stringFlag(parsed, 'timeout', '3h'));
      if (!duration.ok) return cobraFail(app, out, `Invalid value for timeout flag: ${duration.error}`);
      out.println(
        await issueJoinToken(world, machine, 'microceph', parsed.positionals[0] as string, duration.ms),
      );
      return 0;
    },
  );

  command(
    'cluster join',
    'join <TOKEN>',
    'Joins an existing cluster',
    [
      { name: 'microceph-ip', type: 'string' },
      { name: 'availability-zone', type: 'string' },
    ],
    async (parsed, out, self) => {
      if (parsed.positionals.length !== 1) return cobraHelp(app, self, out);
      const ip = stringFlag(parsed, 'microceph-ip') || defaultInterfaceAddress(machine);
      const { cluster } = await joinCluster(
        world,
        machine,
        'microceph',
        parsed.positionals[0] as string,
        ip,
        ctx.signal,
      );
      afterCephJoin(machine, cluster);
      return 0;
    },
  );

  clusterList();

  const configTable = (entries: [string, string][]): string =>
    asciiTable(
      ['#', 'Key', 'Value'],
      entries.map(([key, value], i) => [String(i), key, value]),
    );

  command('cluster config get', 'get <key>', 'Get specified Ceph Cluster config', [], (parsed, out, self) => {
    if (parsed.positionals.length !== 1) return cobraHelp(app, self, out);
    const key = parsed.positionals[0] as string;
    const data = cephData(requireCluster(world, machine, 'microceph'));
    if (!(key in CONFIG_KEYS)) return cobraFail(app, out, unsupportedKey(key));
    const value = data.config[key];
    out.print(configTable(value === undefined ? [] : [[key, value]]));
    return 0;
  });

  command('cluster config list', 'list', 'List all set Ceph level configs', [], (_parsed, out) => {
    const data = cephData(requireCluster(world, machine, 'microceph'));
    out.print(configTable(Object.entries(data.config).sort(([a], [b]) => a.localeCompare(b))));
    return 0;
  });

  /** `cluster config set|reset`: only known, writable keys (microceph/ceph/config.go). */
  const configWrite = (
    path: string,
    use: string,
    short: string,
    arity: number,
    apply: (config: Record<string, string>, key: string, value: string) => void,
  ): void =>
    command(
      path,
      use,
      short,
      [
        { name: 'wait', type: 'bool' },
        { name: 'skip-restart', type: 'bool' },
      ],
      (parsed, out, self) => {
        if (parsed.positionals.length !== arity) return cobraHelp(app, self, out);
        const [key = '', value = ''] = parsed.positionals;
        const data = cephData(requireCluster(world, machine, 'microceph'));
        const mode = CONFIG_KEYS[key];
        if (!mode) return cobraFail(app, out, unsupportedKey(key));
        if (mode === 'ro')
          return cobraFail(app, out, `requested key ${key} does not support write operation`);
        apply(data.config, key, value);
        return 0;
      },
    );

  configWrite(
    'cluster config set',
    'set <Key> <Value>',
    'Set specified Ceph Cluster config',
    2,
    (config, key, value) => {
      config[key] = value;
    },
  );

  configWrite(
    'cluster config reset',
    'reset <key>',
    'Clear specified Ceph Cluster config',
    1,
    (config, key) => {
      delete config[key];
    },
  );

  command(
    'disk add',
    'add <SPEC>',
    'Add a new Ceph disk (OSD)',
    [
      { name: 'all-available', type: 'bool' },
      { name: 'wipe', type: 'bool' },
      { name: 'encrypt', type: 'bool' },
      { name: 'wal-device', type: 'string' },
      { name: 'db-device', type: 'string' },
      { name: 'wal-wipe', type: 'bool' },
      { name: 'wal-encrypt', type: 'bool' },
      { name: 'db-wipe', type: 'bool' },
      { name: 'db-encrypt', type: 'bool' },
    ],
    async (parsed, out, self) => {
      const all = boolFlag(parsed, 'all-available');
      if (parsed.positionals.length === 0 && !all) return cobraHelp(app, self, out);
      if (stringFlag(parsed, 'wal-device') || stringFlag(parsed, 'db-device')) {
        throw new NotModelledError('microceph disk add with WAL/DB devices');
      }
      const cluster = requireCluster(world, machine, 'microceph');
      const paths = all
        ? availableDisks(machine, cluster, byteSizeIec).map((d) => d.Path)
        : parsed.positionals;
      if (all && paths.length === 0) {
        out.println('No available disks found on this system.');
        return 0;
      }
      const reports = await addDisks(
        world,
        machine,
        cluster,
        { paths, wipe: boolFlag(parsed, 'wipe'), encrypt: boolFlag(parsed, 'encrypt') },
        ctx.signal,
      );
      // printAddDiskFailures: blank line, PATH/STATUS table, then the single error or a count.
      out.println('');
      out.print(asciiTable(['Path', 'Status'], sortRowsNaturally(reports.map((r) => [r.path, r.report]))));
      const failures = reports.filter((r) => r.report === 'Failure');
      if (failures.length === 1) return cobraFail(app, out, (failures[0] as { error: string }).error);
      if (failures.length > 1) {
        return cobraFail(
          app,
          out,
          `failed adding multiple (${failures.length}) disks, please check logs for details`,
        );
      }
      return 0;
    },
  );

  command(
    'disk list',
    'list',
    'List disks configured in MicroCeph and available unpartitioned disks on this system.',
    [
      { name: 'json', type: 'bool' },
      { name: 'host-only', type: 'bool' },
    ],
    (parsed, out) => {
      const cluster = clusterOf(world, machine, 'microceph');
      if (!cluster) {
        return cobraFail(
          app,
          out,
          `internal error: unable to fetch configured disks: Database is not yet initialized`,
        );
      }
      let configured = [...(cluster.ceph?.osds ?? [])].sort((a, b) => a.osd - b.osd);
      if (boolFlag(parsed, 'host-only')) configured = configured.filter((d) => d.member === machine.hostname);
      const available = availableDisks(machine, cluster, byteSizeIec);
      if (boolFlag(parsed, 'json')) {
        out.println(
          goJson({
            ConfiguredDisks: configured.map((d) => ({ osd: d.osd, path: d.path, location: d.member })),
            AvailableDisks: available,
          }),
        );
        return 0;
      }
      if (configured.length > 0) {
        out.println('Disks configured in MicroCeph:');
        out.print(
          asciiTable(
            ['OSD', 'LOCATION', 'PATH'],
            sortRowsNaturally(configured.map((d) => [String(d.osd), d.member, d.path])),
          ),
        );
      }
      if (available.length > 0) {
        out.println('\nAvailable unpartitioned disks on this system:');
        out.print(
          asciiTable(
            ['MODEL', 'CAPACITY', 'TYPE', 'PATH'],
            sortRowsNaturally(available.map((d) => [d.Model, d.Size, d.Type, d.Path])),
          ),
        );
      }
      return 0;
    },
  );

  command(
    'disk remove',
    'remove <osd-id> [--timeout=300] [--bypass-safety-checks=false] [--confirm-failure-domain-downgrade=false]',
    'Remove a Ceph disk (OSD) given an osd.$id.',
    [
      { name: 'timeout', type: 'int' },
      { name: 'bypass-safety-checks', type: 'bool' },
      { name: 'confirm-failure-domain-downgrade', type: 'bool' },
      { name: 'prohibit-crush-scaledown', type: 'bool' },
    ],
    async (parsed, out, self) => {
      // cmd/microceph/disk_remove.go: cobra.ExactArgs(1), then `$id` or `osd.$id`.
      if (parsed.positionals.length !== 1) return cobraHelp(app, self, out);
      const arg = parsed.positionals[0] as string;
      const id = /^-?\d+$/.test(arg) ? arg : arg.startsWith('osd.') ? arg.slice(4) : null;
      if (id === null)
        return cobraFail(app, out, `error: osd input must be either in the form $id or osd.$id, got ${arg}`);
      if (!/^-?\d+$/.test(id))
        return cobraFail(app, out, `error: osd input must be either in the form $id or osd.$id: got ${arg}`);
      const confirmDowngrade = boolFlag(parsed, 'confirm-failure-domain-downgrade');
      const prohibitCrushScaledown = boolFlag(parsed, 'prohibit-crush-scaledown');
      if (confirmDowngrade && prohibitCrushScaledown) {
        return cobraFail(
          app,
          out,
          'bad Request, --confirm-failure-domain-downgrade and --prohibit-crush-scaledown flags are exclusive to each other',
        );
      }
      const osd = Number(id);
      out.println(`Removing osd.${osd}, timeout ${numberFlag(parsed, 'timeout', 1800)}s`);
      const cluster = requireCluster(world, machine, 'microceph');
      await removeDisk(
        world,
        machine,
        cluster,
        {
          osd,
          bypassSafety: boolFlag(parsed, 'bypass-safety-checks'),
          confirmDowngrade,
          prohibitCrushScaledown,
        },
        ctx.signal,
      );
      return 0;
    },
  );

  command(
    'pool set-rf',
    'set-rf <SIZE> <POOL>...',
    'Set the replication factor for pools',
    [{ name: 'size', type: 'int' }],
    (parsed, out, self) => {
      if (parsed.positionals.length < 1) return cobraHelp(app, self, out);
      const cluster = requireCluster(world, machine, 'microceph');
      setReplicationFactor(cluster, parsed.positionals, numberFlag(parsed, 'size', 3));
      return 0;
    },
  );

  command('pool list', 'list', 'List information about OSD pools', [], (parsed, out, self) => {
    if (parsed.positionals.length !== 0) return cobraHelp(app, self, out);
    const data = cephData(requireCluster(world, machine, 'microceph'));
    out.print(
      asciiTable(
        ['NAME', 'SIZE', 'CRUSH RULE'],
        sortRowsNaturally(data.pools.map((p) => [p.name, String(p.size), p.crushRule])),
      ),
    );
    return 0;
  });

  command('status', 'status', 'Checks the cluster status', [], (_parsed, out) => {
    const cluster = requireCluster(world, machine, 'microceph');
    // status.go: services sorted, `osd` appended when the member has disks (§10.7).
    out.println('MicroCeph deployment summary:');
    for (const member of cluster.members) {
      const disks = osdCountOn(cluster, member.name);
      const services = servicesOn(cluster, member.name).sort();
      if (disks > 0) services.push('osd');
      out.println(`- ${member.name} (${splitHostPort(member.address)?.host ?? member.address})`);
      out.println(`  Services: ${services.join(', ')}`);
      out.println(`  Disks: ${disks}`);
    }
    return 0;
  });

  waitready([{ name: 'timeout', type: 'int' }]);
  registerClusterRemove(cli, ctx, 'microceph');

  notModelled([
    ['init', 'Initializes the MicroCeph cluster interactively'],
    ['enable', 'Enables a feature or service on the cluster'],
    ['disable', 'Disables a feature on the cluster'],
    ['cluster sql', 'Runs a SQL query against the cluster database'],
    ['cluster maintenance', 'Enter or exit the maintenance mode'],
    ['client', 'Manage the MicroCeph clients'],
    ['remote', 'Manage MicroCeph remotes'],
    ['replication', 'Manage MicroCeph replication'],
    ['certificate', 'Manage certificates'],
    ['log', 'Manage the MicroCeph log'],
  ]);
  return app;
}

export async function microcephProgram(ctx: ProgramContext): Promise<ProgramResult> {
  // The CLI talks to its own host's daemon; make sure the machine really is in the world.
  getMachine(ctx.world, ctx.machine.name);
  return runCobra(buildApp(ctx), ctx.argv.slice(1));
}
