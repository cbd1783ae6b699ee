// Ceph's disks: each member adds its OSDs (encrypted ones need dm-crypt, §4.4), then the replication of
// MicroCloud's pools follows the OSDs present (§3.6).
import { randomBytes } from 'node:crypto';
import type { Action } from '../../../domain/cluster/actions.js';
import { clusterStateCommands, parseClusterState } from '../../../domain/cluster/state.js';
import { framedScript, splitFramed } from '../../../domain/framed.js';
import { shellJoin } from '../../../transport/quote.js';
import type { Remote } from '../remote.js';
import { definePhase } from './phase.js';

type OsdAction = Extract<Action, { kind: 'ceph-disk-add' | 'ceph-replication' }>;

export const addOsds = definePhase({
  title: 'add the Ceph disks and set replication',
  owns: (action): action is OsdAction =>
    action.kind === 'ceph-disk-add' || action.kind === 'ceph-replication',
  async run(action, { remote, dmCryptReady }) {
    if (action.kind === 'ceph-replication') {
      await setReplication(remote);
      return;
    }
    if (action.disk.encrypt && !dmCryptReady.has(remote.host)) {
      // Encrypted OSDs need the dm-crypt interface and a daemon restart (§4.4).
      await remote.run('snap connect microceph:dm-crypt');
      await remote.run('snap restart microceph.daemon');
      dmCryptReady.add(remote.host);
    }
    const argv = ['microceph', 'disk', 'add', action.disk.path];
    if (action.disk.wipe) argv.push('--wipe');
    if (action.disk.encrypt) argv.push('--encrypt');
    await remote.run(shellJoin(argv));
  },
});

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
