// Runs the test files, each in its own `node --test`, MC_TEST_CONCURRENCY at a time (default 2), the slow ones
// (labs, the playbook compatibility pairs) first so that the workers finish together. Node 20's --test neither
// expands globs nor keeps the order it is given (it sorts the files), hence this scheduler. Each file's report
// is printed whole when the file ends, so reports of files running side by side do not interleave.
// The tests start mc as a child process hundreds of times. Through tsx (the checkout's bin/mc.js) each
// start compiles the sources' module graph again; so the runner first bundles this tree once into an
// installed-package layout unique to the run (bin/, dist/, package.json, as `npm run build` and npm
// lay them out), names its bin/mc.js in MC_TEST_BIN for the tests (test/support/mc-bin.ts), and removes
// it at the end. MC_TEST_BUNDLE=0 skips it: the tests then run the sources through tsx.
// Usage: node test/run.mjs [substring ...]  (only files whose path contains one of the substrings)
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' ? [] : collect(path);
    return name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}
function isSlow(file) {
  return file.startsWith('test/lab/') || file.startsWith('test/playbook/compat-');
}
const filters = process.argv.slice(2);
const files = collect(join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort()
  .sort((a, b) => Number(isSlow(b)) - Number(isSlow(a)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = Math.max(1, Number(process.env.MC_TEST_CONCURRENCY ?? 2) || 2);
const reporter = process.stdout.isTTY ? ['--test-reporter=spec'] : [];
const totals = { pass: 0, fail: 0, cancelled: 0 };
const failedFiles = [];
const started = Date.now();

/** The installed layout of this tree, built now: what bin/mc.js runs when no src/ is beside it. */
function buildPackage() {
  const pkg = mkdtempSync(join(tmpdir(), 'mc-test-package-'));
  mkdirSync(join(pkg, 'bin'));
  mkdirSync(join(pkg, 'dist', 'lab', 'embedded'), { recursive: true });
  // Copies, not links: Node runs a linked main module from its real path, which has src/ beside it.
  copyFileSync(join(root, 'bin', 'mc.js'), join(pkg, 'bin', 'mc.js'));
  copyFileSync(join(root, 'package.json'), join(pkg, 'package.json'));
  copyFileSync(
    join(root, 'src', 'lab', 'embedded', 'shim.pl'),
    join(pkg, 'dist', 'lab', 'embedded', 'shim.pl'),
  );
  // ssh2 stays outside the bundle (scripts/bundle.mjs): it is found through node_modules.
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
  try {
    execFileSync(process.execPath, [join(root, 'scripts', 'bundle.mjs'), join(pkg, 'dist', 'bundle')], {
      stdio: 'inherit',
    });
  } catch {
    rmSync(pkg, { recursive: true, force: true });
    console.error(
      'bundling the sources for the tests failed (above); MC_TEST_BUNDLE=0 runs them through tsx',
    );
    process.exit(1);
  }
  return pkg;
}
const pkg = process.env.MC_TEST_BUNDLE === '0' ? undefined : buildPackage();
const removePackage = () => {
  if (pkg !== undefined) rmSync(pkg, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    removePackage();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}
const env = pkg === undefined ? process.env : { ...process.env, MC_TEST_BIN: join(pkg, 'bin', 'mc.js') };

function runFile(file) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-timeout=300000', ...reporter, file],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.on('close', (code, signal) => {
      const report = Buffer.concat(chunks).toString('utf8');
      process.stdout.write(`# file: ${file}\n${report}`);
      for (const key of Object.keys(totals)) {
        const m = new RegExp(`^(?:# |ℹ )${key} (\\d+)$`, 'm').exec(report);
        if (m !== null) totals[key] += Number(m[1]);
      }
      if (code !== 0) failedFiles.push(`${file} (${signal ?? `exit ${code}`})`);
      resolve();
    });
  });
}

const queue = [...files];
await Promise.all(
  Array.from({ length: Math.min(concurrency, files.length) }, async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) await runFile(file);
  }),
);
removePackage();
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(
  `# files ${files.length}, pass ${totals.pass}, fail ${totals.fail}, cancelled ${totals.cancelled}, ${seconds} s`,
);
for (const f of failedFiles) console.log(`# FAILED: ${f}`);
process.exit(failedFiles.length === 0 ? 0 : 1);
