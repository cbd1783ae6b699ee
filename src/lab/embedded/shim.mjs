// Stand-in for a simulated program (snap, microceph, lsblk...) on a lab host, run by a two-line sh
// wrapper as `node shim.mjs PROGRAM ARGS...`. It forwards the call to the lab process over a unix
// socket and replays the answer. Plain JavaScript with only node: imports, so a call costs one bare
// node start-up. Host and socket come from the environment, or from /run/mc-lab/host.json on
// namespace hosts, where sudo clears the environment.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const program = process.argv[2];
const args = process.argv.slice(3);
let { MC_LAB_HOST: host, MC_LAB_SOCKET: socketPath } = process.env;
if (host === undefined || socketPath === undefined) {
  try {
    ({ host, socket: socketPath } = JSON.parse(readFileSync('/run/mc-lab/host.json', 'utf8')));
  } catch {
    process.stderr.write(`${program}: not running on an mc lab host\n`);
    process.exit(127);
  }
}

const socket = connect(socketPath);
let buffer = '';
socket.setEncoding('utf8');
socket.on('connect', () => {
  const request = {
    host,
    argv: [program, ...args],
    uid: Number(process.env.MC_LAB_UID ?? process.getuid()),
  };
  socket.write(`${JSON.stringify(request)}\n`);
});
socket.on('data', (chunk) => {
  buffer += chunk;
  let newline;
  while ((newline = buffer.indexOf('\n')) >= 0) {
    const message = JSON.parse(buffer.slice(0, newline));
    buffer = buffer.slice(newline + 1);
    if (message.type === 'need-stdin') {
      // Only programs that really read stdin get it, so a later command in the same shell still can.
      const chunks = [];
      process.stdin.on('data', (c) => chunks.push(c));
      process.stdin.on('end', () =>
        socket.write(`${JSON.stringify({ stdin: Buffer.concat(chunks).toString('utf8') })}\n`),
      );
    } else if (message.type === 'result') {
      process.stdout.write(message.stdout, () =>
        process.stderr.write(message.stderr, () => {
          socket.end();
          process.exit(message.exitCode);
        }),
      );
    }
  }
});
socket.on('error', (err) => {
  process.stderr.write(`${program}: lab is not running (${err.message})\n`);
  process.exit(127);
});
