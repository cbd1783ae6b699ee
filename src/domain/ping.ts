// Parses the `key=value` lines of the ping script. Pure.
export interface PingReport {
  kernel: string;
  arch: string;
  user: string;
  hostname: string;
  os: string;
  sudo: 'root' | 'yes' | 'no' | 'with-password';
}

export function parsePingReport(stdout: string): PingReport {
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  const sudo = values.get('sudo');
  return {
    kernel: values.get('kernel') ?? 'unknown',
    arch: values.get('arch') ?? 'unknown',
    user: values.get('user') ?? 'unknown',
    hostname: values.get('hostname') ?? 'unknown',
    os: values.get('os') ?? values.get('kernel') ?? 'unknown',
    sudo: sudo === 'root' || sudo === 'yes' ? sudo : 'no',
  };
}
