// One fault per deploy phase, each in a test file of its own (a faulty deploy and the one that converges take
// most of a minute on the embedded lab): the deploy stops naming the host and the step, the next converges.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { World } from '../../src/lab/sim/index.js';
import { FULL, startLab } from './deploy-lab.js';

export type DeployPhase = 'install' | 'bootstrap' | 'join' | 'storage' | 'configure';

const FAULTS: Record<DeployPhase, { host: string; inject: (w: World) => void }> = {
  install: {
    host: 'micro2',
    inject: (w) =>
      w.faults.failOnce('micro2', 'snap install microovn', {
        stderr: 'error: cannot install "microovn": persistent network error',
      }),
  },
  bootstrap: {
    host: 'micro1',
    inject: (w) =>
      w.faults.failOnce('micro1', 'microceph cluster bootstrap', {
        stderr: 'Error: context deadline exceeded',
      }),
  },
  join: {
    host: 'micro3',
    inject: (w) =>
      w.faults.failOnce('micro3', /^curl .*microovn/, { exitCode: 7, stderr: 'curl: (7) Failed to connect' }),
  },
  storage: {
    host: 'micro1',
    inject: (w) => w.faults.failOnce('micro1', 'microceph disk add', { stderr: 'Error: failed to add disk' }),
  },
  configure: {
    host: 'micro1',
    inject: (w) =>
      w.faults.failOnce('micro1', 'lxc network create default', {
        stderr: 'Error: Failed to run: ovn-nbctl: timeout',
      }),
  },
};

export function describeDeployFault(phase: DeployPhase): void {
  const { host, inject } = FAULTS[phase];
  describe(`deploy faults: ${phase}`, { concurrency: false }, () => {
    it(`${phase}: names ${host} and the step, then converges`, async () => {
      const lab = await startLab(['micro1', 'micro2', 'micro3']);
      try {
        lab.inventory(FULL(['micro1', 'micro2', 'micro3'], undefined, 'direct'));
        inject(lab.world);
        const failed = await lab.mc('deploy', '--yes');
        assert.equal(failed.exitCode, 1, failed.stdout + failed.stderr);
        assert.match(failed.stdout, new RegExp(`\\[${host}\\] FAILED: .+run mc deploy again`));
        const again = await lab.mc('deploy', '--yes');
        assert.equal(again.exitCode, 0, again.stdout + again.stderr);
        assert.match(again.stdout, /The cluster is ready/);
      } finally {
        await lab.stop();
      }
    });
  });
}
