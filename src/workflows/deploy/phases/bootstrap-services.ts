// Bootstrap each service's cluster on its first member, as MicroCloud's setupCluster does (§1.3, §1.4):
// MicroCloud and MicroOVN through their control sockets, MicroCeph with its CLI, LXD with a preseed.
import { stringify as toYaml } from 'yaml';
import type { Action } from '../../../domain/cluster/actions.js';
import { shellJoin } from '../../../transport/quote.js';
import { control } from '../control-api.js';
import { MEMBER_WAIT_MS, waitForMember } from '../members.js';
import { endLeftover, recordedCommandLine } from '../recorded-process.js';
import { waitFor } from '../remote.js';
import { LXD_INIT_COMMAND } from './join-lxd.js';
import { definePhase } from './phase.js';

type BootstrapAction = Extract<
  Action,
  { kind: 'microcluster-bootstrap' | 'microceph-bootstrap' | 'lxd-bootstrap' }
>;

export const bootstrapServices = definePhase({
  title: 'bootstrap each service on its first member',
  owns: (action): action is BootstrapAction =>
    action.kind === 'microcluster-bootstrap' ||
    action.kind === 'microceph-bootstrap' ||
    action.kind === 'lxd-bootstrap',
  async run(action, { remote }) {
    switch (action.kind) {
      case 'microcluster-bootstrap':
        await control(remote, action.service, 'POST', '/core/control', {
          bootstrap: true,
          name: remote.host,
          address: action.address,
          config: action.config,
        });
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
        return;
      case 'lxd-bootstrap':
        await endLeftover(remote, LXD_INIT_COMMAND);
        await remote.run(recordedCommandLine(LXD_INIT_COMMAND), {
          shownAs: LXD_INIT_COMMAND.argv.join(' '),
          stdin: toYaml({ config: action.config, cluster: { server_name: remote.host, enabled: true } }),
        });
        return;
    }
  },
  async verify(action, { remote }) {
    switch (action.kind) {
      case 'microcluster-bootstrap':
        await waitForMember(remote, action.service, remote.host);
        return;
      case 'microceph-bootstrap':
        // MicroCeph's API can time out right after bootstrap; upstream waits for mds, mgr and mon (§1.4).
        await waitFor('MicroCeph to run mds, mgr and mon', MEMBER_WAIT_MS, async () => {
          const status = await remote.run('microceph status', { quiet: true, allowFailure: true });
          return ['mds', 'mgr', 'mon'].every((s) => new RegExp(`Services:.*\\b${s}\\b`).test(status.stdout));
        });
        return;
      case 'lxd-bootstrap':
        await waitForMember(remote, 'lxd', remote.host);
        return;
    }
  },
});
