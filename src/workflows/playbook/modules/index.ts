// The module table: canonical name (src/domain/playbook/modules.ts) to implementation.
import { command, raw, shell } from './command.js';
import { assertModule, debug, fail, pause, ping, setFact } from './control.js';
import { copy, fetch, file, lineinfile, slurp, stat, template } from './files.js';
import { apt, service, snap, uri, waitFor } from './system.js';
import type { Module } from './types.js';

export const IMPLEMENTATIONS: Record<string, Module> = {
  command,
  shell,
  raw,
  copy,
  template,
  file,
  lineinfile,
  stat,
  fetch,
  slurp,
  apt,
  service,
  systemd_service: service,
  wait_for: waitFor,
  uri,
  debug,
  set_fact: setFact,
  assert: assertModule,
  fail,
  pause,
  ping,
  snap,
};
