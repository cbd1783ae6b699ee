// Real faults in each deploy phase, on the namespace lab (root): a host's sshd killed (its connections drop,
// new ones are refused), or its link cut (packets vanish, no RST: only keepalives can tell). The snaps are
// simulated; SSH, the kernel's TCP and the fault are real. One lab and one chain of deploys per file: each
// deploy stops at the next phase's fault, naming the host, the step and what to do next; the fault is
// cleared; the following deploy takes up from there. After the last, a deploy converges and verifies, and
// one more finds nothing to do.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import type { ProgramRunner } from '../../src/lab/embedded/ssh-host.js';
import type { NamespaceLab } from '../../src/lab/netns.js';
import { labInventoryLines, startSimNamespaceLab } from '../../src/lab/sim-netns.js';
import { matchesPattern } from '../../src/lab/sim/index.js';
import type { CommandPattern } from '../../src/lab/sim/index.js';
import type { DeployPhase } from './deploy-faults.js';
import { FULL, MC } from './deploy-lab.js';
import { tempDir } from './system.js';

export type RealFault = 'sshd-killed' | 'network-cut';

/** The deploy's phases, with the MicroCloud engine's `form` (microcloud preseed). */
export type FaultPhase = DeployPhase | 'form';

export interface PhaseFault {
  phase: FaultPhase;
  host: string;
  /** The command on `host` during which the fault strikes. */
  during: CommandPattern;
  /** The failed step as the output titles it. */
  step: RegExp;
}

const NAMES = ['micro1', 'micro2', 'micro3'];

/** Each phase's heading in the plain output. */
const PHASE_TITLES: Record<FaultPhase, string> = {
  install: 'Install and hold the snaps',
  form: 'Form the cluster with MicroCloud (microcloud preseed)',
  bootstrap: 'Bootstrap the first member',
  join: 'Join the other members, one at a time',
  storage: 'Ceph disks and replication',
  configure: 'Configure LXD',
};

/**
 * Timeouts cut for the lab, through the settings a user has: keepalives every second, three unanswered ones
 * end the connection (~4 s, not OpenSSH-style minutes); handshakes get 3 s; a command 60 s.
 */
const KEEPALIVE = ['ServerAliveInterval: 1', 'ServerAliveCountMax: 3'];
const FLAGS = [
  '--yes',
  '--allow-veth',
  '--connect-timeout',
  '3',
  '--connect-retries',
  '1',
  '--timeout',
  '60',
];

/** Strikes once, when `during` starts on `host`: the simulated command then runs, or not, as the fault says. */
class Trigger {
  private armed: { fault: PhaseFault; fired: boolean } | undefined;
  constructor(
    private readonly kind: RealFault,
    private readonly lab: () => NamespaceLab,
  ) {}

  arm(fault: PhaseFault): void {
    this.armed = { fault, fired: false };
  }

  /** Whether the armed fault struck; disarms it. */
  disarm(): boolean {
    const fired = this.armed?.fired === true;
    this.armed = undefined;
    return fired;
  }

  wrap(runner: ProgramRunner): ProgramRunner {
    return {
      programs: (host) => runner.programs(host),
      readsStdin: (host, argv) => runner.readsStdin(host, argv),
      run: async (host, argv, stdin, call) => {
        const armed = this.armed;
        if (armed === undefined || armed.fired || armed.fault.host !== host)
          return runner.run(host, argv, stdin, call);
        if (!matchesPattern(armed.fault.during, argv)) return runner.run(host, argv, stdin, call);
        armed.fired = true;
        if (this.kind === 'network-cut') {
          // The command runs and changes the host; its answer never reaches mc.
          await this.lab().setLink(host, 'down');
          return runner.run(host, argv, stdin, call);
        }
        // The host's sshd dies with its sessions, this command's shell among them: the command never runs.
        await this.lab().killSshd(host);
        if (!call.signal.aborted) {
          await new Promise((resolve) => call.signal.addEventListener('abort', resolve, { once: true }));
        }
        throw new Error('the calling session is gone');
      },
    };
  }
}

interface McResult {
  code: number | undefined;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * `engine`: 'direct' (mc forms the clusters itself) or 'microcloud' (MicroCloud's preseed forms them, with a
 * lookup_timeout of 10 s so that a joiner lost before it reached the initiator fails the run quickly).
 */
export function describeRealDeployFaults(
  kind: RealFault,
  faults: PhaseFault[],
  engine: 'direct' | 'microcloud' = 'direct',
): void {
  describe(`deploy faults on the namespace lab: ${kind} (${engine} engine)`, { concurrency: false }, () => {
    let scratch: ReturnType<typeof tempDir>;
    let lab: NamespaceLab;
    const trigger = new Trigger(kind, () => lab);
    const mc = async (): Promise<McResult> => {
      const started = Date.now();
      const r = await execa(
        'node',
        [MC, 'deploy', ...FLAGS, '-i', join(lab.dir, 'hosts.yaml'), '-o', 'plain'],
        {
          reject: false,
          stdin: 'ignore',
          // A hang shows as a deploy that never ended, not as the file's time limit.
          timeout: 120_000,
          env: { CI: 'true', HOME: '/nonexistent', XDG_CACHE_HOME: lab.dir },
        },
      );
      return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
    };

    before(async () => {
      scratch = tempDir(`mc-fault-${kind}`);
      ({ lab } = await startSimNamespaceLab({
        names: NAMES,
        baseDir: scratch.path,
        wrapRunner: (runner) => trigger.wrap(runner),
      }));
      writeFileSync(
        join(lab.dir, 'hosts.yaml'),
        [
          ...labInventoryLines(lab, KEEPALIVE),
          engine === 'direct'
            ? FULL(NAMES, NAMES, 'direct')
            : FULL(NAMES).replace('cluster:\n', 'cluster:\n  lookup_timeout: 10\n'),
        ].join('\n'),
      );
    });
    after(async () => {
      await lab?.stop();
      scratch.remove();
    });

    let previous: PhaseFault | undefined;
    for (const fault of faults) {
      it(`${fault.phase}: ${kind} on ${fault.host} stops the deploy naming it and the step; cleared, the next goes on`, async (t) => {
        trigger.arm(fault);
        const failed = await mc();
        const fired = trigger.disarm();
        const output = `${failed.stdout}\n${failed.stderr}`;
        try {
          assert.ok(
            fired,
            `the fault never struck: ${fault.host} did not run ${String(fault.during)}\n${output}`,
          );
          assert.equal(failed.code, 1, output);
          // Where: the host and the step (others of its steps running beside it fail too), in the phase the
          // fault was injected in.
          const lines = failed.stdout.split('\n');
          const at = lines.findIndex((l) => l.startsWith(`[${fault.host}] FAILED: `) && fault.step.test(l));
          assert.ok(at >= 0, `no FAILED line for ${fault.host} matching ${String(fault.step)}\n${output}`);
          const line = lines[at] ?? '';
          const heading = lines.slice(0, at).findLast((l) => l.startsWith('== '));
          assert.equal(heading, `== ${PHASE_TITLES[fault.phase]}`, output);
          assert.match(line, /run mc deploy again/, output);
          assert.match(failed.stderr, /deploy stopped; .*run mc deploy again/);
          if (kind === 'network-cut') {
            // Nothing but keepalives can tell: mc ends on them, the link still cut.
            assert.match(line, /no answer to keepalives/, output);
          } else {
            assert.match(line, /connection closed by the remote host/, output);
          }
          // The earlier fault's host took up from where it stood, and the dead deploy's lock was taken over.
          if (previous !== undefined) {
            assert.match(
              failed.stdout,
              new RegExp(
                `^\\[${previous.host}\\] WARNING: took over the deploy lock of a deploy that is no longer running`,
                'm',
              ),
            );
          }
        } finally {
          // The fault clears.
          if (fired && kind === 'network-cut') await lab.setLink(fault.host, 'up');
          if (fired && kind === 'sshd-killed') await lab.restartSshd(fault.host);
          if (fired) previous = fault;
        }
        t.diagnostic(`failed deploy: ${failed.ms} ms`);
      });
    }

    it('then converges to the full cluster, and a further deploy finds nothing to do', async (t) => {
      const converged = await mc();
      assert.equal(converged.code, 0, converged.stdout + converged.stderr);
      assert.match(converged.stdout, /^Deployed: \d+ change\(s\)\.$/m);
      const ready = engine === 'direct' ? 'The cluster is ready' : 'MicroCloud is ready';
      assert.match(converged.stdout, new RegExp(`^Verified: \\d+ checks passed\\. ${ready}\\.$`, 'm'));
      const again = await mc();
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /^No changes: the cluster already matches the inventory\.$/m);
      t.diagnostic(`converging deploy: ${converged.ms} ms, then ${again.ms} ms`);
    });
  });
}
