// `lxc info` with no instance (lxc/info.go remoteInfo at lxd-5.21.3): the server's GET /1.0 as yaml.v2
// marshals api.Server, the same object `lxc query /1.0` prints as JSON; what is not modelled says so.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

import { createSimLab } from '../../../src/lab/sim/index.js';
import { ok, sh } from './helpers.js';

describe('lxc info on the server', () => {
  it('prints GET /1.0 as YAML, following the server config', async () => {
    const world = createSimLab({ hosts: ['micro1'] });
    await ok(world, 'micro1', 'snap install lxd --channel=5.21/stable');
    await ok(world, 'micro1', 'lxc config set core.https_address 10.1.123.11:8443');
    const info = await ok(world, 'micro1', 'lxc info');
    const queried = JSON.parse(await ok(world, 'micro1', 'lxc query /1.0')) as Record<string, unknown>;
    const shown = parse(info) as Record<string, unknown>;
    assert.deepEqual(shown, queried);
    assert.match(info, /^config:\n {2}core\.https_address: 10\.1\.123\.11:8443$/m);
    assert.match(info, /^ {2}certificate: \|\n {4}-----BEGIN CERTIFICATE-----$/m);
    assert.match(info, /^ {2}server_name: micro1$/m);
  });

  it('refuses what the model lacks: instances, --resources, --target on a standalone server', async () => {
    const world = createSimLab({ hosts: ['micro1'] });
    await ok(world, 'micro1', 'snap install lxd --channel=5.21/stable');
    for (const line of ['lxc info c1', 'lxc info --resources', 'lxc info --target micro2']) {
      const r = await sh(world, 'micro1', line);
      assert.notEqual(r.exitCode, 0, line);
      assert.match(r.stderr, /not modelled/, line);
    }
    const extra = await sh(world, 'micro1', 'lxc info a b');
    assert.equal(extra.exitCode, 1);
    assert.match(extra.stderr, /^Error: Invalid number of arguments/m);
  });
});
