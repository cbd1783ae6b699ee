// A member joins LXD with a token from the anchor and the member_config MicroCloud's pools and networks
// need on it (§3.7), then listens on every address as MicroCloud's members do (§1.3).
import { stringify as toYaml } from 'yaml';
import type { Action } from '../../../domain/cluster/actions.js';
import { LXD_HTTPS_ANY } from '../../../domain/cluster/types.js';
import { shellJoin } from '../../../transport/quote.js';
import { waitForMember } from '../members.js';
import { endLeftover, recordedCommandLine, type RecordedCommand } from '../recorded-process.js';
import { StepError, type Remote } from '../remote.js';
import { definePhase } from './phase.js';

type LxdJoinAction = Extract<Action, { kind: 'lxd-join' }>;

/**
 * `lxd init --preseed` (a join, or the first member's bootstrap): its pid is recorded, so that a run after a
 * cut link ends the one an earlier run left behind before it starts another.
 */
export const LXD_INIT_COMMAND: RecordedCommand = {
  pidFile: 'mc-lxd-init.pid',
  argv: ['lxd', 'init', '--preseed'],
};

async function issueLxdToken(anchor: Remote, name: string): Promise<string> {
  const result = await anchor.run(shellJoin(['lxc', 'cluster', 'add', name]), { quiet: true });
  const token = result.stdout.trim().split('\n').at(-1)?.trim() ?? '';
  if (token === '') throw new StepError(`LXD gave no join token for ${name}`);
  anchor.session.bus.addSecret(token);
  return token;
}

export const joinLxd = definePhase({
  title: 'join LXD',
  owns: (action): action is LxdJoinAction => action.kind === 'lxd-join',
  async run(action, context) {
    const { remote } = context;
    const anchor = await context.on(action.anchor);
    await endLeftover(remote, LXD_INIT_COMMAND);
    const token = await issueLxdToken(anchor, remote.host);
    await remote.run(recordedCommandLine(LXD_INIT_COMMAND), {
      shownAs: LXD_INIT_COMMAND.argv.join(' '),
      quiet: true,
      stdin: toYaml({
        cluster: {
          enabled: true,
          server_name: remote.host,
          server_address: action.address,
          cluster_token: token,
          member_config: action.memberConfig,
        },
      }),
    });
    await remote.run(shellJoin(['lxc', 'config', 'set', 'core.https_address', LXD_HTTPS_ANY]));
  },
  async verify(action, context) {
    await waitForMember(await context.on(action.anchor), 'lxd', context.remote.host);
  },
});
