// `microceph.ceph health`: Ceph's one-line health from the model. An OSD is down while its host's MicroCeph
// daemon is not running (the snap removed, or the host's daemon gone); pools whose size exceeds the OSDs up are
// undersized. Other `ceph` commands are not modelled.
import { cephData } from '../ceph.js';
import { clusterOf } from '../microcluster.js';
import { NotModelledError, Output, type ProgramContext, type ProgramResult } from '../program.js';

export async function cephProgram(ctx: ProgramContext): Promise<ProgramResult> {
  await Promise.resolve();
  const out = new Output();
  const args = ctx.argv.slice(1);
  if (args.length !== 1 || args[0] !== 'health') throw new NotModelledError(`ceph ${args.join(' ')}`);
  const cluster = clusterOf(ctx.world, ctx.machine, 'microceph');
  if (cluster === null || ctx.uid !== 0) {
    // Without the cluster's conf and keyring (not bootstrapped, or not root) the client cannot start.
    out.eprintln(
      "Error initializing cluster client: ObjectNotFound('RADOS object not found (error calling conf_read_file)')",
    );
    return out.done(1);
  }
  const data = cephData(cluster);
  const down = data.osds.filter((osd) => {
    const machine = ctx.world.state.machines[osd.host];
    return machine?.daemons.microceph?.clusterId !== cluster.id;
  });
  const up = data.osds.length - down.length;
  const warnings: string[] = [];
  if (down.length > 0) warnings.push(`${down.length} osds down`);
  const undersized = data.pools.filter((p) => p.size > up);
  if (undersized.length > 0 && data.osds.length > 0) warnings.push('Degraded data redundancy');
  out.println(warnings.length === 0 ? 'HEALTH_OK' : `HEALTH_WARN ${warnings.join('; ')}`);
  return out.done(0);
}
