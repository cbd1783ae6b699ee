// Inventory host + ssh_config + defaults -> ConnectTarget: precedence and the details users rely on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostSpec } from '../../src/domain/inventory/types.js';
import { resolveSshConfig } from '../../src/transport/ssh-config.js';
import { resolveTarget } from '../../src/transport/targets.js';
import type { TargetDefaults, TargetEnvironment } from '../../src/transport/targets.js';

const HOME = '/home/op';
const CONFIG = `
Host bastion
  HostName 203.0.113.10
  User jump
  Port 2200
  IdentityFile ~/.ssh/bastion_key

Host 10.0.0.*
  User ubuntu
  Port 2222
  IdentityFile ~/.ssh/lab_%r
  ServerAliveInterval 7
  ProxyJump bastion

Host pinned
  HostName 10.9.9.9
  HostKeyAlias pinned-alias
  IdentitiesOnly yes
  IdentityFile ~/.ssh/pinned
  StrictHostKeyChecking accept-new
  UserKnownHostsFile ~/.ssh/lab_known_hosts
`;

function environment(overrides: Partial<TargetEnvironment> = {}): TargetEnvironment {
  return {
    homeDir: HOME,
    localUser: 'op',
    agentSocket: '/run/agent.sock',
    sshConfig: (alias, commandLineOptions) =>
      resolveSshConfig(alias, {
        configPath: `${HOME}/.ssh/config`,
        configText: CONFIG,
        readFile: () => undefined,
        listDir: () => [],
        homeDir: HOME,
        localUser: 'op',
        commandLineOptions,
      }),
    ...overrides,
  };
}

const defaults: TargetDefaults = {
  connectTimeoutMs: 10_000,
  keepaliveIntervalMs: 15_000,
  keepaliveCountMax: 3,
  acceptNew: false,
};

function host(overrides: Partial<HostSpec>): HostSpec {
  return {
    name: 'node1',
    address: 'node1',
    sshOptions: {},
    become: false,
    groups: ['all'],
    vars: {},
    origin: { file: 'hosts.yaml', line: 1, col: 1 },
    ...overrides,
  };
}

describe('resolveTarget', () => {
  it('takes ssh_config values for the address, tokens expanded, when the inventory is silent', () => {
    const { target } = resolveTarget(host({ address: '10.0.0.11' }), environment(), defaults);
    assert.equal(target.address, '10.0.0.11');
    assert.equal(target.user, 'ubuntu');
    assert.equal(target.port, 2222);
    assert.deepEqual(target.identityFiles, [{ path: `${HOME}/.ssh/lab_ubuntu`, explicit: true }]);
    assert.equal(target.keepaliveIntervalMs, 7000);
    assert.equal(target.agentSocket, '/run/agent.sock');
    assert.deepEqual(
      target.jumps.map((j) => [j.label, j.address, j.port, j.user]),
      [['bastion', '203.0.113.10', 2200, 'jump']],
    );
    assert.equal(target.jumps[0]?.identityFiles[0]?.path, `${HOME}/.ssh/bastion_key`);
  });

  it('lets the inventory win over ssh_config, and feeds %r with the inventory user', () => {
    const { target } = resolveTarget(
      host({ address: '10.0.0.11', user: 'admin', port: 22, keyFile: '~/.ssh/mine', proxyJump: 'none' }),
      environment(),
      defaults,
    );
    assert.equal(target.user, 'admin');
    assert.equal(target.port, 22);
    assert.deepEqual(
      target.identityFiles.map((f) => f.path),
      [`${HOME}/.ssh/mine`, `${HOME}/.ssh/lab_admin`],
    );
    assert.deepEqual(target.jumps, []);
  });

  it('applies -o options from the inventory over ssh_config', () => {
    const resolved = resolveTarget(
      host({
        address: '10.0.0.12',
        sshOptions: {
          ServerAliveInterval: '3',
          ConnectTimeout: '4',
          StrictHostKeyChecking: 'no',
          Ciphers: 'aes128-ctr',
        },
      }),
      environment(),
      defaults,
    );
    assert.equal(resolved.target.keepaliveIntervalMs, 3000);
    assert.equal(resolved.target.readyTimeoutMs, 4000);
    assert.equal(resolved.hostKeyPolicy, 'accept-new');
    assert.deepEqual(resolved.ignoredOptions, ['Ciphers']);
  });

  it('honours HostName, HostKeyAlias, IdentitiesOnly and UserKnownHostsFile of an alias', () => {
    const resolved = resolveTarget(host({ name: 'pinned', address: 'pinned' }), environment(), defaults);
    assert.equal(resolved.target.address, '10.9.9.9');
    assert.equal(resolved.target.hostKeyName, 'pinned-alias');
    assert.equal(resolved.target.agentSocket, undefined, 'IdentitiesOnly keeps the agent out');
    assert.deepEqual(resolved.knownHostsFiles, [`${HOME}/.ssh/lab_known_hosts`]);
    assert.equal(resolved.hostKeyPolicy, 'accept-new');
  });

  it('falls back to OpenSSH defaults: local user, port 22, default keys as optional, strict host keys', () => {
    const resolved = resolveTarget(host({ address: '192.0.2.5' }), environment(), defaults);
    assert.equal(resolved.target.user, 'op');
    assert.equal(resolved.target.port, 22);
    assert.ok(resolved.target.identityFiles.length > 0);
    assert.ok(
      resolved.target.identityFiles.every((f) => !f.explicit && f.path.startsWith(`${HOME}/.ssh/id_`)),
    );
    assert.equal(resolved.hostKeyPolicy, 'strict');
    assert.deepEqual(resolved.knownHostsFiles, [`${HOME}/.ssh/known_hosts`, `${HOME}/.ssh/known_hosts2`]);
    assert.equal(resolved.target.keepaliveIntervalMs, 15_000);
    assert.equal(resolved.target.readyTimeoutMs, 10_000);
  });

  it('works without any ssh_config, and --known-hosts and --accept-new override it', () => {
    const resolved = resolveTarget(
      host({ address: '192.0.2.5', password: 'pw', becomePassword: 'bpw' }),
      environment({ sshConfig: () => undefined }),
      { ...defaults, acceptNew: true, knownHostsFile: '~/lab/known_hosts' },
    );
    assert.deepEqual(resolved.knownHostsFiles, [`${HOME}/lab/known_hosts`]);
    assert.equal(resolved.hostKeyPolicy, 'accept-new');
    assert.equal(resolved.target.password, 'pw');
    assert.equal(resolved.target.becomePassword, 'bpw');
  });

  it('offers the target keys to jump hosts given inline, after their own', () => {
    const { target } = resolveTarget(
      host({ address: '192.0.2.7', keyFile: '/keys/lab', proxyJump: 'ops@198.51.100.1:2022,bastion' }),
      environment(),
      defaults,
    );
    assert.deepEqual(
      target.jumps.map((j) => [j.label, j.address, j.port, j.user, j.identityFiles.map((f) => f.path)]),
      [
        ['ops@198.51.100.1:2022', '198.51.100.1', 2022, 'ops', [...defaultKeys(), '/keys/lab']],
        ['bastion', '203.0.113.10', 2200, 'jump', [`${HOME}/.ssh/bastion_key`, '/keys/lab']],
      ],
    );
  });
});

function defaultKeys(): string[] {
  return ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map(
    (k) => `${HOME}/.ssh/${k}`,
  );
}
