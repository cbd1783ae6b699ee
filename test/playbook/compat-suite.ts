// The compatibility suite: every playbook in test/playbook/compat/ is run by Debian's ansible-playbook and by
// mc playbook against the same real sshd hosts (loopback, src/lab/openssh.ts), side by side. Their recap
// counts per host, their exit statuses and the files they leave on the hosts must be the same.
// A playbook's first line may give extra arguments for both: `# args: --check --tags web`.
// It runs in npm test, split over test/playbook/compat-NN-NN.test.ts; `npm run test:compat` runs only it.
import assert from 'node:assert/strict';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { startLoopbackLab } from '../../src/lab/openssh.js';
import type { LoopbackLab } from '../../src/lab/openssh.js';
import { MC } from '../support/mc-bin.js';
import { tempDir } from '../support/system.js';

const COMPAT_DIR = new URL('./compat/', import.meta.url).pathname;
// MC_COMPAT_ONLY=04,17 runs only the playbooks whose names start so (when working on them).
const only = process.env.MC_COMPAT_ONLY?.split(',') ?? [];
/** The compat playbooks numbered first to last: the suite is split over files, each with its own time limit. */
export function compatPlaybooks(first: number, last: number): string[] {
  const numbered = readdirSync(COMPAT_DIR)
    .filter((f) => /^\d.*\.yml$/.test(f))
    .filter((f) => Number.parseInt(f, 10) >= first && Number.parseInt(f, 10) <= last);
  // A file of the suite with nothing to run would pass without proving anything.
  if (numbered.length === 0) throw new Error(`no compat playbook numbered ${first} to ${last}`);
  return numbered.filter((f) => only.length === 0 || only.some((prefix) => f.startsWith(prefix))).sort();
}

type Recap = Record<string, Record<string, number>>;

/** PLAY RECAP lines, as both print them: `host : ok=1 changed=0 ...`. */
function recapOf(output: string): Recap {
  const recap: Recap = {};
  const at = output.lastIndexOf('PLAY RECAP');
  for (const line of output.slice(at).split('\n').slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (m === null) continue;
    recap[m[1] as string] = Object.fromEntries(
      [...(m[2] as string).matchAll(/(\w+)=(\d+)/g)].map((x) => [x[1] as string, Number(x[2])]),
    );
  }
  return recap;
}

/** Every file and directory under dir: relative path, type, mode, owner and content (or link target). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(d, name);
      const st = lstatSync(path);
      const rel = relative(dir, path);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[rel] = `link -> ${readlinkSync(path)}`;
      else if (st.isDirectory()) {
        out[rel] = `dir ${mode} uid=${st.uid}`;
        walk(path);
      } else out[rel] = `file ${mode} uid=${st.uid} ${readFileSync(path, 'utf8')}`;
    }
  };
  walk(dir);
  return out;
}

export function compatSuite(title: string, PLAYBOOKS: string[], subnet: number): void {
  describe(`compatibility: ansible-playbook and mc playbook on the same sshd hosts (${title})`, () => {
    let lab: LoopbackLab;
    let scratch: { path: string; remove: () => void };
    let inventory: string;

    before(async () => {
      scratch = tempDir('mc-compat');
      // The lab user's sessions read authorized_keys and write the output directories below it. Only this
      // directory is opened up: the host keys inside the lab must stay 0600, or every connection's re-executed
      // sshd refuses them ("no hostkeys available") and resets the connection before the banner.
      chmodSync(scratch.path, 0o755);
      lab = await startLoopbackLab({
        count: 2,
        baseDir: scratch.path,
        names: ['h1', 'h2'],
        subnet,
        // Two clients connecting at once on a loaded machine: sshd's default MaxStartups drops some.
        sshdConfig: ['MaxStartups 200:30:400', 'MaxSessions 64'],
      });
      inventory = join(lab.dir, 'inventory.ini');
      const hostLine = (h: LoopbackLab['hosts'][number]): string =>
        `${h.name} ansible_host=${h.address} ansible_port=${h.port} ansible_user=${lab.user} ansible_ssh_private_key_file=${lab.clientKeyPath} colour=${h.name === 'h1' ? 'red' : 'blue'}`;
      writeFileSync(
        inventory,
        [
          '[lab]',
          ...lab.hosts.map(hostLine),
          '[lab:vars]',
          `ansible_ssh_common_args='-o UserKnownHostsFile=${lab.knownHostsPath}'`,
          'ansible_python_interpreter=/usr/bin/python3',
          'from_inventory=inventory',
          '',
        ].join('\n'),
      );
    });
    after(async () => {
      await lab.stop();
      scratch.remove();
    });

    async function runBoth(playbook: string): Promise<{
      ansible: { code: number; out: string };
      mc: { code: number; out: string };
      dirs: { ansible: string; mc: string };
    }> {
      const text = readFileSync(join(COMPAT_DIR, playbook), 'utf8');
      const args =
        /^# args: (.*)$/m
          .exec(text)?.[1]
          ?.split(' ')
          .filter((a) => a !== '') ?? [];
      const dirs = {
        ansible: join(lab.dir, 'out', 'ansible', playbook),
        mc: join(lab.dir, 'out', 'mc', playbook),
      };
      for (const dir of Object.values(dirs)) {
        mkdirSync(dir, { recursive: true });
        await execa('chown', [lab.user, dir]);
      }
      const runAnsible = () =>
        execa(
          'ansible-playbook',
          ['-i', inventory, '-f', '5', join(COMPAT_DIR, playbook), '-e', `base=${dirs.ansible}`, ...args],
          {
            reject: false,
            cwd: COMPAT_DIR,
            env: {
              ANSIBLE_PIPELINING: 'True',
              ANSIBLE_SSH_RETRIES: '3',
              ANSIBLE_NOCOLOR: '1',
              ANSIBLE_RETRY_FILES_ENABLED: 'False',
              ANSIBLE_LOCAL_TEMP: join(lab.dir, 'ansible-tmp'),
              ANSIBLE_SSH_CONTROL_PATH_DIR: join(lab.dir, 'cp'),
            },
            all: true,
          },
        );
      const runMc = () =>
        execa(
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
            join(lab.dir, 'mc.log'),
            join(COMPAT_DIR, playbook),
            '-e',
            `base=${dirs.mc}`,
            ...args,
          ],
          {
            reject: false,
            cwd: COMPAT_DIR,
            all: true,
          },
        );
      const [ansible, mc] = await Promise.all([runAnsible(), runMc()]);
      return {
        ansible: { code: ansible.exitCode ?? -1, out: ansible.all ?? '' },
        mc: { code: mc.exitCode ?? -1, out: mc.all ?? '' },
        dirs,
      };
    }

    for (const playbook of PLAYBOOKS) {
      it(playbook, async () => {
        const { ansible, mc, dirs } = await runBoth(playbook);
        const context = `\n--- ansible-playbook (exit ${ansible.code}):\n${ansible.out.slice(-3000)}\n--- mc playbook (exit ${mc.code}):\n${mc.out.slice(-3000)}`;
        assert.ok(ansible.out.includes('PLAY RECAP'), `ansible-playbook did not finish${context}`);
        // Two unreachable runs have equal recaps and no files: that would prove nothing.
        assert.doesNotMatch(
          ansible.out,
          /unreachable=[1-9]/,
          `ansible-playbook did not reach a host${context}`,
        );
        assert.deepEqual(recapOf(mc.out), recapOf(ansible.out), `recaps differ${context}`);
        assert.equal(mc.code, ansible.code, `exit statuses differ${context}`);
        assert.deepEqual(tree(dirs.mc), tree(dirs.ansible), `files on the hosts differ${context}`);
      });
    }
  });
}
