// The compatibility suite (test/playbook/compat-suite.ts), playbooks 34 and after: the modules that reach outside
// the play's own files. uri talks to a real HTTP server this test starts on loopback (a port the kernel picks);
// apt runs only where it cannot change the machine, and dpkg's state is checked before and after.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';
import { compatPlaybooks, compatSuite } from './compat-suite.js';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'Content-Type': type });
      res.end(body);
    };
    if (req.method === 'GET' && req.url === '/json') send(200, 'application/json', '{"name": "mc", "n": 3}');
    else if (req.method === 'GET' && req.url === '/plain') send(200, 'text/plain', '{"a": 1}');
    else if (
      req.method === 'POST' &&
      req.url === '/echo' &&
      req.headers['content-type'] === 'application/json'
    )
      send(201, 'application/json', Buffer.concat(chunks).toString('utf8'));
    else send(404, 'text/plain', 'not found\n');
  });
});

/** dpkg's status line of the packages the apt playbook names: it must not change. */
async function dpkgState(): Promise<string> {
  const q = await execa('dpkg-query', ['-W', '-f', '${Package} ${Status}\n', 'bash', 'sl'], {
    reject: false,
  });
  return q.stdout;
}

compatSuite('34 and after', compatPlaybooks(34, 99), 48, {
  start: async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return ['-e', `url=http://127.0.0.1:${(server.address() as AddressInfo).port}`];
  },
  stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  around: async (playbook) => {
    const before = await dpkgState();
    assert.match(before, /^bash install ok installed$/m);
    assert.doesNotMatch(before, /^sl install ok installed$/m, 'sl must not be installed for 35-apt.yml');
    return async () => assert.equal(await dpkgState(), before, `${playbook} changed dpkg's state`);
  },
});
