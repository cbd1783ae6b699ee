// Several commands in one round trip: a sh script frames each command's stdout and stderr between markers
// that carry a one-time nonce and the command's exit status, so one command's output can never be taken
// for another's. Pure: builds the script and splits what it printed.

export interface FramedCommand {
  name: string;
  command: string;
}

export interface FramedOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const NAME = /^\w+$/;

export function framedScript(commands: readonly FramedCommand[], nonce: string): string {
  const marker = `@@MC-${nonce}`;
  // Nothing may read the channel's stdin; fd 3 is the script's stdout while a command's stderr is captured.
  const lines = ['exec </dev/null', 'exec 3>&1'];
  for (const { name, command } of commands) {
    if (!NAME.test(name)) throw new Error(`framed command name ${JSON.stringify(name)} must be a word`);
    lines.push(`printf '%s BEGIN ${name}\\n' '${marker}'`);
    lines.push(`err=$( { ${command}; } 2>&1 1>&3 3>&-); rc=$?`);
    lines.push(`printf '\\n%s END ${name} %s\\n' '${marker}' "$rc"`);
    lines.push(`printf '%s STDERR ${name}\\n%s\\n%s END-STDERR ${name}\\n' '${marker}' "$err" '${marker}'`);
  }
  return lines.join('\n');
}

/** Each command's outputs by name; a command missing from the map did not run to its end. */
export function splitFramed(stdout: string, nonce: string): Map<string, FramedOutput> {
  const marker = `@@MC-${nonce}`;
  const sections = new Map<string, FramedOutput>();
  const body = new RegExp(`^${marker} BEGIN (\\w+)\\n([\\s\\S]*?)\\n${marker} END \\1 (\\d+)$`, 'gm');
  for (const match of stdout.matchAll(body)) {
    sections.set(match[1] ?? '', { stdout: match[2] ?? '', exitCode: Number(match[3]), stderr: '' });
  }
  const errors = new RegExp(`^${marker} STDERR (\\w+)\\n([\\s\\S]*?)\\n${marker} END-STDERR \\1$`, 'gm');
  for (const match of stdout.matchAll(errors)) {
    const section = sections.get(match[1] ?? '');
    if (section !== undefined) section.stderr = match[2] ?? '';
  }
  return sections;
}
