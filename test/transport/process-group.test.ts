// The command that stops a remote command's process group works in every shell it can run under: the
// user's login shell (bash) and sh, which is dash on Debian and Ubuntu (it runs it under sudo).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { ProcessGroupCommand } from '../../src/transport/process-group.js';

const SHELLS = ['/bin/bash', '/bin/sh', '/bin/dash'].filter((shell) => existsSync(shell));

describe('ProcessGroupCommand.killCommand', () => {
  for (const shell of SHELLS) {
    it(`ends the whole group when ${shell} runs it`, async () => {
      // A group of two: the leader and a child, as a wrapped command with a pipeline would be.
      const leader = spawn('sh', ['-c', 'sleep 60 & sleep 60; wait'], { detached: true, stdio: 'ignore' });
      const pgid = leader.pid as number;
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        leader.once('exit', (_code, signal) => resolve(signal)),
      );
      try {
        const group = new ProcessGroupCommand('sleep 60');
        group.consumeStderrLine(`${/MC-PGID-[0-9a-f]+/.exec(group.wire)?.[0] ?? ''} ${pgid}`);
        assert.equal(group.pgid, pgid);
        await sleep(100);
        const kill = group.killCommand('TERM') as string;
        await execa(shell, ['-c', kill]);
        assert.equal(await exited, 'SIGTERM');
        // The children went with it: nothing of the group is left once init has reaped them.
        let left = '';
        for (let tries = 0; tries < 40; tries += 1) {
          left = (await execa('pgrep', ['-g', String(pgid)], { reject: false })).stdout.trim();
          if (left === '') break;
          await sleep(50);
        }
        assert.equal(left, '', `left in group ${pgid}: ${left}`);
      } finally {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // already gone, as it should be
        }
      }
    });
  }
});
