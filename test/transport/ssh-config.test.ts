// ssh_config resolution checked against the real OpenSSH client: `ssh -G` for the resolved values, and
// `ssh -v` (stopped before any network traffic) for what only exists at run time: the expanded
// IdentityFile list and the expanded ProxyJump hops.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ConfigurationError } from '../../src/transport/errors.js';
import {
  expandTilde,
  matchesHostPatternList,
  matchesWildcard,
  parseProxyJump,
  resolveSshConfig,
} from '../../src/transport/ssh-config.js';
import type { ProxyJumpHop, ResolvedSshConfig, SshConfigContext } from '../../src/transport/ssh-config.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/ssh/config/', import.meta.url));
const SSH = '/usr/bin/ssh';
const account = userInfo();
// ssh takes %d and ~ from the password database and %l from gethostname(): give the resolver the same.
const base = { homeDir: account.homedir, localUser: account.username, localHostName: hostname() };

const realFs = {
  readFile: (path: string): string | undefined => {
    try {
      return statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined;
    } catch {
      return undefined;
    }
  },
  listDir: (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
};

let workDir = '';
let mainConfig = '';
/** Stands in for the ssh that ProxyJump would start: exits at once, so nothing touches the network. */
let fakeJumpSsh = '';

before(() => {
  workDir = mkdtempSync(join(tmpdir(), 'mc-ssh-config-'));
  cpSync(FIXTURES, join(workDir, 'config'), { recursive: true });
  replacePlaceholders(join(workDir, 'config'));
  mainConfig = join(workDir, 'config', 'main.conf');
  fakeJumpSsh = join(workDir, 'fake-ssh');
  writeFileSync(fakeJumpSsh, '#!/bin/sh\nexit 1\n');
  chmodSync(fakeJumpSsh, 0o755);
});

after(() => {
  rmSync(workDir, { recursive: true, force: true });
});

function replacePlaceholders(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) replacePlaceholders(path);
    else writeFileSync(path, readFileSync(path, 'utf8').replaceAll('@DIR@', join(workDir, 'config')));
  }
}

function context(configPath: string, extra: Partial<SshConfigContext> = {}): SshConfigContext {
  return { configPath, ...realFs, ...base, ...extra };
}

function optionArgs(options: Record<string, string>): string[] {
  return Object.entries(options).flatMap(([key, value]) => ['-o', `${key}=${value}`]);
}

/** `ssh -G` output as key → values (identityfile repeats). */
function sshG(
  configPath: string,
  alias: string,
  options: Record<string, string> = {},
  env: NodeJS.ProcessEnv = process.env,
): Map<string, string[]> {
  const result = spawnSync(SSH, ['-G', '-F', configPath, ...optionArgs(options), alias], {
    encoding: 'utf8',
    env,
  });
  assert.equal(result.status, 0, `ssh -G ${alias} failed: ${result.stderr}`);
  const values = new Map<string, string[]>();
  for (const line of result.stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space < 0) continue;
    const key = line.slice(0, space).toLowerCase();
    values.set(key, [...(values.get(key) ?? []), line.slice(space + 1)]);
  }
  return values;
}

function single(values: Map<string, string[]>, key: string): string | undefined {
  return values.get(key)?.[0];
}

interface Runtime {
  identityFiles: string[];
  jumpHops: ProxyJumpHop[] | undefined;
}

/**
 * What ssh does at run time, from `ssh -v`. With ProxyJump, ssh starts argv[0] as the jump client: we
 * set argv0 to a script that exits at once. Without it, `-o ProxyCommand=false` stands in for the TCP
 * connection. Either way ssh logs the expanded proxy command and identity files, then fails the banner.
 */
function sshRuntime(
  configPath: string,
  alias: string,
  usesProxyJump: boolean,
  options: Record<string, string> = {},
  env: NodeJS.ProcessEnv = process.env,
): Runtime {
  const proxyOverride = usesProxyJump ? {} : { ProxyCommand: 'false' };
  const args = ['-v', '-F', configPath, ...optionArgs({ BatchMode: 'yes', ...proxyOverride, ...options })];
  const result = spawnSync(SSH, [...args, alias, 'true'], {
    argv0: fakeJumpSsh,
    encoding: 'utf8',
    timeout: 20_000,
    env,
  });
  const lines = result.stderr.split(/\r?\n/);
  const identityFiles = lines
    .map((line) => /^debug1: identity file (.*) type -?\d+$/.exec(line)?.[1])
    .filter((file): file is string => file !== undefined && !file.endsWith('-cert'));
  const proxyLine = lines.find((line) => line.startsWith('debug1: Executing proxy command: exec '));
  return {
    identityFiles,
    jumpHops: usesProxyJump && proxyLine !== undefined ? hopsFromProxyCommand(proxyLine) : undefined,
  };
}

/** `exec FAKE [-l user] [-p port] [-J earlier,hops] -F cfg -v -W '[h]:p' lasthop` back into hops. */
function hopsFromProxyCommand(line: string): ProxyJumpHop[] {
  const words = line.slice(line.indexOf('exec ') + 'exec '.length).split(/\s+/);
  let user: string | undefined;
  let port: number | undefined;
  let earlier: ProxyJumpHop[] = [];
  for (let i = 1; i < words.length - 1; i += 1) {
    const value = words[i + 1] ?? '';
    if (words[i] === '-l') user = value;
    if (words[i] === '-p') port = Number(value);
    if (words[i] === '-J') earlier = parseProxyJump(value);
  }
  const host = words[words.length - 1] ?? '';
  const last: ProxyJumpHop = { host };
  if (user !== undefined) last.user = user;
  if (port !== undefined) last.port = port;
  return [...earlier, last];
}

const STRICT_FROM_G: Record<string, string> = {
  true: 'yes',
  false: 'no',
  ask: 'ask',
  'accept-new': 'accept-new',
};

/** Every field the resolver shares with `ssh -G`, compared one by one for readable failures. */
function assertMatchesSshG(alias: string, resolved: ResolvedSshConfig, g: Map<string, string[]>): void {
  const label = `alias ${alias}`;
  assert.equal(resolved.hostName, single(g, 'hostname'), `${label}: hostname`);
  assert.equal(resolved.user, single(g, 'user'), `${label}: user`);
  assert.equal(String(resolved.port), single(g, 'port'), `${label}: port`);
  assert.equal(
    resolved.identitiesOnly ? 'yes' : 'no',
    single(g, 'identitiesonly'),
    `${label}: identitiesonly`,
  );
  assert.equal(resolved.identityAgent, single(g, 'identityagent'), `${label}: identityagent`);
  assert.equal(String(resolved.serverAliveInterval), single(g, 'serveraliveinterval'), `${label}: interval`);
  assert.equal(String(resolved.serverAliveCountMax), single(g, 'serveralivecountmax'), `${label}: countmax`);
  assert.equal(
    String(resolved.connectTimeout ?? 'none'),
    single(g, 'connecttimeout'),
    `${label}: connecttimeout`,
  );
  const knownHosts = single(g, 'userknownhostsfile');
  assert.deepEqual(
    resolved.userKnownHostsFiles,
    knownHosts === 'none' ? [] : knownHosts?.split(' '),
    `${label}: userknownhostsfile`,
  );
  const strict = single(g, 'stricthostkeychecking') ?? '';
  assert.equal(resolved.strictHostKeyChecking, STRICT_FROM_G[strict], `${label}: stricthostkeychecking`);
  assert.equal(resolved.hostKeyAlias, single(g, 'hostkeyalias'), `${label}: hostkeyalias`);
  assert.equal(
    resolved.hashKnownHosts ? 'yes' : 'no',
    single(g, 'hashknownhosts'),
    `${label}: hashknownhosts`,
  );
  assert.equal(resolved.proxyJump !== undefined, g.has('proxyjump'), `${label}: proxyjump present`);
  assert.equal(resolved.proxyCommand !== undefined, g.has('proxycommand'), `${label}: proxycommand present`);
}

function assertMatchesSsh(
  configPath: string,
  alias: string,
  options: Record<string, string> = {},
): ResolvedSshConfig {
  const resolved = resolveSshConfig(alias, context(configPath, { commandLineOptions: options }));
  const g = sshG(configPath, alias, options);
  assertMatchesSshG(alias, resolved, g);
  const runtime = sshRuntime(configPath, alias, g.has('proxyjump'), options);
  assert.deepEqual(resolved.identityFiles, runtime.identityFiles, `alias ${alias}: identity files (ssh -v)`);
  if (resolved.proxyJump !== undefined) {
    assert.deepEqual(
      parseProxyJump(resolved.proxyJump),
      runtime.jumpHops,
      `alias ${alias}: jump hops (ssh -v)`,
    );
  }
  return resolved;
}

describe('resolveSshConfig against ssh -G / ssh -v (real-world fixture)', () => {
  const aliases = [
    'bastion',
    'node1',
    'node7',
    'node-a',
    'node-legacy',
    'NODE1',
    'multihop',
    'tokens',
    'scoped',
    'other',
    'inner-only',
    'proxycmd',
    'nojump',
    'Upper',
    'upper',
    'v6',
    'work-1',
    'deep',
    'unknown.example.com',
    '10.1.2.3',
  ];
  for (const alias of aliases) {
    it(`resolves ${alias} like ssh`, () => {
      assertMatchesSsh(mainConfig, alias);
    });
  }

  it('reads Include globs in lexical order, skipping dot files and names that do not match', () => {
    const node1 = resolveSshConfig('node1', context(mainConfig));
    assert.equal(node1.port, 2023, 'conf.d/20-override.conf comes before main.conf blocks');
    assert.equal(resolveSshConfig('work-1', context(mainConfig)).user, 'worker');
    assert.equal(
      resolveSshConfig('deep', context(mainConfig)).hostName,
      'deep.example.org',
      'nested Include',
    );
    const stranger = resolveSshConfig('stranger', context(mainConfig));
    assert.equal(stranger.user, 'defaultuser', 'neither .hidden.conf nor README applied');
  });

  it('negated Host patterns veto the block', () => {
    const legacy = resolveSshConfig('node-legacy', context(mainConfig));
    assert.equal(legacy.user, 'root');
    assert.equal(legacy.proxyJump, undefined);
    assert.equal(resolveSshConfig('node-a', context(mainConfig)).proxyJump, 'bastion');
  });

  it('accumulates IdentityFile lines across blocks, once each, Host * last', () => {
    const node7 = resolveSshConfig('node7', context(mainConfig));
    assert.deepEqual(node7.identityFiles, [
      join(base.homeDir, '.ssh/cluster_ubuntu'),
      join(base.homeDir, '.ssh/id_ed25519'),
    ]);
    assert.equal(node7.serverAliveInterval, 30, 'the specific block wins over Host *');
    assert.equal(node7.connectTimeout, 90);
  });

  it('applies an Include inside a Host block only within it, and restores the block state after it', () => {
    const scoped = resolveSshConfig('scoped', context(mainConfig));
    assert.equal(scoped.user, 'scopeduser');
    assert.deepEqual(scoped.identityFiles.slice(0, 2), [
      join(base.homeDir, '.ssh/scoped_key'),
      join(base.homeDir, '.ssh/after_include'),
    ]);
    const other = resolveSshConfig('other', context(mainConfig));
    assert.deepEqual(other.identityFiles.slice(0, 3), [
      join(base.homeDir, '.ssh/scoped_key'),
      join(base.homeDir, '.ssh/other_key'),
      join(base.homeDir, '.ssh/after_include'),
    ]);
    assert.equal(
      resolveSshConfig('inner-only', context(mainConfig)).port,
      22,
      'Host inside an inactive include',
    );
  });

  it('expands tokens where ssh does and leaves HostKeyAlias literal', () => {
    const tokens = resolveSshConfig('tokens', context(mainConfig));
    assert.equal(tokens.hostName, 'tokens.internal.example');
    assert.equal(tokens.identityFiles[0], join(base.homeDir, '.ssh/defaultuser@tokens.internal.example:22'));
    assert.equal(tokens.proxyJump, 'defaultuser@gw.tokens.internal.example:2022');
    assert.equal(tokens.identityAgent, join(base.homeDir, `.ssh/agent-${hostname().split('.')[0]}.sock`));
  });

  it('lets the first of ProxyCommand and ProxyJump win, and treats ProxyJump none as no jump', () => {
    const proxycmd = resolveSshConfig('proxycmd', context(mainConfig));
    assert.equal(proxycmd.proxyJump, undefined);
    assert.equal(proxycmd.proxyCommand, 'nc proxycmd 22');
    const nojump = resolveSshConfig('nojump', context(mainConfig));
    assert.equal(nojump.proxyJump, undefined);
    assert.ok(nojump.configured.has('proxyJump'), 'none is a configured value: it overrides mc defaults');
  });

  it('keeps the case of addresses and lowercases names', () => {
    assert.equal(resolveSshConfig('v6', context(mainConfig)).hostName, 'FE80::1%eth0');
    assert.equal(resolveSshConfig('Upper', context(mainConfig)).hostName, 'upper');
    assert.equal(
      resolveSshConfig('Upper', context(mainConfig)).user,
      'upper',
      'Host matching is case-sensitive',
    );
    assert.equal(resolveSshConfig('upper', context(mainConfig)).user, 'defaultuser');
  });

  it('ignores Match blocks other than Match all, with a warning (ssh would apply this one)', () => {
    const matched = resolveSshConfig('x.matched.example', context(mainConfig));
    assert.equal(matched.user, 'defaultuser');
    assert.equal(single(sshG(mainConfig, 'x.matched.example'), 'user'), 'matchuser');
    assert.ok(matched.warnings.some((w) => w.includes('Match host *.matched.example')));
  });

  it('reports which values came from the files', () => {
    const bastion = resolveSshConfig('bastion', context(mainConfig));
    for (const name of ['hostName', 'user', 'port', 'identityFiles', 'serverAliveInterval'] as const) {
      assert.ok(bastion.configured.has(name), name);
    }
    assert.ok(!bastion.configured.has('hostKeyAlias'));
    assert.ok(!bastion.configured.has('identitiesOnly'));
  });
});

describe('resolveSshConfig: smaller cases, each against ssh', () => {
  function writeConfig(name: string, text: string): string {
    const path = join(workDir, name);
    writeFileSync(path, text);
    return path;
  }

  it('command-line options win over the files and feed the tokens, like ssh -o', () => {
    const options = { User: 'cli', Port: '2999', StrictHostKeyChecking: 'yes' };
    const tokens = assertMatchesSsh(mainConfig, 'tokens', options);
    assert.equal(tokens.user, 'cli');
    assert.equal(tokens.identityFiles[0], join(base.homeDir, '.ssh/cli@tokens.internal.example:2999'));
    assert.equal(tokens.proxyJump, 'cli@gw.tokens.internal.example:2022');
    assert.equal(tokens.strictHostKeyChecking, 'yes');
  });

  it('uses OpenSSH defaults without any config file', () => {
    const missing = join(workDir, 'does-not-exist');
    const resolved = resolveSshConfig('plain', context(missing));
    assert.deepEqual(resolved.configured, new Set());
    const empty = writeConfig('empty.conf', '');
    assertMatchesSsh(empty, 'plain');
    assert.deepEqual(resolved, { ...resolveSshConfig('plain', context(empty)), configured: new Set() });
  });

  it('expands ${VAR} from the injected environment, and fails like ssh when it is unset', () => {
    const config = writeConfig(
      'env.conf',
      'Host envhost\n  IdentityFile ${MC_TEST_KEYS}/id_%h\n  UserKnownHostsFile ${MC_TEST_KEYS}/known_hosts\n',
    );
    const env = { ...process.env, MC_TEST_KEYS: '/srv/keys' };
    const resolved = resolveSshConfig('envhost', context(config, { env }));
    assert.deepEqual(resolved.identityFiles, ['/srv/keys/id_envhost']);
    assert.deepEqual(resolved.userKnownHostsFiles, ['/srv/keys/known_hosts']);
    assert.deepEqual(sshRuntime(config, 'envhost', false, {}, env).identityFiles, resolved.identityFiles);
    assert.equal(single(sshG(config, 'envhost', {}, env), 'userknownhostsfile'), '/srv/keys/known_hosts');

    const withoutVar = { ...process.env };
    delete withoutVar.MC_TEST_KEYS;
    assert.throws(
      () => resolveSshConfig('envhost', context(config, { env: withoutVar })),
      ConfigurationError,
    );
    const ssh = spawnSync(SSH, ['-G', '-F', config, 'envhost'], { encoding: 'utf8', env: withoutVar });
    assert.notEqual(ssh.status, 0, 'ssh refuses too');
  });

  it('IdentityFile none leaves no identity file', () => {
    const config = writeConfig('none.conf', 'Host nokeys\n  IdentityFile none\n');
    const resolved = assertMatchesSsh(config, 'nokeys');
    assert.deepEqual(resolved.identityFiles, []);
  });

  it('IdentityAgent: none, SSH_AUTH_SOCK and $VAR are passed on for the caller', () => {
    const config = writeConfig(
      'agent.conf',
      'Host a\n  IdentityAgent none\nHost b\n  IdentityAgent SSH_AUTH_SOCK\nHost c\n  IdentityAgent $MC_AGENT\n',
    );
    assert.equal(assertMatchesSsh(config, 'a').identityAgent, 'none');
    assert.equal(assertMatchesSsh(config, 'b').identityAgent, 'SSH_AUTH_SOCK');
    assert.equal(
      resolveSshConfig('c', context(config, { env: { MC_AGENT: '/run/agent' } })).identityAgent,
      '/run/agent',
    );
    assert.equal(resolveSshConfig('c', context(config, { env: {} })).identityAgent, 'none');
  });

  it('allows 16 nested Include levels and refuses the 17th, like ssh', () => {
    const chain = (levels: number): string => {
      const dir = join(workDir, `chain-${levels}`);
      mkdirSync(dir);
      for (let i = 0; i < levels; i += 1)
        writeFileSync(join(dir, `${i}.conf`), `Include ${join(dir, `${i + 1}.conf`)}\n`);
      writeFileSync(join(dir, `${levels}.conf`), 'User deepest\n');
      return join(dir, '0.conf');
    };
    const sixteen = chain(16);
    assert.equal(resolveSshConfig('x', context(sixteen)).user, 'deepest');
    assert.equal(single(sshG(sixteen, 'x'), 'user'), 'deepest');
    const seventeen = chain(17);
    assert.throws(() => resolveSshConfig('x', context(seventeen)), ConfigurationError);
    assert.notEqual(spawnSync(SSH, ['-G', '-F', seventeen, 'x']).status, 0);
  });

  it('turns a self-including file into an error instead of looping', () => {
    const config = join(workDir, 'loop.conf');
    writeFileSync(config, `Include ${config}\nUser x\n`);
    assert.throws(() => resolveSshConfig('x', context(config)), /too many nested Include/);
    assert.notEqual(spawnSync(SSH, ['-G', '-F', config, 'x']).status, 0);
  });

  it('understands Match all as the end of a Host block', () => {
    const config = writeConfig('matchall.conf', 'Host a\n  User only-a\nMatch all\n  Port 2345\n');
    assert.equal(assertMatchesSsh(config, 'b').port, 2345);
    assert.equal(assertMatchesSsh(config, 'a').user, 'only-a');
  });

  it('refuses values ssh refuses', () => {
    for (const bad of [
      'Port 0',
      'Port 70000',
      'Port ssh2',
      'ServerAliveInterval 5x',
      'StrictHostKeyChecking maybe',
    ]) {
      const config = writeConfig('bad.conf', `Host *\n  ${bad}\n`);
      assert.throws(() => resolveSshConfig('x', context(config)), ConfigurationError, bad);
      assert.notEqual(spawnSync(SSH, ['-G', '-F', config, 'x']).status, 0, `ssh accepts ${bad}`);
    }
    const unknownToken = writeConfig('token.conf', 'Host *\n  IdentityFile ~/.ssh/%Z\n');
    assert.throws(() => resolveSshConfig('x', context(unknownToken)), /cannot expand %Z/);
  });
});

describe('resolveSshConfig with an injected file system', () => {
  const files = new Map<string, string>([
    ['/home/ann/.ssh/config', 'Include conf.d/*\nInclude ~/.ssh/extra\n'],
    ['/home/ann/.ssh/conf.d/b', 'Host *\n  User from-b\n'],
    ['/home/ann/.ssh/conf.d/a', 'Host *\n  User from-a\n'],
    ['/home/ann/.ssh/extra', 'Host *\n  Port 2200\n'],
    ['/etc/ssh/ssh_config', 'Include ssh_config.d/*.conf\nHost *\n  HashKnownHosts yes\n'],
    ['/etc/ssh/ssh_config.d/10.conf', 'Host *\n  IdentitiesOnly yes\n'],
  ]);
  const fakeFs = {
    readFile: (path: string): string | undefined => files.get(path),
    listDir: (dir: string): string[] =>
      [...files.keys()]
        .filter((p) => p.startsWith(`${dir}/`))
        .map((p) => p.slice(dir.length + 1).split('/')[0] ?? ''),
  };
  const ann = { ...fakeFs, homeDir: '/home/ann', localUser: 'ann', configPath: '/home/ann/.ssh/config' };

  it('resolves relative Include paths against ~/.ssh, and system ones against the system directory', () => {
    const resolved = resolveSshConfig('h', { ...ann, systemConfigPath: '/etc/ssh/ssh_config' });
    assert.equal(resolved.user, 'from-a', 'glob results are sorted');
    assert.equal(resolved.port, 2200);
    assert.equal(resolved.hashKnownHosts, true);
    assert.equal(resolved.identitiesOnly, true);
    assert.deepEqual(resolved.userKnownHostsFiles, [
      '/home/ann/.ssh/known_hosts',
      '/home/ann/.ssh/known_hosts2',
    ]);
    assert.equal(resolved.identityFiles[0], '/home/ann/.ssh/id_rsa');
  });

  it('prefers configText over reading configPath', () => {
    assert.equal(resolveSshConfig('h', { ...ann, configText: 'User inline\n' }).user, 'inline');
  });

  it('needs the local host name only for %l, %L and %C', () => {
    assert.throws(
      () => resolveSshConfig('h', { ...ann, configText: 'IdentityFile ~/.ssh/%l\n' }),
      /cannot expand %l/,
    );
    const resolved = resolveSshConfig('h', {
      ...ann,
      configText: 'IdentityFile ~/.ssh/%L\n',
      localHostName: 'box.lan',
    });
    assert.deepEqual(resolved.identityFiles, ['/home/ann/.ssh/box']);
  });
});

describe('parseProxyJump', () => {
  const accepted: [string, ProxyJumpHop[]][] = [
    ['bastion', [{ host: 'bastion' }]],
    ['admin@bastion:2222', [{ user: 'admin', host: 'bastion', port: 2222 }]],
    ['u@[::1]:2201', [{ user: 'u', host: '::1', port: 2201 }]],
    ['[fe80::1]', [{ host: 'fe80::1' }]],
    ['ssh://u@h', [{ user: 'u', host: 'h' }]],
    ['ssh://h:22/', [{ host: 'h', port: 22 }]],
    ['ssh://u;fingerprint=SHA256-x@h', [{ user: 'u', host: 'h' }]],
    [
      'a,b@c:2,ssh://d@e:3',
      [{ host: 'a' }, { user: 'b', host: 'c', port: 2 }, { user: 'd', host: 'e', port: 3 }],
    ],
    ['first@x@host', [{ user: 'first@x', host: 'host' }]],
    ['10.0.0.1:2200', [{ host: '10.0.0.1', port: 2200 }]],
  ];
  for (const [value, hops] of accepted) {
    it(`reads ${value} as ssh does`, () => {
      assert.deepEqual(parseProxyJump(value), hops);
      // ssh -G prints its own normalised form: it must read back to the same hops.
      const config = join(workDir, 'jump.conf');
      writeFileSync(config, `Host x\n  ProxyJump ${value}\n`);
      assert.deepEqual(parseProxyJump(single(sshG(config, 'x'), 'proxyjump') ?? ''), hops);
    });
  }

  it('returns no hop for none', () => {
    assert.deepEqual(parseProxyJump('none'), []);
    assert.deepEqual(parseProxyJump(' NONE '), []);
  });

  for (const value of ['u@h:0', 'fe80::1', 'h:99999', '@h', 'u@', 'ssh://h/path', 'ssh://', 'a,,b', '[::1']) {
    it(`rejects ${value}`, () => {
      assert.throws(() => parseProxyJump(value), ConfigurationError);
    });
  }

  it('accepts ssh://[v6] although ssh 9.2 does not', () => {
    assert.deepEqual(parseProxyJump('ssh://u@[2001:db8::1]:2200'), [
      { user: 'u', host: '2001:db8::1', port: 2200 },
    ]);
  });
});

describe('pattern helpers', () => {
  it('matches * and ? like OpenSSH (? is exactly one character)', () => {
    assert.ok(matchesWildcard('node1', 'node?'));
    assert.ok(!matchesWildcard('node', 'node?'));
    assert.ok(!matchesWildcard('node12', 'node?'));
    assert.ok(matchesWildcard('a.b.example', '*.example'));
    assert.ok(matchesWildcard('x(1)+[y]', 'x(?)+[*]'), 'regex characters are literal');
    assert.ok(!matchesWildcard('NODE1', 'node?'));
    assert.ok(matchesWildcard('NODE1', 'node?', true));
  });

  it('lets a negated pattern veto the list wherever it stands', () => {
    assert.ok(matchesHostPatternList('node-a', ['node-*', '!node-legacy']));
    assert.ok(!matchesHostPatternList('node-legacy', ['!node-legacy', 'node-*']));
    assert.ok(!matchesHostPatternList('x', ['!y']), 'only negations never match');
  });

  it('expands ~ for the current user only', () => {
    assert.equal(expandTilde('~', '/home/ann', 'ann'), '/home/ann');
    assert.equal(expandTilde('~/k', '/home/ann', 'ann'), '/home/ann/k');
    assert.equal(expandTilde('~ann/k', '/home/ann', 'ann'), '/home/ann/k');
    assert.equal(expandTilde('/abs/~', '/home/ann', 'ann'), '/abs/~');
    assert.throws(() => expandTilde('~bob/k', '/home/ann', 'ann'), ConfigurationError);
  });
});
