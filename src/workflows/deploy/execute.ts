// How each planned action is carried out on its host, as MicroCloud's setupCluster would (§1.3, §1.4, §3).
// Join tokens are read without streaming, registered as secrets at once, and handed to the joiner on stdin.
import { randomBytes } from 'node:crypto';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { Action, MicroclusterService } from '../../domain/cluster/actions.js';
import { clusterStateCommands, parseClusterState } from '../../domain/cluster/state.js';
import { LXD_HTTPS_ANY } from '../../domain/cluster/types.js';
import { lxdFloorProblem } from '../../domain/cluster/versions.js';
import { LXD_SERVER_COMMAND, parseLxdServer } from '../../domain/facts/index.js';
import { framedScript, splitFramed } from '../../domain/framed.js';
import { shellJoin } from '../../transport/quote.js';
import { StepError, waitFor, type Remote } from './remote.js';

/** microcloud.md §1.3: membership shows up within 30 s upstream; joins with OSDs take longer here. */
const MEMBER_WAIT_MS = 5 * 60_000;
/** MicroCloud's tokens live one hour (§1.3); microcluster takes a Go time.Duration: nanoseconds. */
const TOKEN_LIFETIME_NS = 3600 * 1e9;

const controlSocket = (service: MicroclusterService): string =>
  `/var/snap/${service}/common/state/control.socket`;

/** A call to a microcluster daemon's API on its unix socket, the JSON body on stdin (it may hold a token). */
function controlCall(service: MicroclusterService, method: 'GET' | 'POST' | 'DELETE', path: string): string {
  const argv = ['curl', '-sS', '--unix-socket', controlSocket(service)];
  if (method !== 'GET') argv.push('-X', method);
  if (method === 'POST') argv.push('-H', 'Content-Type: application/json', '--data-binary', '@-');
  argv.push(`http://control${path}`);
  return shellJoin(argv);
}

interface Envelope {
  type?: string;
  error?: string;
  error_code?: number;
  metadata?: unknown;
}

async function control(
  remote: Remote,
  service: MicroclusterService,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  options: { quiet?: boolean } = {},
): Promise<Envelope> {
  const result = await remote.run(controlCall(service, method, path), {
    ...(body === undefined ? {} : { stdin: JSON.stringify(body) }),
    ...(options.quiet === true ? { quiet: true } : {}),
  });
  let envelope: Envelope;
  try {
    envelope = JSON.parse(result.stdout) as Envelope;
  } catch {
    throw new StepError(`${service} API ${method} ${path}: unexpected answer: ${result.stdout.slice(0, 80)}`);
  }
  if (envelope.type === 'error') {
    throw new StepError(`${service}: ${envelope.error ?? `error ${envelope.error_code ?? '?'}`}`);
  }
  return envelope;
}

/** A microcluster join token for `name`, issued on the anchor; a stale token of an earlier run is revoked. */
async function issueMicroclusterToken(
  anchor: Remote,
  service: MicroclusterService,
  name: string,
): Promise<string> {
  const issue = (): Promise<Envelope> =>
    control(
      anchor,
      service,
      'POST',
      '/core/1.0/tokens',
      { name, expire_after: TOKEN_LIFETIME_NS },
      { quiet: true },
    );
  let envelope: Envelope;
  try {
    envelope = await issue();
  } catch (err) {
    if (!(err instanceof StepError) || !/UNIQUE constraint/.test(err.message)) throw err;
    await control(anchor, service, 'DELETE', `/core/1.0/tokens/${encodeURIComponent(name)}`);
    envelope = await issue();
  }
  if (typeof envelope.metadata !== 'string' || envelope.metadata === '') {
    throw new StepError(`${service} gave no join token for ${name}`);
  }
  anchor.session.bus.addSecret(envelope.metadata);
  return envelope.metadata;
}

async function issueLxdToken(anchor: Remote, name: string): Promise<string> {
  const result = await anchor.run(shellJoin(['lxc', 'cluster', 'add', name]), { quiet: true });
  const token = result.stdout.trim().split('\n').at(-1)?.trim() ?? '';
  if (token === '') throw new StepError(`LXD gave no join token for ${name}`);
  anchor.session.bus.addSecret(token);
  return token;
}

interface ListedMember {
  name: string;
  status: string;
  role?: string;
}

async function waitForMember(
  anchor: Remote,
  service: MicroclusterService | 'lxd',
  member: string,
): Promise<void> {
  const command =
    service === 'lxd' ? 'lxc cluster list -f json' : shellJoin([service, 'cluster', 'list', '-f', 'json']);
  await waitFor(
    `${member} to be online in ${service === 'lxd' ? 'LXD' : service}`,
    MEMBER_WAIT_MS,
    async () => {
      const result = await anchor.run(command, { quiet: true, allowFailure: true });
      if (result.code !== 0) return false;
      let members: ListedMember[];
      try {
        members = (JSON.parse(result.stdout) as Record<string, string | undefined>[]).map((m) => ({
          name: m['server_name'] ?? m['name'] ?? '',
          status: m['status'] ?? '',
          role: m['role'] ?? '',
        }));
      } catch {
        return false;
      }
      const found = members.find((m) => m.name === member);
      return found !== undefined && found.status.toUpperCase() === 'ONLINE' && found.role !== 'PENDING';
    },
    `check the ${service} daemon on ${member} and the network between the members, then run mc deploy again`,
  );
}

export interface ExecuteContext {
  /** The step's host. */
  remote: Remote;
  /** A Remote on another member (token issuer, LXD anchor). */
  on(host: string): Promise<Remote>;
  /** Hosts whose microceph has the dm-crypt interface connected during this run. */
  dmCryptReady: Set<string>;
}

export async function execute(action: Action, context: ExecuteContext): Promise<void> {
  const { remote } = context;
  const host = remote.host;
  switch (action.kind) {
    case 'snap-install':
      await remote.run(
        shellJoin(['snap', 'install', action.snap, `--channel=${action.channel}`, '--cohort=+']),
      );
      await waitReady(remote, action.snap, action.minVersion);
      return;
    case 'snap-refresh':
      await remote.run(
        shellJoin(['snap', 'refresh', action.snap, `--channel=${action.channel}`, '--cohort=+']),
      );
      await waitReady(remote, action.snap, action.minVersion);
      return;
    case 'snap-hold':
      await remote.run(shellJoin(['snap', 'refresh', '--hold', ...action.snaps]));
      return;
    case 'microcluster-bootstrap':
      await control(remote, action.service, 'POST', '/core/control', {
        bootstrap: true,
        name: host,
        address: action.address,
        config: action.config,
      });
      await waitForMember(remote, action.service, host);
      return;
    case 'microceph-bootstrap':
      await remote.run(
        shellJoin([
          'microceph',
          'cluster',
          'bootstrap',
          '--microceph-ip',
          action.address,
          '--public-network',
          action.publicNetwork,
          '--cluster-network',
          action.clusterNetwork,
        ]),
      );
      // MicroCeph's API can time out right after bootstrap; upstream waits for mds, mgr and mon (§1.4).
      await waitFor('MicroCeph to run mds, mgr and mon', MEMBER_WAIT_MS, async () => {
        const status = await remote.run('microceph status', { quiet: true, allowFailure: true });
        return ['mds', 'mgr', 'mon'].every((s) => new RegExp(`Services:.*\\b${s}\\b`).test(status.stdout));
      });
      return;
    case 'lxd-bootstrap':
      await remote.run('lxd init --preseed', {
        stdin: toYaml({ config: action.config, cluster: { server_name: host, enabled: true } }),
      });
      await waitForMember(remote, 'lxd', host);
      return;
    case 'microcluster-join': {
      const anchor = await context.on(action.anchor);
      const token = await issueMicroclusterToken(anchor, action.service, host);
      await control(
        remote,
        action.service,
        'POST',
        '/core/control',
        { bootstrap: false, name: host, address: action.address, join_token: token, config: action.config },
        { quiet: true },
      );
      await waitForMember(anchor, action.service, host);
      return;
    }
    case 'lxd-join': {
      const anchor = await context.on(action.anchor);
      const token = await issueLxdToken(anchor, host);
      await remote.run('lxd init --preseed', {
        quiet: true,
        stdin: toYaml({
          cluster: {
            enabled: true,
            server_name: host,
            server_address: action.address,
            cluster_token: token,
            member_config: action.memberConfig,
          },
        }),
      });
      // MicroCloud listens on every address once the member has joined (§1.3).
      await remote.run(shellJoin(['lxc', 'config', 'set', 'core.https_address', LXD_HTTPS_ANY]));
      await waitForMember(anchor, 'lxd', host);
      return;
    }
    case 'ceph-disk-add': {
      if (action.disk.encrypt && !context.dmCryptReady.has(host)) {
        // Encrypted OSDs need the dm-crypt interface and a daemon restart (§4.4).
        await remote.run('snap connect microceph:dm-crypt');
        await remote.run('snap restart microceph.daemon');
        context.dmCryptReady.add(host);
      }
      const argv = ['microceph', 'disk', 'add', action.disk.path];
      if (action.disk.wipe) argv.push('--wipe');
      if (action.disk.encrypt) argv.push('--encrypt');
      await remote.run(shellJoin(argv));
      return;
    }
    case 'ceph-replication':
      await setReplication(remote);
      return;
    case 'lxd-config': {
      const argv = ['lxc', 'config', 'set', action.key, action.value];
      if (action.target !== undefined) argv.push('--target', action.target);
      await remote.run(shellJoin(argv));
      return;
    }
    case 'lxd-storage-create': {
      const argv = ['lxc', 'storage', 'create', action.pool, action.driver];
      argv.push(...Object.entries(action.config).map(([k, v]) => `${k}=${v}`));
      if (action.target !== undefined) argv.push('--target', action.target);
      // lxc reads a description (and config) as YAML from a stdin that is not a terminal.
      await remote.run(shellJoin(argv), { stdin: toYaml({ description: action.description }) });
      return;
    }
    case 'lxd-network-create': {
      const argv = ['lxc', 'network', 'create', action.network, `--type=${action.type}`];
      argv.push(...Object.entries(action.config).map(([k, v]) => `${k}=${v}`));
      if (action.target !== undefined) argv.push('--target', action.target);
      await remote.run(shellJoin(argv));
      return;
    }
    case 'lxd-network-describe': {
      // `lxc network create` reads nothing from stdin (LXD 5.21 lxc/network.go) and LXD 5.0's `network set`
      // has no --property: show the network and PUT it back with its description, as `lxc network edit`
      // does with YAML on stdin in every version. The global config goes back as shown.
      const shown = await remote.run(shellJoin(['lxc', 'network', 'show', action.network]), { quiet: true });
      const network = (parseYaml(shown.stdout) ?? {}) as { config?: Record<string, string> };
      await remote.run(shellJoin(['lxc', 'network', 'edit', action.network]), {
        stdin: toYaml({ description: action.description, config: network.config ?? {} }),
      });
      return;
    }
    case 'lxd-profile-device': {
      const { type = 'none', ...rest } = action.config;
      const argv = ['lxc', 'profile', 'device', 'add', 'default', action.device, type];
      argv.push(...Object.entries(rest).map(([k, v]) => `${k}=${v}`));
      await remote.run(shellJoin(argv));
      return;
    }
    case 'lxd-volume-create':
      await remote.run(
        shellJoin([
          'lxc',
          'storage',
          'volume',
          'create',
          action.pool,
          action.volume,
          '--target',
          action.target,
        ]),
      );
      return;
  }
}

/**
 * Each snap's daemon answers before the next step talks to it. LXD's must also be new enough: validate saw
 * only what was installed before, and the LXD that answers may not be the snap's (a deb earlier on PATH).
 */
async function waitReady(remote: Remote, snap: string, minVersion: string | undefined): Promise<void> {
  if (snap !== 'lxd') {
    await remote.run(shellJoin([snap, 'waitready']));
    return;
  }
  if (minVersion === undefined) {
    await remote.run('lxd waitready --timeout=60');
    return;
  }
  const ready = await remote.run(`lxd waitready --timeout=60 && ${LXD_SERVER_COMMAND}`, { quiet: true });
  let version: string;
  try {
    version = parseLxdServer(ready.stdout).version;
  } catch (err) {
    throw new StepError(`LXD answered \`${LXD_SERVER_COMMAND}\` with something unexpected: ${String(err)}`);
  }
  const problem = lxdFloorProblem(version, minVersion);
  if (problem !== undefined) {
    throw new StepError(
      problem,
      `a deb LXD on ${remote.host} may shadow the snap: see \`command -v lxd\` and remove it, or lower cluster.lxd_min_version; then run mc deploy again`,
    );
  }
}

/** The pools MicroCloud adjusts (§3.6). */
const REPLICATED_POOLS = ['.mgr', 'lxd_cephfs_data', 'lxd_cephfs_meta', 'lxd_cephfs', 'lxd_remote'];

/** §3.6: n = min(OSDs, 3); raise the pools below n, or the default pool size when none is. */
async function setReplication(remote: Remote): Promise<void> {
  const query = { lxdMembers: [], microceph: true, microovn: false };
  const nonce = randomBytes(6).toString('hex');
  const read = await remote.run(framedScript(clusterStateCommands(query), nonce), { quiet: true });
  const ceph = parseClusterState(query, splitFramed(read.stdout, nonce)).ceph;
  const osds = ceph?.osds.length ?? 0;
  if (osds === 0) return;
  const size = Math.min(osds, 3);
  const below = (ceph?.pools ?? [])
    .filter((pool) => REPLICATED_POOLS.includes(pool.name) && pool.size < size)
    .map((pool) => pool.name);
  await remote.run(
    shellJoin(['microceph', 'pool', 'set-rf', '--size', String(size), ...(below.length > 0 ? below : [''])]),
  );
}
