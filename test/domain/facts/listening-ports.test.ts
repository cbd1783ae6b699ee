import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  formatListeningSocket,
  LISTENING_PORTS_COMMAND,
  listenersOn,
  parseListeningPorts,
} from '../../../src/domain/facts/index.js';
import { failure, fixture } from './helpers.js';

describe('parseListeningPorts', () => {
  it('is the exact command line', () => {
    assert.equal(LISTENING_PORTS_COMMAND, 'ss -Hltn');
  });

  it('reads a real capture: IPv4, IPv6 in brackets, a dual-stack `*`, an interface after `%`', () => {
    // iproute2 6.1, a Python process listening as the file's comment in the fixtures README says.
    assert.deepEqual(parseListeningPorts(fixture('captured/ss-Hltn.txt')), [
      { address: '0.0.0.0', port: 2024, interface: null },
      { address: '127.0.0.1', port: 6641, interface: null },
      { address: '127.0.0.53', port: 53, interface: 'lo' },
      { address: '0.0.0.0', port: 7443, interface: null },
      { address: '*', port: 9443, interface: null },
      { address: '::1', port: 6642, interface: null },
      { address: '::', port: 8443, interface: null },
    ]);
  });

  it('reads the lines of the brief and an IPv6 link-local socket bound to an interface', () => {
    const text = [
      'LISTEN 0      4096        0.0.0.0:22        0.0.0.0:*',
      'LISTEN 0      4096           [::]:8443         [::]:*',
      'LISTEN 0      4096              *:9443            *:*',
      'LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*',
      'LISTEN 0      10     [fe80::1]%enp5s0:53        [::]:*',
      '',
    ].join('\n');
    const sockets = parseListeningPorts(text);
    assert.deepEqual(sockets.map(formatListeningSocket), [
      '0.0.0.0:22',
      '[::]:8443',
      '*:9443',
      '127.0.0.53%lo:53',
      '[fe80::1]%enp5s0:53',
    ]);
    assert.deepEqual(listenersOn(sockets, 8443), [{ address: '::', port: 8443, interface: null }]);
    assert.deepEqual(listenersOn(sockets, 6443), []);
  });

  it('accepts empty output and a process column', () => {
    assert.deepEqual(parseListeningPorts(''), []);
    assert.deepEqual(
      parseListeningPorts('LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=612,fd=3))\n'),
      [{ address: '0.0.0.0', port: 22, interface: null }],
    );
  });

  it('refuses a header, another state and a bad port', () => {
    assert.equal(
      failure(() => parseListeningPorts('State  Recv-Q Send-Q Local Address:Port  Peer Address:Port\n')),
      'ss: line 1: expected `LISTEN RECV-Q SEND-Q LOCAL:PORT PEER:PORT` from `ss -Hltn`, got "State  Recv-Q Send-Q Local Address:Port  Peer Address:Port"',
    );
    assert.equal(
      failure(() =>
        parseListeningPorts('LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\nESTAB 0 0 10.0.0.1:22 10.0.0.2:5000\n'),
      ),
      'ss: line 2: expected `LISTEN RECV-Q SEND-Q LOCAL:PORT PEER:PORT` from `ss -Hltn`, got "ESTAB 0 0 10.0.0.1:22 10.0.0.2:5000"',
    );
    assert.equal(
      failure(() => parseListeningPorts('LISTEN 0 128 0.0.0.0:99999 0.0.0.0:*\n')),
      'ss: line 1: expected a local address and port such as 0.0.0.0:22, [::]:8443, *:9443 or 127.0.0.53%lo:53, got "0.0.0.0:99999"',
    );
  });
});
