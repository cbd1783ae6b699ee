// Bundles the mc CLI (src/cli.ts) into dist/bundle/, which an installed mc runs (bin/mc.js). Start-up
// is most of a short run's time, and much of it was Node resolving, reading and compiling files: some 135
// for `mc run` (mc's modules, yaml's, commander's). The bundle is one CommonJS file, mc.cjs, that the
// entry dist/bundle/mc.js (scripts/bundle-entry.mjs) compiles with a V8 code cache made here: Node 20
// has no compile cache of its own (module.enableCompileCache is 22.1+) and caches nothing for ES
// modules, so the bundle is CommonJS, whose compile vm.Script can feed from a cache. What was lazy stays
// lazy: esbuild runs a dynamically imported module's top level (zod, listr2, the lab) only on its import.
// ssh2 is in the bundle, and so in the cache; its native crypto binding is loaded from node_modules.
// Usage: node scripts/bundle.mjs [OUTDIR]   (default dist/bundle; run by `npm run build`)
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
/** Where the bundle is in a package: bin/mc.js imports dist/bundle/mc.js, which loads mc.cjs. */
const bundleDir = join(root, 'dist', 'bundle');
const outdir = resolve(process.argv[2] ?? bundleDir);

/**
 * A native addon (ssh2's crypto binding, cpu-features) cannot be bundled, and its package loads it by
 * a path relative to its own files: it is required from the package in node_modules instead
 * (`ssh2/lib/protocol/crypto/build/Release/sshcrypto.node`), where `npm install` built it. Where it
 * was not built the package's own fallback runs, as it did unbundled.
 */
const nativeAddonsFromPackages = {
  name: 'native-addons-from-packages',
  setup(bundler) {
    bundler.onResolve({ filter: /\.node$/ }, (args) => {
      const file = resolve(args.resolveDir, args.path);
      const packages = `${sep}node_modules${sep}`;
      const at = file.lastIndexOf(packages);
      if (at < 0) throw new Error(`${file}: a native addon outside node_modules`);
      return {
        path: file
          .slice(at + packages.length)
          .split(sep)
          .join('/'),
        external: true,
      };
    });
  },
};

/**
 * A module that finds a file beside its own code (`new URL('../package.json', import.meta.url)`) is
 * no longer where it was once bundled: every output file is in dist/bundle/. Such URLs are rewritten
 * to point from there to the same file in the package: outside src/ (package.json, bin/) the file
 * itself, under src/ tsc's copy in dist/ (the lab's shim.pl). OUTDIR is the dist/bundle/ of another
 * package layout (a test's). A package that a module loads through `const NAME =
 * createRequire(import.meta.url)` and `NAME('path')` (ssh2's client, to spare the ESM loader's
 * named-export scan) is bundled: the calls become plain require('path'), which esbuild follows. Any
 * other use of import.meta.url stops the build.
 */
const relocateModuleUrls = {
  name: 'relocate-module-urls',
  setup(bundler) {
    bundler.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      let contents = text.replace(
        /new URL\((['"])([^'"]+)\1, import\.meta\.url\)/g,
        (_match, _quote, path) => {
          const target = resolve(dirname(args.path), path);
          const installed = target.startsWith(`${src}/`)
            ? join(root, 'dist', relative(src, target)).replace(/\.ts$/, '.js')
            : target;
          return `new URL(${JSON.stringify(relative(bundleDir, installed))}, import.meta.url)`;
        },
      );
      const requireName = /const (\w+) = createRequire\(import\.meta\.url\);/.exec(contents)?.[1];
      if (requireName !== undefined) {
        contents = contents
          .replace(`const ${requireName} = createRequire(import.meta.url);`, '')
          .replace(new RegExp(`\\b${requireName}\\((['"][^'"]+['"])\\)`, 'g'), 'require($1)');
      }
      const checked = contents.replace(/new URL\("[^"]*", import\.meta\.url\)/g, '');
      if (checked.includes('import.meta.url')) {
        throw new Error(`${args.path}: import.meta.url other than new URL('<literal>', import.meta.url)`);
      }
      return { contents, loader: 'ts' };
    });
  },
};

// Chunk names change with their contents: start empty, or stale chunks pile up.
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { mc: join(src, 'cli.ts') },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // import.meta is ESM's: in the CommonJS bundle its url is the bundle file's (the plugin above has
  // already pointed every new URL(..., import.meta.url) from there).
  define: { 'import.meta.url': '__mcBundleUrl' },
  banner: { js: "const __mcBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  sourcemap: true,
  logLevel: 'warning',
  plugins: [relocateModuleUrls, nativeAddonsFromPackages],
});
await asciiOnly(join(outdir, 'mc.cjs'));
await copyFile(join(root, 'scripts', 'bundle-entry.mjs'), join(outdir, 'mc.js'));
await writeCodeCache();

/**
 * One non-ASCII character makes V8 hold the whole source in two bytes a character (8 MB instead of 4,
 * and a slower read). esbuild escapes strings and templates, not regular expressions (mc's `⨯`, `µ`)
 * or comments; there `\uXXXX` means the same character.
 */
async function asciiOnly(file) {
  const text = await readFile(file, 'utf8');
  if (/\\[^\x00-\x7f]/.test(text)) throw new Error(`${file}: a backslash before a non-ASCII character`);
  await writeFile(
    file,
    text.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`),
  );
}

/**
 * The code cache: V8's compiled code of the bundle after a run, written by the entry at exit. V8
 * compiles a function only when it is first called, so the cache holds what that run called: here
 * `mc run -- true` on one host, an SSH server in this process (ssh2's) that runs the command with
 * /bin/sh, with keys and a known_hosts of its own and no ssh_config: the inventory and its YAML, the
 * targets, the handshake and login, the command, the renderer and the recap, as on a real host, and
 * nothing of the builder's touched (~/.ssh, logs). V8 rejects a cache made by another Node version or
 * with other V8 flags, and the entry then compiles as usual.
 */
async function writeCodeCache() {
  const scratch = await mkdtemp(join(tmpdir(), 'mc-bundle-'));
  const { Server, utils } = createRequire(import.meta.url)('ssh2');
  const hostKey = utils.generateKeyPairSync('ed25519');
  const clientKey = utils.generateKeyPairSync('ed25519');
  const allowed = utils.parseKey(clientKey.public);
  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (login) => {
      const ours = login.method === 'publickey' && login.key.data.equals(allowed.getPublicSSH());
      if (ours && (login.signature === undefined || allowed.verify(login.blob, login.signature))) {
        login.accept();
      } else {
        login.reject(['publickey']);
      }
    });
    client.on('session', (acceptSession) => {
      acceptSession().on('exec', (acceptExec, _reject, { command }) => {
        const channel = acceptExec();
        // As sshd starts it: the leader of a session of its own, run by the login shell.
        const shell = spawn('/bin/sh', ['-c', command], {
          detached: true,
          env: { PATH: process.env.PATH, SHELL: '/bin/sh' },
        });
        channel.pipe(shell.stdin);
        shell.stdout.pipe(channel, { end: false });
        shell.stderr.pipe(channel.stderr, { end: false });
        shell.on('close', (code) => {
          channel.exit(code ?? 1);
          channel.end();
        });
      });
    });
  });
  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address();
    await writeFile(join(scratch, 'id_ed25519'), clientKey.private, { mode: 0o600 });
    await writeFile(join(scratch, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey.public}\n`);
    await writeFile(
      join(scratch, 'inventory.yaml'),
      `hosts:\n  cache: { address: 127.0.0.1, port: ${port}, user: mc, key: ${join(scratch, 'id_ed25519')} }\n`,
    );
    const run = await new Promise((resolve) => {
      execFile(
        process.execPath,
        [
          join(outdir, 'mc.js'),
          'run',
          '-i',
          join(scratch, 'inventory.yaml'),
          '--ssh-config',
          'none',
          '--known-hosts',
          join(scratch, 'known_hosts'),
          '--log-file',
          join(scratch, 'run.log'),
          '-o',
          'plain',
          '--',
          'true',
        ],
        { cwd: scratch, env: { ...process.env, MC_WRITE_CODE_CACHE: '1' }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error?.code ?? 0, stdout, stderr }),
      );
    });
    // Anything but success is a bundle that does not run.
    if (run.code !== 0 || !/RECAP ok=1/.test(run.stdout)) {
      throw new Error(`the bundle's training run failed (exit ${run.code}):\n${run.stdout}${run.stderr}`);
    }
  } finally {
    server.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
