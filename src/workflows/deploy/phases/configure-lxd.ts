// LXD's cluster-wide configuration as MicroCloud leaves it (§3): config keys, storage pools and networks
// (defined per member, then created), the default profile's devices, per-member volumes.
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { Action } from '../../../domain/cluster/actions.js';
import { failingPeer } from '../../../domain/cluster/lxd-peer-error.js';
import type { MemberDesign } from '../../../domain/cluster/types.js';
import { shellJoin } from '../../../transport/quote.js';
import { clusterCreateLine } from '../earlier-lxc-create.js';
import { StepError } from '../remote.js';
import { definePhase } from './phase.js';

const KINDS = [
  'lxd-config',
  'lxd-storage-create',
  'lxd-network-create',
  'lxd-network-describe',
  'lxd-object-set',
  'lxd-profile-device',
  'lxd-volume-create',
] as const;
type ConfigureAction = Extract<Action, { kind: (typeof KINDS)[number] }>;

export const configureLxd = definePhase({
  title: 'configure LXD',
  owns: (action): action is ConfigureAction => (KINDS as readonly string[]).includes(action.kind),
  async run(action, { remote, members }) {
    switch (action.kind) {
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
        await remote
          .run(clusterCreateLine(argv, action.target), {
            stdin: toYaml({ description: action.description }),
            shownAs: shellJoin(argv),
          })
          .catch(onPeer(remote.host, members, `storage pool ${action.pool}`));
        return;
      }
      case 'lxd-network-create': {
        const argv = ['lxc', 'network', 'create', action.network, `--type=${action.type}`];
        argv.push(...Object.entries(action.config).map(([k, v]) => `${k}=${v}`));
        if (action.target !== undefined) argv.push('--target', action.target);
        await remote
          .run(clusterCreateLine(argv, action.target), { shownAs: shellJoin(argv) })
          .catch(onPeer(remote.host, members, `network ${action.network}`));
        return;
      }
      case 'lxd-object-set':
        // One key at a time: LXD 5.0's `set` takes a single key and value.
        for (const [key, value] of Object.entries(action.config)) {
          await remote.run(shellJoin(['lxc', action.entity, 'set', action.name, key, value]));
        }
        return;
      case 'lxd-network-describe': {
        // `lxc network create` reads nothing from stdin (LXD 5.21 lxc/network.go) and LXD 5.0's `network set`
        // has no --property: show the network and PUT it back with its description, as `lxc network edit`
        // does with YAML on stdin in every version. The global config goes back as shown.
        const shown = await remote.run(shellJoin(['lxc', 'network', 'show', action.network]), {
          quiet: true,
        });
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
  },
});

/**
 * A cluster-wide create that failed on another member: the cause is on that member, so the next action names
 * it instead of the host that ran the command.
 */
function onPeer(host: string, members: readonly MemberDesign[], object: string): (err: unknown) => never {
  return (err: unknown) => {
    if (!(err instanceof StepError) || err.hint !== undefined) throw err;
    const peer = failingPeer(err.message, members);
    if (peer === undefined || peer === host) throw err;
    throw new StepError(
      err.message,
      `fix the cause on ${peer} (LXD could not create ${object} there), then run mc deploy again: it resumes the create`,
    );
  };
}
