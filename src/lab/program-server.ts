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

/** One shim call: a request line, maybe a stdin line, then the result line. */
function serveCall(socket: Socket, runner: ProgramRunner, hooks: ProgramServerHooks): void {
  let buffer = '';
  let request: ProgramRequest | undefined;
  socket.setEncoding('utf8');
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
    socket.end(`${JSON.stringify({ type: 'result', ...outcome })}\n`);
  };
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (request === undefined) {
        request = JSON.parse(line) as ProgramRequest;
        if (runner.readsStdin(request.host, request.argv))
          socket.write(`${JSON.stringify({ type: 'need-stdin' })}\n`);
        else void run(request, '');
      } else {
        void run(request, (JSON.parse(line) as { stdin: string }).stdin);
      }
    }
  });
  socket.on('error', () => socket.destroy());
}
