import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createProgramRunner, createSimLab } from '../../../src/lab/sim/index.js';
import { ok, sh } from './helpers.js';

const DESCRIPTION = 'Uplink for OVN networks';

describe('network descriptions with the LXD 5.21 client (§3.3)', () => {
  it('lxc network create reads no stdin; lxc network set --property description sets it', async () => {
    const world = createSimLab({ hosts: ['micro1'] });
    await ok(world, 'micro1', 'snap install lxd --channel=5.21/stable');
    // lxc/network.go cmdNetworkCreate (5.21.x) never reads stdin: a YAML document there is ignored.
    await ok(
      world,
      'micro1',
      'lxc network create UPLINK --type=physical parent=enp6s0',
      `description: ${DESCRIPTION}\n`,
    );
    assert.match(await ok(world, 'micro1', 'lxc network show UPLINK'), /^description: ""$/m);
    await ok(world, 'micro1', `lxc network set UPLINK --property description="${DESCRIPTION}"`);
    assert.match(
      await ok(world, 'micro1', 'lxc network show UPLINK'),
      /^description: Uplink for OVN networks$/m,
    );
    assert.match(
      await ok(world, 'micro1', 'lxc network list -f csv'),
      /^UPLINK,physical,YES,,,Uplink for OVN networks,0,CREATED$/m,
    );
    // The config stayed as it was.
    assert.equal(await ok(world, 'micro1', 'lxc network get UPLINK parent'), 'enp6s0\n');
    // The two-argument form and a key that is no NetworkPut field (ignored, as mapstructure does).
    await ok(world, 'micro1', 'lxc network set UPLINK --property description Other');
    await ok(world, 'micro1', 'lxc network set UPLINK -p colour=blue');
    assert.match(await ok(world, 'micro1', 'lxc network show UPLINK'), /^description: Other$/m);

    assert.equal(
      (await sh(world, 'micro1', 'lxc network set enp5s0 --property description=x')).stderr,
      'Error: Only managed networks can be modified\n',
    );
    assert.equal(
      (await sh(world, 'micro1', 'lxc network set nope --property description=x')).stderr,
      'Error: Network not found\n',
    );
    // Global config keys of a physical network: validated, set; a per-member key needs --target (not modelled).
    await ok(world, 'micro1', 'lxc network set UPLINK ipv4.gateway=10.1.124.1/24 dns.nameservers=10.1.124.1');
    assert.equal(await ok(world, 'micro1', 'lxc network get UPLINK ipv4.gateway'), '10.1.124.1/24\n');
    assert.equal(
      (await sh(world, 'micro1', 'lxc network set UPLINK ipv4.gateway=10.1.124.300/24')).stderr,
      'Error: Invalid value for network "UPLINK" option "ipv4.gateway": invalid CIDR address: 10.1.124.300/24\n',
    );
    assert.equal(
      (await sh(world, 'micro1', 'lxc network set UPLINK colour=blue')).stderr,
      'Error: Invalid option for network "UPLINK" option "colour"\n',
    );
    const parent = await sh(world, 'micro1', 'lxc network set UPLINK parent=enp5s0');
    assert.deepEqual([parent.exitCode, parent.notModelled], [127, true]);
  });

  it('refuses a network that is only pending on members', async () => {
    const world = createSimLab({ hosts: ['micro1'] });
    await ok(world, 'micro1', 'snap install lxd --channel=5.21/stable');
    await ok(
      world,
      'micro1',
      'lxd init --preseed',
      'config:\n  core.https_address: "[::]:8443"\n  cluster.https_address: 10.1.123.11:8443\ncluster:\n  server_name: micro1\n  enabled: true\n',
    );
    await ok(world, 'micro1', 'lxc network create UPLINK --type=physical parent=enp6s0 --target micro1');
    assert.equal(
      (await sh(world, 'micro1', `lxc network set UPLINK --property description="${DESCRIPTION}"`)).stderr,
      'Error: Cannot update network global config when not in created state\n',
    );
  });

  it('hands stdin over SSH only to the calls that read it', () => {
    const runner = createProgramRunner(createSimLab({ hosts: ['micro1'] }));
    const reads = (argv: string): boolean => runner.readsStdin('micro1', argv.split(' '));
    assert.equal(reads('lxc network create UPLINK --type=physical'), false);
    assert.equal(reads('lxc storage create local zfs'), true);
    assert.equal(reads('lxc storage volume create local images'), true);
    assert.equal(
      reads('curl -sS --unix-socket /s -X POST --data-binary @- http://control/core/control'),
      true,
    );
    assert.equal(reads('curl -sS --unix-socket /s -d @- http://control/core/control'), true);
    assert.equal(reads('curl -sS --unix-socket /s http://control/core/1.0/tokens'), false);
  });
});
