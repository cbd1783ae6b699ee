// Node 20's --test does not expand globs: collect the test files here and hand them over explicitly.
// Usage: node test/run.mjs [substring ...]  (only files whose path contains one of the substrings)
import { spawnSync } from 'node:child_process';
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
const filters = process.argv.slice(2);
const files = collect(join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort()
  // The slow files (labs, the playbook compatibility pairs) first, so that the two workers end together
  // instead of one running a long lab test alone at the end.
  .sort((a, b) => Number(isSlow(b)) - Number(isSlow(a)));
function isSlow(file) {
  return file.startsWith('test/lab/') || file.startsWith('test/playbook/compat-');
}
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
