// Waiting for a member to be ONLINE in a service's cluster, as the member that let it in sees it (§1.3).
import type { MicroclusterService } from '../../domain/cluster/actions.js';
import { shellJoin } from '../../transport/quote.js';
import { waitFor, type Remote } from './remote.js';

/** microcloud.md §1.3: membership shows up within 30 s upstream; joins with OSDs take longer here. */
export const MEMBER_WAIT_MS = 5 * 60_000;

interface ListedMember {
  name: string;
  status: string;
  role?: string;
}

export async function waitForMember(
  anchor: Remote,
  service: MicroclusterService | 'lxd',
  member: string,
): Promise<void> {
  const command =
    service === 'lxd' ? 'lxc cluster list -f json' : shellJoin([service, 'cluster', 'list', '-f', 'json']);
  await waitFor(
    `${member} to be online in ${service === 'lxd' ? 'LXD' : service}`,
    MEMBER_WAIT_MS,
    async () => {
      const result = await anchor.run(command, { quiet: true, allowFailure: true });
      if (result.code !== 0) return false;
      let members: ListedMember[];
      try {
        members = (JSON.parse(result.stdout) as Record<string, string | undefined>[]).map((m) => ({
          name: m['server_name'] ?? m['name'] ?? '',
          status: m['status'] ?? '',
          role: m['role'] ?? '',
        }));
      } catch {
        return false;
      }
      const found = members.find((m) => m.name === member);
      return found !== undefined && found.status.toUpperCase() === 'ONLINE' && found.role !== 'PENDING';
    },
    `check the ${service} daemon on ${member} and the network between the members, then run mc deploy again`,
  );
}
