// Runs the test files, each in its own `node --test`, MC_TEST_CONCURRENCY at a time (default 2), longest first
// (test/durations.json: each file's seconds in a measured run) so that the workers finish together. Files
// that mostly wait (a cut link held for a minute, a hung command's timeouts) run in MC_TEST_WAIT_SLOTS more
// workers (default 1) beside them: they would hold a CPU worker while the CPU idles. Node 20's --test neither
// expands globs nor keeps the order it is given (it sorts the files), hence this scheduler. Each file's report
// is printed whole when the file ends, so reports of files running side by side do not interleave.
// MC_TEST_RECORD=PATH writes this run's seconds per file, in test/durations.json's form, to PATH.
// The tests start mc as a child process hundreds of times. Through tsx (the checkout's bin/mc.js) each
// start compiles the sources' module graph again; so the runner first bundles this tree once into an
// installed-package layout unique to the run (bin/, dist/, package.json, as `npm run build` and npm
// lay them out), names its bin/mc.js in MC_TEST_BIN for the tests (test/support/mc-bin.ts), and removes
// it at the end. MC_TEST_BUNDLE=0 skips it: the tests then run the sources through tsx.
// Usage: node test/run.mjs [substring ...]  (only files whose path contains one of the substrings)
import { execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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
const durations = JSON.parse(readFileSync(join(root, 'test', 'durations.json'), 'utf8'));
/** A file not measured yet: as long as a typical lab or compatibility file, or a unit test file. */
function expectedSeconds(file) {
  const measured = durations.seconds[file];
  if (measured !== undefined) return measured;
  return file.startsWith('test/lab/') || file.startsWith('test/playbook/compat-') ? 30 : 2;
}
const filters = process.argv.slice(2);
const files = collect(join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort()
  .sort((a, b) => expectedSeconds(b) - expectedSeconds(a));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = Math.max(1, Number(process.env.MC_TEST_CONCURRENCY ?? 2) || 2);
const waitSlots = Math.max(0, Number(process.env.MC_TEST_WAIT_SLOTS ?? 1) || 0);
const reporter = process.stdout.isTTY ? ['--test-reporter=spec'] : [];
const totals = { pass: 0, fail: 0, cancelled: 0 };
const seconds = new Map();
const cpuSeconds = new Map();
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
  // The bundle requires ssh2's native crypto binding and cpu-features (and the lazily loaded packages) from
  // node_modules.
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
  const fileStarted = Date.now();
  return new Promise((resolve) => {
    // Through bash for its `times`: the CPU the file's processes used (its mc runs, sshd, LXD...), on fd 3.
    const child = spawn(
      'bash',
      [
        '-c',
        '"$@"; status=$?; times >&3; exit $status',
        'bash',
        process.execPath,
        ...['--import', 'tsx', '--test', '--test-timeout=300000', ...reporter, file],
      ],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
    );
    const chunks = [];
    let times = '';
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.stdio[3].on('data', (c) => (times += c));
    child.on('close', (code, signal) => {
      const report = Buffer.concat(chunks).toString('utf8');
      seconds.set(file, (Date.now() - fileStarted) / 1000);
      // The second line: the children's user and system time, as "0m12.345s 0m1.234s".
      const cpu = [...(times.split('\n')[1] ?? '').matchAll(/(\d+)m([\d.]+)s/g)].reduce(
        (sum, m) => sum + Number(m[1]) * 60 + Number(m[2]),
        0,
      );
      cpuSeconds.set(file, cpu);
      const took = `${seconds.get(file).toFixed(1)} s, CPU ${cpu.toFixed(1)} s`;
      process.stdout.write(`# file: ${file} (${took})\n${report}`);
      for (const key of Object.keys(totals)) {
        const m = new RegExp(`^(?:# |ℹ )${key} (\\d+)$`, 'm').exec(report);
        if (m !== null) totals[key] += Number(m[1]);
      }
      if (code !== 0) failedFiles.push(`${file} (${signal ?? `exit ${code}`})`);
      resolve();
    });
  });
}

// The CPU workers take the waiting files too once their own queue is empty; the wait workers take only those.
const waitBound = new Set(durations.waitBound);
const waiting = files.filter((f) => waitBound.has(f) && waitSlots > 0);
const working = files.filter((f) => !waiting.includes(f));
const worker = async (queues) => {
  for (let file = queues.find((q) => q.length > 0)?.shift(); file !== undefined;) {
    await runFile(file);
    file = queues.find((q) => q.length > 0)?.shift();
  }
};
await Promise.all([
  ...Array.from({ length: Math.min(concurrency, files.length) }, () => worker([working, waiting])),
  ...Array.from({ length: Math.min(waitSlots, waiting.length) }, () => worker([waiting])),
]);
removePackage();
const total = ((Date.now() - started) / 1000).toFixed(1);
const slowest = [...seconds].sort((a, b) => b[1] - a[1]).slice(0, 15);
const cpuTotal = [...cpuSeconds.values()].reduce((a, b) => a + b, 0);
console.log(`# slowest: ${slowest.map(([f, s]) => `${f} ${s.toFixed(1)} s`).join(', ')}`);
console.log(`# CPU of the files' processes: ${cpuTotal.toFixed(0)} s`);
console.log(
  `# files ${files.length}, pass ${totals.pass}, fail ${totals.fail}, cancelled ${totals.cancelled}, ${total} s`,
);
if (process.env.MC_TEST_RECORD) {
  // This run's files measured now, every other file as before; files gone from test/ dropped.
  const all = collect(join(root, 'test')).sort();
  const measured = all
    .map((f) => [f, seconds.has(f) ? Math.round(seconds.get(f)) : durations.seconds[f]])
    .filter(([, s]) => s !== undefined);
  const cpu = all
    .map((f) => [f, cpuSeconds.has(f) ? Math.round(cpuSeconds.get(f)) : durations.cpu?.[f]])
    .filter(([, s]) => s !== undefined);
  const record = { ...durations, seconds: Object.fromEntries(measured), cpu: Object.fromEntries(cpu) };
  writeFileSync(process.env.MC_TEST_RECORD, `${JSON.stringify(record, null, 2)}\n`);
}
for (const f of failedFiles) console.log(`# FAILED: ${f}`);
process.exit(failedFiles.length === 0 ? 0 : 1);
