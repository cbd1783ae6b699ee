import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { createSimLab } from '../../../src/lab/sim/index.js';
import { renderSs, type SsRow } from '../../../src/lab/sim/programs/ss.js';
import { fixture, installStack, ok, sh } from './helpers.js';

const FRESH_NOBLE = [
  'LISTEN 0      4096         0.0.0.0:22 0.0.0.0:*',
  'LISTEN 0      4096   127.0.0.53%lo:53 0.0.0.0:*',
  'LISTEN 0      4096      127.0.0.54:53 0.0.0.0:*',
  'LISTEN 0      4096            [::]:22    [::]:*',
  '',
].join('\n');

describe('ss -Hltn (listening TCP sockets)', () => {
  it('lays columns out as iproute2 does (the captured fixture, re-rendered)', () => {
    const captured = readFileSync(
      new URL('../../fixtures/facts/captured/ss-Hltn.txt', import.meta.url),
      'utf8',
    );
    const rows: SsRow[] = captured
      .trimEnd()
      .split('\n')
      .map((line) => {
        const [state = '', recvQ = '', sendQ = '', local = '', peer = ''] = line.trim().split(/\s+/);
        const split = (text: string): [string, string] => {
          const colon = text.lastIndexOf(':');
          return [text.slice(0, colon), text.slice(colon + 1)];
        };
        const [localAddress, localPort] = split(local);
        const [peerAddress, peerPort] = split(peer);
        return {
          state,
          recvQ: Number(recvQ),
          sendQ: Number(sendQ),
          localAddress,
          localPort,
          peerAddress,
          peerPort,
        };
      });
    assert.equal(renderSs(rows), captured);
  });

  it('shows sshd and resolved on a fresh host, then each daemon as it starts listening', async () => {
    const world = createSimLab({ hosts: ['micro1'] });
    assert.equal(await ok(world, 'micro1', 'ss -Hltn'), FRESH_NOBLE);
    await installStack(world, 'micro1');
    // microcloudd listens before it is initialised (§0); the other daemons only on their unix sockets.
    const installed = await ok(world, 'micro1', 'ss -Hltn');
    assert.match(installed, /^LISTEN 0 {6}4096 {15}\*:9443 {7}\*:\*$/m);
    assert.doesNotMatch(installed, /:(7443|6443|8443) /);

    await ok(world, 'micro1', 'microceph cluster bootstrap --microceph-ip 10.1.123.11');
    await ok(world, 'micro1', 'microovn cluster bootstrap');
    await ok(world, 'micro1', 'lxc config set core.https_address "[::]:8443"');
    const lines = (await ok(world, 'micro1', 'ss -Hltn')).trimEnd().split('\n');
    const locals = lines.map((line) => line.trim().split(/\s+/)[3]);
    assert.deepEqual(locals, [
      '0.0.0.0:22',
      '127.0.0.53%lo:53',
      '127.0.0.54:53',
      '10.1.123.11:3300',
      '10.1.123.11:6443',
      '10.1.123.11:6643',
      '10.1.123.11:6644',
      '10.1.123.11:6789',
      '10.1.123.11:7443',
      '[::]:22',
      '*:6641',
      '*:6642',
      '*:8443',
      '*:9443',
    ]);
    // Send-Q of a listener is its backlog: Go 4096, OVS 10, Ceph 512.
    assert.match(lines.find((l) => l.includes(':6641')) ?? '', /^LISTEN 0 {6}10 /);
    assert.match(lines.find((l) => l.includes(':3300')) ?? '', /^LISTEN 0 {6}512 /);

    // A stopped daemon listens nowhere.
    await ok(world, 'micro1', 'snap stop microceph.daemon');
    assert.doesNotMatch(await ok(world, 'micro1', 'ss -Hltn'), /:7443 /);
  });

  it('lists the bootstrapped MicroCloud daemon on its address and LXD on its cluster address', async () => {
    const world = createSimLab({
      hosts: ['micro1'],
      release: '22.04',
      machine: () => ({ preinstalledLxd: false }),
    });
    await installStack(world, 'micro1');
    await sh(
      world,
      'micro1',
      'curl -sS --unix-socket /var/snap/microcloud/common/state/control.socket --data-binary @- http://control/core/control',
      '{"bootstrap":true,"name":"micro1","address":"10.1.123.11:9443"}',
    );
    await ok(world, 'micro1', 'lxc config set cluster.https_address 10.1.123.11:8443');
    const text = await ok(world, 'micro1', 'ss -Hltn');
    // 22.04 runs sshd itself (backlog 128) and has no 127.0.0.54 stub.
    assert.equal(
      text,
      [
        'LISTEN 0      128          0.0.0.0:22   0.0.0.0:*',
        'LISTEN 0      4096   127.0.0.53%lo:53   0.0.0.0:*',
        'LISTEN 0      4096     10.1.123.11:8443 0.0.0.0:*',
        'LISTEN 0      4096     10.1.123.11:9443 0.0.0.0:*',
        'LISTEN 0      128             [::]:22      [::]:*',
        '',
      ].join('\n'),
    );
  });

  it('models that form only', async () => {
    const world = createSimLab({ hosts: ['micro1'] });
    assert.equal(await ok(world, 'micro1', 'ss -ltnH'), FRESH_NOBLE);
    assert.equal(await ok(world, 'micro1', 'ss -H -l -t -n'), FRESH_NOBLE);
    for (const line of ['ss -ltn', 'ss -Hltnp', 'ss -Hltun', 'ss -Hlunp', 'ss -Hltn sport = :22']) {
      const result = await sh(world, 'micro1', line);
      assert.deepEqual([result.exitCode, result.notModelled], [127, true], line);
    }
  });
});

describe('ss -Hlun (unconnected UDP sockets)', () => {
  it('shows resolved, and MicroCloud’s multicast responder on :9444 only while an initiating session is open', async () => {
    const world = createSimLab({ hosts: ['micro1', 'micro2', 'micro3'] });
    const fresh = [
      'UNCONN 0      0      127.0.0.53%lo:53 0.0.0.0:*',
      'UNCONN 0      0         127.0.0.54:53 0.0.0.0:*',
      '',
    ];
    assert.equal(await ok(world, 'micro1', 'ss -Hlun'), fresh.join('\n'));
    for (const host of ['micro1', 'micro2', 'micro3']) await installStack(world, host);
    assert.equal(await ok(world, 'micro1', 'ss -H -l -u -n'), fresh.join('\n'));
    const preseed = fixture('preseed-unicast.yaml');
    const initiator = sh(world, 'micro1', 'microcloud preseed', preseed);
    await world.clock.sleep(5_000);
    assert.equal(
      await ok(world, 'micro1', 'ss -Hlun'),
      [
        'UNCONN 0      0      127.0.0.53%lo:53   0.0.0.0:*',
        'UNCONN 0      0         127.0.0.54:53   0.0.0.0:*',
        'UNCONN 0      0            0.0.0.0:9444 0.0.0.0:*',
        '',
      ].join('\n'),
    );
    // A joiner's lookup keeps no socket: only the initiator listens.
    assert.doesNotMatch(await ok(world, 'micro2', 'ss -Hlun'), /:9444/);
    const joiners = ['micro2', 'micro3'].map((host) => sh(world, host, 'microcloud preseed', preseed));
    const results = await Promise.all([initiator, ...joiners]);
    for (const result of results) assert.equal(result.exitCode, 0, result.stderr);
    assert.doesNotMatch(await ok(world, 'micro1', 'ss -Hlun'), /:9444/);
  });
});
