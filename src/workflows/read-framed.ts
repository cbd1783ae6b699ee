// Read-only commands on one host, as root, in one round trip (domain/framed.ts runs them side by side):
// each command's outputs by name.
import { randomBytes } from 'node:crypto';
import { framedScript, splitFramed } from '../domain/framed.js';
import type { FramedCommand, FramedOutput } from '../domain/framed.js';
import type { Session } from './session.js';

export async function readFramed(
  session: Session,
  host: string,
  commands: readonly FramedCommand[],
): Promise<Map<string, FramedOutput>> {
  const nonce = randomBytes(6).toString('hex');
  const connection = await session.pool.get(host);
  const script = framedScript(commands, nonce);
  const result = await connection
    .exec(script, { timeoutMs: session.options.commandTimeoutMs, become: true })
    .catch((err: unknown) => {
      // The script goes to the log file; the error names it only by its length.
      session.bus.emit({ type: 'command', host, step: 'read', command: script });
      throw err;
    });
  return splitFramed(result.stdout, nonce);
}
