// Modules that run on the controller: debug, set_fact, assert, fail, pause; and ping, which checks the host.
import { ModuleError, text } from './types.js';
import type { Module } from './types.js';

/** The executor gives debug's `var` and assert's `that` their values; these modules only shape results. */
export const debug: Module = (_ctx, args) => {
  if (args.var !== undefined) return Promise.resolve({ changed: false, [text(args.var)]: args._var_value });
  return Promise.resolve({ changed: false, msg: args.msg ?? 'Hello world!' });
};

export const setFact: Module = (_ctx, args) => {
  const facts = Object.fromEntries(Object.entries(args).filter(([k]) => k !== 'cacheable'));
  return Promise.resolve({ changed: false, ansible_facts: facts });
};

export const assertModule: Module = (_ctx, args) => {
  const failedOn = args._failed_condition;
  if (typeof failedOn === 'string') {
    return Promise.resolve({
      changed: false,
      failed: true,
      assertion: failedOn,
      evaluated_to: false,
      msg: args.fail_msg === undefined ? 'Assertion failed' : args.fail_msg,
    });
  }
  return Promise.resolve({ changed: false, msg: args.success_msg ?? 'All assertions passed' });
};

export const fail: Module = (_ctx, args) =>
  Promise.resolve({ changed: false, failed: true, msg: args.msg ?? 'Failed as requested from task' });

export const pause: Module = async (ctx, args) => {
  if (args.seconds === undefined && args.minutes === undefined)
    throw new ModuleError(
      'pause without seconds or minutes waits for a key press; mc runs unattended: give seconds',
    );
  const seconds = Number(args.seconds ?? 0) + 60 * Number(args.minutes ?? 0);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new ModuleError(`pause: seconds must be a number, got ${text(args.seconds)}`);
  const started = Date.now();
  await ctx.sleep(seconds * 1000);
  return {
    changed: false,
    delta: Math.round((Date.now() - started) / 1000),
    echo: true,
    rc: 0,
    start: '',
    stop: '',
    stderr: '',
    stdout: `Paused for ${seconds} seconds`,
    user_input: '',
  };
};

export const ping: Module = async (ctx, args) => {
  const data = args.data === undefined ? 'pong' : text(args.data);
  if (data === 'crash') throw new ModuleError('boom');
  const result = await ctx.run('true');
  if (result.code !== 0) throw new ModuleError(`the host cannot run commands: ${result.stderr.trim()}`);
  return { changed: false, ping: data };
};
