// `lxc project` and `lxc auth` (lxc/project.go, lxc/auth.go, lxd/api_project.go, lxd/auth_groups.go,
// lxd/identities.go at lxd-5.21.4): what playbooks/access-control.yml calls, with LXD's outputs and errors,
// and `lxc auth` refused by the 5.0 snap's lxc, which has no such command.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createSimLab, oidcLogin } from '../../../src/lab/sim/index.js';
import { ok, sh } from './helpers.js';

const error = async (world: ReturnType<typeof createSimLab>, line: string, stdin = ''): Promise<string> => {
  const r = await sh(world, 'micro1', line, stdin);
  assert.equal(r.exitCode, 1, `${line}: ${r.stdout}`);
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('Error: '))
    .join('\n');
};

describe('lxc project and lxc auth (LXD 5.21)', () => {
  it('creates, lists, edits and deletes projects as LXD does', async () => {
    const world = createSimLab({ hosts: ['micro1'] });
    await ok(world, 'micro1', 'snap install lxd --channel=5.21/stable');
    assert.equal(
      await ok(
        world,
        'micro1',
        'lxc project create tenant-a',
        'description: Tenant A\nconfig: {limits.instances: "5"}\n',
      ),
      'Project tenant-a created\n',
    );
    assert.equal(
      await error(world, 'lxc project create tenant-a'),
      'Error: Failed creating project "tenant-a": Failed adding database record: This "projects" entry already exists',
    );
    assert.equal(
      await error(world, 'lxc project create a_b'),
      'Error: Project names may not contain underscores',
    );
    assert.equal(
      await error(world, 'lxc project create t2', 'config: {limits.bogus: "1"}\n'),
      'Error: Invalid project configuration key "limits.bogus"',
    );
    assert.equal(
      await ok(world, 'micro1', 'lxc project list -f csv'),
      'default (current),YES,YES,YES,YES,YES,YES,Default LXD project,1\n' +
        'tenant-a,YES,YES,YES,YES,NO,NO,Tenant A,1\n',
    );
    const listed = JSON.parse(await ok(world, 'micro1', 'lxc project list -f json')) as {
      name: string;
      config: Record<string, string>;
      used_by: string[];
    }[];
    assert.deepEqual(listed[1], {
      name: 'tenant-a',
      description: 'Tenant A',
      config: {
        'features.images': 'true',
        'features.profiles': 'true',
        'features.storage.buckets': 'true',
        'features.storage.volumes': 'true',
        'limits.instances': '5',
      },
      used_by: ['/1.0/profiles/default?project=tenant-a'],
    });
    await ok(world, 'micro1', 'lxc project set tenant-a limits.instances=7');
    assert.equal(await ok(world, 'micro1', 'lxc project get tenant-a limits.instances'), '7\n');
    assert.equal(
      await error(world, 'lxc project edit default', 'config: {}\n'),
      "Error: You can't change the features of the default project",
    );
    assert.equal(
      await error(world, 'lxc project delete default'),
      "Error: The 'default' project cannot be deleted",
    );
    assert.equal(await error(world, 'lxc project show nope'), 'Error: Project not found');
    assert.equal(await ok(world, 'micro1', 'lxc project delete tenant-a'), 'Project tenant-a deleted\n');
  });

  it('keeps groups, their permissions and identities as LXD 5.21 does', async () => {
    const world = createSimLab({ hosts: ['micro1'] });
    await ok(world, 'micro1', 'snap install lxd --channel=5.21/stable');
    await ok(world, 'micro1', 'lxc project create tenant-a');
    assert.equal(await ok(world, 'micro1', 'lxc auth group create ops -d Operators'), 'Group ops created\n');
    assert.equal(
      await error(world, 'lxc auth group create ops'),
      'Error: This "auths_groups" entry already exists',
    );
    assert.equal(
      await error(world, 'lxc auth group create a/b'),
      'Error: Group name cannot contain a forward slash',
    );
    await ok(world, 'micro1', 'lxc auth group permission add ops project tenant-a operator');
    await ok(world, 'micro1', 'lxc auth group permission add ops server viewer');
    assert.equal(
      await error(world, 'lxc auth group permission add ops server viewer'),
      'Error: Group "ops" already has entitlement "viewer" on entity "/1.0"',
    );
    assert.equal(
      await error(world, 'lxc auth group permission add ops project nope operator'),
      'Error: Failed to find entity ID for URL "/1.0/projects/nope"',
    );
    assert.equal(
      await error(world, 'lxc auth group permission add ops project tenant-a admin'),
      'Error: Failed to validate group permission with entity reference "/1.0/projects/tenant-a" and entitlement "admin": Entitlement "admin" not valid for entity type "project"',
    );
    assert.equal(
      await error(world, 'lxc auth group permission add ops planet x y'),
      'Error: Unknown entity type "planet"',
    );
    assert.equal(
      await error(world, 'lxc auth group permission remove ops server admin'),
      'Error: Group "ops" does not have entitlement "admin" on entity "/1.0"',
    );
    assert.equal(await error(world, 'lxc auth group show nope'), 'Error: AuthGroup not found');

    oidcLogin(world, 'micro1', 'alice@example.com', 'Alice');
    assert.equal(await error(world, 'lxc auth identity show oidc/bob@example.com'), 'Error: Not Found');
    assert.equal(
      await error(world, 'lxc auth identity group add oidc/alice@example.com nope'),
      'Error: One or more groups were not found: "nope"',
    );
    await ok(world, 'micro1', 'lxc auth identity group add oidc/alice@example.com ops');
    assert.equal(
      await error(world, 'lxc auth identity group add oidc/Alice ops'),
      'Error: Identity "oidc/Alice" is already a member of group "ops"',
    );
    assert.equal(
      await ok(world, 'micro1', 'lxc auth identity list -f csv'),
      'oidc,OIDC client,Alice,alice@example.com,ops\n',
    );
    assert.equal(
      await ok(world, 'micro1', 'lxc auth group show ops'),
      [
        'name: ops',
        'description: Operators',
        'permissions:',
        '- entity_type: project',
        '  url: /1.0/projects/tenant-a',
        '  entitlement: operator',
        '- entity_type: server',
        '  url: /1.0',
        '  entitlement: viewer',
        'identities:',
        '  oidc:',
        '  - alice@example.com',
        'identity_provider_groups: []',
        '',
      ].join('\n'),
    );
    // Deleting a project drops the permissions on it; deleting a group drops the memberships.
    await ok(world, 'micro1', 'lxc project delete tenant-a');
    const group = JSON.parse(await ok(world, 'micro1', 'lxc auth group list -f json')) as {
      permissions: unknown[];
    }[];
    assert.deepEqual(group[0]?.permissions, [{ entity_type: 'server', url: '/1.0', entitlement: 'viewer' }]);
    await ok(world, 'micro1', 'lxc auth group delete ops');
    assert.equal(
      await error(world, 'lxc auth identity group remove oidc/Alice ops'),
      'Error: Identity "oidc/Alice" is not a member of any groups',
    );
  });

  it('the lxc of the 5.0 snap has no auth command', async () => {
    const world = createSimLab({ hosts: ['micro1'] });
    await ok(world, 'micro1', 'snap install lxd --channel=5.0/stable');
    const r = await sh(world, 'micro1', 'lxc auth group list -f json');
    assert.equal(r.exitCode, 1);
    assert.equal(r.stderr, 'Error: unknown command "auth" for "lxc"\n');
  });
});
