// `lxc` from the lxd 5.21 snap (canonical/lxd lxc/*.go at lxd-5.21.3): cluster list/show/add/remove/enable/evacuate/restore,
// info (the server), config get/set/unset/show (server keys), config trust add (tokens)/list/list-tokens, storage create/list/show/get/delete and volume create, network
// create/list/show/get/delete, profile show/edit/get/set/unset and device add/get/set/remove/show/list,
// query (GET) and version, against the simulated daemon of this host. Output formats are LXD's
// (shared/cmd/table.go RenderTable, yaml.v2, query's tab-indented JSON); errors print `Error: <msg>`.
// Every other real command is registered and reports itself as not modelled.

import { parse as parseYaml } from 'yaml';
import { asciiTable, compactTable, goCsv, goJson, sortRowsNaturally } from '../format.js';
import {
  LxdError,
  daemonVersionOf,
  isClustered,
  issueLxdJoinToken,
  issueCertificateAddToken,
  certificateAddTokens,
  encodeCertificateAddToken,
  localMemberName,
  lxdCluster,
  lxdDaemonOf,
  lxdDatabase,
  lxdReleaseModelled,
  lxdVersionText,
  lxdMemberViews,
  removeLxdMember,
  resolveTarget,
  serverConfigOf,
  setLxdMemberEvacuated,
  updateServerConfig,
  bootstrapLxdCluster,
} from '../lxd.js';
import {
  clusterMembersApi,
  memberApi,
  networkApi,
  networksApi,
  profileApi,
  resourcesApi,
  serverApi,
  storagePoolApi,
} from '../lxd-api.js';
import {
  authGroupApi,
  authGroupsOf,
  createAuthGroup,
  createProject,
  deleteAuthGroup,
  deleteProject,
  identitiesOf,
  identityApi,
  projectApi,
  projectsOf,
  requireAuthGroup,
  requireIdentity,
  requireProject,
  samePermission,
  setIdentityGroups,
  updateAuthGroup,
  updateProject,
  validateEntityType,
} from '../lxd-auth.js';
import {
  createNetwork,
  deleteNetwork,
  updateNetworkConfig,
  updateNetworkDescription,
} from '../lxd-network.js';
import { profilePut, updateProfile, type ProfilePut } from '../lxd-profiles.js';
import { createCustomVolume, createStoragePool, deleteStoragePool, requirePool } from '../lxd-storage.js';
import type { Machine } from '../machine.js';
import { deleteCustomVolume, forceRemoveLxdMember } from '../member-remove.js';
import { NotModelledError, Output, type ProgramContext, type ProgramResult } from '../program.js';
import type {
  CertificateAddTokenRecord,
  LxdClusterData,
  LxdIdentity,
  LxdPermission,
  World,
} from '../world.js';
import {
  decodedList,
  decodedString,
  decodedStringMap,
  goJsonValue,
  goYaml,
  unmarshalStrict,
  YamlUnmarshalError,
  type Decoded,
  type GoType,
  type GoValue,
} from '../yaml-v2.js';
import {
  CliError,
  checkArgs,
  flagBool,
  flagString,
  helpText,
  runCli,
  unmodelled,
  type CliApp,
  type CliCall,
  type CliCommand,
} from './lxd-cli.js';

/** The remotes of a fresh lxc config (lxc/config/default.go). */
const IMAGE_REMOTES = ['images', 'ubuntu', 'ubuntu-daily', 'ubuntu-minimal', 'ubuntu-minimal-daily'];

/** config.ParseRemote: `remote:name`, the local daemon by default. */
function parseRemote(raw: string): string {
  const colon = raw.indexOf(':');
  if (colon < 0) return raw;
  const remote = raw.slice(0, colon);
  if (remote === 'local') return raw.slice(colon + 1);
  if (IMAGE_REMOTES.includes(remote)) throw new NotModelledError(`lxc against the ${remote} image server`);
  throw new CliError(`The remote "${remote}" doesn't exist`);
}

const FORMAT_FLAG = { name: 'format', short: 'f', type: 'string' } as const;
const TARGET_FLAG = { name: 'target', type: 'string' } as const;
const PROPERTY_FLAG = { name: 'property', short: 'p', type: 'bool' } as const;

/** cli.RenderTable (shared/cmd/table.go). */
function renderTable(format: string, header: string[], rows: string[][], raw: GoValue): string {
  switch (format) {
    case 'table':
      return asciiTable(header, rows);
    case 'compact':
      return compactTable(header, rows);
    case 'csv':
      return goCsv(rows);
    case 'json':
      return `${goJson(goJsonValue(raw))}\n`;
    case 'yaml':
      return goYaml(raw);
    default:
      throw new CliError(`Invalid format ${JSON.stringify(format)}`);
  }
}

/** list-tokens' expiry: Go layout "2006/01/02 15:04 MST", in UTC on the simulated hosts. */
function tokenExpiry(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace(/-/g, '/').replace('T', ' ')} UTC`;
}

/** `lxc query`'s pretty printer: json.Unmarshal into any (map keys sorted), tab indent, no HTML escaping. */
function queryJson(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) out[key] = sortKeys((v as Record<string, unknown>)[key]);
      return out;
    }
    return v;
  };
  return `${JSON.stringify(sortKeys(value), null, '\t')}\n`;
}

/** getConfig (lxc/utils.go): `key value` or `key=value...`. */
function keyValues(args: string[], stdin: string, tty: boolean): Record<string, string> {
  const fromStdin = (value: string): string => (value === '-' && !tty ? stdin : value);
  if (args.length === 2 && !(args[0] as string).includes('=')) {
    return { [args[0] as string]: fromStdin(args[1] as string) };
  }
  const values: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq < 0) throw new CliError(`Invalid key=value configuration: ${arg}`);
    values[arg.slice(0, eq)] = fromStdin(arg.slice(eq + 1));
  }
  return values;
}

const POOL_PUT: GoType & { kind: 'struct' } = {
  kind: 'struct',
  goType: 'api.StoragePoolPut',
  fields: {
    config: { kind: 'map', goType: 'map[string]string', value: { kind: 'string' } },
    description: { kind: 'string' },
  },
};

const PROFILE_PUT: GoType & { kind: 'struct' } = {
  kind: 'struct',
  goType: 'api.ProfilePut',
  fields: {
    config: { kind: 'map', goType: 'map[string]string', value: { kind: 'string' } },
    description: { kind: 'string' },
    devices: {
      kind: 'map',
      goType: 'map[string]map[string]string',
      value: { kind: 'map', goType: 'map[string]string', value: { kind: 'string' } },
    },
  },
};

const VOLUME_PUT: GoType & { kind: 'struct' } = {
  kind: 'struct',
  goType: 'api.StorageVolumePut',
  fields: {
    config: { kind: 'map', goType: 'map[string]string', value: { kind: 'string' } },
    description: { kind: 'string' },
    restore: { kind: 'string' },
  },
};

const PROJECT_PUT: GoType & { kind: 'struct' } = {
  kind: 'struct',
  goType: 'api.ProjectPut',
  fields: {
    config: { kind: 'map', goType: 'map[string]string', value: { kind: 'string' } },
    description: { kind: 'string' },
  },
};

const GROUP_PUT: GoType & { kind: 'struct' } = {
  kind: 'struct',
  goType: 'api.AuthGroupPut',
  fields: {
    description: { kind: 'string' },
    permissions: {
      kind: 'slice',
      goType: '[]api.Permission',
      item: {
        kind: 'struct',
        goType: 'api.Permission',
        fields: { entity_type: { kind: 'string' }, url: { kind: 'string' }, entitlement: { kind: 'string' } },
      },
    },
  },
};

const IDENTITY_PUT: GoType & { kind: 'struct' } = {
  kind: 'struct',
  goType: 'api.IdentityPut',
  fields: {
    groups: { kind: 'slice', goType: '[]string', item: { kind: 'string' } },
    tls_certificate: { kind: 'string' },
  },
};

/**
 * parsePermissionArgs (lxc/auth.go): `<group> <entity_type> [<entity_name>] <entitlement> [<key>=<value>...]`
 * to an api.Permission; the server's own checks follow in updateAuthGroup.
 */
function parsePermissionArgs(args: readonly string[]): LxdPermission {
  const entityType = args[1] as string;
  validateEntityType(entityType);
  if (entityType === 'server') {
    if (args.length !== 3)
      throw new CliError(
        'Expected three arguments: `lxc auth group grant [<remote>:]<group> server <entitlement>`',
      );
    return { entityType, url: '/1.0', entitlement: args[2] as string };
  }
  if (args.length < 4)
    throw new CliError(
      'Expected at least four arguments: `lxc auth group grant [<remote>:]<group> <object_type> <object_name> <entitlement> [<key>=<value>...]`',
    );
  for (const arg of args.slice(4))
    if (!arg.includes('=')) throw new CliError('Supplementary arguments must be of the form <key>=<value>');
  if (entityType !== 'project') throw new NotModelledError(`permissions on ${entityType} entities`);
  if (args.length > 4) throw new NotModelledError('supplementary arguments to a project permission');
  return {
    entityType,
    url: `/1.0/projects/${encodeURIComponent(args[2] as string)}`,
    entitlement: args[3] as string,
  };
}

/** yaml.Unmarshal of what lxc reads from a non-terminal stdin; yaml.v2's errors as lxc prints them. */
function readStdinYaml(
  ctx: ProgramContext,
  type: GoType & { kind: 'struct' },
  strict: boolean,
): Record<string, Decoded> | null {
  if (ctx.tty) throw new NotModelledError('interactive editors and terminal stdin in lxc');
  try {
    return unmarshalStrict(ctx.stdin, type, strict);
  } catch (error) {
    if (error instanceof YamlUnmarshalError) throw new CliError(error.message);
    throw error;
  }
}

function buildApp(ctx: ProgramContext, version: string): CliApp {
  const { world, machine } = ctx;

  /** The machine a `--target` request is served by (only for requests LXD forwards). */
  const targetMachine = (call: CliCall): { host: Machine; targeted: boolean } => {
    const target = flagString(call, 'target');
    if (target === '') return { host: machine, targeted: false };
    return { host: resolveTarget(world, machine, target), targeted: true };
  };

  const requireName = (raw: string, missing: string): string => {
    const name = parseRemote(raw);
    if (name === '') throw new CliError(missing);
    return name;
  };

  const quiet = (call: CliCall): boolean => flagBool(call, 'quiet');

  // --- cluster -------------------------------------------------------------------------------------------
  /** lxc/cluster.go cmdClusterEvacuateAction: one member, a confirmation unless --force, then the state POST. */
  function evacuateCommand(name: 'evacuate' | 'restore', short: string, aliases: string[] = []): CliCommand {
    return {
      name,
      aliases,
      use: '[<remote>:]<member>',
      short,
      flags: [
        { name: 'force', type: 'bool' },
        ...(name === 'evacuate' ? [{ name: 'action', type: 'string' } as const] : []),
      ],
      run: (call) => {
        checkArgs(call, app, 1, 1);
        const member = parseRemote(call.args[0] as string);
        if (member === '') throw new CliError('Missing cluster member name');
        if (!flagBool(call, 'force'))
          throw new NotModelledError(`lxc cluster ${name} without --force (its yes/no question)`);
        const mode = name === 'evacuate' ? flagString(call, 'action') : '';
        // Modes choose what happens to instances, which are not modelled; an unknown one is refused there too.
        if (mode !== '') throw new NotModelledError(`lxc cluster evacuate --action ${mode}`);
        try {
          setLxdMemberEvacuated(world, machine, member, name === 'evacuate');
        } catch (error) {
          if (error instanceof LxdError && error.message === 'Cluster member not found')
            throw new CliError(`Failed to update cluster member state: ${error.message}`);
          throw error;
        }
      },
    };
  }

  const cluster: CliCommand = {
    name: 'cluster',
    short: 'Manage cluster members',
    children: [
      {
        name: 'list',
        aliases: ['ls'],
        use: '[<remote>:]',
        short: 'List all the cluster members',
        flags: [FORMAT_FLAG],
        run: (call) => {
          checkArgs(call, app, 0, 1);
          if (call.args[0] !== undefined) parseRemote(call.args[0]);
          const state = lxdCluster(world, machine);
          if (!state) throw new CliError("LXD server isn't part of a cluster");
          const format = flagString(call, 'format') || 'table';
          const views = lxdMemberViews(world, state);
          const rows = sortRowsNaturally(
            views.map((v) => {
              const member = memberApi(v, world.clock.now());
              return [
                v.record.name,
                member['url'] as string,
                v.roles.join(format === 'csv' ? ',' : '\n'),
                member['architecture'] as string,
                'default',
                '',
                (member['status'] as string).toUpperCase(),
                member['message'] as string,
              ];
            }),
          );
          const header = [
            'NAME',
            'URL',
            'ROLES',
            'ARCHITECTURE',
            'FAILURE DOMAIN',
            'DESCRIPTION',
            'STATE',
            'MESSAGE',
          ];
          call.out.print(
            renderTable(
              format,
              header,
              rows,
              views.map((v) => memberApi(v, world.clock.now())),
            ),
          );
        },
      },
      {
        name: 'show',
        use: '[<remote>:]<member>',
        short: 'Show details of a cluster member',
        run: (call) => {
          checkArgs(call, app, 1, 1);
          const name = parseRemote(call.args[0] as string);
          const member = clusterMembersApi(world, machine).find((m) => m['server_name'] === name);
          if (!member) throw new LxdError('Cluster member not found');
          call.out.print(goYaml(member));
        },
      },
      {
        name: 'add',
        use: '[[<remote>:]<member>]',
        short: 'Request a join token for adding a cluster member',
        flags: [{ name: 'name', type: 'string' }],
        run: async (call) => {
          checkArgs(call, app, 1, 1);
          const name = parseRemote(call.args[0] as string);
          const flagName = flagString(call, 'name');
          if (name !== '' && flagName !== '' && name !== flagName)
            throw new CliError('Cluster member name was provided as both a flag and as an argument');
          const member = name || flagName;
          if (member === '') throw new NotModelledError('lxc cluster add prompting for the member name');
          const token = await issueLxdJoinToken(world, machine, member);
          if (!quiet(call)) call.out.println(`Member ${member} join token:`);
          call.out.println(token);
        },
      },
      {
        name: 'remove',
        aliases: ['rm'],
        use: '[<remote>:]<member>',
        short: 'Remove a member from the cluster',
        flags: [
          { name: 'force', short: 'f', type: 'bool' },
          { name: 'yes', type: 'bool' },
        ],
        run: (call) => {
          checkArgs(call, app, 1, 1);
          const name = parseRemote(call.args[0] as string);
          if (flagBool(call, 'force')) {
            // Without --yes lxc asks on the terminal first (lxc/cluster.go promptConfirmation).
            if (!flagBool(call, 'yes')) throw new NotModelledError('lxc cluster remove --force prompting');
            forceRemoveLxdMember(world, machine, name);
          } else removeLxdMember(world, machine, name);
          if (!quiet(call)) call.out.println(`Member ${name} removed`);
        },
      },
      {
        name: 'enable',
        use: '[<remote>:] <name>',
        short: 'Enable clustering on a single non-clustered LXD server',
        run: async (call) => {
          checkArgs(call, app, 1, 2);
          if (call.args.length === 2) parseRemote(call.args[0] as string);
          const name = call.args.length === 2 ? (call.args[1] as string) : (call.args[0] as string);
          const config = serverConfigOf(world, machine);
          if (!config['core.https_address'] && !config['cluster.https_address'])
            throw new CliError('This LXD server is not available on the network');
          if (isClustered(machine)) throw new CliError('This LXD server is already clustered');
          try {
            await bootstrapLxdCluster(world, machine, name, ctx.signal);
          } catch (error) {
            if (error instanceof LxdError)
              throw new CliError(`Failed to configure cluster: ${error.message}`);
            throw error;
          }
          call.out.println('Clustering enabled');
        },
      },
      unmodelled('info', 'Show useful information about a cluster member'),
      unmodelled('get', 'Get values for cluster member configuration keys'),
      unmodelled('set', "Set a cluster member's configuration keys"),
      unmodelled('unset', "Unset a cluster member's configuration keys"),
      unmodelled('rename', 'Rename a cluster member', ['mv']),
      unmodelled('edit', 'Edit cluster member configurations as YAML'),
      unmodelled('list-tokens', 'List all active cluster member join tokens'),
      unmodelled('revoke-token', 'Revoke cluster member join token'),
      unmodelled('update-certificate', 'Update cluster certificate', ['update-cert']),
      evacuateCommand('evacuate', 'Evacuate cluster member', ['evac']),
      evacuateCommand('restore', 'Restore cluster member'),
      unmodelled('group', 'Manage cluster groups'),
      unmodelled('role', 'Manage cluster roles'),
    ],
  };

  // --- config --------------------------------------------------------------------------------------------
  /** Server keys through GET/PUT /1.0 on this member or `--target`'s; instances are not modelled. */
  const serverTarget = (call: CliCall): Machine => {
    const target = flagString(call, 'target');
    if (target === '') return machine;
    if (!isClustered(machine))
      throw new CliError('To use --target, the destination remote must be a cluster');
    return resolveTarget(world, machine, target);
  };
  const instanceConfig = (): never => {
    throw new NotModelledError('instances (lxc config on an instance)');
  };
  const configSet = (call: CliCall, args: string[]): void => {
    const isConfig = (value: string): boolean => (value.split(':').at(-1) ?? '').includes('.');
    const onlyKeyValue = args.every((a) => a.includes('='));
    const hasKeyValue = args.some((a) => a.includes('='));
    const serverForm = onlyKeyValue || isConfig(args[0] as string) || (args.length === 2 && !hasKeyValue);
    const remote = serverForm ? '' : (args[0] as string);
    if (remote !== '' && parseRemote(remote) !== '') instanceConfig();
    const keys = keyValues(remote === '' ? args : args.slice(1), ctx.stdin, ctx.tty);
    const host = serverTarget(call);
    updateServerConfig(world, host, keys);
  };
  // lxc/config_trust.go: tokens only (adding a certificate file, remove, show, edit are not modelled).
  const trust: CliCommand = {
    name: 'trust',
    short: 'Manage trusted clients',
    children: [
      {
        name: 'add',
        use: '[<remote>:] [<cert>]',
        short: 'Add new trusted client',
        flags: [
          { name: 'restricted', type: 'bool' },
          { name: 'projects', type: 'string' },
          { name: 'name', type: 'string' },
          { name: 'type', type: 'string' },
        ],
        run: (call) => {
          checkArgs(call, app, 0, 2);
          const type = flagString(call, 'type') || 'client';
          if (type !== 'client' && type !== 'metrics')
            throw new CliError(`Unknown certificate type ${JSON.stringify(type)}`);
          const remote = call.args[0] ?? '';
          const useToken = call.args.length === 0 || (call.args.length === 1 && parseRemote(remote) === '');
          if (!useToken) throw new NotModelledError('lxc config trust add with a certificate file');
          const name = flagString(call, 'name');
          if (name === '') throw new NotModelledError('lxc config trust add asking for the client name');
          if (type === 'metrics')
            throw new CliError('Cannot use metrics type certificate when using a token');
          if (flagBool(call, 'restricted') || flagString(call, 'projects') !== '')
            throw new NotModelledError('restricted trust tokens');
          const { token } = issueCertificateAddToken(world, machine, name);
          if (!quiet(call)) call.out.println(`Client ${name} certificate add token:`);
          call.out.println(token);
        },
      },
      {
        name: 'list',
        aliases: ['ls'],
        use: '[<remote>:]',
        short: 'List trusted clients',
        flags: [FORMAT_FLAG],
        run: (call) => {
          checkArgs(call, app, 0, 1);
          if (call.args[0] !== undefined) parseRemote(call.args[0]);
          // The simulator keeps no trusted client certificates: no token is ever redeemed here.
          call.out.print(
            renderTable(
              flagString(call, 'format'),
              ['TYPE', 'NAME', 'COMMON NAME', 'FINGERPRINT', 'ISSUE DATE', 'EXPIRY DATE'],
              [],
              [],
            ),
          );
        },
      },
      {
        name: 'list-tokens',
        use: '[<remote>:]',
        short: 'List all active certificate add tokens',
        flags: [FORMAT_FLAG],
        run: (call) => {
          checkArgs(call, app, 0, 1);
          if (call.args[0] !== undefined) parseRemote(call.args[0]);
          const tokens = certificateAddTokens(world, machine);
          const expiry = (t: CertificateAddTokenRecord): string =>
            t.expiresAt === 0 ? '' : tokenExpiry(t.expiresAt);
          const rows = tokens.map((t) => [t.clientName, encodeCertificateAddToken(t), expiry(t)]);
          const raw = tokens.map(
            (t) =>
              new Map<string, GoValue>([
                ['ClientName', t.clientName],
                ['Token', encodeCertificateAddToken(t)],
                ['ExpiresAt', expiry(t)],
              ]),
          );
          call.out.print(renderTable(flagString(call, 'format'), ['NAME', 'TOKEN', 'EXPIRES AT'], rows, raw));
        },
      },
      unmodelled('edit', 'Edit trust configurations as YAML'),
      unmodelled('remove', 'Remove trusted client', ['rm']),
      unmodelled('revoke-token', 'Revoke certificate add token'),
      unmodelled('show', 'Show trust configurations'),
    ],
  };
  const config: CliCommand = {
    name: 'config',
    short: 'Manage instance and server configuration options',
    children: [
      {
        name: 'get',
        use: '[<remote>:][<instance>] <key>',
        short: 'Get values for instance or server configuration keys',
        flags: [{ name: 'expanded', short: 'e', type: 'bool' }, PROPERTY_FLAG, TARGET_FLAG],
        run: (call) => {
          checkArgs(call, app, 1, 2);
          if (call.args.length > 1 && parseRemote(call.args[0] as string) !== '') instanceConfig();
          if (flagBool(call, 'expanded')) throw new CliError('--expanded cannot be used with a server');
          const host = serverTarget(call);
          call.out.println(serverConfigOf(world, host)[call.args.at(-1) as string] ?? '');
        },
      },
      {
        name: 'set',
        use: '[<remote>:][<instance>] <key>=<value>...',
        short: 'Set instance or server configuration keys',
        flags: [PROPERTY_FLAG, TARGET_FLAG],
        run: (call) => {
          checkArgs(call, app, 1, -1);
          configSet(call, call.args);
        },
      },
      {
        name: 'unset',
        use: '[<remote>:][<instance>] <key>',
        short: 'Unset instance or server configuration keys',
        flags: [PROPERTY_FLAG, TARGET_FLAG],
        run: (call) => {
          checkArgs(call, app, 1, 2);
          configSet(call, [...call.args, '']);
        },
      },
      {
        name: 'show',
        use: '[<remote>:][<instance>[/<snapshot>]]',
        short: 'Show instance or server configurations',
        flags: [{ name: 'expanded', short: 'e', type: 'bool' }, TARGET_FLAG],
        run: (call) => {
          checkArgs(call, app, 0, 1);
          if (call.args[0] !== undefined && parseRemote(call.args[0]) !== '') instanceConfig();
          if (flagBool(call, 'expanded')) throw new CliError('--expanded cannot be used with a server');
          const host = serverTarget(call);
          const values = new Map<string, GoValue>(Object.entries(serverConfigOf(world, host)));
          call.out.print(goYaml({ config: values }));
        },
      },
      unmodelled('edit', 'Edit instance or server configurations as YAML'),
      unmodelled('device', 'Manage devices'),
      unmodelled('metadata', 'Manage instance metadata files'),
      unmodelled('template', 'Manage instance file templates'),
      trust,
      unmodelled('uefi', 'Manage instance UEFI variables'),
      { ...unmodelled('profile', 'Manage profiles'), hidden: true },
    ],
  };

  // --- storage -------------------------------------------------------------------------------------------
  const storage: CliCommand = {
    name: 'storage',
    short: 'Manage storage pools and volumes',
    children: [
      {
        name: 'create',
        use: '[<remote>:]<pool> <driver> [key=value...]',
        short: 'Create storage pools',
        flags: [TARGET_FLAG],
        run: (call) => {
          checkArgs(call, app, 2, -1);
          const put = ctx.tty ? null : readStdinYaml(ctx, POOL_PUT, false);
          const name = parseRemote(call.args[0] as string);
          let poolConfig: Record<string, string>;
          const stdinConfig = put?.['config'];
          if (stdinConfig !== undefined && stdinConfig !== null) poolConfig = decodedStringMap(stdinConfig);
          else {
            poolConfig = {};
            for (const arg of call.args.slice(2)) {
              const eq = arg.indexOf('=');
              if (eq < 0) throw new CliError(`Bad key=value pair: [${arg}]`);
              poolConfig[arg.slice(0, eq)] = arg.slice(eq + 1);
            }
          }
          const target = flagString(call, 'target');
          createStoragePool(
            world,
            machine,
            {
              name,
              driver: call.args[1] as string,
              description: decodedString(put?.['description']),
              config: poolConfig,
            },
            target === '' ? null : target,
          );
          if (!quiet(call)) {
            call.out.println(
              target === ''
                ? `Storage pool ${name} created`
                : `Storage pool ${name} pending on member ${target}`,
            );
          }
        },
      },
      {
        name: 'delete',
        aliases: ['rm'],
        use: '[<remote>:]<pool>',
        short: 'Delete storage pools',
        run: (call) => {
          checkArgs(call, app, 1, 1);
          const name = requireName(call.args[0] as string, 'Missing pool name');
          deleteStoragePool(world, machine, name);
          if (!quiet(call)) call.out.println(`Storage pool ${name} deleted`);
        },
      },
      {
        name: 'list',
        aliases: ['ls'],
        use: '[<remote>:]',
        short: 'List available storage pools',
        flags: [FORMAT_FLAG],
        run: (call) => {
          checkArgs(call, app, 0, 1);
          if (call.args[0] !== undefined) parseRemote(call.args[0]);
          const clustered = isClustered(machine);
          const pools = lxdDatabase(world, machine).storagePools.map((p) =>
            storagePoolApi(world, machine, p, false),
          );
          const rows = sortRowsNaturally(
            pools.map((pool) => {
              const row = [pool['name'] as string, pool['driver'] as string];
              if (!clustered)
                row.push(
                  ((pool['config'] as Map<string, GoValue>).get('source') as string | undefined) ?? '',
                );
              row.push(
                pool['description'] as string,
                String((pool['used_by'] as string[]).length),
                (pool['status'] as string).toUpperCase(),
              );
              return row;
            }),
          );
          const header = [
            'NAME',
            'DRIVER',
            ...(clustered ? [] : ['SOURCE']),
            'DESCRIPTION',
            'USED BY',
            'STATE',
          ];
          call.out.print(renderTable(flagString(call, 'format') || 'table', header, rows, pools));
        },
      },
      {
        name: 'show',
        use: '[<remote>:]<pool>',
        short: 'Show storage pool configurations and resources',
        flags: [{ name: 'resources', type: 'bool' }, TARGET_FLAG],
        run: (call) => {
          checkArgs(call, app, 1, 1);
          const name = requireName(call.args[0] as string, 'Missing pool name');
          if (flagBool(call, 'resources')) throw new NotModelledError('lxc storage show --resources');
          const { host, targeted } = targetMachine(call);
          const pool = storagePoolApi(world, host, requirePool(lxdDatabase(world, host), name), targeted);
          pool['used_by'] = [...(pool['used_by'] as string[])].sort();
          call.out.print(goYaml(pool));
        },
      },
      {
        name: 'get',
        use: '[<remote>:]<pool> <key>',
        short: 'Get values for storage pool configuration keys',
        flags: [TARGET_FLAG, PROPERTY_FLAG],
        run: (call) => {
          checkArgs(call, app, 2, 2);
          const name = requireName(call.args[0] as string, 'Missing pool name');
          if (flagBool(call, 'property')) throw new NotModelledError('lxc storage get --property');
          const { host, targeted } = targetMachine(call);
          const pool = storagePoolApi(world, host, requirePool(lxdDatabase(world, host), name), targeted);
          const value = (pool['config'] as Map<string, GoValue>).get(call.args[1] as string);
          if (value !== undefined) call.out.println(value as string);
        },
      },
      unmodelled('edit', 'Edit storage pool configurations as YAML'),
      unmodelled('info', 'Show useful information about storage pools'),
      unmodelled('set', 'Set storage pool configuration keys'),
      unmodelled('unset', 'Unset storage pool configuration keys'),
      unmodelled('bucket', 'Manage storage buckets'),
      {
        name: 'volume',
        short: 'Manage storage volumes',
        children: [
          {
            name: 'create',
            use: '[<remote>:]<pool> <volume> [key=value...]',
            short: 'Create new custom storage volumes',
            flags: [TARGET_FLAG, { name: 'type', type: 'string' }],
            run: (call) => {
              checkArgs(call, app, 2, -1);
              const pool = requireName(call.args[0] as string, 'Missing pool name');
              const put = ctx.tty ? null : readStdinYaml(ctx, VOLUME_PUT, true);
              const volume = call.args[1] as string;
              if (volume.includes('/')) throw new NotModelledError('storage volume names with a type prefix');
              const volumeConfig = decodedStringMap(put?.['config']);
              for (const arg of call.args.slice(2)) {
                const eq = arg.indexOf('=');
                if (eq < 0) throw new CliError(`Bad key=value pair: [${arg}]`);
                volumeConfig[arg.slice(0, eq)] = arg.slice(eq + 1);
              }
              const type = call.parsed.given.includes('type') ? flagString(call, 'type') : 'filesystem';
              const { host } = targetMachine(call);
              createCustomVolume(world, host, pool, volume, type, volumeConfig);
              if (!quiet(call)) call.out.println(`Storage volume ${volume} created`);
            },
          },
          {
            name: 'delete',
            aliases: ['rm'],
            use: '[<remote>:]<pool> <volume>',
            short: 'Delete custom storage volumes',
            flags: [TARGET_FLAG],
            run: (call) => {
              checkArgs(call, app, 2, 2);
              const pool = requireName(call.args[0] as string, 'Missing pool name');
              const volume = call.args[1] as string;
              if (volume.includes('/')) throw new NotModelledError('storage volume names with a type prefix');
              deleteCustomVolume(world, targetMachine(call).host, pool, volume);
              if (!quiet(call)) call.out.println(`Storage volume ${volume} deleted`);
            },
          },
          ...[
            ['attach', 'Attach new custom storage volumes to instances'],
            ['attach-profile', 'Attach new custom storage volumes to profiles'],
            ['copy', 'Copy custom storage volumes'],
            ['detach', 'Detach custom storage volumes from instances'],
            ['detach-profile', 'Detach custom storage volumes from profiles'],
            ['edit', 'Edit storage volume configurations as YAML'],
            ['export', 'Export custom storage volume'],
            ['get', 'Get values for storage volume configuration keys'],
            ['import', 'Import custom storage volumes'],
            ['info', 'Show storage volume state information'],
            ['list', 'List storage volumes'],
            ['move', 'Move custom storage volumes between pools'],
            ['rename', 'Rename custom storage volumes'],
            ['set', 'Set storage volume configuration keys'],
            ['show', 'Show storage volume configurations'],
            ['snapshot', 'Snapshot storage volumes'],
            ['restore', 'Restore storage volume snapshots'],
            ['unset', 'Unset storage volume configuration keys'],
          ].map(([name, short]) =>
            unmodelled(
              name as string,
              short as string,
              name === 'list' ? ['ls'] : name === 'copy' ? ['cp'] : [],
            ),
          ),
        ],
      },
    ],
  };

  // --- network -------------------------------------------------------------------------------------------
  const network: CliCommand = {
    name: 'network',
    short: 'Manage and attach instances to networks',
    children: [
      {
        name: 'create',
        use: '[<remote>:]<network> [key=value...]',
        short: 'Create new networks',
        flags: [TARGET_FLAG, { name: 'type', short: 't', type: 'string' }],
        run: (call) => {
          checkArgs(call, app, 1, -1);
          const name = parseRemote(call.args[0] as string);
          const networkConfig: Record<string, string> = {};
          for (const arg of call.args.slice(1)) {
            const eq = arg.indexOf('=');
            if (eq < 0) throw new CliError(`Bad key/value pair: ${arg}`);
            networkConfig[arg.slice(0, eq)] = arg.slice(eq + 1);
          }
          const target = flagString(call, 'target');
          createNetwork(
            world,
            machine,
            { name, type: flagString(call, 'type'), description: '', config: networkConfig },
            target === '' ? null : target,
          );
          if (!quiet(call)) {
            call.out.println(
              target === '' ? `Network ${name} created` : `Network ${name} pending on member ${target}`,
            );
          }
        },
      },
      {
        name: 'delete',
        aliases: ['rm'],
        use: '[<remote>:]<network>',
        short: 'Delete networks',
        run: (call) => {
          checkArgs(call, app, 1, 1);
          const name = requireName(call.args[0] as string, 'Missing network name');
          deleteNetwork(world, machine, name);
          if (!quiet(call)) call.out.println(`Network ${name} deleted`);
        },
      },
      {
        name: 'list',
        aliases: ['ls'],
        use: '[<remote>:]',
        short: 'List available networks',
        flags: [FORMAT_FLAG],
        run: (call) => {
          checkArgs(call, app, 0, 1);
          if (call.args[0] !== undefined && parseRemote(call.args[0]) !== '')
            throw new CliError("Filtering isn't supported yet");
          const networks = networksApi(world, machine);
          const rows = sortRowsNaturally(
            networks
              .filter((n) => !['loopback', 'unknown'].includes(n['type'] as string))
              .map((n) => {
                const networkConfig = n['config'] as Map<string, GoValue>;
                return [
                  n['name'] as string,
                  n['type'] as string,
                  n['managed'] === true ? 'YES' : 'NO',
                  (networkConfig.get('ipv4.address') as string | undefined) ?? '',
                  (networkConfig.get('ipv6.address') as string | undefined) ?? '',
                  n['description'] as string,
                  String((n['used_by'] as string[]).length),
                  (n['status'] as string).toUpperCase(),
                ];
              }),
          );
          const header = ['NAME', 'TYPE', 'MANAGED', 'IPV4', 'IPV6', 'DESCRIPTION', 'USED BY', 'STATE'];
          call.out.print(renderTable(flagString(call, 'format') || 'table', header, rows, networks));
        },
      },
      {
        name: 'show',
        use: '[<remote>:]<network>',
        short: 'Show network configurations',
        flags: [TARGET_FLAG],
        run: (call) => {
          checkArgs(call, app, 1, 1);
          const name = requireName(call.args[0] as string, 'Missing network name');
          const { host, targeted } = targetMachine(call);
          const result = networkApi(world, host, name, targeted);
          result['used_by'] = [...(result['used_by'] as string[])].sort();
          call.out.print(goYaml(result));
        },
      },
      {
        name: 'get',
        use: '[<remote>:]<network> <key>',
        short: 'Get values for network configuration keys',
        flags: [TARGET_FLAG, PROPERTY_FLAG],
        run: (call) => {
          checkArgs(call, app, 2, 2);
          const name = requireName(call.args[0] as string, 'Missing network name');
          if (flagBool(call, 'property')) throw new NotModelledError('lxc network get --property');
          const { host, targeted } = targetMachine(call);
          const value = (networkApi(world, host, name, targeted)['config'] as Map<string, GoValue>).get(
            call.args[1] as string,
          );
          if (value !== undefined) call.out.println(value as string);
        },
      },
      {
        // lxc/network.go cmdNetworkSet at lxd-5.21.3: GET the network, refuse an unmanaged one, then PUT it
        // back changed. Modelled: global config keys of a physical network (updateNetworkConfig), and
        // --property description (a NetworkPut field, matched case-insensitively by
        // mapstructure; keys that are no field are ignored). `lxc network create` reads no stdin in 5.21, so
        // this is how a description is set with the 5.21 client.
        name: 'set',
        use: '[<remote>:]<network> <key>=<value>...',
        short: 'Set network configuration keys',
        flags: [TARGET_FLAG, PROPERTY_FLAG],
        run: (call) => {
          checkArgs(call, app, 2, -1);
          if (flagString(call, 'target') !== '') throw new NotModelledError('lxc network set --target');
          const name = requireName(call.args[0] as string, 'Missing network name');
          if (networkApi(world, machine, name, false)['managed'] !== true) {
            throw new CliError('Only managed networks can be modified');
          }
          const keys = keyValues(call.args.slice(1), ctx.stdin, ctx.tty);
          if (!flagBool(call, 'property')) {
            updateNetworkConfig(world, machine, name, keys);
            return;
          }
          let description: string | null = null;
          for (const [key, value] of Object.entries(keys)) {
            if (key.toLowerCase() === 'description') description = value;
            else if (key.toLowerCase() === 'config')
              throw new NotModelledError('lxc network set --property config');
          }
          const current = networkApi(world, machine, name, false)['description'] as string;
          updateNetworkDescription(world, machine, name, description ?? current);
        },
      },
      {
        // lxc/network.go cmdNetworkEdit: with a stdin that is not a terminal, the YAML read from it is
        // unmarshalled into api.NetworkPut (config, description) and PUT as a whole (networkPut). Modelled: a
        // PUT without --target that keeps the global config as GET shows it and changes the description,
        // which is what `show` then `edit` does on every LXD version (5.0's `network set` has no --property).
        name: 'edit',
        use: '[<remote>:]<network>',
        short: 'Edit network configurations as YAML',
        flags: [TARGET_FLAG],
        run: (call) => {
          checkArgs(call, app, 1, 1);
          if (ctx.tty) throw new NotModelledError('lxc network edit in an editor');
          if (flagString(call, 'target') !== '') throw new NotModelledError('lxc network edit --target');
          const name = requireName(call.args[0] as string, 'Missing network name');
          const current = networkApi(world, machine, name, false);
          let put: unknown;
          try {
            put = parseYaml(ctx.stdin);
          } catch (err) {
            throw new CliError(`yaml: ${err instanceof Error ? err.message : String(err)}`);
          }
          const fields = (put ?? {}) as { config?: unknown; description?: unknown };
          const config = (fields.config ?? {}) as Record<string, unknown>;
          const shown = Object.fromEntries(current['config'] as Map<string, GoValue>);
          const same =
            Object.keys(config).length === Object.keys(shown).length &&
            Object.entries(config).every(([k, v]) => shown[k] === String(v));
          if (!same) throw new NotModelledError('lxc network edit changing the config');
          const description = fields.description ?? '';
          if (typeof description !== 'string') throw new CliError('yaml: description is not a string');
          updateNetworkDescription(world, machine, name, description);
        },
      },
      ...[
        ['attach', 'Attach network interfaces to instances'],
        ['attach-profile', 'Attach network interfaces to profiles'],
        ['detach', 'Detach network interfaces from instances'],
        ['detach-profile', 'Detach network interfaces from profiles'],
        ['info', 'Get runtime information on networks'],
        ['list-allocations', 'List network allocations in use'],
        ['list-leases', 'List DHCP leases'],
        ['unset', 'Unset network configuration keys'],
        ['acl', 'Manage network ACLs'],
        ['forward', 'Manage network forwards'],
        ['load-balancer', 'Manage network load balancers'],
        ['peer', 'Manage network peerings'],
        ['zone', 'Manage network zones'],
      ].map(([name, short]) => unmodelled(name as string, short as string)),
      unmodelled('rename', 'Rename networks', ['mv']),
    ],
  };

  // --- profile -------------------------------------------------------------------------------------------
  const profileName = (call: CliCall): string => requireName(call.args[0] as string, 'Missing profile name');
  const deviceName = (call: CliCall): string => requireName(call.args[0] as string, 'Missing name');
  const withProfile = (name: string, change: (put: ProfilePut) => void): void => {
    const put = profilePut(world, machine, name);
    change(put);
    updateProfile(world, machine, name, put);
  };
  const profile: CliCommand = {
    name: 'profile',
    short: 'Manage profiles',
    children: [
      {
        name: 'show',
        use: '[<remote>:]<profile>',
        short: 'Show profile configurations',
        run: (call) => {
          checkArgs(call, app, 1, 1);
          call.out.print(goYaml(profileApi(world, machine, profileName(call))));
        },
      },
      {
        name: 'edit',
        use: '[<remote>:]<profile>',
        short: 'Edit profile configurations as YAML',
        run: (call) => {
          checkArgs(call, app, 1, 1);
          const name = profileName(call);
          const put = readStdinYaml(ctx, PROFILE_PUT, false) ?? {};
          const devices: Record<string, Record<string, string>> = {};
          const raw = put['devices'];
          if (raw !== null && raw !== undefined && typeof raw === 'object' && !Array.isArray(raw)) {
            for (const [key, value] of Object.entries(raw)) devices[key] = decodedStringMap(value);
          }
          updateProfile(world, machine, name, {
            description: decodedString(put['description']),
            config: decodedStringMap(put['config']),
            devices,
          });
        },
      },
      {
        name: 'get',
        use: '[<remote>:]<profile> <key>',
        short: 'Get values for profile configuration keys',
        flags: [PROPERTY_FLAG],
        run: (call) => {
          checkArgs(call, app, 2, 2);
          if (flagBool(call, 'property')) throw new NotModelledError('lxc profile get --property');
          call.out.println(
            profilePut(world, machine, profileName(call)).config[call.args[1] as string] ?? '',
          );
        },
      },
      {
        name: 'set',
        use: '[<remote>:]<profile> <key><value>...',
        short: 'Set profile configuration keys',
        flags: [PROPERTY_FLAG],
        run: (call) => {
          checkArgs(call, app, 2, -1);
          if (flagBool(call, 'property')) throw new NotModelledError('lxc profile set --property');
          const name = profileName(call);
          const keys = keyValues(call.args.slice(1), ctx.stdin, ctx.tty);
          withProfile(name, (put) => {
            for (const [key, value] of Object.entries(keys)) {
              if (value === '') delete put.config[key];
              else put.config[key] = value;
            }
          });
        },
      },
      {
        name: 'unset',
        use: '[<remote>:]<profile> <key>',
        short: 'Unset profile configuration keys',
        flags: [PROPERTY_FLAG],
        run: (call) => {
          checkArgs(call, app, 2, 2);
          if (flagBool(call, 'property')) throw new NotModelledError('lxc profile unset --property');
          const name = profileName(call);
          withProfile(name, (put) => {
            delete put.config[call.args[1] as string];
          });
        },
      },
      {
        name: 'device',
        short: 'Manage devices',
        children: [
          {
            name: 'add',
            use: '[<remote>:]<profile> <device> <type> [key=value...]',
            short: 'Add instance devices',
            run: (call) => {
              checkArgs(call, app, 3, -1);
              const name = deviceName(call);
              const device = call.args[1] as string;
              const config: Record<string, string> = { type: call.args[2] as string };
              for (const prop of call.args.slice(3)) {
                const eq = prop.indexOf('=');
                if (eq < 0) throw new CliError(`No value found in ${JSON.stringify(prop)}`);
                config[prop.slice(0, eq)] = prop.slice(eq + 1);
              }
              withProfile(name, (put) => {
                if (put.devices[device]) throw new CliError('The device already exists');
                put.devices[device] = config;
              });
              if (!quiet(call)) call.out.println(`Device ${device} added to ${name}`);
            },
          },
          {
            name: 'get',
            use: '[<remote>:]<profile> <device> <key>',
            short: 'Get values for device configuration keys',
            run: (call) => {
              checkArgs(call, app, 3, 3);
              const device = profilePut(world, machine, deviceName(call)).devices[call.args[1] as string];
              if (!device) throw new CliError("Device doesn't exist");
              call.out.println(device[call.args[2] as string] ?? '');
            },
          },
          {
            name: 'set',
            use: '[<remote>:]<profile> <device> <key>=<value>...',
            short: 'Set device configuration keys',
            run: (call) => {
              checkArgs(call, app, 3, -1);
              const name = deviceName(call);
              const keys = keyValues(call.args.slice(2), ctx.stdin, ctx.tty);
              withProfile(name, (put) => {
                const device = put.devices[call.args[1] as string];
                if (!device) throw new CliError("Device doesn't exist");
                Object.assign(device, keys);
              });
            },
          },
          {
            name: 'remove',
            aliases: ['rm'],
            use: '[<remote>:]<profile> <name>...',
            short: 'Remove instance devices',
            run: (call) => {
              checkArgs(call, app, 2, -1);
              const name = deviceName(call);
              withProfile(name, (put) => {
                for (const device of call.args.slice(1)) {
                  if (!put.devices[device]) throw new CliError("Device doesn't exist");
                  delete put.devices[device];
                }
              });
              if (!quiet(call))
                call.out.println(`Device ${call.args.slice(1).join(', ')} removed from ${name}`);
            },
          },
          {
            name: 'show',
            use: '[<remote>:]<profile>',
            short: 'Show full device configuration',
            run: (call) => {
              checkArgs(call, app, 1, 1);
              const devices = profilePut(world, machine, deviceName(call)).devices;
              call.out.print(
                goYaml(new Map(Object.entries(devices).map(([k, v]) => [k, new Map(Object.entries(v))]))),
              );
            },
          },
          {
            name: 'list',
            aliases: ['ls'],
            use: '[<remote>:]<profile>',
            short: 'List instance devices',
            run: (call) => {
              checkArgs(call, app, 1, 1);
              const devices = Object.keys(profilePut(world, machine, deviceName(call)).devices).sort();
              call.out.println(devices.join('\n'));
            },
          },
          unmodelled('override', 'Copy profile inherited devices and override configuration keys'),
          unmodelled('unset', 'Unset device configuration keys'),
        ],
      },
      unmodelled('add', 'Add profiles to instances'),
      unmodelled('assign', 'Assign sets of profiles to instances', ['apply']),
      unmodelled('copy', 'Copy profiles', ['cp']),
      unmodelled('create', 'Create profiles'),
      unmodelled('delete', 'Delete profiles', ['rm']),
      unmodelled('list', 'List profiles', ['ls']),
      unmodelled('remove', 'Remove profiles from instances'),
      unmodelled('rename', 'Rename profiles', ['mv']),
    ],
  };

  // --- project -------------------------------------------------------------------------------------------
  // lxc/project.go: create (stdin YAML or --config), list, show, get, set, unset, edit (stdin), delete.
  const database = (): LxdClusterData => lxdDatabase(world, machine);
  const projectName = (call: CliCall): string => requireName(call.args[0] as string, 'Missing project name');
  /** lxc's `edit`/`create` read api.ProjectPut from a non-terminal stdin (yaml.Unmarshal, not strict). */
  const stdinProjectPut = (): { description: string; config: Record<string, string> | null } => {
    const put = readStdinYaml(ctx, PROJECT_PUT, false);
    if (put === null) return { description: '', config: null };
    const config = put['config'];
    return {
      description: decodedString(put['description']),
      config: config === undefined || config === null ? null : decodedStringMap(config),
    };
  };
  const projectSet = (call: CliCall, unset: boolean): void => {
    const name = projectName(call);
    const project = requireProject(database(), name);
    const keys = unset ? { [call.args[1] as string]: '' } : keyValues(call.args.slice(1), ctx.stdin, ctx.tty);
    let description = project.description;
    const config = { ...project.config };
    if (flagBool(call, 'property')) {
      for (const [key, value] of Object.entries(keys)) {
        if (key !== 'description') throw new NotModelledError(`lxc project set --property ${key}`);
        description = value;
      }
    } else {
      Object.assign(config, keys);
      // An empty value unsets the key (LXD drops empty config values on update).
      for (const [key, value] of Object.entries(config)) if (value === '') delete config[key];
    }
    updateProject(database(), name, description, config);
  };
  const project: CliCommand = {
    name: 'project',
    short: 'Manage projects',
    children: [
      {
        name: 'create',
        use: '[<remote>:]<project>',
        short: 'Create projects',
        flags: [
          { name: 'config', short: 'c', type: 'string' },
          { name: 'storage', short: 's', type: 'string' },
          { name: 'network', short: 'n', type: 'string' },
        ],
        run: (call) => {
          checkArgs(call, app, 1, 1);
          const put = ctx.tty ? { description: '', config: null } : stdinProjectPut();
          const name = projectName(call);
          if (flagString(call, 'storage') !== '' || flagString(call, 'network') !== '')
            throw new NotModelledError(
              'lxc project create --storage/--network (the new default profile devices)',
            );
          // --config is a repeatable flag (StringArray) the flag parser does not model; stdin YAML carries config.
          if (call.parsed.given.includes('config'))
            throw new NotModelledError('lxc project create --config (give the config as YAML on stdin)');
          const config = put.config ?? {};
          createProject(database(), name, put.description, config);
          if (!quiet(call)) call.out.println(`Project ${name} created`);
        },
      },
      {
        name: 'list',
        aliases: ['ls'],
        use: '[<remote>:]',
        short: 'List projects',
        flags: [FORMAT_FLAG],
        run: (call) => {
          checkArgs(call, app, 0, 1);
          if (call.args[0] !== undefined) parseRemote(call.args[0]);
          const format = flagString(call, 'format') || 'table';
          const db = database();
          const current = flagString(call, 'project') || 'default';
          const yes = (p: { config: Record<string, string> }, key: string): string =>
            /^(true|1|yes|on)$/i.test(p.config[key] ?? '') ? 'YES' : 'NO';
          const projects = projectsOf(db);
          const views = projects.map((p) => projectApi(db, p));
          const rows = sortRowsNaturally(
            projects.map((p, i) => [
              p.name === current ? `${p.name} (current)` : p.name,
              yes(p, 'features.images'),
              yes(p, 'features.profiles'),
              yes(p, 'features.storage.volumes'),
              yes(p, 'features.storage.buckets'),
              yes(p, 'features.networks'),
              yes(p, 'features.networks.zones'),
              p.description,
              String((views[i]?.['used_by'] as string[]).length),
            ]),
          );
          const header = [
            'NAME',
            'IMAGES',
            'PROFILES',
            'STORAGE VOLUMES',
            'STORAGE BUCKETS',
            'NETWORKS',
            'NETWORK ZONES',
            'DESCRIPTION',
            'USED BY',
          ];
          call.out.print(renderTable(format, header, rows, views));
        },
      },
      {
        name: 'show',
        use: '[<remote>:]<project>',
        short: 'Show project options',
        run: (call) => {
          checkArgs(call, app, 1, 1);
          const db = database();
          call.out.print(goYaml(projectApi(db, requireProject(db, projectName(call)))));
        },
      },
      {
        name: 'get',
        use: '[<remote>:]<project> <key>',
        short: 'Get values for project configuration keys',
        flags: [PROPERTY_FLAG],
        run: (call) => {
          checkArgs(call, app, 2, 2);
          const found = requireProject(database(), projectName(call));
          const key = call.args[1] as string;
          if (flagBool(call, 'property')) {
            if (key !== 'description') throw new NotModelledError(`lxc project get --property ${key}`);
            call.out.println(found.description);
          } else call.out.println(found.config[key] ?? '');
        },
      },
      {
        name: 'set',
        use: '[<remote>:]<project> <key>=<value>...',
        short: 'Set project configuration keys',
        flags: [PROPERTY_FLAG],
        run: (call) => {
          checkArgs(call, app, 2, -1);
          projectSet(call, false);
        },
      },
      {
        name: 'unset',
        use: '[<remote>:]<project> <key>',
        short: 'Unset project configuration keys',
        flags: [PROPERTY_FLAG],
        run: (call) => {
          checkArgs(call, app, 2, 2);
          projectSet(call, true);
        },
      },
      {
        name: 'edit',
        use: '[<remote>:]<project>',
        short: 'Edit project configurations as YAML',
        run: (call) => {
          checkArgs(call, app, 1, 1);
          const name = projectName(call);
          const put = stdinProjectPut();
          updateProject(database(), name, put.description, put.config ?? {});
        },
      },
      {
        name: 'delete',
        aliases: ['rm'],
        use: '[<remote>:]<project>',
        short: 'Delete projects',
        run: (call) => {
          checkArgs(call, app, 1, 1);
          const name = projectName(call);
          deleteProject(database(), name);
          if (!quiet(call)) call.out.println(`Project ${name} deleted`);
        },
      },
      unmodelled('info', 'Get a summary of resource allocations'),
      unmodelled('rename', 'Rename projects', ['mv']),
      unmodelled('switch', 'Switch the current project'),
    ],
  };

  // --- auth ----------------------------------------------------------------------------------------------
  // lxc/auth.go (5.21): groups with their permissions, identities and their groups.
  const groupName = (raw: string): string => requireName(raw, 'Missing group name');
  const identityArg = (raw: string): { method: string; nameOrId: string; label: string } => {
    const name = requireName(raw, 'Missing identity argument');
    const slash = name.indexOf('/');
    if (slash < 0)
      throw new CliError(
        `Malformed argument, expected \`[<remote>:]<authentication_method>/<name_or_identifier>\`, got ${JSON.stringify(raw)}`,
      );
    return { method: name.slice(0, slash), nameOrId: name.slice(slash + 1), label: name };
  };
  const lookupIdentity = (raw: string): { identity: LxdIdentity; label: string } => {
    const { method, nameOrId, label } = identityArg(raw);
    if (method !== 'oidc' && method !== 'tls') throw new LxdError('Not Found');
    return { identity: requireIdentity(database(), method, nameOrId), label };
  };
  const groupCommands: CliCommand = {
    name: 'group',
    short: 'Manage groups',
    children: [
      {
        name: 'create',
        use: '[<remote>:]<group>',
        short: 'Create groups',
        flags: [{ name: 'description', short: 'd', type: 'string' }],
        run: (call) => {
          checkArgs(call, app, 1, 1);
          const name = groupName(call.args[0] as string);
          createAuthGroup(database(), name, flagString(call, 'description'));
          if (!quiet(call)) call.out.println(`Group ${name} created`);
        },
      },
      {
        name: 'delete',
        aliases: ['rm'],
        use: '[<remote>:]<group>',
        short: 'Delete groups',
        run: (call) => {
          checkArgs(call, app, 1, 1);
          const name = groupName(call.args[0] as string);
          deleteAuthGroup(database(), name);
          if (!quiet(call)) call.out.println(`Group ${name} deleted`);
        },
      },
      {
        name: 'edit',
        use: '[<remote>:]<group>',
        short: 'Edit groups as YAML',
        run: (call) => {
          checkArgs(call, app, 1, 1);
          const name = groupName(call.args[0] as string);
          const put = readStdinYaml(ctx, GROUP_PUT, false) ?? {};
          const permissions = decodedList(put['permissions']).map((p) => ({
            entityType: decodedString(p['entity_type']),
            url: decodedString(p['url']),
            entitlement: decodedString(p['entitlement']),
          }));
          updateAuthGroup(database(), name, decodedString(put['description']), permissions);
        },
      },
      {
        name: 'list',
        aliases: ['ls'],
        use: '[<remote>:]',
        short: 'List groups',
        flags: [FORMAT_FLAG],
        run: (call) => {
          checkArgs(call, app, 0, 1);
          if (call.args[0] !== undefined) parseRemote(call.args[0]);
          const db = database();
          const groups = authGroupsOf(db);
          const rows = sortRowsNaturally(groups.map((g) => [g.name, g.description]));
          call.out.print(
            renderTable(
              flagString(call, 'format') || 'table',
              ['NAME', 'DESCRIPTION'],
              rows,
              groups.map((g) => authGroupApi(db, g)),
            ),
          );
        },
      },
      {
        name: 'show',
        use: '[<remote>:]<group>',
        short: 'Show group configurations',
        run: (call) => {
          checkArgs(call, app, 1, 1);
          const db = database();
          call.out.print(goYaml(authGroupApi(db, requireAuthGroup(db, groupName(call.args[0] as string)))));
        },
      },
      {
        name: 'permission',
        aliases: ['perm'],
        short: 'Manage permissions',
        children: (['add', 'remove'] as const).map((action) => ({
          name: action,
          aliases: action === 'remove' ? ['rm'] : [],
          use: '[<remote>:]<group> <entity_type> [<entity_name>] <entitlement> [<key>=<value>...]',
          short: action === 'add' ? 'Add permissions to groups' : 'Remove permissions from groups',
          run: (call: CliCall) => {
            checkArgs(call, app, 3, -1);
            const name = groupName(call.args[0] as string);
            const db = database();
            const group = requireAuthGroup(db, name);
            const permission = parsePermissionArgs(call.args);
            const has = group.permissions.some((p) => samePermission(p, permission));
            const ref = `entitlement ${JSON.stringify(permission.entitlement)} on entity ${JSON.stringify(permission.url)}`;
            if (action === 'add') {
              if (has) throw new CliError(`Group ${JSON.stringify(name)} already has ${ref}`);
              updateAuthGroup(db, name, group.description, [...group.permissions, permission]);
            } else {
              if (group.permissions.length === 0)
                throw new CliError(`Group ${JSON.stringify(name)} does not have any permissions`);
              if (!has) throw new CliError(`Group ${JSON.stringify(name)} does not have ${ref}`);
              const rest = group.permissions.filter((p) => !samePermission(p, permission));
              updateAuthGroup(db, name, group.description, rest);
            }
          },
        })),
      },
      unmodelled('rename', 'Rename groups', ['mv']),
    ],
  };
  const identityCommands: CliCommand = {
    name: 'identity',
    aliases: ['user'],
    short: 'Manage identities',
    children: [
      {
        name: 'list',
        aliases: ['ls'],
        use: '[<remote>:]',
        short: 'List identities',
        flags: [FORMAT_FLAG],
        run: (call) => {
          checkArgs(call, app, 0, 1);
          if (call.args[0] !== undefined) parseRemote(call.args[0]);
          const format = flagString(call, 'format') || 'table';
          const identities = identitiesOf(database());
          const rows = sortRowsNaturally(
            identities.map((i) => [
              i.authMethod,
              i.type,
              i.name,
              i.identifier,
              i.groups.join(format === 'csv' ? ',' : '\n'),
            ]),
          );
          const header = ['AUTHENTICATION METHOD', 'TYPE', 'NAME', 'IDENTIFIER', 'GROUPS'];
          call.out.print(renderTable(format, header, rows, identities.map(identityApi)));
        },
      },
      {
        name: 'show',
        use: '[<remote>:]<authentication_method>/<name_or_identifier>',
        short: 'View an identity',
        run: (call) => {
          checkArgs(call, app, 1, 1);
          call.out.print(goYaml(identityApi(lookupIdentity(call.args[0] as string).identity)));
        },
      },
      {
        name: 'edit',
        use: '[<remote>:]<group>',
        short: 'Edit an identity as YAML',
        run: (call) => {
          checkArgs(call, app, 1, 1);
          const { identity } = lookupIdentity(call.args[0] as string);
          const put = readStdinYaml(ctx, IDENTITY_PUT, false) ?? {};
          if (decodedString(put['tls_certificate']) !== '')
            throw new NotModelledError('TLS certificates of identities');
          const groups = Array.isArray(put['groups']) ? put['groups'].map((g) => decodedString(g)) : [];
          setIdentityGroups(database(), identity, groups);
        },
      },
      {
        name: 'group',
        short: 'Manage groups for the identity',
        children: (['add', 'remove'] as const).map((action) => ({
          name: action,
          use: '[<remote>:]<authentication_method>/<name_or_identifier> <group>',
          short: action === 'add' ? 'Add a group to an identity' : 'Remove a group from an identity',
          run: (call: CliCall) => {
            checkArgs(call, app, 2, 2);
            const { identity, label } = lookupIdentity(call.args[0] as string);
            const group = call.args[1] as string;
            if (action === 'add') {
              if (identity.groups.includes(group))
                throw new CliError(
                  `Identity ${JSON.stringify(label)} is already a member of group ${JSON.stringify(group)}`,
                );
              setIdentityGroups(database(), identity, [...identity.groups, group]);
            } else {
              if (identity.groups.length === 0)
                throw new CliError(`Identity ${JSON.stringify(label)} is not a member of any groups`);
              // lxc 5.21 names the identity argument, not the group, in this message.
              if (!identity.groups.includes(group))
                throw new CliError(
                  `Identity ${JSON.stringify(label)} is not a member of group ${JSON.stringify(call.args[0])}`,
                );
              setIdentityGroups(
                database(),
                identity,
                identity.groups.filter((g) => g !== group),
              );
            }
          },
        })),
      },
      unmodelled('create', 'Create an identity'),
      unmodelled('delete', 'Delete an identity', ['rm']),
      unmodelled('info', 'View the current identity'),
    ],
  };
  const auth: CliCommand = {
    name: 'auth',
    short: 'Manage user authorization',
    children: [
      groupCommands,
      identityCommands,
      unmodelled('identity-provider-group', 'Manage groups', ['idp-group']),
      unmodelled('permission', 'Inspect permissions', ['perm']),
    ],
  };

  // --- query and version ---------------------------------------------------------------------------------
  const query: CliCommand = {
    name: 'query',
    use: '[<remote>:]<API path>',
    short: 'Send a raw query to LXD',
    flags: [
      { name: 'wait', type: 'bool' },
      { name: 'raw', type: 'bool' },
      { name: 'request', short: 'X', type: 'string' },
      { name: 'data', short: 'd', type: 'string' },
    ],
    run: (call) => {
      checkArgs(call, app, 1, 1);
      if (flagString(call, 'project') !== '')
        throw new CliError('--project cannot be used with the query command');
      const action = call.parsed.given.includes('request') ? flagString(call, 'request') : 'GET';
      if (!['GET', 'PUT', 'POST', 'PATCH', 'DELETE'].includes(action))
        throw new CliError(`Action ${JSON.stringify(action)} isn't supported by this tool`);
      const path = parseRemote(call.args[0] as string);
      if (!path.startsWith('/')) throw new CliError('Query path must start with /');
      if (action !== 'GET') throw new NotModelledError(`lxc query -X ${action}`);
      if (flagBool(call, 'raw')) throw new NotModelledError('lxc query --raw');
      call.out.println(queryJson(goJsonValue(queryGet(world, machine, path))));
    },
  };
  const versionCommand: CliCommand = {
    name: 'version',
    use: '[<remote>:]',
    short: 'Show local and remote versions',
    run: (call) => {
      checkArgs(call, app, 0, 1);
      if (call.args[0] !== undefined)
        parseRemote(call.args[0].endsWith(':') ? call.args[0] : `${call.args[0]}:`);
      call.out.println(`Client version: ${lxdVersionText(version)}`);
      call.out.println(`Server version: ${lxdVersionText(version)}`);
    },
  };

  // lxc/info.go remoteInfo: with no instance, the server's GET /1.0 (config, extensions, environment with
  // its certificate) as yaml.v2 prints api.Server; instances and --resources' report are not modelled.
  const infoCommand: CliCommand = {
    name: 'info',
    use: '[<remote>:][<instance>]',
    short: 'Show instance or server information',
    flags: [{ name: 'show-log', type: 'bool' }, { name: 'resources', type: 'bool' }, TARGET_FLAG],
    run: (call) => {
      checkArgs(call, app, 0, 1);
      const remote = call.args[0];
      if (remote !== undefined && parseRemote(remote) !== '')
        throw new NotModelledError('instances (lxc info on an instance)');
      if (flagBool(call, 'resources')) throw new NotModelledError('lxc info --resources');
      if (flagBool(call, 'show-log')) throw new NotModelledError('lxc info --show-log on a server');
      const target = flagString(call, 'target');
      if (target !== '' && !isClustered(machine))
        throw new NotModelledError('lxc info --target on a standalone server');
      const host = target === '' ? machine : resolveTarget(world, machine, target);
      call.out.print(goYaml(serverApi(world, host)));
    },
  };

  const root: CliCommand = {
    name: 'lxc',
    short: 'Command line client for LXD',
    children: [
      cluster,
      config,
      network,
      profile,
      query,
      storage,
      versionCommand,
      {
        name: 'help',
        use: '[command]',
        short: 'Help about any command',
        run: (call) => {
          let command: CliCommand = root;
          const path: string[] = [];
          for (const word of call.args) {
            const child = command.children?.find((c) => c.name === word || (c.aliases ?? []).includes(word));
            if (!child) break;
            command = child;
            path.push(child.name);
          }
          call.out.print(helpText(app, command, path));
        },
      },
      unmodelled('alias', 'Manage command aliases'),
      auth,
      unmodelled('console', 'Attach to instance consoles'),
      unmodelled('copy', 'Copy instances within or in between LXD servers', ['cp']),
      unmodelled('delete', 'Delete instances and snapshots', ['rm']),
      unmodelled('exec', 'Execute commands in instances'),
      unmodelled('export', 'Export instance backups'),
      unmodelled('file', 'Manage files in instances'),
      unmodelled('image', 'Manage images'),
      unmodelled('import', 'Import instance backups'),
      infoCommand,
      unmodelled('init', 'Create instances from images'),
      unmodelled('launch', 'Create and start instances from images'),
      unmodelled('list', 'List instances', ['ls']),
      { ...unmodelled('manpage', 'Generate manpages for all commands'), hidden: true },
      unmodelled('monitor', 'Monitor a local or remote LXD server'),
      unmodelled('move', 'Move instances within or in between LXD servers', ['mv']),
      unmodelled('operation', 'List, show and delete background operations'),
      unmodelled('pause', 'Pause instances', ['freeze']),
      project,
      unmodelled('publish', 'Publish instances as images'),
      unmodelled('rebuild', 'Rebuild instances'),
      unmodelled('remote', 'Manage the list of remote servers'),
      unmodelled('rename', 'Rename instances and snapshots'),
      unmodelled('restart', 'Restart instances'),
      unmodelled('restore', 'Restore instances from snapshots'),
      unmodelled('snapshot', 'Create instance snapshots'),
      unmodelled('start', 'Start instances'),
      unmodelled('stop', 'Stop instances'),
      unmodelled('warning', 'Manage warnings'),
      unmodelled('completion', 'Generate the autocompletion script for the specified shell'),
    ],
  };

  const app: CliApp = {
    name: 'lxc',
    version: lxdVersionText(version),
    root,
    persistentFlags: [
      { name: 'version', type: 'bool' },
      { name: 'help', short: 'h', type: 'bool' },
      { name: 'force-local', type: 'bool' },
      { name: 'project', type: 'string' },
      { name: 'debug', type: 'bool' },
      { name: 'verbose', short: 'v', type: 'bool' },
      { name: 'quiet', short: 'q', type: 'bool' },
      { name: 'sub-commands', type: 'bool' },
    ],
    rootFlags: [{ name: 'all', type: 'bool' }],
    rootArgs: 'legacy',
    errorMessage: (error) => (error instanceof LxdError ? error.message : null),
    preRun: (call) => {
      const project = flagString(call, 'project');
      if (project !== '' && !(call.command.name === 'query')) {
        if (project !== 'default') throw new NotModelledError('lxc --project (projects other than default)');
      }
      if (flagBool(call, 'debug') || flagBool(call, 'verbose'))
        throw new NotModelledError('lxc --debug/--verbose logging');
      firstRunNotice(world, machine, ctx.uid, call);
    },
  };
  return app;
}

/**
 * lxc's PreRun on a user's first run (no config.yml yet, lxc/main.go): hints on stderr, `lxd init` only
 * while the server has no storage (Environment.Storage empty).
 */
function firstRunNotice(world: World, machine: Machine, uid: number, call: CliCall): void {
  const daemon = lxdDaemonOf(machine);
  if (daemon.clientConfigured.includes(uid)) return;
  daemon.clientConfigured.push(uid);
  const member = localMemberName(machine);
  const storage = lxdDatabase(world, machine).storagePools.some((p) => p.createdOn.includes(member));
  let flush = false;
  if (!storage) {
    call.out.eprintln(
      'If this is your first time running LXD on this machine, you should also run: lxd init',
    );
    flush = true;
  }
  if (!['init', 'launch'].includes(call.command.name)) {
    call.out.eprintln('To start your first container, try: lxc launch ubuntu:24.04');
    call.out.eprintln('Or for a virtual machine: lxc launch ubuntu:24.04 --vm');
    flush = true;
  }
  if (flush) call.out.eprintln('');
}

/** GET paths `lxc query` serves from the model. */
function queryGet(world: World, machine: Machine, path: string): GoValue {
  const [route = '', search = ''] = path.split('?', 2);
  const params = new URLSearchParams(search);
  const recursion = params.get('recursion') === '1';
  const target = params.get('target');
  const host = target ? resolveTarget(world, machine, target) : machine;
  const database = lxdDatabase(world, host);
  switch (route.replace(/\/$/, '')) {
    case '/1.0':
      return serverApi(world, host);
    case '/1.0/resources':
      return resourcesApi(host);
    case '/1.0/cluster/members':
      return recursion
        ? clusterMembersApi(world, host)
        : clusterMembersApi(world, host).map((m) => `/1.0/cluster/members/${m['server_name'] as string}`);
    case '/1.0/storage-pools':
      return recursion
        ? database.storagePools.map((p) => storagePoolApi(world, host, p, target !== null))
        : database.storagePools.map((p) => `/1.0/storage-pools/${p.name}`);
    case '/1.0/networks':
      return recursion
        ? networksApi(world, host)
        : networksApi(world, host).map((n) => `/1.0/networks/${n['name'] as string}`);
    case '/1.0/profiles':
      return recursion
        ? Object.keys(database.profiles).map((name) => profileApi(world, host, name))
        : Object.keys(database.profiles).map((name) => `/1.0/profiles/${name}`);
  }
  const pool = /^\/1\.0\/storage-pools\/([^/]+)$/.exec(route);
  if (pool?.[1])
    return storagePoolApi(world, host, requirePool(database, decodeURIComponent(pool[1])), target !== null);
  const net = /^\/1\.0\/networks\/([^/]+)$/.exec(route);
  if (net?.[1]) return networkApi(world, host, decodeURIComponent(net[1]), target !== null);
  const prof = /^\/1\.0\/profiles\/([^/]+)$/.exec(route);
  if (prof?.[1]) return profileApi(world, host, decodeURIComponent(prof[1]));
  const member = /^\/1\.0\/cluster\/members\/([^/]+)$/.exec(route);
  if (member?.[1]) {
    const found = clusterMembersApi(world, host).find(
      (m) => m['server_name'] === decodeURIComponent(member[1] as string),
    );
    if (!found) throw new LxdError('Cluster member not found');
    return found;
  }
  throw new NotModelledError(`lxc query ${route}`);
}

export async function lxcProgram(ctx: ProgramContext): Promise<ProgramResult> {
  const out = new Output();
  const version = daemonVersionOf(ctx.world, ctx.machine, 'lxd') ?? '';
  if (/^5\.0\.\d+$/.test(version)) {
    if (ctx.uid !== 0) throw new NotModelledError('lxc as a non-root user (lxd group membership)');
    return out.done(await runCli(lxc50App(version), ctx.argv.slice(1), out));
  }
  if (!lxdReleaseModelled(version))
    throw new NotModelledError(`lxc of the lxd ${version} snap (LXD 5.21.2-5.21.4 and 6.9 are modelled)`);
  if (ctx.uid !== 0) throw new NotModelledError('lxc as a non-root user (lxd group membership)');
  const app = buildApp(ctx, version);
  const code = await runCli(app, ctx.argv.slice(1), out);
  return out.done(code);
}

/**
 * lxc of the 5.0 snap: its command tree only (lxc/main.go at lxd-5.0.4), none of it modelled. It has no
 * `auth` (fine-grained authorization came with LXD 5.21), so `lxc auth ...` fails as it does there:
 * `Error: unknown command "auth" for "lxc"`.
 */
function lxc50App(version: string): CliApp {
  const names = [
    'alias',
    'cluster',
    'config',
    'console',
    'copy',
    'delete',
    'exec',
    'export',
    'file',
    'import',
    'info',
    'image',
    'init',
    'launch',
    'list',
    'monitor',
    'move',
    'network',
    'operation',
    'pause',
    'publish',
    'profile',
    'project',
    'query',
    'rename',
    'restart',
    'remote',
    'restore',
    'snapshot',
    'storage',
    'start',
    'stop',
    'version',
    'warning',
  ];
  return {
    name: 'lxc',
    version: `${version} LTS`,
    root: {
      name: 'lxc',
      short: 'Command line client for LXD',
      children: [
        ...names.map((name) => unmodelled(name, `lxc ${name} (LXD ${version})`)),
        { ...unmodelled('manpage', 'Generate manpages for all commands'), hidden: true },
        unmodelled('help', 'Help about any command'),
        unmodelled('completion', 'Generate the autocompletion script for the specified shell'),
      ],
    },
    persistentFlags: [
      { name: 'version', type: 'bool' },
      { name: 'help', short: 'h', type: 'bool' },
      { name: 'force-local', type: 'bool' },
      { name: 'project', type: 'string' },
      { name: 'debug', type: 'bool' },
      { name: 'verbose', short: 'v', type: 'bool' },
      { name: 'quiet', short: 'q', type: 'bool' },
    ],
    rootFlags: [{ name: 'all', type: 'bool' }],
    rootArgs: 'legacy',
    errorMessage: () => null,
  };
}
