// The installed mc's entry, dist/bundle/mc.js (copied there by scripts/bundle.mjs): runs the CommonJS
// bundle mc.cjs beside it, compiled with the V8 code cache mc.cjs.v8-cache that the build made, so
// that V8 deserialises mc's compiled code instead of parsing and compiling ~4 MB of JavaScript at
// every start (docs/benchmarks.md, "Run 8"). Without the cache, or when V8 rejects it (another Node
// version or other V8 flags), V8 compiles the bundle as Node's require() would.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const bundle = fileURLToPath(new URL('mc.cjs', import.meta.url));
const cacheFile = `${bundle}.v8-cache`;
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
// CommonJS's own wrapper, on the bundle's first line: line numbers in stack traces stay the file's. The
// bundle starts with cli.ts's `#!` line, valid only at the start of a file: it becomes a comment.
const text = readFileSync(bundle, 'utf8').replace(/^#!/, '//');
const source = `(function (exports, require, module, __filename, __dirname) {${text}\n})`;
const script = new Script(source, { filename: bundle, cachedData });
// Only the build asks for a cache (scripts/bundle.mjs), once mc has run: V8 then includes the functions
// compiled during the run, not only the top level.
if (process.env.MC_WRITE_CODE_CACHE === '1') {
  process.once('exit', () => writeFileSync(cacheFile, script.createCachedData()));
}
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
