// A microcluster daemon's API on its unix socket (MicroCeph, MicroOVN, MicroCloud), as MicroCloud's
// setupCluster calls it (§1.3, §1.4). Bodies go on stdin: they may hold a join token.
import type { MicroclusterService } from '../../domain/cluster/actions.js';
import { shellJoin } from '../../transport/quote.js';
import { StepError, type Remote } from './remote.js';

/** MicroCloud's tokens live one hour (§1.3); microcluster takes a Go time.Duration: nanoseconds. */
const TOKEN_LIFETIME_NS = 3600 * 1e9;

const controlSocket = (service: MicroclusterService): string =>
  `/var/snap/${service}/common/state/control.socket`;

/** A call to a microcluster daemon's API on its unix socket, the JSON body on stdin (it may hold a token). */
function controlCall(service: MicroclusterService, method: 'GET' | 'POST' | 'DELETE', path: string): string {
  const argv = ['curl', '-sS', '--unix-socket', controlSocket(service)];
  if (method !== 'GET') argv.push('-X', method);
  if (method === 'POST') argv.push('-H', 'Content-Type: application/json', '--data-binary', '@-');
  argv.push(`http://control${path}`);
  return shellJoin(argv);
}

interface Envelope {
  type?: string;
  error?: string;
  error_code?: number;
  metadata?: unknown;
}

export async function control(
  remote: Remote,
  service: MicroclusterService,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  options: { quiet?: boolean } = {},
): Promise<Envelope> {
  const result = await remote.run(controlCall(service, method, path), {
    ...(body === undefined ? {} : { stdin: JSON.stringify(body) }),
    ...(options.quiet === true ? { quiet: true } : {}),
  });
  let envelope: Envelope;
  try {
    envelope = JSON.parse(result.stdout) as Envelope;
  } catch {
    throw new StepError(`${service} API ${method} ${path}: unexpected answer: ${result.stdout.slice(0, 80)}`);
  }
  if (envelope.type === 'error') {
    throw new StepError(`${service}: ${envelope.error ?? `error ${envelope.error_code ?? '?'}`}`);
  }
  return envelope;
}

/** A microcluster join token for `name`, issued on the anchor; a stale token of an earlier run is revoked. */
export async function issueMicroclusterToken(
  anchor: Remote,
  service: MicroclusterService,
  name: string,
): Promise<string> {
  const issue = (): Promise<Envelope> =>
    control(
      anchor,
      service,
      'POST',
      '/core/1.0/tokens',
      { name, expire_after: TOKEN_LIFETIME_NS },
      { quiet: true },
    );
  let envelope: Envelope;
  try {
    envelope = await issue();
  } catch (err) {
    if (!(err instanceof StepError) || !/UNIQUE constraint/.test(err.message)) throw err;
    await control(anchor, service, 'DELETE', `/core/1.0/tokens/${encodeURIComponent(name)}`);
    envelope = await issue();
  }
  if (typeof envelope.metadata !== 'string' || envelope.metadata === '') {
    throw new StepError(`${service} gave no join token for ${name}`);
  }
  anchor.session.bus.addSecret(envelope.metadata);
  return envelope.metadata;
}
