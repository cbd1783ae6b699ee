// The simulated programs' shim (src/lab/embedded/shim.pl) against the lab's program server, without SSH:
// what a call sends and gets back byte for byte, stdin only when asked, exit statuses, and each way a call
// can end without an answer. The embedded lab's tests cover the shim through a real shell over SSH.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import type { ProgramCall, ProgramOutcome, ProgramRunner } from '../../src/lab/embedded/ssh-host.js';
import { startProgramServer } from '../../src/lab/program-server.js';
import type { ProgramServer } from '../../src/lab/program-server.js';
import { writeShim } from '../../src/lab/shims.js';
import { tempDir } from '../support/system.js';

/** Runs what each test sets; records each call and whether its shell went away. */
class ScriptedRunner implements ProgramRunner {
  readonly calls: { host: string; argv: readonly string[]; stdin: string; uid: number }[] = [];
  answer: (argv: readonly string[], stdin: string, call: ProgramCall) => Promise<ProgramOutcome> = () =>
    Promise.resolve({ stdout: '', stderr: '', exitCode: 0 });
  programs(): string[] {
    return ['tool'];
  }
  readsStdin(_host: string, argv: readonly string[]): boolean {
    return argv.includes('--stdin');
  }
  run(host: string, argv: readonly string[], stdin: string, call: ProgramCall): Promise<ProgramOutcome> {
    this.calls.push({ host, argv, stdin, uid: call.uid });
    return this.answer(argv, stdin, call);
  }
}

describe('the lab program shim', { concurrency: false }, () => {
  const runner = new ScriptedRunner();
  let scratch: ReturnType<typeof tempDir>;
  let server: ProgramServer;
  let tool: string;
  let socketPath: string;
  const dropped: string[] = [];
  const call = (args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}) =>
    execa(tool, args, {
      reject: false,
      encoding: 'buffer',
      stripFinalNewline: false,
      extendEnv: false,
      env: { PATH: '/usr/bin:/bin', MC_LAB_HOST: 'n1', MC_LAB_SOCKET: socketPath, ...options.env },
      ...(options.input === undefined ? { stdin: 'ignore' } : { input: options.input }),
      timeout: 30_000,
    });

  before(async () => {
    scratch = tempDir('mc-shim');
    socketPath = join(scratch.path, 'programs.sock');
    tool = join(scratch.path, 'tool');
    writeShim(tool, 'tool');
    server = await startProgramServer(socketPath, runner, {
      afterCall: () => undefined,
      dropConnections: (host) => dropped.push(host),
    });
  });
  after(async () => {
    await server.close();
    scratch.remove();
  });

  it('forwards argv, host and uid, and replays large UTF-8 stdout and stderr and the exit status', async () => {
    // Larger than one socket read, with multi-byte characters across the read boundaries.
    const stdout = `${'é€ line\n'.repeat(20_000)}end`;
    const stderr = `${'warning ✓\n'.repeat(10_000)}`;
    runner.answer = () => Promise.resolve({ stdout, stderr, exitCode: 42 });
    const args = ['a b', 'multi\nline', 'ünï', '', '--flag=x'];
    const result = await call(args, { env: { MC_LAB_UID: '0' } });
    assert.equal(result.exitCode, 42);
    assert.equal(Buffer.from(result.stdout).toString('utf8'), stdout);
    assert.equal(Buffer.from(result.stderr).toString('utf8'), stderr);
    assert.deepEqual(runner.calls.at(-1), { host: 'n1', argv: ['tool', ...args], stdin: '', uid: 0 });
    // Without MC_LAB_UID the caller's own uid.
    runner.answer = () => Promise.resolve({ stdout: '', stderr: '', exitCode: 0 });
    assert.equal((await call([])).exitCode, 0);
    assert.equal(runner.calls.at(-1)?.uid, process.getuid?.());
  });

  it('writes stdout before stderr, so a 2>&1 caller reads them in that order', async () => {
    runner.answer = () => Promise.resolve({ stdout: 'out\n', stderr: 'err\n', exitCode: 1 });
    const result = await execa('/bin/sh', ['-c', `"$0" 2>&1`, tool], {
      reject: false,
      env: { MC_LAB_HOST: 'n1', MC_LAB_SOCKET: socketPath },
      timeout: 30_000,
    });
    assert.equal(result.stdout, 'out\nerr');
    assert.equal(result.exitCode, 1);
  });

  it('reads stdin only for a program that reads it, and then all of it', async () => {
    runner.answer = (_argv, stdin) => Promise.resolve({ stdout: `${stdin.length}`, stderr: '', exitCode: 0 });
    const input = 'ß'.repeat(150_000);
    const reading = await call(['--stdin'], { input });
    assert.equal(Buffer.from(reading.stdout).toString(), '150000');
    assert.equal(runner.calls.at(-1)?.stdin, input);
    // A program that does not read stdin leaves it for the next command of the same shell.
    const shell = await execa('/bin/sh', ['-c', `"$0" first; "$0" --stdin`, tool], {
      input: 'payload',
      env: { MC_LAB_HOST: 'n1', MC_LAB_SOCKET: socketPath },
      timeout: 30_000,
    });
    assert.equal(shell.stdout, '07');
    assert.deepEqual(
      runner.calls.slice(-2).map((c) => c.stdin),
      ['', 'payload'],
    );
  });

  it('exits 255 when a fault drops the call, and ends the call when its shell goes away', async () => {
    runner.answer = () => Promise.resolve({ stdout: 'lost', stderr: '', exitCode: 0, dropConnection: true });
    const droppedCall = await call(['--drop']);
    assert.equal(droppedCall.exitCode, 255);
    assert.equal(droppedCall.stdout.length, 0);
    assert.deepEqual(dropped, ['n1']);

    let aborted: () => void = () => undefined;
    const abortSeen = new Promise<void>((resolve) => (aborted = resolve));
    let started: () => void = () => undefined;
    const callStarted = new Promise<void>((resolve) => (started = resolve));
    runner.answer = (_argv, _stdin, { signal }) => {
      signal.addEventListener('abort', () => aborted());
      started();
      return new Promise<never>(() => undefined);
    };
    const hanging = call(['hang']);
    await callStarted;
    hanging.kill('SIGTERM');
    const result = await hanging;
    assert.equal(result.signal, 'SIGTERM');
    await abortSeen;
  });

  it('dies of SIGPIPE when its reader has gone, as a real program does (`snap list | head -1`)', async () => {
    let readerGone: () => void = () => undefined;
    const gone = new Promise<void>((resolve) => (readerGone = resolve));
    runner.answer = async () => {
      await gone;
      return { stdout: 'line\n'.repeat(100_000), stderr: '', exitCode: 0 };
    };
    const child = spawn(tool, ['list'], {
      env: { MC_LAB_HOST: 'n1', MC_LAB_SOCKET: socketPath },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const ended = new Promise<[number | null, string | null]>((resolve) =>
      child.on('close', (code, signal) => resolve([code, signal])),
    );
    child.stdout.destroy();
    readerGone();
    assert.deepEqual(await ended, [null, 'SIGPIPE']);
  });

  it('says why when there is no lab to call (status 127)', async () => {
    const outside = await execa(tool, ['x'], {
      reject: false,
      extendEnv: false,
      env: { PATH: '/usr/bin:/bin' },
      timeout: 30_000,
    });
    assert.equal(outside.exitCode, 127);
    assert.equal(outside.stderr, 'tool: not running on an mc lab host');
    const stopped = await call(['x'], { env: { MC_LAB_SOCKET: join(scratch.path, 'gone.sock') } });
    assert.equal(stopped.exitCode, 127);
    assert.equal(
      Buffer.from(stopped.stderr).toString(),
      'tool: lab is not running (No such file or directory)\n',
    );
  });
});
