// The top-level Vagrantfile, checked as far as this machine can without VMs: Ruby syntax, `vagrant validate`
// of the libvirt and VirtualBox settings (each provider's block is checked only by that provider, so both
// run), the machine list MC_VMS gives, and its refusal of bad settings. Needs Debian's vagrant and
// vagrant-libvirt (.ci/run installs them). Runs on a copy, so no .vagrant/ appears in the checkout.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { parseVagrantStatus } from '../../src/domain/inventory/vagrant-ssh-config.js';
import { tempDir } from '../support/system.js';

const VAGRANTFILE = new URL('../../Vagrantfile', import.meta.url).pathname;
const FAKE_VBOXMANAGE_DIR = new URL('../support/fake-vboxmanage', import.meta.url).pathname;

describe('the Vagrantfile', { concurrency: false }, () => {
  let scratch: ReturnType<typeof tempDir>;
  const vagrant = (args: string[], env: Record<string, string> = {}, file = 'Vagrantfile') =>
    execa('vagrant', args, {
      cwd: scratch.path,
      reject: false,
      stdin: 'ignore',
      timeout: 120_000,
      env: {
        VAGRANT_HOME: join(scratch.path, 'vagrant.d'),
        VAGRANT_CHECKPOINT_DISABLE: '1',
        VAGRANT_NO_COLOR: '1',
        VAGRANT_VAGRANTFILE: file,
        ...env,
      },
    });
  const virtualbox = {
    VAGRANT_DEFAULT_PROVIDER: 'virtualbox',
    PATH: `${FAKE_VBOXMANAGE_DIR}:${process.env.PATH ?? ''}`,
  };

  before(() => {
    scratch = tempDir('mc-vagrantfile');
    copyFileSync(VAGRANTFILE, join(scratch.path, 'Vagrantfile'));
  });
  after(() => scratch.remove());

  it('is valid Ruby', async () => {
    const r = await execa('ruby', ['-c', VAGRANTFILE], { reject: false });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, 'Syntax OK');
  });

  it('passes vagrant validate with the libvirt and with the VirtualBox provider', async () => {
    const libvirt = await vagrant(['validate'], { VAGRANT_DEFAULT_PROVIDER: 'libvirt' });
    assert.equal(libvirt.exitCode, 0, libvirt.stdout + libvirt.stderr);
    assert.match(libvirt.stdout, /Vagrantfile validated successfully\./);
    const vbox = await vagrant(['validate'], virtualbox);
    assert.equal(vbox.exitCode, 0, vbox.stdout + vbox.stderr);
    assert.match(vbox.stdout, /Vagrantfile validated successfully\./);
  });

  it('is really checked by each provider: a wrong setting in either block fails its validation', async () => {
    const text = readFileSync(VAGRANTFILE, 'utf8');
    const broken = (from: string, to: string, name: string): string => {
      assert.ok(text.includes(from), from);
      writeFileSync(join(scratch.path, name), text.replace(from, to));
      return name;
    };
    const libvirtFile = broken(
      'libvirt.cpus = VM_CPUS',
      'libvirt.cpus = VM_CPUS; libvirt.cpu_count = 2',
      'Vagrantfile.libvirt',
    );
    const libvirt = await vagrant(['validate'], { VAGRANT_DEFAULT_PROVIDER: 'libvirt' }, libvirtFile);
    assert.equal(libvirt.exitCode, 1, libvirt.stdout);
    assert.match(libvirt.stderr, /Libvirt Provider:\n\* The following settings shouldn't exist: cpu_count/);
    const vboxFile = broken('vb.cpus = VM_CPUS', 'vb.cpus = VM_CPUS; vb.cpu_count = 2', 'Vagrantfile.vbox');
    const vbox = await vagrant(['validate'], virtualbox, vboxFile);
    assert.equal(vbox.exitCode, 1, vbox.stdout);
    assert.match(vbox.stderr, /VirtualBox Provider:\n\* The following settings shouldn't exist: cpu_count/);
  });

  it('defines MC_VMS machines, node1 to nodeN, 3 by default', async () => {
    const three = await vagrant(['status', '--machine-readable'], { VAGRANT_DEFAULT_PROVIDER: 'libvirt' });
    assert.equal(three.exitCode, 0, three.stderr);
    assert.deepEqual(
      parseVagrantStatus(three.stdout).map((m) => [m.name, m.state, m.provider]),
      ['node1', 'node2', 'node3'].map((name) => [name, 'not_created', 'libvirt']),
    );
    const five = await vagrant(['status', '--machine-readable'], {
      VAGRANT_DEFAULT_PROVIDER: 'libvirt',
      MC_VMS: '5',
    });
    assert.deepEqual(
      parseVagrantStatus(five.stdout).map((m) => m.name),
      ['node1', 'node2', 'node3', 'node4', 'node5'],
    );
  });

  it('refuses a setting that is not a whole number, naming it', async () => {
    const r = await vagrant(['status'], { MC_VM_MEMORY: '4G' });
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /^Vagrantfile: MC_VM_MEMORY="4G" is not a whole number$/m);
  });
});
