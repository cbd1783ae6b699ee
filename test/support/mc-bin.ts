// The mc that tests start as a child process. test/run.mjs bundles the sources once per run into a
// package layout of its own and names its bin/mc.js in MC_TEST_BIN: each start then loads a few
// prebuilt files instead of compiling some 130 modules through tsx (about 0.4 s of CPU less per
// start). A test file run alone (`node --import tsx --test FILE`) starts this checkout's bin/mc.js,
// which runs the sources through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MC = process.env.MC_TEST_BIN ?? fileURLToPath(new URL('../../bin/mc.js', import.meta.url));
if (!existsSync(MC)) {
  throw new Error(`MC_TEST_BIN=${MC} does not exist: run the tests through node test/run.mjs, or unset it`);
}
