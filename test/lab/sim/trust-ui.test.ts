// `snap get/set` (snapd cmd_get.go/cmd_set.go) and `lxc config trust add/list/list-tokens` (lxc/config_trust.go,
// lxd/certificates.go at lxd-5.21.3): what ui-access.yml calls, accepted and refused as upstream does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createSimLab } from '../../../src/lab/sim/index.js';
import { ok, sh } from './helpers.js';

describe('snap get/set', () => {
  it('stores values as JSON when they parse, refuses what snapd refuses', async () => {
    const world = createSimLab({ hosts: ['micro1'] });
    const missing = await sh(world, 'micro1', 'snap set lxd ui.enable=true');
    assert.equal(missing.exitCode, 1);
    assert.equal(missing.stderr, 'error: snap "lxd" is not installed\n');
    await ok(world, 'micro1', 'snap install lxd --channel=5.21/stable');
    const unset = await sh(world, 'micro1', 'snap get lxd ui.enable');
    assert.equal(unset.exitCode, 1);
    assert.equal(unset.stderr, 'error: snap "lxd" has no "ui.enable" configuration option\n');
    const bad = await sh(world, 'micro1', 'snap set lxd ui.enable');
    assert.equal(bad.exitCode, 1);
    assert.equal(bad.stderr, 'error: invalid configuration: "ui.enable" (want key=value)\n');
    await ok(world, 'micro1', 'snap set lxd ui.enable=true');
    assert.equal(await ok(world, 'micro1', 'snap get lxd ui.enable'), 'true\n');
  });
});

describe('lxc config trust', () => {
  it('issues a token only when LXD listens on the network, one more per call, listed by name', async () => {
    const world = createSimLab({ hosts: ['micro1'] });
    await ok(world, 'micro1', 'snap install lxd --channel=5.21/stable');
    const offline = await sh(world, 'micro1', 'lxc config trust add --name alice');
    assert.equal(offline.exitCode, 1);
    // (After lxc's first-run greeting, which upstream prints on stderr too.)
    assert.match(offline.stderr, /^Error: Can't issue token when server isn't listening on network\n$/m);
    await ok(world, 'micro1', 'lxc config set core.https_address 10.1.123.11:8443');
    const badName = await sh(world, 'micro1', 'lxc config trust add --name a/b');
    assert.equal(badName.exitCode, 1);
    assert.match(
      badName.stderr,
      /^Error: Invalid certificate name "a\/b", name must not start with a hyphen/,
    );
    const shown = await ok(world, 'micro1', 'lxc config trust add --name alice');
    const [heading, token = ''] = shown.trim().split('\n');
    assert.equal(heading, 'Client alice certificate add token:');
    const decoded = JSON.parse(Buffer.from(token, 'base64').toString()) as Record<string, unknown>;
    assert.equal(decoded['client_name'], 'alice');
    assert.deepEqual(decoded['addresses'], ['10.1.123.11:8443']);
    assert.equal(decoded['expires_at'], '0001-01-01T00:00:00Z');
    const quiet = (await ok(world, 'micro1', 'lxc config trust add --name alice --quiet')).trim();
    assert.notEqual(quiet, token);
    // Upstream does not de-duplicate: two pending tokens for alice, in the order issued.
    assert.equal(
      await ok(world, 'micro1', 'lxc config trust list-tokens -f csv'),
      `alice,${token},\nalice,${quiet},\n`,
    );
    assert.equal(await ok(world, 'micro1', 'lxc config trust list -f csv'), '');
    const metrics = await sh(world, 'micro1', 'lxc config trust add --name m --type metrics');
    assert.equal(metrics.stderr, 'Error: Cannot use metrics type certificate when using a token\n');
    const unknown = await sh(world, 'micro1', 'lxc config trust add --name m --type admin');
    assert.equal(unknown.stderr, 'Error: Unknown certificate type "admin"\n');
  });
});
