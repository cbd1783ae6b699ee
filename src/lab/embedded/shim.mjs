#!/usr/bin/env node
// Stand-in for a simulated program (snap, microceph, lsblk...) on an embedded lab host. It forwards
// its argv to the lab process over a unix socket and replays the answer. Plain JavaScript with no
// imports beyond node: so each call costs one bare node start-up.
import { connect } from 'node:net';
import { basename } from 'node:path';

const socketPath = process.env.MC_LAB_SOCKET;
const host = process.env.MC_LAB_HOST;
if (socketPath === undefined || host === undefined) {
  process.stderr.write(`${basename(process.argv[1])}: not running on an mc lab host\n`);
  process.exit(127);
}

const socket = connect(socketPath);
let buffer = '';
socket.setEncoding('utf8');
socket.on('connect', () => {
  const request = {
    host,
    argv: [basename(process.argv[1]), ...process.argv.slice(2)],
    uid: Number(process.env.MC_LAB_UID ?? '1000'),
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
  process.stderr.write(`${basename(process.argv[1])}: lab is not running (${err.message})\n`);
  process.exit(127);
});
