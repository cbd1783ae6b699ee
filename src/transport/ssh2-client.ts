// The parts of ssh2 mc's transport uses, its client and its key parser, loaded through require().
// `import ssh2 from 'ssh2'` loads ssh2's index, which also loads its server, key generation and HTTP(S)
// agents, and with them Node's http, https and tls: ~15 ms of CPU at every start of mc that no run uses.
// And an ESM import of a CommonJS file makes Node scan the file for named exports, which costs more than
// the file saves (docs/benchmarks.md, "Run 6" and "Run 7"). ssh2 has no `exports` map, so these paths
// are part of what it publishes; the lab, which needs its server, still imports the index.
import { createRequire } from 'node:module';
import type ssh2 from 'ssh2';

const requireCommonJs = createRequire(import.meta.url);

export const Client = requireCommonJs('ssh2/lib/client.js') as typeof ssh2.Client;

export const { parseKey } = requireCommonJs('ssh2/lib/protocol/keyParser.js') as {
  parseKey: typeof ssh2.utils.parseKey;
};
