// mc_facts: mc's own facts (disks, NICs, snap services) beside Ansible's common names, gathered in the same
// round trip. The script runs for real here (sh on this machine) and through mc playbook on a real sshd host,
// and what it reports is checked against lsblk and ip themselves.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { gatherFactsScript, parseGatheredFacts, parseSnapServices } from '../../src/domain/playbook/facts.js';
import { startLoopbackLab } from '../../src/lab/openssh.js';
import type { LoopbackLab } from '../../src/lab/openssh.js';
import { MC } from '../support/mc-bin.js';
import { tempDir } from '../support/system.js';

/** What lsblk and ip say on this machine, read directly. */
function machine(): { disks: string[]; nics: string[] } {
  const lsblk = JSON.parse(execFileSync('lsblk', ['-J', '-b', '-O']).toString()) as {
    blockdevices: { name: string; children?: unknown[] }[];
  };
  const names: string[] = [];
  const walk = (list: { name: string; children?: unknown[] }[]): void => {
    for (const d of list) {
      if (!names.includes(d.name)) names.push(d.name);
      walk((d.children ?? []) as { name: string; children?: unknown[] }[]);
    }
  };
  walk(lsblk.blockdevices);
  const ip = JSON.parse(execFileSync('ip', ['-j', 'addr', 'show']).toString()) as { ifname?: string }[];
  return {
    disks: names.sort(),
    nics: ip.flatMap((l) => (l.ifname === undefined ? [] : [l.ifname])).sort(),
  };
}

/**
 * Other tests on this machine add and remove links (and loop devices) while this one runs: what was there
 * before and after must be reported, and anything else reported must have come and gone meanwhile.
 */
function assertListsMachine(
  what: 'disks' | 'nics',
  got: string[],
  before: ReturnType<typeof machine>,
  after: ReturnType<typeof machine>,
): void {
  const stable = before[what].filter((name) => after[what].includes(name));
  assert.deepEqual(
    stable.filter((name) => !got.includes(name)),
    [],
    `${what}: present before and after, but not reported`,
  );
  const gone = got.filter((name) => !before[what].includes(name) && !after[what].includes(name));
  const exists = (name: string): boolean =>
    what === 'nics'
      ? execFileSync('sh', ['-c', `ip link show dev "$1" >/dev/null 2>&1 && echo yes || true`, 'sh', name])
          .toString()
          .trim() === 'yes'
      : execFileSync('sh', ['-c', `lsblk "/dev/$1" >/dev/null 2>&1 && echo yes || true`, 'sh', name])
          .toString()
          .trim() === 'yes';
  assert.deepEqual(gone.filter(exists), [], `${what}: reported, and neither before nor after on the machine`);
}

describe('mc_facts', () => {
  it('reads snap services as snapd prints them', () => {
    const text = [
      'Service                 Startup   Current   Notes',
      'lxd.activate            enabled   inactive  -',
      'lxd.daemon              enabled   active    socket-activated',
      'microceph.osd           disabled  inactive  -',
      '',
    ].join('\n');
    assert.deepEqual(parseSnapServices(text), [
      { name: 'lxd.activate', snap: 'lxd', enabled: true, active: false, notes: '' },
      { name: 'lxd.daemon', snap: 'lxd', enabled: true, active: true, notes: 'socket-activated' },
      { name: 'microceph.osd', snap: 'microceph', enabled: false, active: false, notes: '' },
    ]);
    assert.deepEqual(parseSnapServices(''), []);
    assert.throws(() => parseSnapServices('error: unknown command "services"\n'), /no "Service Startup/);
  });

  it("gathers this machine's disks and NICs in one script, beside Ansible's names", () => {
    const nonce = 'f00d';
    const before = machine();
    const stdout = execFileSync('sh', ['-c', gatherFactsScript(nonce)]).toString();
    const after = machine();
    const facts = parseGatheredFacts(stdout, nonce);
    const mc = facts.mc_facts as {
      disks: { name: string; size_bytes: number; type: string }[];
      nics: { name: string; addresses: { address: string }[] }[];
      services: unknown[];
      errors: Record<string, string>;
    };
    assertListsMachine(
      'disks',
      mc.disks.map((d) => d.name),
      before,
      after,
    );
    assertListsMachine(
      'nics',
      mc.nics.map((n) => n.name),
      before,
      after,
    );
    assert.ok(mc.nics.find((n) => n.name === 'lo')?.addresses.some((a) => a.address === '127.0.0.1'));
    // No snapd on this machine: no services, and that is not an error.
    if (!execFileSync('sh', ['-c', 'command -v snap || true']).toString().trim())
      assert.deepEqual(mc.services, []);
    assert.deepEqual(mc.errors, {});
    assert.equal(facts.ansible_hostname, execFileSync('hostname', ['-s']).toString().trim());
  });

  it('names what it could not read instead of reporting nothing', () => {
    const nonce = 'beef';
    const marker = `@@MC-${nonce}`;
    const frame = (name: string, out: string, rc: number, err = ''): string =>
      `${marker} BEGIN ${name}\n${out}\n${marker} END ${name} ${rc}\n${marker} STDERR ${name}\n${err}\n${marker} END-STDERR ${name}\n`;
    const stdout = [
      frame('ansible', 'hostname=h1', 0),
      frame('disks', '', 127, 'sh: 1: lsblk: not found'),
      frame('nics', 'not json', 0),
      frame('services', '', 127, 'sh: 1: snap: not found'),
    ].join('');
    const facts = parseGatheredFacts(stdout, nonce);
    assert.equal(facts.ansible_hostname, 'h1');
    const mc = facts.mc_facts as Record<string, unknown>;
    assert.deepEqual(mc.disks, []);
    assert.deepEqual(mc.services, []);
    const errors = mc.errors as Record<string, string>;
    assert.equal(errors.disks, 'sh: 1: lsblk: not found');
    assert.match(errors.nics ?? '', /ip addr/);
    assert.equal(errors.services, undefined);
    assert.throws(() => parseGatheredFacts('', nonce), /did not run to its end/);
  });

  describe('through mc playbook on a real sshd host', () => {
    let lab: LoopbackLab;
    let scratch: { path: string; remove: () => void };
    before(async () => {
      scratch = tempDir('mc-facts');
      chmodSync(scratch.path, 0o755);
      lab = await startLoopbackLab({ count: 1, baseDir: scratch.path, names: ['h1'], subnet: 26 });
    });
    after(async () => {
      await lab.stop();
      scratch.remove();
    });

    it('gives mc_facts to templates, disks and NICs as lsblk and ip list them', async () => {
      const h = lab.hosts[0]!;
      const inventory = join(scratch.path, 'hosts.ini');
      writeFileSync(
        inventory,
        `h1 ansible_host=${h.address} ansible_port=${h.port} ansible_user=${lab.user} ansible_ssh_private_key_file=${lab.clientKeyPath}\n`,
      );
      const out = join(lab.dir, 'home', 'facts.json');
      const playbook = join(scratch.path, 'facts.yml');
      writeFileSync(
        playbook,
        [
          '- hosts: all',
          '  tasks:',
          '    - copy:',
          `        dest: ${out}`,
          "        content: \"{{ {'disks': mc_facts.disks | map(attribute='name') | list, 'nics': mc_facts.nics | map(attribute='name') | list, 'host': ansible_hostname, 'errors': mc_facts.errors} | to_json }}\"",
          '',
        ].join('\n'),
      );
      const before = machine();
      const run = await execa(
        process.execPath,
        [
          MC,
          'playbook',
          '-i',
          inventory,
          '-o',
          'plain',
          '--known-hosts',
          lab.knownHostsPath,
          '--ssh-config',
          'none',
          '--log-file',
          join(scratch.path, 'mc.log'),
          playbook,
        ],
        { reject: false, all: true, cwd: new URL('../..', import.meta.url).pathname },
      );
      assert.equal(run.exitCode, 0, run.all);
      const got = JSON.parse(readFileSync(out, 'utf8')) as {
        disks: string[];
        nics: string[];
        host: string;
        errors: Record<string, string>;
      };
      const after = machine();
      assertListsMachine('disks', got.disks, before, after);
      assertListsMachine('nics', got.nics, before, after);
      assert.equal(got.host, execFileSync('hostname', ['-s']).toString().trim());
      assert.deepEqual(got.errors, {});
    });
  });
});
