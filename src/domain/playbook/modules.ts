// The modules mc runs and the parameters each accepts, as ansible-core 2.14 and community.general name them.

export interface ModuleSpec {
  params: readonly string[];
  required?: readonly string[];
  /** Takes a free-form command line (`command: ls -l`), kept under `_raw_params`. */
  freeForm?: boolean;
  /** Parameter aliases Ansible accepts: alias -> parameter. */
  aliases?: Readonly<Record<string, string>>;
  /** Runs on the controller only (debug, set_fact, ...): never touches a host. */
  local?: boolean;
}

const COMMAND_PARAMS = [
  '_raw_params',
  'cmd',
  'argv',
  'chdir',
  'creates',
  'removes',
  'stdin',
  'stdin_add_newline',
  'strip_empty_ends',
];
const FILE_ATTRS = ['mode', 'owner', 'group'];

export const MODULES: Record<string, ModuleSpec> = {
  command: { params: COMMAND_PARAMS, freeForm: true },
  shell: { params: [...COMMAND_PARAMS, 'executable'], freeForm: true },
  raw: { params: ['_raw_params', 'executable'], freeForm: true, required: ['_raw_params'] },
  copy: {
    params: ['content', 'src', 'dest', 'backup', 'force', ...FILE_ATTRS],
    required: ['dest'],
  },
  template: { params: ['src', 'dest', 'backup', 'force', ...FILE_ATTRS], required: ['src', 'dest'] },
  file: {
    params: ['path', 'state', 'src', 'recurse', 'force', ...FILE_ATTRS],
    required: ['path'],
    aliases: { dest: 'path', name: 'path' },
  },
  lineinfile: {
    params: [
      'path',
      'line',
      'regexp',
      'state',
      'insertafter',
      'insertbefore',
      'create',
      'backup',
      ...FILE_ATTRS,
    ],
    required: ['path'],
    aliases: { dest: 'path', destfile: 'path', name: 'path', regex: 'regexp' },
  },
  stat: {
    params: ['path', 'get_checksum', 'follow'],
    required: ['path'],
    aliases: { dest: 'path', name: 'path' },
  },
  fetch: { params: ['src', 'dest', 'flat', 'fail_on_missing'], required: ['src', 'dest'] },
  slurp: { params: ['src'], required: ['src'], aliases: { path: 'src' } },
  apt: {
    params: ['name', 'state', 'update_cache', 'cache_valid_time'],
    aliases: { pkg: 'name', package: 'name', 'update-cache': 'update_cache' },
  },
  service: { params: ['name', 'state', 'enabled'], required: ['name'] },
  systemd_service: {
    params: ['name', 'state', 'enabled', 'daemon_reload'],
    aliases: { unit: 'name', service: 'name', 'daemon-reload': 'daemon_reload' },
  },
  wait_for: {
    params: [
      'host',
      'port',
      'path',
      'state',
      'timeout',
      'delay',
      'sleep',
      'search_regex',
      'connect_timeout',
      'msg',
    ],
  },
  uri: {
    params: [
      'url',
      'method',
      'body',
      'body_format',
      'headers',
      'status_code',
      'return_content',
      'timeout',
      'validate_certs',
    ],
    required: ['url'],
  },
  debug: { params: ['msg', 'var', 'verbosity'], local: true },
  set_fact: { params: ['cacheable'], local: true },
  assert: {
    params: ['that', 'fail_msg', 'success_msg', 'quiet'],
    required: ['that'],
    aliases: { msg: 'fail_msg' },
    local: true,
  },
  fail: { params: ['msg'], local: true },
  pause: { params: ['seconds', 'minutes', 'prompt'], local: true },
  ping: { params: ['data'] },
  snap: {
    params: ['name', 'channel', 'classic', 'state', 'hold'],
    required: ['name'],
  },
};

/** set_fact takes any key: each is a variable to set. */
export const FREE_KEYS_MODULES = new Set(['set_fact']);

/** Every name a task may use for a module, to its canonical name. */
export const MODULE_NAMES: ReadonlyMap<string, string> = new Map(
  Object.keys(MODULES).flatMap((name) => {
    const collection = name === 'snap' ? 'community.general' : 'ansible.builtin';
    const names: [string, string][] = [[`${collection}.${name}`, name]];
    // community.general.snap has no short name in ansible-core: `snap` alone resolves only through
    // the collection's redirect, which every current Ansible install has.
    names.push([name, name]);
    if (name === 'systemd_service') names.push(['systemd', name], ['ansible.builtin.systemd', name]);
    return names;
  }),
);
