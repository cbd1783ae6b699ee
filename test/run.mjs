// Runs the test files, each in its own `node --test`, MC_TEST_CONCURRENCY at a time (default 2), the slow ones
// (labs, the playbook compatibility pairs) first so that the workers finish together. Node 20's --test neither
// expands globs nor keeps the order it is given (it sorts the files), hence this scheduler. Each file's report
// is printed whole when the file ends, so reports of files running side by side do not interleave.
// Usage: node test/run.mjs [substring ...]  (only files whose path contains one of the substrings)
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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

function runFile(file) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-timeout=300000', ...reporter, file],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
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
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(
  `# files ${files.length}, pass ${totals.pass}, fail ${totals.fail}, cancelled ${totals.cancelled}, ${seconds} s`,
);
for (const f of failedFiles) console.log(`# FAILED: ${f}`);
process.exit(failedFiles.length === 0 ? 0 : 1);
