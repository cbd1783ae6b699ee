// apt, service/systemd_service, wait_for, uri and community.general.snap: each asks the host for the current
// state first and acts only on a difference; in check mode it reports what it would do.
import { quoteArg, shellJoin } from '../../../transport/quote.js';
import { ModuleError, bool, lines, text } from './types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';

function names(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(text);
  return text(value)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

async function must(ctx: ModuleContext, command: string, what: string): Promise<string> {
  const result = await ctx.run(command, { stream: true });
  if (result.code !== 0)
    throw new ModuleError(
      `${what} failed (rc ${result.code ?? 'signal'}): ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ')}`,
    );
  return result.stdout;
}

export const apt: Module = async (ctx, args) => {
  const packages = names(args.name);
  const state = text(args.state ?? 'present');
  if (!['present', 'absent', 'latest'].includes(state))
    throw new ModuleError(`value of state must be one of: absent, present, latest, got: ${state}`);
  let changed = false;
  if (bool(args.update_cache) && !ctx.check) {
    await must(ctx, 'DEBIAN_FRONTEND=noninteractive apt-get update -q', 'apt-get update');
  }
  if (packages.length === 0) return { changed, cache_updated: bool(args.update_cache) };
  const installed = new Set<string>();
  for (const name of packages) {
    const q = await ctx.run(`dpkg-query -W -f '\${Status}' ${quoteArg(name)} 2>/dev/null`);
    if (q.code === 0 && q.stdout.includes('install ok installed')) installed.add(name);
  }
  const todo =
    state === 'absent'
      ? packages.filter((p) => installed.has(p))
      : packages.filter((p) => state === 'latest' || !installed.has(p));
  if (todo.length === 0) return { changed: false };
  changed = state !== 'latest' || todo.some((p) => !installed.has(p));
  if (ctx.check) return { changed: true, packages: todo };
  const verb = state === 'absent' ? 'remove' : 'install';
  const before =
    state === 'latest'
      ? await ctx.run(`dpkg-query -W -f '\${Version}\\n' ${shellJoin(todo)} 2>/dev/null`)
      : undefined;
  const out = await must(
    ctx,
    `DEBIAN_FRONTEND=noninteractive apt-get ${verb} -y -q ${shellJoin(todo)}`,
    `apt-get ${verb}`,
  );
  if (before !== undefined) {
    const after = await ctx.run(`dpkg-query -W -f '\${Version}\\n' ${shellJoin(todo)} 2>/dev/null`);
    changed = after.stdout !== before.stdout;
  }
  return { changed, stdout: out, stdout_lines: lines(out) };
};

export const service: Module = async (ctx, args) => {
  const name = text(args.name);
  const state = args.state === undefined ? undefined : text(args.state);
  const result: ModuleResult = { changed: false, name };
  if (bool(args.daemon_reload) && !ctx.check)
    await must(ctx, 'systemctl daemon-reload', 'systemctl daemon-reload');
  if (name === '') return result;
  const unit = quoteArg(name);
  // As Ansible's systemd module: the unit is looked up first, so a missing unit (or a host whose PID 1 is not
  // systemd) fails even when nothing would need doing.
  const shown = await ctx.run(`systemctl show --property=LoadState -- ${unit}`);
  if (shown.code !== 0)
    throw new ModuleError(
      `systemctl show ${name} failed (rc ${shown.code ?? 'signal'}): ${(shown.stderr || shown.stdout).trim().split('\n').join(' ')}`,
    );
  if (/^LoadState=not-found$/m.test(shown.stdout) && (state !== undefined || args.enabled !== undefined))
    throw new ModuleError(`Could not find the requested service ${name}: host`);
  if (args.enabled !== undefined) {
    const want = bool(args.enabled);
    const is = (await ctx.run(`systemctl is-enabled ${unit}`)).stdout.trim() === 'enabled';
    if (is !== want) {
      result.changed = true;
      if (!ctx.check)
        await must(
          ctx,
          `systemctl ${want ? 'enable' : 'disable'} ${unit}`,
          `systemctl ${want ? 'enable' : 'disable'}`,
        );
    }
    result.enabled = want;
  }
  if (state !== undefined) {
    if (!['started', 'stopped', 'restarted', 'reloaded'].includes(state))
      throw new ModuleError(
        `value of state must be one of: reloaded, restarted, started, stopped, got: ${state}`,
      );
    const active = (await ctx.run(`systemctl is-active ${unit}`)).stdout.trim() === 'active';
    const verb =
      state === 'started'
        ? active
          ? undefined
          : 'start'
        : state === 'stopped'
          ? active
            ? 'stop'
            : undefined
          : state === 'restarted'
            ? 'restart'
            : 'reload';
    if (verb !== undefined) {
      result.changed = true;
      if (!ctx.check) await must(ctx, `systemctl ${verb} ${unit}`, `systemctl ${verb} ${name}`);
    }
    result.state = state === 'stopped' ? 'stopped' : 'started';
  }
  return result;
};

export const waitFor: Module = async (ctx, args) => {
  const timeout = Number(args.timeout ?? 300);
  const delay = Number(args.delay ?? 0);
  const sleep = Number(args.sleep ?? 1);
  const state = text(args.state ?? 'started');
  const started = Date.now();
  if (delay > 0) await ctx.sleep(delay * 1000);
  let probe: string;
  if (args.port !== undefined) {
    const host = text(args.host ?? '127.0.0.1');
    // bash's /dev/tcp: no nc or python needed on the host.
    probe = `timeout ${Number(args.connect_timeout ?? 5)} bash -c ${quoteArg(`exec 3<>/dev/tcp/${host}/${Number(args.port)}`)} 2>/dev/null`;
  } else if (args.path !== undefined) {
    const p = quoteArg(text(args.path));
    probe =
      args.search_regex === undefined
        ? `test -e ${p}`
        : `grep -Eq ${quoteArg(text(args.search_regex))} ${p} 2>/dev/null`;
  } else if (delay > 0 || timeout > 0) {
    await ctx.sleep(timeout * 1000);
    return { changed: false, elapsed: Math.round((Date.now() - started) / 1000) };
  } else probe = 'true';
  const wantUp = state === 'started' || state === 'present';
  for (;;) {
    const up = (await ctx.run(probe)).code === 0;
    if (up === wantUp) return { changed: false, elapsed: Math.round((Date.now() - started) / 1000), state };
    if (Date.now() - started > timeout * 1000) {
      return {
        changed: false,
        failed: true,
        elapsed: Math.round((Date.now() - started) / 1000),
        msg: text(
          args.msg ??
            `Timeout when waiting for ${args.port !== undefined ? `${text(args.host ?? '127.0.0.1')}:${text(args.port)}` : text(args.path)}`,
        ),
      };
    }
    await ctx.sleep(sleep * 1000);
  }
};

/** uri runs on the host, as Ansible's does: with curl, the body on stdin, status and body read back. */
export const uri: Module = async (ctx, args) => {
  const url = text(args.url);
  const method = text(args.method ?? 'GET').toUpperCase();
  const statuses = (Array.isArray(args.status_code) ? args.status_code : [args.status_code ?? 200]).map(
    Number,
  );
  const headers = (args.headers ?? {}) as Record<string, unknown>;
  let body: string | undefined;
  if (args.body !== undefined)
    body =
      text(args.body_format) === 'json' && typeof args.body !== 'string'
        ? JSON.stringify(args.body)
        : text(args.body);
  const argv = [
    'curl',
    '-sS',
    '-X',
    method,
    '-o',
    '/dev/stdout',
    '-w',
    '\n%{content_type}\n%{http_code}',
    '--max-time',
    String(Number(args.timeout ?? 30)),
  ];
  if (!bool(args.validate_certs, true)) argv.push('-k');
  if (text(args.body_format) === 'json') argv.push('-H', 'Content-Type: application/json');
  for (const [k, v] of Object.entries(headers)) argv.push('-H', `${k}: ${text(v)}`);
  if (body !== undefined) argv.push('--data-binary', '@-');
  argv.push('--', url);
  const result = await ctx.run(shellJoin(argv), body === undefined ? {} : { stdin: body });
  if (result.code !== 0)
    return {
      changed: false,
      failed: true,
      status: -1,
      url,
      msg: `Status code was -1 and not ${JSON.stringify(statuses)}: ${result.stderr.trim()}`,
    };
  const statusAt = result.stdout.lastIndexOf('\n');
  const typeAt = result.stdout.lastIndexOf('\n', statusAt - 1);
  const content = result.stdout.slice(0, typeAt);
  const contentType = result.stdout.slice(typeAt + 1, statusAt);
  const status = Number(result.stdout.slice(statusAt + 1));
  const out: ModuleResult = { changed: false, status, url, msg: `OK (${content.length} bytes)` };
  if (contentType !== '') out.content_type = contentType;
  if (bool(args.return_content)) out.content = content;
  // As Ansible: the body becomes `json` only when the content type's subtype names JSON (or JavaScript).
  const subtype = contentType.split(/[;,]/)[0]?.split('/')[1]?.trim().toLowerCase() ?? '';
  if (subtype.includes('json') || subtype.includes('javascript')) {
    try {
      out.json = JSON.parse(content) as unknown;
    } catch {
      // Not valid JSON after all: only `content` then.
    }
  }
  if (!statuses.includes(status)) {
    out.failed = true;
    out.msg = `Status code was ${status} and not ${JSON.stringify(statuses)}: HTTP Error ${status}`;
  }
  return out;
};

/** community.general.snap (name, channel, classic, state) plus mc's `hold` (snap refresh --hold). */
export const snap: Module = async (ctx, args) => {
  const snaps = names(args.name);
  const state = text(args.state ?? 'present');
  if (!['present', 'absent', 'enabled', 'disabled'].includes(state))
    throw new ModuleError(`value of state must be one of: absent, present, enabled, disabled, got: ${state}`);
  const channel = args.channel === undefined ? undefined : text(args.channel);
  const list = await ctx.run(`snap list ${shellJoin(snaps)} 2>/dev/null`);
  const installed = new Map<string, { tracking: string; notes: string }>();
  for (const line of lines(list.stdout).slice(1)) {
    const [name, , , tracking, , notes] = line.split(/\s+/);
    if (name !== undefined) installed.set(name, { tracking: tracking ?? '', notes: notes ?? '' });
  }
  const actions: string[] = [];
  for (const name of snaps) {
    const have = installed.get(name);
    if (state === 'absent') {
      if (have !== undefined) actions.push(shellJoin(['snap', 'remove', name]));
      continue;
    }
    if (have === undefined) {
      actions.push(
        shellJoin([
          'snap',
          'install',
          name,
          ...(channel === undefined ? [] : [`--channel=${channel}`]),
          ...(bool(args.classic) ? ['--classic'] : []),
        ]),
      );
    } else if (
      channel !== undefined &&
      have.tracking !== channel &&
      !(channel.startsWith('latest/') && have.tracking === channel.slice(7))
    ) {
      actions.push(shellJoin(['snap', 'refresh', name, `--channel=${channel}`]));
    }
    if (state === 'disabled' && have !== undefined && !have.notes.includes('disabled'))
      actions.push(shellJoin(['snap', 'disable', name]));
    if (state === 'enabled' && have?.notes.includes('disabled') === true)
      actions.push(shellJoin(['snap', 'enable', name]));
    if (args.hold !== undefined) {
      const held = have?.notes.includes('held') === true;
      if (bool(args.hold) && !held) actions.push(shellJoin(['snap', 'refresh', '--hold', name]));
      if (!bool(args.hold) && held) actions.push(shellJoin(['snap', 'refresh', '--unhold', name]));
    }
  }
  if (actions.length === 0) return { changed: false, snaps_installed: [], snaps_removed: [] };
  if (!ctx.check) for (const action of actions) await must(ctx, action, action);
  return { changed: true, actions };
};
