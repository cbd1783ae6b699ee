// playbooks/ui-access.yml on the embedded lab with a deployed MicroCloud: the UI enabled on every member, one
// trust token for the user written 0600 on the controller and never shown, the login URLs printed, and a
// second run changing nothing (no second token for the same name).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runShell } from '../../src/lab/sim/index.js';
import { FULL, startLab, type Lab } from '../support/deploy-lab.js';

const HOSTS = ['micro1', 'micro2', 'micro3'];
const PLAYBOOK = new URL('../../playbooks/ui-access.yml', import.meta.url).pathname;

describe('playbooks/ui-access.yml on a deployed MicroCloud', { concurrency: false }, () => {
  let lab: Lab;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mc-ui-access-'));
    lab = await startLab(HOSTS);
    lab.inventory(FULL(HOSTS));
    const deployed = await lab.mc('deploy', '--yes');
    assert.equal(deployed.exitCode, 0, deployed.stdout + deployed.stderr);
  });
  after(async () => {
    await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const sh = async (host: string, command: string): Promise<string> =>
    (await runShell(lab.world, host, command)).stdout;

  it('enables the UI, writes one token 0600 without showing it, prints every login URL', async () => {
    const tokenFile = join(dir, 'alice.token');
    const r = await lab.mc('playbook', PLAYBOOK, '-e', 'ui_user=alice', '-e', `ui_token_file=${tokenFile}`);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    for (const host of HOSTS) assert.equal((await sh(host, 'snap get lxd ui.enable')).trim(), 'true');
    const token = readFileSync(tokenFile, 'utf8').trim();
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    const decoded = JSON.parse(Buffer.from(token, 'base64').toString()) as { client_name: string };
    assert.equal(decoded.client_name, 'alice');
    assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token), 'the token is not in the output');
    assert.ok(!lab.world.records.some((rec) => rec.argv.join(' ').includes(token)), 'nor on a command line');
    assert.match(r.stdout, /micro1 https:\/\/[\d.]+:8443/);
    assert.match(r.stdout, /micro2 https:\/\/[\d.]+:8443/);
    assert.match(r.stdout, /micro3 https:\/\/[\d.]+:8443/);
    assert.match(r.stdout, /token for alice written to /);
    const pending = (await sh('micro2', 'lxc config trust list-tokens -f csv')).trim().split('\n');
    assert.deepEqual(
      pending.map((line) => line.split(',')[0]),
      ['alice'],
    );
  });

  it('a second run changes nothing and issues no second token', async () => {
    const tokenFile = join(dir, 'again.token');
    const r = await lab.mc('playbook', PLAYBOOK, '-e', 'ui_user=alice', '-e', `ui_token_file=${tokenFile}`);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    for (const host of HOSTS) assert.match(r.stdout, new RegExp(`^${host}\\s+: ok=\\d+\\s+changed=0 `, 'm'));
    assert.match(r.stdout, /a token or trusted client named alice exists already: no new token/);
    assert.throws(() => statSync(tokenFile));
    const pending = (await sh('micro1', 'lxc config trust list-tokens -f csv')).trim().split('\n');
    assert.equal(pending.length, 1);
  });

  it('refuses without a user name, before changing anything', async () => {
    const r = await lab.mc('playbook', PLAYBOOK);
    assert.equal(r.exitCode, 2, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /ui_user/);
  });
});
