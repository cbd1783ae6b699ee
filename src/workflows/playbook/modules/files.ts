// copy, template, file, lineinfile, stat, slurp and fetch: each reads the host's state first, changes only
// what differs (reporting "changed" honestly), and in check mode only reports.
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { editLines } from '../../../domain/playbook/lineinfile.js';
import { quoteArg } from '../../../transport/quote.js';
import { ModuleError, bool, text } from './types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';

interface RemoteStat {
  exists: boolean;
  kind?: string;
  mode?: string;
  uid?: number;
  gid?: number;
  owner?: string;
  group?: string;
  size?: number;
  mtime?: number;
  checksum?: string;
}

const sha1 = (data: Buffer | string): string => createHash('sha1').update(data).digest('hex');

async function statOf(ctx: ModuleContext, path: string, follow = false): Promise<RemoteStat> {
  const p = quoteArg(path);
  const result = await ctx.run(
    `if [ -e ${p} ] || [ -L ${p} ]; then stat ${follow ? '-L ' : ''}-c '%F|%a|%u|%g|%U|%G|%s|%Y' -- ${p} && ` +
      `{ if [ -f ${p} ] && [ -r ${p} ]; then sha1sum -- ${p} | cut -d' ' -f1; fi; }; else echo MISSING; fi`,
  );
  const [first, second] = result.stdout.split('\n');
  if (result.code !== 0) throw new ModuleError(`cannot stat ${path}: ${result.stderr.trim()}`);
  if (first === 'MISSING') return { exists: false };
  const [kind, mode, uid, gid, owner, group, size, mtime] = (first ?? '').split('|');
  return {
    exists: true,
    ...(kind === undefined ? {} : { kind }),
    mode: (mode ?? '').padStart(4, '0'),
    uid: Number(uid),
    gid: Number(gid),
    ...(owner === undefined ? {} : { owner }),
    ...(group === undefined ? {} : { group }),
    size: Number(size),
    mtime: Number(mtime),
    ...(second === undefined || second === '' ? {} : { checksum: second }),
  };
}

/** Ansible's mode: an int from YAML 1.1 octal (0644 is 420) or a string of octal digits; else symbolic. */
function octalMode(mode: unknown): string | undefined {
  if (typeof mode === 'number') return mode.toString(8).padStart(4, '0');
  const s = text(mode);
  return /^[0-7]{3,4}$/.test(s) ? s.padStart(4, '0') : undefined;
}

/** Brings mode, owner and group to what the task says; true when something had to change. */
async function applyAttributes(
  ctx: ModuleContext,
  path: string,
  before: RemoteStat,
  args: Record<string, unknown>,
): Promise<boolean> {
  const commands: string[] = [];
  let symbolic = false;
  if (args.mode !== undefined) {
    const mode = octalMode(args.mode);
    if (mode === undefined) symbolic = true;
    if (mode === undefined || mode !== before.mode)
      commands.push(`chmod ${quoteArg(mode ?? text(args.mode))} -- ${quoteArg(path)}`);
  }
  if (
    args.owner !== undefined &&
    text(args.owner) !== before.owner &&
    text(args.owner) !== String(before.uid)
  )
    commands.push(`chown ${quoteArg(text(args.owner))} -- ${quoteArg(path)}`);
  if (
    args.group !== undefined &&
    text(args.group) !== before.group &&
    text(args.group) !== String(before.gid)
  )
    commands.push(`chgrp ${quoteArg(text(args.group))} -- ${quoteArg(path)}`);
  if (commands.length === 0) return false;
  if (ctx.check) return true;
  const result = await ctx.run(commands.join(' && '));
  if (result.code !== 0) throw new ModuleError(result.stderr.trim() || 'chmod/chown failed');
  if (!symbolic || commands.length > 1) return true;
  const after = await statOf(ctx, path);
  return after.mode !== before.mode;
}

/** Writes data to path atomically (temp file beside it, then rename), keeping an existing file's mode and owner. */
async function writeFile(
  ctx: ModuleContext,
  path: string,
  data: Buffer,
  existed: boolean,
  backup: boolean,
  mode: string | undefined,
): Promise<string | undefined> {
  const p = quoteArg(path);
  const backupName = `${path}.${new Date()
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace('T', '@')}~`;
  const script = [
    'set -e',
    backup && existed ? `cp -p -- ${p} ${quoteArg(backupName)}` : ':',
    `tmp=$(mktemp ${quoteArg(join(dirname(path), '.mc-tmp-XXXXXX'))})`,
    `trap 'rm -f "$tmp"' EXIT`,
    'cat > "$tmp"',
    existed
      ? `chmod --reference=${p} "$tmp"; chown --reference=${p} "$tmp" 2>/dev/null || true`
      : `chmod "$(printf '%o' $(( 0666 & ~0$(umask) )))" "$tmp"`,
    // The task's own mode before the file appears under its name: a 0600 secret is never briefly 0644.
    mode === undefined ? ':' : `chmod ${quoteArg(mode)} "$tmp"`,
    `mv -f -- "$tmp" ${p}`,
    'trap - EXIT',
  ].join('\n');
  const result = await ctx.run(`sh -c ${quoteArg(script)}`, { stdin: data });
  if (result.code !== 0) throw new ModuleError(`cannot write ${path}: ${result.stderr.trim()}`);
  return backup && existed ? backupName : undefined;
}

function diffOf(ctx: ModuleContext, path: string, before: string | undefined, after: Buffer): ModuleResult {
  if (!ctx.diff) return {};
  return {
    diff: { before_header: path, after_header: path, before: before ?? '', after: after.toString('utf8') },
  };
}

async function readRemoteText(ctx: ModuleContext, path: string): Promise<string> {
  const result = await ctx.run(`cat -- ${quoteArg(path)}`);
  if (result.code !== 0) throw new ModuleError(`cannot read ${path}: ${result.stderr.trim()}`);
  return result.stdout;
}

async function putContent(
  ctx: ModuleContext,
  args: Record<string, unknown>,
  data: Buffer,
  src: string | undefined,
): Promise<ModuleResult> {
  let dest = text(args.dest);
  let st = await statOf(ctx, dest, true);
  if (dest.endsWith('/') || st.kind === 'directory') {
    if (src === undefined) throw new ModuleError(`can not use content with a dir as dest`);
    dest = join(dest, basename(src));
    st = await statOf(ctx, dest, true);
  }
  const checksum = sha1(data);
  const force = bool(args.force, true);
  const contentChanged = !st.exists || (force && st.checksum !== checksum);
  const before = contentChanged && ctx.diff && st.exists ? await readRemoteText(ctx, dest) : undefined;
  let backupFile: string | undefined;
  if (contentChanged && !ctx.check) {
    const parent = await statOf(ctx, dirname(dest), true);
    if (!parent.exists) throw new ModuleError(`Destination directory ${dirname(dest)} does not exist`);
    backupFile = await writeFile(ctx, dest, data, st.exists, bool(args.backup), octalMode(args.mode));
  }
  const after = contentChanged && !ctx.check ? await statOf(ctx, dest, true) : st;
  const attrsChanged = after.exists
    ? await applyAttributes(ctx, dest, after, args)
    : args.mode !== undefined || args.owner !== undefined;
  return {
    changed: contentChanged || attrsChanged,
    dest,
    checksum,
    size: data.length,
    ...(backupFile === undefined ? {} : { backup_file: backupFile }),
    ...(contentChanged ? diffOf(ctx, dest, before, data) : {}),
  };
}

export const copy: Module = async (ctx, args) => {
  if (args.content !== undefined)
    return putContent(ctx, args, Buffer.from(text(args.content), 'utf8'), undefined);
  const src = text(args.src);
  return putContent(ctx, args, ctx.readController(src), src);
};

export const template: Module = async (ctx, args) => {
  const src = text(args.src);
  const source = ctx.readController(src).toString('utf8');
  const rendered = ctx.templar.renderText(source);
  return putContent(ctx, { ...args, src: undefined }, Buffer.from(rendered, 'utf8'), src);
};

/**
 * Creates path and its missing parents, one by one; returns those it created, outermost first. A directory
 * that appears between the check and the mkdir (another host's task delegated to the same machine) is
 * taken as it is, as Ansible's file module does on EEXIST.
 */
async function makeDirectories(ctx: ModuleContext, path: string): Promise<string[]> {
  const chain: string[] = [];
  for (let dir = path.replace(/\/+$/, ''); dir !== '' && dir !== '/' && dir !== '.'; dir = dirname(dir))
    chain.unshift(dir);
  const result = await ctx.run(
    `i=0; for d in ${chain.map(quoteArg).join(' ')}; do ` +
      `if [ ! -d "$d" ]; then if err=$(mkdir -- "$d" 2>&1); then echo "$i"; ` +
      `elif [ ! -d "$d" ]; then printf '%s\\n' "$err" >&2; exit 1; fi; fi; i=$((i+1)); done`,
  );
  if (result.code !== 0) throw new ModuleError(result.stderr.trim() || `cannot create ${path}`);
  return result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((index) => chain[Number(index)] as string);
}

export const file: Module = async (ctx, args) => {
  const path = text(args.path);
  const st = await statOf(ctx, path);
  const state = text(args.state ?? (st.exists ? (st.kind === 'directory' ? 'directory' : 'file') : 'file'));
  const p = quoteArg(path);
  const act = async (command: string): Promise<void> => {
    if (ctx.check) return;
    const result = await ctx.run(command);
    if (result.code !== 0) throw new ModuleError(result.stderr.trim() || `${command} failed`);
  };
  switch (state) {
    case 'absent': {
      if (!st.exists) return { changed: false, path, state: 'absent' };
      await act(`rm -rf -- ${p}`);
      return { changed: true, path, state: 'absent' };
    }
    case 'file': {
      if (!st.exists) throw new ModuleError(`file (${path}) is absent, cannot continue`);
      const changed = await applyAttributes(ctx, path, st, args);
      return { changed, path, state: 'file' };
    }
    case 'directory': {
      if (st.exists && st.kind !== 'directory')
        throw new ModuleError(`${path} already exists as a ${st.kind ?? 'file'}`);
      if (!st.exists && !ctx.check) {
        // As Ansible's file module: every directory it has to create gets the task's mode and owner, not
        // only the last one.
        const created = await makeDirectories(ctx, path);
        for (const dir of created.filter((d) => d !== path.replace(/\/+$/, '')))
          await applyAttributes(ctx, dir, await statOf(ctx, dir), args);
      }
      const now = st.exists || ctx.check ? st : await statOf(ctx, path);
      const attrs = now.exists ? await applyAttributes(ctx, path, now, args) : false;
      return { changed: !st.exists || attrs, path, state: 'directory' };
    }
    case 'touch': {
      await act(`touch -- ${p}`);
      const now = ctx.check ? st : await statOf(ctx, path);
      if (now.exists) await applyAttributes(ctx, path, now, args);
      return { changed: true, path, state: 'file' };
    }
    case 'link': {
      const src = text(args.src);
      if (src === '') throw new ModuleError('src is required for creating a link');
      const current = st.exists ? (await ctx.run(`readlink -- ${p}`)).stdout.trim() : undefined;
      if (current === src && st.kind === 'symbolic link') return { changed: false, path, state: 'link', src };
      await act(`ln -sfn -- ${quoteArg(src)} ${p}`);
      return { changed: true, path, state: 'link', src };
    }
    default:
      throw new ModuleError(
        `value of state must be one of: absent, directory, file, link, touch, got: ${state}`,
      );
  }
};

export const lineinfile: Module = async (ctx, args) => {
  const path = text(args.path);
  const st = await statOf(ctx, path, true);
  const state = text(args.state ?? 'present');
  if (state !== 'present' && state !== 'absent')
    throw new ModuleError(`value of state must be one of: absent, present, got: ${state}`);
  if (state === 'present' && args.line === undefined)
    throw new ModuleError('line is required with state=present');
  if (!st.exists) {
    if (state === 'absent') return { changed: false, msg: '', backup: '' };
    if (!bool(args.create)) throw new ModuleError(`Destination ${path} does not exist !`);
  }
  const original = st.exists ? await readRemoteText(ctx, path) : '';
  const edit = editLines(original, {
    state,
    ...(args.line === undefined ? {} : { line: text(args.line) }),
    ...(args.regexp === undefined ? {} : { regexp: text(args.regexp) }),
    ...(args.insertafter === undefined ? {} : { insertafter: text(args.insertafter) }),
    ...(args.insertbefore === undefined ? {} : { insertbefore: text(args.insertbefore) }),
  });
  const data = Buffer.from(edit.text, 'utf8');
  let backupFile: string | undefined;
  if (edit.changed && !ctx.check)
    backupFile = await writeFile(ctx, path, data, st.exists, bool(args.backup), octalMode(args.mode));
  const after = edit.changed && !ctx.check ? await statOf(ctx, path, true) : st;
  const attrs = after.exists ? await applyAttributes(ctx, path, after, args) : false;
  return {
    changed: edit.changed || attrs,
    msg: edit.msg,
    backup: backupFile ?? '',
    ...(edit.changed ? diffOf(ctx, path, original, data) : {}),
  };
};

export const stat: Module = async (ctx, args) => {
  const path = text(args.path);
  const st = await statOf(ctx, path, bool(args.follow));
  if (!st.exists) return { changed: false, stat: { exists: false } };
  return {
    changed: false,
    stat: {
      exists: true,
      path,
      mode: st.mode,
      isdir: st.kind === 'directory',
      isreg: st.kind?.startsWith('regular') === true,
      islnk: st.kind === 'symbolic link',
      uid: st.uid,
      gid: st.gid,
      pw_name: st.owner,
      gr_name: st.group,
      size: st.size,
      mtime: st.mtime,
      ...(st.checksum !== undefined && bool(args.get_checksum, true) ? { checksum: st.checksum } : {}),
    },
  };
};

async function readRemoteBase64(ctx: ModuleContext, path: string): Promise<string | undefined> {
  const p = quoteArg(path);
  const result = await ctx.run(`if [ -f ${p} ]; then base64 -w0 -- ${p}; else echo MISSING >&2; exit 3; fi`);
  if (result.code === 3) return undefined;
  if (result.code !== 0) throw new ModuleError(`cannot read ${path}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

export const slurp: Module = async (ctx, args) => {
  const src = text(args.src);
  const content = await readRemoteBase64(ctx, src);
  if (content === undefined) throw new ModuleError(`file not found: ${src}`);
  return { changed: false, content, encoding: 'base64', source: src };
};

export const fetch: Module = async (ctx, args) => {
  const src = text(args.src);
  const flat = bool(args.flat);
  const dest = flat
    ? text(args.dest).endsWith('/')
      ? join(text(args.dest), basename(src))
      : text(args.dest)
    : join(text(args.dest), ctx.host, src);
  const content = await readRemoteBase64(ctx, src);
  if (content === undefined) {
    if (bool(args.fail_on_missing, true))
      throw new ModuleError(`the remote file does not exist, not transferring, ignored`);
    return { changed: false, msg: 'the remote file does not exist, not transferring, ignored', file: src };
  }
  const data = Buffer.from(content, 'base64');
  let current: Buffer | undefined;
  try {
    current = ctx.readController(dest);
  } catch {
    current = undefined;
  }
  const checksum = sha1(data);
  const changed = current === undefined || sha1(current) !== checksum;
  if (changed && !ctx.check) ctx.writeController(dest, data);
  return {
    changed,
    checksum,
    dest,
    remote_checksum: checksum,
    md5sum: createHash('md5').update(data).digest('hex'),
  };
};
