#!/usr/bin/env node
// In a checkout (src/ present) mc runs the TypeScript sources through tsx, so it never runs a stale
// build; an installed package ships only dist/ and runs the bundle `npm run build` makes there
// (scripts/bundle.mjs: one file and its V8 code cache instead of some 130 modules, for a faster start-up).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const sources = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli.ts', import.meta.url).href);
} else {
  await import(new URL('../dist/bundle/mc.js', import.meta.url).href);
}
