// playbooks/access-control.yml on the embedded lab with a deployed MicroCloud: projects, groups, permissions
// and identities' groups applied once for the cluster, a second run changing nothing, changed variables
// adding without removing until prune: true, and a member whose LXD is 5.0 refusing the run before anything
// changes. The resulting state is read through `lxc` on another member (the database is the cluster's).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { oidcLogin, runShell } from '../../src/lab/sim/index.js';
import { FULL, startLab, type Lab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];
const PLAYBOOK = new URL('../../playbooks/access-control.yml', import.meta.url).pathname;

const FIRST = `
access_projects:
  - {name: tenant-a, description: Tenant A, config: {limits.instances: "5"}}
  - {name: tenant-b}
access_groups:
  - name: tenant-a-ops
    description: Operators of tenant-a
    permissions:
      - {entity_type: project, url: /1.0/projects/tenant-a, entitlement: operator}
      - {entity_type: server, url: /1.0, entitlement: viewer}
  - {name: auditors, permissions: [{entity_type: server, url: /1.0, entitlement: viewer}]}
access_identities:
  - {identity: oidc/alice@example.com, groups: [tenant-a-ops, auditors]}
  - {identity: oidc/bob@example.com, groups: [auditors]}
`;
// tenant-b and auditors gone, tenant-a-ops loses server viewer and gains can_view_metrics, alice keeps one group.
const SECOND = `
access_projects:
  - {name: tenant-a, description: Tenant A, config: {limits.instances: "8"}}
access_groups:
  - name: tenant-a-ops
    description: Operators of tenant-a
    permissions:
      - {entity_type: project, url: /1.0/projects/tenant-a, entitlement: operator}
      - {entity_type: project, url: /1.0/projects/tenant-a, entitlement: can_view_metrics}
access_identities:
  - {identity: oidc/alice@example.com, groups: [tenant-a-ops]}
`;

describe('playbooks/access-control.yml on a deployed MicroCloud', { concurrency: false }, () => {
  let lab: Lab;
  let first: string;
  let second: string;
  before(async () => {
    lab = await startLab([...HOSTS, 'old1']);
    lab.inventory(FULL(HOSTS), HOSTS);
    const deployed = await lab.mc('deploy', '--yes');
    assert.equal(deployed.exitCode, 0, deployed.stdout + deployed.stderr);
    first = join(lab.dir, 'first.yaml');
    second = join(lab.dir, 'second.yaml');
    writeFileSync(first, FIRST);
    writeFileSync(second, SECOND);
    // Alice has logged in through OIDC once; Bob never has. A group made by hand is not the playbook's.
    oidcLogin(lab.world, 'micro1', 'alice@example.com', 'alice');
    await sh('micro3', 'lxc auth group create by-hand');
  });
  after(async () => {
    await lab.stop();
  });

  async function sh(host: string, command: string): Promise<string> {
    const r = await runShell(lab.world, host, command);
    assert.equal(r.exitCode, 0, `${host}$ ${command}\n${r.stderr}`);
    return r.stdout;
  }
  const state = async (): Promise<Record<string, unknown>> => {
    const groups = JSON.parse(await sh('micro2', 'lxc auth group list -f json')) as {
      name: string;
      description: string;
      permissions: { url: string; entitlement: string }[];
    }[];
    const identities = JSON.parse(await sh('micro2', 'lxc auth identity list -f json')) as {
      name: string;
      groups: string[];
    }[];
    const projects = JSON.parse(await sh('micro2', 'lxc project list -f json')) as {
      name: string;
      description: string;
      config: Record<string, string>;
    }[];
    return {
      projects: projects.map(
        (p) => `${p.name} "${p.description}" limits.instances=${p.config['limits.instances'] ?? '-'}`,
      ),
      groups: groups.map(
        (g) => `${g.name}: ${g.permissions.map((p) => `${p.entitlement}@${p.url}`).join(' ')}`,
      ),
      identities: identities.map((i) => `${i.name}: ${i.groups.join(' ')}`),
    };
  };
  const recapChanged = (stdout: string): string[] =>
    HOSTS.map((h) => new RegExp(`^${h}\\s+: ok=\\d+\\s+changed=(\\d+) `, 'm').exec(stdout)?.[1] ?? 'none');

  it('applies projects, groups, permissions and memberships once; a second run changes nothing', async () => {
    const r = await lab.mc('playbook', PLAYBOOK, '-e', `@${first}`);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.deepEqual(await state(), {
      projects: [
        'default "Default LXD project" limits.instances=-',
        'tenant-a "Tenant A" limits.instances=5',
        'tenant-b "" limits.instances=-',
      ],
      groups: [
        'by-hand: ',
        'tenant-a-ops: operator@/1.0/projects/tenant-a viewer@/1.0',
        'auditors: viewer@/1.0',
      ],
      identities: ['alice: tenant-a-ops auditors'],
    });
    assert.match(r.stdout, /oidc\/bob@example\.com is not known to LXD yet/);
    const again = await lab.mc('playbook', PLAYBOOK, '-e', `@${first}`);
    assert.equal(again.exitCode, 0, again.stdout + again.stderr);
    assert.deepEqual(recapChanged(again.stdout), ['0', '0', '0'], again.stdout);
  });

  it('removes what the variables no longer declare only with prune: true, saying what first', async () => {
    const kept = await lab.mc('playbook', PLAYBOOK, '-e', `@${second}`);
    assert.equal(kept.exitCode, 0, kept.stdout + kept.stderr);
    assert.deepEqual(await state(), {
      projects: [
        'default "Default LXD project" limits.instances=-',
        'tenant-a "Tenant A" limits.instances=8',
        'tenant-b "" limits.instances=-',
      ],
      groups: [
        'by-hand: ',
        'tenant-a-ops: operator@/1.0/projects/tenant-a viewer@/1.0 can_view_metrics@/1.0/projects/tenant-a',
        'auditors: viewer@/1.0',
      ],
      identities: ['alice: tenant-a-ops auditors'],
    });
    const pruned = await lab.mc('playbook', PLAYBOOK, '-e', `@${second}`, '-e', 'prune=true');
    assert.equal(pruned.exitCode, 0, pruned.stdout + pruned.stderr);
    assert.match(pruned.stdout, /prune: groups by-hand, auditors; projects tenant-b;/);
    assert.deepEqual(await state(), {
      projects: [
        'default "Default LXD project" limits.instances=-',
        'tenant-a "Tenant A" limits.instances=8',
      ],
      groups: ['tenant-a-ops: operator@/1.0/projects/tenant-a can_view_metrics@/1.0/projects/tenant-a'],
      identities: ['alice: tenant-a-ops'],
    });
  });

  it('ansible-playbook reads it the same: the first variables again add back what prune removed, nothing else', async () => {
    const inventory = join(lab.dir, 'hosts.ini');
    writeFileSync(
      inventory,
      [
        '[all]',
        ...lab.lab.hosts
          .filter((h) => HOSTS.includes(h.name))
          .map(
            (h) =>
              `${h.name} ansible_host=${h.address} ansible_port=${h.port} ansible_user=ubuntu ansible_ssh_private_key_file=${lab.lab.clientKeyPath}`,
          ),
        '[all:vars]',
        `ansible_ssh_common_args='-o UserKnownHostsFile=${lab.lab.knownHostsPath}'`,
        'ansible_python_interpreter=/usr/bin/python3',
        '',
      ].join('\n'),
    );
    // One ansible-playbook run (about 30 s here): mc's runs above set the state it starts from.
    const ansible = async (...extra: string[]): Promise<string> => {
      const r = await execa('ansible-playbook', ['-i', inventory, '-f', '5', PLAYBOOK, ...extra], {
        reject: false,
        all: true,
        env: {
          ANSIBLE_PIPELINING: 'True',
          ANSIBLE_NOCOLOR: '1',
          ANSIBLE_RETRY_FILES_ENABLED: 'False',
          ANSIBLE_LOCAL_TEMP: join(lab.dir, 'ansible-tmp'),
          ANSIBLE_SSH_CONTROL_PATH_DIR: join(lab.dir, 'cp'),
        },
      });
      assert.equal(r.exitCode, 0, r.all);
      return r.all ?? '';
    };
    const out = await ansible('-e', `@${first}`);
    assert.deepEqual(recapChanged(out), ['5', '0', '0'], out);
    assert.deepEqual(await state(), {
      projects: [
        'default "Default LXD project" limits.instances=-',
        'tenant-a "Tenant A" limits.instances=5',
        'tenant-b "" limits.instances=-',
      ],
      groups: [
        'tenant-a-ops: operator@/1.0/projects/tenant-a can_view_metrics@/1.0/projects/tenant-a viewer@/1.0',
        'auditors: viewer@/1.0',
      ],
      identities: ['alice: tenant-a-ops auditors'],
    });
  });

  it('refuses on every member, before any change, when one member runs LXD 5.0', async () => {
    lab.inventory(FULL(HOSTS), [...HOSTS, 'old1']);
    // Over SSH, as an operator would: the host's commands are then the 5.0 snap's (the simulated lxc 5.0).
    const installed = await lab.mc('run', '-l', 'old1', 'sudo snap install lxd --channel=5.0/stable');
    assert.equal(installed.exitCode, 0, installed.stdout + installed.stderr);
    const before = await state();
    const r = await lab.mc('playbook', PLAYBOOK, '-e', `@${first}`);
    assert.equal(r.exitCode, 2, r.stdout + r.stderr);
    assert.match(
      r.stdout + r.stderr,
      /LXD on old1 has no fine-grained authorization \(Error: unknown command "auth" for "lxc"\); .* refresh the lxd snap to 5\.21\/stable/,
    );
    assert.deepEqual(await state(), before);
    assert.ok(
      lab.world.records.some(
        (rec) => rec.host === 'old1' && rec.argv.join(' ') === 'lxc auth group list -f json',
      ),
      'the simulated lxc of the 5.0 snap answered',
    );
  });
});
