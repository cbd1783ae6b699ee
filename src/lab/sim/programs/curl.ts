// `curl` as a deploy tool uses it on a host: HTTP over a microcluster daemon's unix control socket
// (`--unix-socket /var/snap/<snap>/common/state/control.socket`), the JSON body on stdin. The daemon side
// is microcluster-api.ts. Ubuntu 24.04 ships curl 8.5.0, 22.04 curl 7.81.0; their messages differ only in
// the connect error (curl lib/connect.c at tags curl-8_5_0 and curl-7_81_0).
//
// Modelled options: -s/--silent (required: without it curl draws a progress meter on stderr), -S/--show-error,
// -f/--fail, --fail-with-body, --unix-socket PATH, -X/--request METHOD, -H/--header "Name: value",
// -d/--data and --data-binary with `@-` (stdin; -d drops CR and LF from it, as curl does for files) or
// literal data, -w/--write-out with %{http_code}/%{response_code} and \n \r \t, short options grouped
// (-sSf, -XPOST), and one http:// URL. Anything else (other options, no --unix-socket, another socket, a
// query string, https) is not modelled and fails with exit 127, so nothing silently succeeds.

import { daemonRunning } from '../listeners.js';
import type { MicroclusterServiceName } from '../machine.js';
import { microclusterApi, type ApiOutcome } from '../microcluster-api.js';
import { NotModelledError, Output, type ProgramContext, type ProgramResult } from '../program.js';

interface CurlCall {
  silent: boolean;
  showError: boolean;
  fail: 'no' | 'fail' | 'with-body';
  unixSocket: string | null;
  method: string | null;
  headers: string[];
  data: { from: 'stdin'; stripNewlines: boolean } | { from: 'literal'; text: string } | null;
  writeOut: string | null;
  url: string | null;
}

const SOCKET = /^\/var\/snap\/(microceph|microovn|microcloud)\/common\/state\/control\.socket$/;

/** Options that take a value, by short and long name. */
const VALUE_SHORT: Record<string, string> = { X: 'request', H: 'header', d: 'data', w: 'write-out' };
const BOOL_SHORT: Record<string, string> = { s: 'silent', S: 'show-error', f: 'fail' };
const VALUE_LONG = new Set(['request', 'header', 'data', 'data-binary', 'write-out', 'unix-socket']);
const BOOL_LONG = new Set(['silent', 'show-error', 'fail', 'fail-with-body']);

function parseCurlArgs(args: readonly string[]): CurlCall {
  const call: CurlCall = {
    silent: false,
    showError: false,
    fail: 'no',
    unixSocket: null,
    method: null,
    headers: [],
    data: null,
    writeOut: null,
    url: null,
  };
  const setBool = (name: string): void => {
    if (name === 'silent') call.silent = true;
    else if (name === 'show-error') call.showError = true;
    else {
      const mode = name === 'fail' ? 'fail' : 'with-body';
      // tool_getparam.c refuses both; not a deploy concern.
      if (call.fail !== 'no' && call.fail !== mode)
        throw new NotModelledError('curl --fail with --fail-with-body');
      call.fail = mode;
    }
  };
  const setValue = (name: string, value: string): void => {
    switch (name) {
      case 'request':
        call.method = value;
        return;
      case 'header':
        if (!value.includes(':')) throw new NotModelledError(`curl -H ${JSON.stringify(value)}`);
        call.headers.push(value);
        return;
      case 'unix-socket':
        call.unixSocket = value;
        return;
      case 'write-out':
        call.writeOut = value;
        return;
      default: {
        // -d/--data/--data-binary: several are joined with `&` by curl; one is all a deploy sends.
        if (call.data !== null) throw new NotModelledError('curl with more than one data option');
        if (value === '@-') call.data = { from: 'stdin', stripNewlines: name === 'data' };
        else if (value.startsWith('@')) throw new NotModelledError(`curl ${name} from a file (${value})`);
        else call.data = { from: 'literal', text: value };
      }
    }
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const next = (): string => {
      const value = args[i + 1];
      if (value === undefined) throw new NotModelledError(`curl ${arg} without its value`);
      i++;
      return value;
    };
    if (arg.startsWith('--')) {
      const name = arg.slice(2);
      if (BOOL_LONG.has(name)) setBool(name);
      else if (VALUE_LONG.has(name)) setValue(name, next());
      else throw new NotModelledError(`curl ${arg}`);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j] as string;
        const bool = BOOL_SHORT[letter];
        if (bool) {
          setBool(bool);
          continue;
        }
        const valued = VALUE_SHORT[letter];
        if (!valued) throw new NotModelledError(`curl -${letter}`);
        const rest = arg.slice(j + 1);
        setValue(valued, rest === '' ? next() : rest);
        break;
      }
      continue;
    }
    if (call.url !== null) throw new NotModelledError('curl with more than one URL');
    call.url = arg;
  }
  return call;
}

/** Whether this curl call reads its standard input (`-d @-` / `--data-binary @-`). */
export function curlReadsStdin(argv: readonly string[]): boolean {
  try {
    return parseCurlArgs(argv.slice(1)).data?.from === 'stdin';
  } catch (error) {
    if (error instanceof NotModelledError) return false;
    throw error;
  }
}

/** curl's -w: %{http_code} (000 without a response), %% and the backslash escapes. */
function writeOut(format: string, status: number | null): string {
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const char = format[i] as string;
    if (char === '\\' && i + 1 < format.length) {
      const escaped: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\' };
      const next = format[i + 1] as string;
      if (next in escaped) {
        out += escaped[next];
        i++;
        continue;
      }
    }
    if (char === '%' && format[i + 1] === '%') {
      out += '%';
      i++;
      continue;
    }
    if (char === '%' && format[i + 1] === '{') {
      const end = format.indexOf('}', i);
      const name = end < 0 ? '' : format.slice(i + 2, end);
      if (name !== 'http_code' && name !== 'response_code') {
        throw new NotModelledError(`curl -w ${JSON.stringify(format)} (only %{http_code} is modelled)`);
      }
      out += String(status ?? 0).padStart(3, '0');
      i = end;
      continue;
    }
    out += char;
  }
  return out;
}

export async function curlProgram(ctx: ProgramContext): Promise<ProgramResult> {
  const call = parseCurlArgs(ctx.argv.slice(1));
  if (call.writeOut?.startsWith('@')) throw new NotModelledError('curl -w @file');
  if (!call.silent) throw new NotModelledError('curl without -s (its progress meter)');
  if (call.unixSocket === null) throw new NotModelledError('curl without --unix-socket (the network)');
  const socket = SOCKET.exec(call.unixSocket);
  if (!socket) throw new NotModelledError(`curl --unix-socket ${call.unixSocket}`);
  const service = socket[1] as MicroclusterServiceName;
  const url = /^http:\/\/([^/?#:]+)(?::(\d+))?(\/[^?#]*)?$/.exec(call.url ?? '');
  if (!url) throw new NotModelledError(`curl ${call.url ?? '(no URL)'} (only http://HOST/PATH is modelled)`);
  const host = url[1] as string;
  const port = url[2] ?? '80';
  const path = url[3] ?? '/';
  const out = new Output();
  const finish = (status: number | null, code: number, stderr: string | null): ProgramResult => {
    if (stderr !== null && call.showError) out.eprintln(stderr);
    if (call.writeOut !== null) out.print(writeOut(call.writeOut, status));
    return out.done(code);
  };

  // The socket is the daemon's: absent unless the snap is installed and its daemon runs, root's alone
  // (mode 0660, owner root: mcl internal/endpoints/socket.go).
  const running = daemonRunning(ctx.machine, service);
  if (!running || ctx.uid !== 0) {
    const reason =
      ctx.machine.os.versionId === '24.04'
        ? "Couldn't connect to server"
        : running
          ? 'Permission denied'
          : 'No such file or directory';
    return finish(null, 7, `curl: (7) Failed to connect to ${host} port ${port} after 0 ms: ${reason}`);
  }

  let body = '';
  if (call.data?.from === 'stdin')
    body = call.data.stripNewlines ? ctx.stdin.replace(/[\r\n]/g, '') : ctx.stdin;
  else if (call.data?.from === 'literal') body = call.data.text;
  const method = call.method ?? (call.data ? 'POST' : 'GET');
  const outcome: ApiOutcome = await microclusterApi(
    ctx.world,
    ctx.machine,
    service,
    { method, path, body },
    ctx.signal,
  );
  if (outcome.kind === 'empty-reply') return finish(null, 52, 'curl: (52) Empty reply from server');
  const failed = outcome.status >= 400 && call.fail !== 'no';
  if (!failed || call.fail === 'with-body') out.print(outcome.body);
  if (!failed) return finish(outcome.status, 0, null);
  return finish(outcome.status, 22, `curl: (22) The requested URL returned error: ${outcome.status}`);
}
