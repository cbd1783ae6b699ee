import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { formatIssue, inventoryGraph } from '../../../src/domain/inventory/index.js';
import type { HostSpec, Inventory, InventoryResult } from '../../../src/domain/inventory/types.js';
import { loadInventory, readInventorySources } from '../../../src/workflows/load-inventory.js';
import { connection, hostNamed } from './helpers.js';

const fixtures = fileURLToPath(new URL('../../fixtures/inventory/', import.meta.url));
const examples = fileURLToPath(new URL('../../../inventories/', import.meta.url));

async function loaded(loading: Promise<InventoryResult>): Promise<Inventory> {
  const result = await loading;
  if (!result.ok) assert.fail(result.issues.map(formatIssue).join('\n'));
  return result.inventory;
}

describe('loadInventory', () => {
  it('reads group_vars and host_vars beside an Ansible inventory, as Ansible does', async () => {
    const inventory = await loaded(loadInventory(`${fixtures}ansible-layout/hosts.yml`, {}));
    // group_vars/web/: 10-base.yml then 20-extra.yaml; hidden files and other extensions are skipped.
    assert.deepEqual(hostNamed(inventory, 'web2').vars, { source: 'file-web-10', http_port: 8080 });
    // An inline host variable beats group_vars files; host_vars/web1 (no extension) is read.
    assert.equal(hostNamed(inventory, 'web1').vars.source, 'inline-host');
    assert.equal(hostNamed(inventory, 'web1').address, '10.0.0.21');
    // group_vars/db.json, and group_vars/all.yml for everyone.
    assert.deepEqual(connection(hostNamed(inventory, 'db1')), {
      address: 'db1',
      port: 2200,
      user: 'ubuntu',
      sshOptions: {},
      become: false,
    });
    assert.equal(hostNamed(inventory, 'db1').vars.source, 'file-db');
  });

  it('lists the variables files it found, named after their group or host', () => {
    const read = readInventorySources(`${fixtures}ansible-layout/hosts.yml`);
    assert.ok(read.ok);
    const relative = (path: string): string => path.slice(fixtures.length);
    assert.deepEqual(
      read.sources.groupVars.map((file) => [file.group, relative(file.path)]),
      [
        ['all', 'ansible-layout/group_vars/all.yml'],
        ['db', 'ansible-layout/group_vars/db.json'],
        ['web', 'ansible-layout/group_vars/web/10-base.yml'],
        ['web', 'ansible-layout/group_vars/web/20-extra.yaml'],
      ],
    );
    assert.deepEqual(
      read.sources.hostVars.map((file) => [file.host, relative(file.path)]),
      [['web1', 'ansible-layout/host_vars/web1']],
    );
  });

  it('ignores group_vars beside an mc inventory, whose settings all live in the file', async () => {
    const inventory = await loaded(loadInventory(`${fixtures}mc-layout/hosts.yaml`, {}));
    assert.deepEqual(
      inventory.hosts.map((host) => [host.name, host.address, host.user]),
      [['node1', '10.0.0.11', undefined]],
    );
  });

  it('reports a missing inventory file as one issue', async () => {
    const path = `${fixtures}does-not-exist.yaml`;
    const result = await loadInventory(path, {});
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.issues.map(formatIssue), [
      `inventory file not found: ${path} (pass -i with the path to your hosts.yaml)`,
    ]);
  });

  it('reports a directory given instead of a file', async () => {
    const result = await loadInventory(`${fixtures}mc-layout`, {});
    assert.deepEqual(!result.ok && result.issues.map(formatIssue), [
      `inventory path is a directory: ${fixtures}mc-layout (pass -i with the inventory file itself, e.g. ${fixtures}mc-layout/hosts.yaml)`,
    ]);
  });

  it('passes the environment on for ${VAR} substitution', async () => {
    const inventory = await loaded(loadInventory(`${examples}example.yaml`, { MC_SSH_PASSWORD: 'from-env' }));
    assert.equal(hostNamed(inventory, 'node1').password, 'from-env');
  });
});

describe('the example inventories', () => {
  const summary = (host: HostSpec): Record<string, unknown> => ({
    name: host.name,
    address: host.address,
    port: host.port,
    user: host.user,
    keyFile: host.keyFile,
    proxyJump: host.proxyJump,
    sshOptions: host.sshOptions,
    become: host.become,
    vars: host.vars,
  });
  let mc: Inventory;
  let yaml: Inventory;
  let ini: Inventory;
  before(async () => {
    mc = await loaded(loadInventory(`${examples}example.yaml`, {}));
    yaml = await loaded(loadInventory(`${examples}ansible-example.yml`, {}));
    ini = await loaded(loadInventory(`${examples}ansible-example.ini`, {}));
  });

  it('are valid and detected as their formats', () => {
    assert.deepEqual([mc.format, yaml.format, ini.format], ['mc', 'ansible-yaml', 'ansible-ini']);
  });

  it('describe the same three hosts in Ansible YAML and INI', () => {
    assert.deepEqual(yaml.hosts.map(summary), ini.hosts.map(summary));
    assert.equal(inventoryGraph(yaml), inventoryGraph(ini));
  });

  it('describe the same connections in mc format, but for the jump host of node3', () => {
    const comparable = (host: HostSpec): Record<string, unknown> => {
      const { vars: _vars, proxyJump: _jump, ...rest } = summary(host);
      return rest;
    };
    assert.deepEqual(mc.hosts.map(comparable), ini.hosts.map(comparable));
    assert.deepEqual(inventoryGraph(mc), inventoryGraph(ini));
  });
});
