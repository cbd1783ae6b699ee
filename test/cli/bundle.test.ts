// The installed package: bin/mc.js with no src/ beside it runs the bundle `npm run build` makes
// (scripts/bundle.mjs). Built into a package layout of its own: bin/, dist/ and package.json.
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Script } from 'node:vm';
import { execa } from 'execa';
import { tempDir } from '../support/system.js';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('the bundled mc (installed package)', { concurrency: false }, () => {
  let scratch: ReturnType<typeof tempDir>;
  let pkg: string;
  const mc = async (args: string[]) => {
    const result = await execa('node', [join(pkg, 'bin', 'mc.js'), ...args], {
      cwd: scratch.path,
      reject: false,
      stdin: 'ignore',
      timeout: 60_000,
    });
    return { code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
  };

  before(async () => {
    scratch = tempDir('mc-bundle');
    pkg = join(scratch.path, 'pkg');
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    mkdirSync(join(pkg, 'dist', 'lab', 'embedded'), { recursive: true });
    copyFileSync(join(ROOT, 'bin', 'mc.js'), join(pkg, 'bin', 'mc.js'));
    copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    // What `npm run build` copies beside tsc's output, and the lab's hosts run.
    copyFileSync(
      join(ROOT, 'src', 'lab', 'embedded', 'shim.pl'),
      join(pkg, 'dist', 'lab', 'embedded', 'shim.pl'),
    );
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    await execa('node', [join(ROOT, 'scripts', 'bundle.mjs'), join(pkg, 'dist', 'bundle')]);
  });
  after(() => scratch.remove());

  it('runs from the bundle, and finds package.json from there', async () => {
    assert.equal(existsSync(join(pkg, 'src')), false);
    assert.ok(existsSync(join(pkg, 'dist', 'bundle', 'mc.js')));
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
    const result = await mc(['--version']);
    assert.deepEqual(result, { code: 0, stdout: version, stderr: '' });
  });

  it('compiles from the code cache the build made, and runs without it or with a bad one', async () => {
    const bundle = join(pkg, 'dist', 'bundle', 'mc.cjs');
    const cache = `${bundle}.v8-cache`;
    // As scripts/bundle-entry.mjs compiles it: V8 takes the cache only for the same source and flags.
    const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, 'utf8').replace(/^#!/, '//')}\n})`;
    // ASCII only: one other character would make V8 keep the whole source in two bytes a character.
    assert.equal(Buffer.byteLength(source), source.length);
    const script = new Script(source, { filename: bundle, cachedData: readFileSync(cache) });
    assert.equal(script.cachedDataRejected, false);
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
    renameSync(cache, `${cache}.kept`);
    try {
      assert.deepEqual(await mc(['--version']), { code: 0, stdout: version, stderr: '' });
      writeFileSync(cache, Buffer.alloc(4096, 7));
      assert.deepEqual(await mc(['--version']), { code: 0, stdout: version, stderr: '' });
    } finally {
      renameSync(`${cache}.kept`, cache);
    }
  });

  it('loads each inventory format’s reader on use', async () => {
    for (const [file, format] of [
      ['example.yaml', 'mc'],
      ['ansible-example.yml', 'ansible-yaml'],
      ['ansible-example.ini', 'ansible-ini'],
    ]) {
      const path = join(ROOT, 'inventories', file!);
      const result = await mc(['inventory', 'check', '-i', path]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^${path}: ok \\(${format}, 3 hosts`));
    }
  });

  it('runs the lab demo: SSH through ssh2, the lab server started through bin/mc.js, the shims', async () => {
    const demo = await mc([
      'lab',
      'demo',
      '--dir',
      join(scratch.path, 'lab'),
      '--inventory-file',
      join(scratch.path, 'lab.yaml'),
    ]);
    assert.equal(demo.code, 0, demo.stdout + demo.stderr);
    assert.match(demo.stdout, /^== Deploy the MicroCloud$/m);
    assert.match(demo.stdout, /^Verified: \d+ checks passed\./m);
    assert.match(demo.stdout, /^Lab stopped\.$/m);
  });
});
