// The fault matrix on real LXD (Debian's 5.0.2 in the namespace lab, root): in a deploy phase that runs
// `lxd`, one of three faults hits a host: (a) the command fails (a real cause: another process holds LXD's
// port 8443 on the host's address, so LXD cannot listen there), (b) the host's sshd is killed while the
// command runs, (c) the host's link is cut while it runs (veth down; up again once mc gave up). The deploy
// stops naming the host, the step and what to do next; the fault clears; one deploy converges to every
// member ONLINE within 3 minutes; no `lxd init`/`lxc` that mc started is left on any host, and no deploy lock.
// Unlike deploy-netns-faults.ts (simulated snaps, faults struck from inside the simulated command), the
// command here is the real `lxd init`: the fault strikes when the process shows up in the host's namespace.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import type { NamespaceHost, NamespaceLab } from '../../src/lab/netns.js';
import { startSimNamespaceLab } from '../../src/lab/sim-netns.js';
import type { RealFault } from './deploy-netns-faults.js';
import { FLOOR_50, LXD_ONLY, labProcesses, linesOf, mcOnLab, writeInventory } from './netns-lxd.js';
import { tempDir, uniqueSuffix } from './system.js';

/**
 * A long cut: the link goes down at a point of the join (JoinPoint) and stays down LONG_CUT_MS, longer than
 * LXD's own one-minute waits for raft: the join never finishes (issue 14 point 1; docs/reliability.md).
 */
export type LxdFault = 'command-fails' | `long-cut-${JoinPoint}` | RealFault;

/**
 * Points of LXD 5.0.2's join (lxd/cluster/membership.go Join) as the joiner's LXD directory shows them, each
 * after the leader accepted the joiner (its pending row), each held by a cut longer than the join's own
 * one-minute waits (docs/reliability.md has the states):
 * - `raft-reset`: the joiner replaced its database directory with a fresh raft node's (under the database
 *   lock, which a failed Join never gives back), before it finds the leader;
 * - `raft-added`: the leader replicates to it (raft segments appear in the fresh directory: raft added it as
 *   a voter); the join's last transaction, which clears the pending flag, is next and never completes.
 * Either way the leader keeps the pending row and the joiner's LXD answers nothing that needs the cluster's
 * database (measured: after `raft-added`, `/1.0` still answers, with its name).
 */
export type JoinPoint = 'raft-reset' | 'raft-added';

function longCutPoint(fault: LxdFault): JoinPoint | null {
  return fault.startsWith('long-cut-') ? (fault.slice('long-cut-'.length) as JoinPoint) : null;
}
export type LxdPhase = 'bootstrap' | 'join' | 'configure';

interface PhaseFaults {
  title: string;
  step: RegExp;
  host: number;
  /** The command whose process, once it shows up in the host's namespace, is when the fault strikes. */
  strikesAt: (cmdline: string) => boolean;
  /** The inventory's `cluster.lxd` section for the run (a name unique to it), if the phase needs one. */
  lxd?: (suffix: string) => string[];
}

const LXD_INIT = (cmdline: string): boolean => cmdline.startsWith('lxd init --preseed');
/** The bridge of the configure phase's inventory (as lxd-configure-netns: a dir pool, a standard bridge). */
const bridgeOf = (suffix: string): string => `mcbr${suffix}`;
const subnetOf = (suffix: string): string => `10.79.${(parseInt(suffix, 16) % 200) + 20}`;

const PHASES: Record<LxdPhase, PhaseFaults> = {
  // The first member bootstraps the LXD cluster; the last one joins it last.
  bootstrap: {
    title: 'Bootstrap the first member',
    step: /bootstrap the LXD cluster/,
    host: 0,
    strikesAt: LXD_INIT,
  },
  join: { title: 'Join the other members, one at a time', step: /join LXD as/, host: 2, strikesAt: LXD_INIT },
  // The first member runs the configure steps; the fault strikes at the cluster-wide create of the bridge,
  // which LXD carries out on every member (it notifies the others over the network).
  configure: {
    title: 'Configure LXD',
    step: /create network mcbr\w+ \(bridge\)/,
    host: 0,
    strikesAt: (cmdline) => cmdline.startsWith('lxc network create mcbr') && !cmdline.includes('--target'),
    lxd: (suffix) => [
      '  lxd:',
      '    storage_pools: [{name: data, driver: dir, description: Data}]',
      '    networks:',
      `      - {name: ${bridgeOf(suffix)}, type: bridge, description: Lab bridge, config: {ipv4.address: ${subnetOf(suffix)}.1/24, ipv6.address: none}}`,
    ],
  },
};

/** Keepalives every second, three unanswered end the connection; short handshakes (as deploy-netns-faults). */
const KEEPALIVE = ['ServerAliveInterval: 1', 'ServerAliveCountMax: 3'];
const FLAGS = ['--yes', '--connect-timeout', '3', '--connect-retries', '1', '--timeout', '60'];
const CONVERGE_WITHIN_MS = 180_000;
/** How long a long cut lasts. */
const LONG_CUT_MS = 65_000;

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Processes inside the host's network namespace whose command line `matches`. */
function running(host: NamespaceHost, matches: (cmdline: string) => boolean): number[] {
  // Read /proc directly, not through `ip netns pids`: a bootstrap's lxd init lasts a fraction of a second.
  const netns = `net:[${statSync(`/run/netns/${host.netns}`).ino}]`;
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/ns/net`) === netns;
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter((pid) => matches(cmdline(pid)));
}

/** The raft files in the joiner's database directory; null while it is missing. */
function raftFiles(host: NamespaceHost): string[] | null {
  try {
    return readdirSync(join(host.dir, 'lxd', 'database', 'global'));
  } catch {
    return null;
  }
}

/** A closed raft segment (`FIRST-LAST`), as a node that has a log keeps. */
const CLOSED_SEGMENT = /^\d{16}-\d{16}$/;

/**
 * Waits, polling the joiner's LXD directory, until its join reaches `point` (JoinPoint); false when stopped
 * first. `before`: the raft files as the join began. The reset is seen by its effect, not by an inode (a
 * directory removed and made again may get the same one): the node's closed segments are gone (or the
 * directory is, for a moment); a fresh node has none, and gets open segments once the leader sends it entries.
 */
async function joinReaches(
  host: NamespaceHost,
  point: JoinPoint,
  before: readonly string[],
  stopped: () => boolean,
): Promise<boolean> {
  const closed = before.filter((f) => CLOSED_SEGMENT.test(f));
  if (closed.length === 0) throw new Error(`${host.name}: no raft segment in LXD's database before the join`);
  let reset = false;
  while (!stopped()) {
    const files = raftFiles(host);
    if (files === null || !closed.some((f) => files.includes(f))) reset = true;
    if (reset && (point === 'raft-reset' || (files ?? []).some((f) => f.startsWith('open-')))) return true;
    await sleep(5);
  }
  return false;
}

/**
 * Strikes once, as soon as the phase's command (`lxd init --preseed`, `lxc network create`) runs on the host
 * (a long cut: once its join reaches the cut's point): polls the host's processes and files (a real command
 * cannot call back). Resolves with whether it struck.
 */
function strikeDuring(
  lab: NamespaceLab,
  host: NamespaceHost,
  fault: Exclude<LxdFault, 'command-fails'>,
  strikesAt: (cmdline: string) => boolean,
): { stop(): Promise<boolean>; struckAt(): number } {
  let stopped = false;
  let struckAt = 0;
  const point = longCutPoint(fault);
  const watching = (async (): Promise<boolean> => {
    while (!stopped) {
      if (running(host, strikesAt).length > 0) {
        // The database directory the join will replace: LXD's as the join starts.
        const before = raftFiles(host) ?? [];
        if (point !== null && !(await joinReaches(host, point, before, () => stopped))) return false;
        struckAt = Date.now();
        if (fault !== 'sshd-killed') await lab.setLink(host.name, 'down');
        else await lab.killSshd(host.name);
        return true;
      }
      await sleep(10);
    }
    return false;
  })();
  return {
    stop: async () => {
      stopped = true;
      return watching;
    },
    struckAt: () => struckAt,
  };
}

/** Another process listening on the host's address, port 8443 (LXD's), until killed. */
function holdLxdPort(host: NamespaceHost) {
  const listener = execa(
    'ip',
    [
      'netns',
      'exec',
      host.netns,
      '/usr/bin/python3',
      '-c',
      `import socket, time\ns = socket.socket()\ns.bind(('${host.address}', 8443))\ns.listen()\nprint('listening', flush=True)\ntime.sleep(600)`,
    ],
    { reject: false },
  );
  return listener;
}

type PortHolder = ReturnType<typeof holdLxdPort>;

async function listening(listener: PortHolder): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    listener.stdout?.on('data', () => resolve());
    void listener.then((r) => reject(new Error(`the port holder ended: ${String(r.stderr)}`)));
  });
}

export function describeLxdFault(phase: LxdPhase, fault: LxdFault): void {
  const { title, step, host: index, strikesAt, lxd } = PHASES[phase];
  const cutAt = longCutPoint(fault);
  describe(`real LXD: ${fault} during ${phase}`, { concurrency: false }, () => {
    let scratch: ReturnType<typeof tempDir>;
    before(() => {
      scratch = tempDir(`mc-lxd-fault-${phase}`);
    });
    after(() => scratch.remove());

    it(`stops naming the host and the step; cleared, one deploy converges to every member ONLINE`, async (t) => {
      const suffix = uniqueSuffix().slice(-4);
      const names = [1, 2, 3].map((i) => `lf${suffix}n${i}`);
      const { lab } = await startSimNamespaceLab({ names, baseDir: scratch.path, realLxd: true });
      const target = lab.hosts[index] as NamespaceHost;
      let holder: PortHolder | undefined;
      try {
        writeInventory(lab, [...LXD_ONLY, FLOOR_50, ...(lxd?.(suffix) ?? [])], KEEPALIVE);
        let strike: ReturnType<typeof strikeDuring> | undefined;
        if (fault === 'command-fails') {
          holder = holdLxdPort(target);
          await listening(holder);
        } else {
          strike = strikeDuring(lab, target, fault, strikesAt);
        }
        const failed = await mcOnLab(lab, ['deploy', ...FLAGS]);
        let failedLine = '';
        const struck = (await strike?.stop()) ?? true;
        const output = `${failed.stdout}\n${failed.stderr}`;
        try {
          assert.ok(struck, `the fault never struck: no ${phase} command ran on ${target.name}\n${output}`);
          assert.equal(failed.code, 1, output);
          const lines = failed.stdout.split('\n');
          const at = lines.findIndex((l) => l.startsWith(`[${target.name}] FAILED: `) && step.test(l));
          assert.ok(at >= 0, `no FAILED line for ${target.name} matching ${String(step)}\n${output}`);
          const line = lines[at] ?? '';
          failedLine = line;
          assert.equal(
            lines.slice(0, at).findLast((l) => l.startsWith('== ')),
            `== ${title}`,
            output,
          );
          assert.match(line, /run mc deploy again/, output);
          assert.match(failed.stderr, /deploy stopped; .*run mc deploy again/, output);
          if (fault.endsWith('network-cut') || cutAt !== null) {
            assert.match(line, /no answer to keepalives/, output);
          }
          if (fault === 'sshd-killed') assert.match(line, /connection closed by the remote host/, output);
          // LXD's own error, not the script mc ran.
          if (fault === 'command-fails') {
            assert.match(
              line,
              /`lxd init --preseed` failed \(exit 1\): Error: .*address already in use/,
              output,
            );
          }
          assert.doesNotMatch(output, /MC_LOCK_DIR|echo \$\$/, output);
        } finally {
          // The fault clears.
          if (cutAt !== null) {
            await sleep(Math.max(0, (strike?.struckAt() ?? 0) + LONG_CUT_MS - Date.now()));
          }
          if (fault.endsWith('network-cut') || cutAt !== null) await lab.setLink(target.name, 'up');
          if (fault === 'sshd-killed') await lab.restartSshd(target.name);
          holder?.kill();
          await holder;
          holder = undefined;
        }

        const planned: string[] = [];
        if (cutAt !== null) {
          // The join never finished: the leader keeps the joiner pending. Its LXD, holding its database lock,
          // answers no call that needs the cluster's database; `/1.0` needs none (JoinPoint).
          const left = await mcOnLab(lab, [
            'run',
            '--',
            `lxd sql global 'SELECT id, name, state FROM nodes' ; timeout 10 lxc query /1.0 | grep -o '"server_name": *"[^"]*"'`,
          ]);
          const leader = linesOf(names[0] ?? '', left.stdout).join('\n');
          assert.match(leader, new RegExp(`\\| ${target.name} \\| 1 `), left.stdout);
          const joiner = linesOf(target.name, left.stdout).join('\n');
          t.diagnostic(
            `after the cut, ${target.name}'s /1.0: ${/"server_name": *"[^"]*"/.exec(joiner)?.[0] ?? 'no answer'}`,
          );
          const plan = await mcOnLab(lab, ['plan']);
          const clear = plan.stdout
            .split('\n')
            .find((l) => l.includes('clear the LXD join that never finished'));
          assert.ok(clear !== undefined, plan.stdout + plan.stderr);
          planned.push(clear);
        }
        if (lxd !== undefined) {
          // The faulted run's `lxc network create` may still be running on the host (its session was cut, the
          // command was not): LXD finishes it once the link is back. `mc plan` does not wait for it (deploy does,
          // before it reads LXD's state for the configure steps): plan once it has ended, as an operator would
          // after the fault, so that what the plan shows is the state the deploy starts from.
          const waited = Date.now();
          const running = async (): Promise<string[]> =>
            (await labProcesses(lab)).map((p) => cmdline(p.pid)).filter((line) => line.startsWith('lxc '));
          let still = await running();
          while (still.length > 0 && Date.now() - waited < 90_000) {
            await sleep(500);
            still = await running();
          }
          assert.deepEqual(still, [], 'the faulted run left an lxc command running for 90 s');
          t.diagnostic(
            `the faulted run's lxc commands ended ${Date.now() - waited} ms after the fault cleared`,
          );
          // Where the fault left LXD's create is a race: done on every member before the fault landed, never
          // started (Pending: the plan creates it), or Errored midway (the plan resumes it, rather than repeating
          // a create LXD refuses). Whichever, what the plan shows is what the deploy does.
          const plan = await mcOnLab(lab, ['plan']);
          assert.equal(plan.code, 0, plan.stdout + plan.stderr);
          const bridge = bridgeOf(suffix);
          const configure = plan.stdout
            .split('\n')
            .filter((l) => l.includes(bridge) && / {2}\S+ {2}/.test(l));
          t.diagnostic(
            `planned after the fault: ${configure.map((l) => l.trim()).join(' | ') || 'nothing for the bridge'}`,
          );
          planned.push(...configure);
        }
        const converged = await mcOnLab(lab, ['deploy', ...FLAGS], CONVERGE_WITHIN_MS);
        const again = `${converged.stdout}\n${converged.stderr}`;
        for (const line of planned) {
          // What the plan showed is what deploy did, or said LXD had done meanwhile (the faulted run's own
          // create can still finish once the link is back, after the plan was read).
          const [, host, step] = /^(\S+)\s+(.*)$/.exec(line.trim()) ?? [];
          assert.ok(
            again.includes(`[${host}] changed: ${step}`) ||
              again.includes(`[${host}] ok: ${step}: already done (LXD got there after the plan was read`),
            `${line}\n${again}`,
          );
        }
        assert.equal(converged.code, 0, again);
        assert.ok(converged.ms < CONVERGE_WITHIN_MS, `converged in ${converged.ms} ms\n${again}`);
        assert.match(converged.stdout, /^Verified: \d+ checks passed\./m, again);
        // Every member ONLINE, as LXD itself lists them.
        const last = names.at(-1) ?? '';
        const list = await mcOnLab(lab, ['run', '-l', last, '--', 'lxc cluster list -f csv']);
        assert.equal(list.code, 0, list.stdout + list.stderr);
        const members = linesOf(last, list.stdout)
          .filter((l) => l.startsWith(`lf${suffix}`))
          .map((l) => l.split(','));
        assert.deepEqual(
          members.map((m) => [m[0], m.includes('ONLINE')]).sort(),
          names.map((n) => [n, true]),
          list.stdout,
        );
        if (lxd !== undefined) {
          // The inventory's pool and bridge, created (not Pending, not Errored), the bridge with its address on every member.
          const bridge = bridgeOf(suffix);
          const objects = await mcOnLab(lab, [
            'run',
            '--',
            `lxc network list -f csv | grep ^${bridge}, ; lxc storage list -f csv | grep ^data, ; ip -br addr show ${bridge}`,
          ]);
          assert.equal(objects.code, 0, objects.stdout + objects.stderr);
          for (const name of names) {
            const shown = linesOf(name, objects.stdout);
            const report = `${name}:\n${objects.stdout}`;
            assert.ok(
              shown.some((l) => l.startsWith(`${bridge},bridge,YES,`) && l.endsWith(',CREATED')),
              report,
            );
            assert.ok(
              shown.some((l) => l.startsWith('data,dir,') && l.endsWith(',CREATED')),
              report,
            );
            assert.ok(
              shown.some((l) => l.startsWith(`${bridge} `) && l.includes(`${subnetOf(suffix)}.1/24`)),
              report,
            );
          }
        }
        // Nothing mc started is left running, and no host keeps a deploy lock.
        const left = (await labProcesses(lab))
          .map((p) => ({ ...p, cmdline: cmdline(p.pid) }))
          .filter((p) => /^(lxd init|lxc )/.test(p.cmdline));
        assert.deepEqual(left, []);
        if (cutAt !== null) {
          // Converged means converged: the next deploy has nothing to do.
          const rerun = await mcOnLab(lab, ['deploy', ...FLAGS]);
          assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr);
          assert.match(
            rerun.stdout,
            /^No changes: the cluster already matches the inventory\.$/m,
            rerun.stdout,
          );
          const pending = await mcOnLab(lab, [
            'run',
            '--',
            "lxd sql global 'SELECT count(*) AS pending FROM nodes WHERE state = 1'",
          ]);
          assert.equal(pending.code, 0, pending.stdout + pending.stderr);
          assert.match(pending.stdout, /\| 0 +\|/, pending.stdout);
        }
        for (const h of lab.hosts)
          assert.equal(existsSync(join(h.dir, 'lock', 'mc-deploy.lock')), false, h.name);
        t.diagnostic(`failed: ${failedLine}`);
        t.diagnostic(
          `converging: ${converged.stdout
            .split('\n')
            .filter((l) => / changed: /.test(l))
            .join(' | ')}`,
        );
        t.diagnostic(`failed deploy ${failed.ms} ms, converging deploy ${converged.ms} ms`);
      } finally {
        holder?.kill();
        await lab.stop();
      }
    });
  });
}
