// Faults injected in deploy phases on the embedded lab: the deploy stops naming the host and the step, and
// the next deploy converges.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { World } from '../../src/lab/sim/index.js';
import { FULL, startLab } from '../support/deploy-lab.js';

describe('deploy faults: configure', { concurrency: false }, () => {
  const faults: [string, string, (w: World) => void][] = [
    [
      'install',
      'micro2',
      (w) =>
        w.faults.failOnce('micro2', 'snap install microovn', {
          stderr: 'error: cannot install "microovn": persistent network error',
        }),
    ],
    [
      'bootstrap',
      'micro1',
      (w) =>
        w.faults.failOnce('micro1', 'microceph cluster bootstrap', {
          stderr: 'Error: context deadline exceeded',
        }),
    ],
    [
      'join',
      'micro3',
      (w) =>
        w.faults.failOnce('micro3', /^curl .*microovn/, {
          exitCode: 7,
          stderr: 'curl: (7) Failed to connect',
        }),
    ],
    [
      'storage',
      'micro1',
      (w) => w.faults.failOnce('micro1', 'microceph disk add', { stderr: 'Error: failed to add disk' }),
    ],
    [
      'configure',
      'micro1',
      (w) =>
        w.faults.failOnce('micro1', 'lxc network create default', {
          stderr: 'Error: Failed to run: ovn-nbctl: timeout',
        }),
    ],
  ];
  const selected = faults.filter(([phase]) => ['configure'].includes(phase));
  for (const [phase, host, inject] of selected) {
    it(`${phase}: names ${host} and the step, then converges`, async () => {
      const lab = await startLab(['micro1', 'micro2', 'micro3']);
      try {
        lab.inventory(FULL(['micro1', 'micro2', 'micro3']));
        inject(lab.world);
        const failed = await lab.mc('deploy', '--yes');
        assert.equal(failed.exitCode, 1, failed.stdout + failed.stderr);
        assert.match(failed.stdout, new RegExp(`\\[${host}\\] FAILED: .+run mc deploy again`));
        const again = await lab.mc('deploy', '--yes');
        assert.equal(again.exitCode, 0, again.stdout + again.stderr);
        assert.match(again.stdout, /MicroCloud is ready/);
      } finally {
        await lab.stop();
      }
    });
  }
});
