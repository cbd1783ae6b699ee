// Install each enabled snap from its channel in the cohort, then hold them: no automatic refresh (§1.1).
import type { Action } from '../../../domain/cluster/actions.js';
import { lxdFloorProblem } from '../../../domain/cluster/versions.js';
import { LXD_SERVER_COMMAND, parseLxdServer } from '../../../domain/facts/index.js';
import { shellJoin } from '../../../transport/quote.js';
import { RECORD_AFTER_INSTALL, recordBeforeInstall } from '../install-record.js';
import { StepError, type Remote } from '../remote.js';
import { definePhase } from './phase.js';

type SnapAction = Extract<Action, { kind: 'snap-install' | 'snap-refresh' | 'snap-hold' }>;

export const installSnaps = definePhase({
  title: 'install and hold the snaps',
  owns: (action): action is SnapAction =>
    action.kind === 'snap-install' || action.kind === 'snap-refresh' || action.kind === 'snap-hold',
  async run(action, { remote }) {
    if (action.kind === 'snap-hold') {
      await remote.run(shellJoin(['snap', 'refresh', '--hold', ...action.snaps]));
      return;
    }
    const verb = action.kind === 'snap-install' ? 'install' : 'refresh';
    // A snap mc installs is recorded, so that mc reset removes it (and only what mc installed).
    if (verb === 'install') await remote.run(recordBeforeInstall(action.snap), { quiet: true });
    await remote.run(shellJoin(['snap', verb, action.snap, `--channel=${action.channel}`, '--cohort=+']));
    if (verb === 'install') await remote.run(RECORD_AFTER_INSTALL, { quiet: true });
  },
  async verify(action, { remote }) {
    if (action.kind === 'snap-hold') return;
    await waitReady(remote, action.snap, action.minVersion);
  },
});

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
