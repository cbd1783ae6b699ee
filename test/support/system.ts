// Test-only helpers that change this machine (users, sudoers, agents): every name is unique to the
// run and everything is undone in cleanup, so runs can share a machine and a failed run leaves nothing.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export function uniqueSuffix(): string {
  return `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface TestUser {
  name: string;
  password?: string;
  remove(): Promise<void>;
}

/** A login user that sshd accepts with keys (and its password, if it has one); `sudo`: none, passwordless, or with its password. */
export async function createUser(
  sudo: 'none' | 'nopasswd' | 'password',
  options: { password?: boolean } = {},
): Promise<TestUser> {
  const name = `mct${uniqueSuffix()}`.slice(0, 30);
  await execa('useradd', ['-m', '-s', '/bin/bash', name]);
  const password =
    sudo === 'password' || options.password === true ? `pw-${randomBytes(8).toString('hex')}` : undefined;
  // A locked account ('!') is refused by sshd without PAM; '*' allows key logins only.
  if (password === undefined) await execa('usermod', ['-p', '*', name]);
  else await execa('chpasswd', { input: `${name}:${password}\n` });
  const sudoers = `/etc/sudoers.d/${name}`;
  if (sudo !== 'none') {
    writeFileSync(sudoers, `${name} ALL=(ALL) ${sudo === 'nopasswd' ? 'NOPASSWD: ' : ''}ALL\n`, {
      mode: 0o440,
    });
  }
  return {
    name,
    ...(password === undefined ? {} : { password }),
    remove: async () => {
      rmSync(sudoers, { force: true });
      await execa('userdel', ['-r', '-f', name], { reject: false });
    },
  };
}

export interface TestAgent {
  socket: string;
  stop(): Promise<void>;
}

/** A private ssh-agent holding the given keys. */
export async function startAgent(dir: string, keys: string[]): Promise<TestAgent> {
  const socket = join(dir, `agent-${uniqueSuffix()}.sock`);
  const agent = execa('ssh-agent', ['-D', '-a', socket], { reject: false, stdio: 'ignore' });
  for (let i = 0; i < 100; i += 1) {
    const probe = await execa('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: socket }, reject: false });
    if (probe.exitCode !== 2) break; // 2: cannot connect to the agent yet
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const key of keys) await execa('ssh-add', ['-q', key], { env: { SSH_AUTH_SOCK: socket } });
  return {
    socket,
    stop: async () => {
      agent.kill('SIGTERM');
      await agent;
      rmSync(socket, { force: true });
    },
  };
}
