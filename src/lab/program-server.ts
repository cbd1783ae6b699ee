// The lab process's side of the shims: a unix socket where each connection is one program call.
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import type { ProgramOutcome, ProgramRunner } from './embedded/ssh-host.js';

export interface ProgramServerHooks {
  /** After a call: the host's programs may have changed (a snap was installed). */
  afterCall(host: string, argv: readonly string[], outcome: ProgramOutcome): Promise<void> | void;
  /** A fault cut the host's connections. */
  dropConnections(host: string): void;
}

export interface ProgramServer {
  close(): Promise<void>;
}

interface ProgramRequest {
  host: string;
  argv: string[];
  uid: number;
}

export async function startProgramServer(
  socketPath: string,
  runner: ProgramRunner,
  hooks: ProgramServerHooks,
): Promise<ProgramServer> {
  rmSync(socketPath, { force: true });
  const server = createServer((socket) => serveCall(socket, runner, hooks));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          rmSync(socketPath, { force: true });
          resolve();
        }),
      ),
  };
}

/** One shim call (the protocol is in shim.pl): a request frame, maybe a stdin frame, then the result. */
function serveCall(socket: Socket, runner: ProgramRunner, hooks: ProgramServerHooks): void {
  let buffer = Buffer.alloc(0);
  let request: ProgramRequest | undefined;
  // The shim dies with its shell; a simulated call still waiting (a hang fault) must end with it.
  const abort = new AbortController();
  socket.on('close', () => abort.abort());
  const run = async (call: ProgramRequest, stdin: string): Promise<void> => {
    let outcome: ProgramOutcome;
    try {
      outcome = await runner.run(call.host, call.argv, stdin, { uid: call.uid, signal: abort.signal });
      await hooks.afterCall(call.host, call.argv, outcome);
    } catch (err) {
      if (abort.signal.aborted) return;
      // A lab bug must show up as a failed command, not as a hung shell.
      const message = err instanceof Error ? err.message : String(err);
      outcome = {
        stdout: '',
        stderr: `mc lab: ${call.argv[0] ?? ''}: internal error: ${message}\n`,
        exitCode: 70,
      };
    }
    if (outcome.dropConnection === true) {
      hooks.dropConnections(call.host);
      socket.destroy();
      return;
    }
    socket.end(resultFrame(outcome));
  };
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 4 && buffer.length >= 4 + buffer.readUInt32BE(0)) {
      const end = 4 + buffer.readUInt32BE(0);
      const frame = buffer.subarray(4, end).toString('utf8');
      buffer = buffer.subarray(end);
      if (request === undefined) {
        const [uid = '', host = '', ...argv] = frame.split('\0');
        request = { host, argv, uid: Number(uid) };
        if (runner.readsStdin(request.host, request.argv)) socket.write('S');
        else void run(request, '');
      } else {
        void run(request, frame);
      }
    }
  });
  socket.on('error', () => socket.destroy());
}

/** 'R', the exit status, the two lengths, then stdout and stderr. */
function resultFrame(outcome: ProgramOutcome): Buffer {
  const stdout = Buffer.from(outcome.stdout, 'utf8');
  const stderr = Buffer.from(outcome.stderr, 'utf8');
  const head = Buffer.alloc(13);
  head.write('R', 0, 'latin1');
  head.writeUInt32BE(outcome.exitCode >>> 0, 1);
  head.writeUInt32BE(stdout.length, 5);
  head.writeUInt32BE(stderr.length, 9);
  return Buffer.concat([head, stdout, stderr]);
}
