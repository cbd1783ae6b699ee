// A member joins a microcluster service (MicroCeph, MicroOVN): a token issued on the anchor, the join on
// the member through its control socket with the token on stdin, then the anchor lists it ONLINE (§1.3).
import type { Action, MicroclusterService } from '../../../domain/cluster/actions.js';
import { control, issueMicroclusterToken } from '../control-api.js';
import { waitForMember } from '../members.js';
import { definePhase, type DeployPhase } from './phase.js';

type JoinAction = Extract<Action, { kind: 'microcluster-join' }>;

export function joinMicrocluster(service: MicroclusterService, title: string): DeployPhase {
  return definePhase({
    title,
    owns: (action): action is JoinAction => action.kind === 'microcluster-join' && action.service === service,
    async run(action, context) {
      const { remote } = context;
      const anchor = await context.on(action.anchor);
      const token = await issueMicroclusterToken(anchor, action.service, remote.host);
      await control(
        remote,
        action.service,
        'POST',
        '/core/control',
        {
          bootstrap: false,
          name: remote.host,
          address: action.address,
          join_token: token,
          config: action.config,
        },
        { quiet: true },
      );
    },
    async verify(action, context) {
      await waitForMember(await context.on(action.anchor), action.service, context.remote.host);
    },
  });
}
