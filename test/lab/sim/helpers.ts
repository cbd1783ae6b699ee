// Shared steps for the simulator tests.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { runShell, type RunOptions, type RunResult, type World } from '../../../src/lab/sim/index.js';

export const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/sim/${name}`, import.meta.url), 'utf8');

/** Runs a shell line on a host. */
export function sh(
  world: World,
  host: string,
  line: string,
  stdin = '',
  options: RunOptions = {},
): Promise<RunResult> {
  return runShell(world, host, line, stdin, options);
}

/** Runs a line that must succeed and returns its stdout. */
export async function ok(world: World, host: string, line: string, stdin = ''): Promise<string> {
  const result = await sh(world, host, line, stdin);
  assert.equal(result.exitCode, 0, `${host}$ ${line}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result.stdout;
}

/** The §1.4 / §7 install sequence on one host: channels, cohort, then hold. */
export async function installStack(
  world: World,
  host: string,
  options: { microcloud?: boolean } = {},
): Promise<void> {
  await ok(world, host, 'snap install microceph --channel=squid/stable --cohort="+"');
  await ok(world, host, 'snap install microovn --channel=24.03/stable --cohort="+"');
  await ok(world, host, 'snap install lxd --channel=5.21/stable --cohort="+"');
  if (options.microcloud ?? true)
    await ok(world, host, 'snap install microcloud --channel=2/stable --cohort="+"');
  await ok(
    world,
    host,
    `snap refresh --hold lxd microceph microovn${(options.microcloud ?? true) ? ' microcloud' : ''}`,
  );
}

/** The JSON inside a join token: base64 of {secret, fingerprint, join_addresses} (§10.7). */
export function tokenJson(token: string): unknown {
  return JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
}

/** Collapses go/doc's line filling so assertions can match whole messages. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
