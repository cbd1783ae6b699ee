// lineinfile's edit, as ansible.builtin.lineinfile makes it, on the file's text: pure, so it is tested on
// fixtures and the module only reads and writes.

export interface LineInFileOptions {
  line?: string;
  regexp?: string;
  state: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
}

export interface LineInFileEdit {
  text: string;
  changed: boolean;
  msg: string;
}

export function editLines(original: string, options: LineInFileOptions): LineInFileEdit {
  const hadTrailingNewline = original === '' || original.endsWith('\n');
  const lines = original === '' ? [] : original.replace(/\n$/, '').split('\n');
  const regexp = options.regexp === undefined ? undefined : new RegExp(options.regexp);
  const matches = (l: string): boolean => (regexp === undefined ? l === options.line : regexp.test(l));
  const join = (ls: string[]): string => (ls.length === 0 ? '' : `${ls.join('\n')}\n`);
  const keepEnd = (text: string): string => (hadTrailingNewline || text === '' ? text : text);

  if (options.state === 'absent') {
    const kept = lines.filter((l) => !matches(l));
    const removed = lines.length - kept.length;
    if (removed === 0) return { text: original, changed: false, msg: '' };
    return { text: keepEnd(join(kept)), changed: true, msg: `${removed} line(s) removed` };
  }

  const line = options.line ?? '';
  // The last line the regexp matches is replaced (Ansible searches from the end).
  let found = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (matches(lines[i] as string)) {
      found = i;
      break;
    }
  }
  if (found >= 0) {
    if (lines[found] === line) return { text: original, changed: false, msg: '' };
    const next = [...lines];
    next[found] = line;
    return { text: join(next), changed: true, msg: 'line replaced' };
  }
  if (regexp !== undefined && lines.includes(line)) return { text: original, changed: false, msg: '' };
  const next = [...lines];
  const anchor = (pattern: string | undefined): number => {
    if (pattern === undefined || pattern === 'EOF' || pattern === 'BOF') return -1;
    const re = new RegExp(pattern);
    for (let i = next.length - 1; i >= 0; i--) if (re.test(next[i] as string)) return i;
    return -1;
  };
  if (options.insertbefore === 'BOF') next.unshift(line);
  else if (options.insertbefore !== undefined) {
    const at = anchor(options.insertbefore);
    if (at >= 0) next.splice(at, 0, line);
    else next.push(line);
  } else {
    const at = anchor(options.insertafter);
    if (at >= 0) next.splice(at + 1, 0, line);
    else next.push(line);
  }
  return { text: join(next), changed: true, msg: 'line added' };
}
