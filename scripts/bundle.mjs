// Bundles the mc CLI (src/cli.ts) into dist/bundle/, which an installed mc runs (bin/mc.js). Start-up
// is most of a short run's time, and much of it was Node resolving, reading and compiling files: some 135
// for `mc run` (mc's modules, yaml's, commander's). The bundle is one entry file, plus the chunks that
// commands and inventory formats load on use (esbuild splits at every dynamic import(), so what was lazy
// stays lazy: zod, listr2, the lab); `mc run` reads 17 of them.
// ssh2 stays outside: its native crypto binding is found relative to its own files.
// Usage: node scripts/bundle.mjs [OUTDIR]   (default dist/bundle; run by `npm run build`)
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
/** Where the bundle is in a package: bin/mc.js imports dist/bundle/mc.js. */
const bundleDir = join(root, 'dist', 'bundle');
const outdir = resolve(process.argv[2] ?? bundleDir);

/**
 * A module that finds a file beside its own code (`new URL('../package.json', import.meta.url)`) is
 * no longer where it was once bundled: every output file is in dist/bundle/. Such URLs are rewritten
 * to point from there to the same file in the package: outside src/ (package.json, bin/) the file
 * itself, under src/ tsc's copy in dist/ (the lab's shim.pl). OUTDIR is the dist/bundle/ of another
 * package layout (a test's). createRequire(import.meta.url) is kept as it is; any other use of
 * import.meta.url stops the build.
 */
const relocateModuleUrls = {
  name: 'relocate-module-urls',
  setup(bundler) {
    bundler.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const contents = text.replace(
        /new URL\((['"])([^'"]+)\1, import\.meta\.url\)/g,
        (_match, _quote, path) => {
          const target = resolve(dirname(args.path), path);
          const installed = target.startsWith(`${src}/`)
            ? join(root, 'dist', relative(src, target)).replace(/\.ts$/, '.js')
            : target;
          return `new URL(${JSON.stringify(relative(bundleDir, installed))}, import.meta.url)`;
        },
      );
      // createRequire(import.meta.url) resolves packages, which node_modules serves from anywhere in mc.
      const checked = contents
        .replace(/new URL\("[^"]*", import\.meta\.url\)/g, '')
        .replace(/createRequire\(import\.meta\.url\)/g, '');
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
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['ssh2'],
  // Bundled CommonJS packages (commander, yaml...) require Node's built-in modules.
  banner: {
    js: "import { createRequire as __mcRequire } from 'node:module'; const require = __mcRequire(import.meta.url);",
  },
  sourcemap: true,
  logLevel: 'warning',
  plugins: [relocateModuleUrls],
});
