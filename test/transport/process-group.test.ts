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

describe('ProcessGroupCommand.wire', () => {
  /** Runs the wire as sshd runs a session's command: `$SHELL -c WIRE`, as a session leader or not. */
  const runWire = (command: string, leader: boolean, stdin = '') => {
    const group = new ProcessGroupCommand(command);
    const child = spawn('bash', ['-c', group.wire], {
      detached: leader,
      env: { ...process.env, SHELL: '/bin/bash' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      for (const line of chunk.split('\n')) group.consumeStderrLine(line);
    });
    child.stdin.end(stdin);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('close', (code, signal) => resolve({ code, signal })),
    );
    return { group, child, exited, output: () => ({ stdout, stderr: group.cleanStderr(stderr) }) };
  };
  const waitForGroup = async (group: ProcessGroupCommand): Promise<number> => {
    for (let tries = 0; tries < 100 && group.pgid === undefined; tries += 1) await sleep(20);
    return group.pgid as number;
  };

  for (const leader of [true, false]) {
    const how = leader ? 'as the leader of its group (sshd)' : 'inside a group it does not lead (sudo)';
    it(`${how}: reports the command's process group, passes stdin, stdout and the exit status`, async () => {
      const run = runWire('cat; read -r _ _ _ _ g _ </proc/$$/stat; echo "group $g"; exit 3', leader, 'in\n');
      const { code, signal } = await run.exited;
      assert.deepEqual({ code, signal }, { code: 3, signal: null });
      const pgid = run.group.pgid as number;
      assert.deepEqual(run.output(), { stdout: `in\ngroup ${pgid}\n`, stderr: '' });
      // Led by sshd, the command is the process sshd started (one exec, no fork); otherwise a new group.
      if (leader) assert.equal(pgid, run.child.pid);
      else assert.notEqual(pgid, run.child.pid);
    });

    for (const signal of ['TERM', 'INT'] as const) {
      it(`${how}: kill -${signal} of the group ends the command with that signal`, async () => {
        const run = runWire('sleep 60', leader);
        try {
          const pgid = await waitForGroup(run.group);
          await sleep(100);
          await execa('sh', ['-c', run.group.killCommand(signal) as string]);
          const { code, signal: ended } = await run.exited;
          assert.deepEqual({ code, ended }, { code: null, ended: `SIG${signal}` });
          assert.equal((await execa('pgrep', ['-g', String(pgid)], { reject: false })).stdout.trim(), '');
        } finally {
          run.child.kill('SIGKILL');
        }
      });
    }
  }
});
