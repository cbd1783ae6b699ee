// Asks for a secret on the terminal without echoing it. Without a terminal it refuses, so CI never hangs.
import type { SecretPrompter } from '../transport/credentials.js';

export function terminalPrompter(
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
): SecretPrompter | undefined {
  if (input.isTTY !== true || output.isTTY !== true) return undefined;
  let queue = Promise.resolve('');
  return {
    // Questions are serialised: two hosts needing the same key must not read the keyboard at once.
    ask: (question) => {
      queue = queue.then(() => readHidden(input, output, question));
      return queue;
    },
  };
}

function readHidden(input: NodeJS.ReadStream, output: NodeJS.WriteStream, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(question);
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    let answer = '';
    const done = (err?: Error): void => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      if (err === undefined) resolve(answer);
      else reject(err);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('interrupted'));
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    input.on('data', onData);
  });
}

/** A yes/no question on the terminal; anything but y or yes is no. */
export function askYesNo(
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
  question: string,
): Promise<boolean> {
  return new Promise((resolve) => {
    output.write(question);
    input.resume();
    input.setEncoding('utf8');
    input.once('data', (chunk: string) => {
      input.pause();
      resolve(/^\s*y(es)?\s*$/i.test(chunk));
    });
  });
}
