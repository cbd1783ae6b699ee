// The configure phase on real LXD (Debian's 5.0.2 in the namespace lab, root): the inventory's own dir pool and
// standard bridge (cluster.lxd), defined on each member and then created cluster-wide, as LXD requires. One
// lab for the whole story: the cluster-wide create of the bridge fails on one member for a real reason (a link
// (a veth) of that name already exists in that host's namespace), the deploy stops naming the host, the step, LXD's own
// error and the next action; the cause cleared, one deploy resumes the Errored network and converges; again,
// nothing to do. Last, with a FAN network asked for (an IPv4 default route, no network listed), validate
// refuses: Debian's `ip` has no fan-map.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import type { NamespaceHost } from '../../src/lab/netns.js';
import { startSimNamespaceLab } from '../../src/lab/sim-netns.js';
import { FLOOR_50, LXD_ONLY, linesOf, mcOnLab, writeInventory } from '../support/netns-lxd.js';
import { tempDir, uniqueSuffix } from '../support/system.js';

const FLAGS = ['--yes', '--connect-timeout', '3', '--connect-retries', '1', '--timeout', '90'];

describe('real LXD: the configure phase (cluster.lxd pool and bridge)', { concurrency: false }, () => {
  let scratch: ReturnType<typeof tempDir>;
  before(() => {
    scratch = tempDir('mc-lxd-configure');
  });
  after(() => scratch.remove());

  it('a create failing on one member stops with its cause; cleared, one deploy resumes it; FAN without fan-map is refused', async (t) => {
    const suffix = uniqueSuffix().slice(-4);
    const names = [1, 2, 3].map((i) => `lc${suffix}n${i}`);
    const { lab } = await startSimNamespaceLab({ names, baseDir: scratch.path, realLxd: true });
    const bridge = `mcbr${suffix}`;
    const subnet = `10.78.${(parseInt(suffix, 16) % 200) + 20}`;
    const last = lab.hosts[2] as NamespaceHost;
    // A veth (this kernel has no dummy links), its peer named after the run too.
    const linkOn = (host: NamespaceHost, verb: 'add' | 'del') =>
      execa('ip', [
        '-n',
        host.netns,
        'link',
        verb,
        bridge,
        ...(verb === 'add' ? ['type', 'veth', 'peer', 'name', `mcpe${suffix}`] : []),
      ]);
    try {
      const own = [
        '  lxd:',
        '    storage_pools: [{name: data, driver: dir, description: Data}]',
        '    networks:',
        `      - {name: ${bridge}, type: bridge, description: Lab bridge, config: {ipv4.address: ${subnet}.1/24, ipv6.address: none}}`,
      ];
      writeInventory(lab, [...LXD_ONLY, FLOOR_50, ...own]);
      // The real cause: a link of the bridge's name already exists on the last host.
      await linkOn(last, 'add');
      const plan = await mcOnLab(lab, ['plan']);
      assert.equal(plan.code, 0, plan.stdout + plan.stderr);
      assert.match(
        plan.stdout,
        new RegExp(
          `^ {2}network: ${bridge} \\(bridge\\) ipv4\\.address=${subnet}\\.1/24 ipv6\\.address=none, from cluster\\.lxd$`,
          'm',
        ),
      );
      for (const name of names)
        assert.match(plan.stdout, new RegExp(`define on ${name} network ${bridge} \\(bridge\\)`));

      const failed = await mcOnLab(lab, ['deploy', ...FLAGS]);
      const output = `${failed.stdout}\n${failed.stderr}`;
      assert.equal(failed.code, 1, output);
      const line = failed.stdout.split('\n').find((l) => / FAILED: create network /.test(l)) ?? '';
      assert.match(
        line,
        new RegExp(`^\\[${names[0]}\\] FAILED: create network ${bridge} \\(bridge\\) ipv4\\.address=`),
        output,
      );
      // LXD's own error, naming the member where it failed (by address, as LXD 5.0.2 does).
      assert.match(
        line,
        new RegExp(
          `failed \\(exit 1\\): Error: failed to notify peer ${last.address.replaceAll('.', '\\.')}:8443: Network interface "${bridge}" already exists`,
        ),
        output,
      );
      // The next action names the member where the cause is, not the one that ran the create.
      assert.match(
        line,
        new RegExp(
          `\\(fix the cause on ${last.name} \\(LXD could not create network ${bridge} there\\), then run mc deploy again`,
        ),
        output,
      );
      assert.doesNotMatch(output, /MC_LOCK_DIR|echo \$\$/);
      t.diagnostic(`failed: ${line}`);

      // LXD left the network Errored; the plan resumes it rather than repeating the create.
      const errored = await mcOnLab(lab, ['plan']);
      assert.equal(errored.code, 0, errored.stdout + errored.stderr);
      assert.match(
        errored.stdout,
        new RegExp(
          `resume creating network ${bridge} \\(bridge\\): an earlier create failed midway \\(Errored\\)`,
        ),
      );
      assert.doesNotMatch(errored.stdout, new RegExp(`\\bcreate network ${bridge} \\(bridge\\) ipv4`));

      await linkOn(last, 'del');
      const resumed = await mcOnLab(lab, ['deploy', ...FLAGS], 180_000);
      assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
      assert.doesNotMatch(resumed.stdout + resumed.stderr, /already partially created/);
      assert.match(resumed.stdout, /^Verified: \d+ checks passed\./m);
      assert.match(resumed.stdout, new RegExp(`^Storage pools: data\\. Networks: ${bridge}\\.$`, 'm'));
      assert.doesNotMatch(resumed.stdout, /Before an instance can start/);

      // As LXD itself has them, on the last member: created everywhere, the inventory's config, the profile.
      const show = await mcOnLab(lab, [
        'run',
        '-l',
        last.name,
        '--',
        `lxc network list -f csv | grep ^${bridge}, ; lxc storage list -f csv | grep ^data, ; lxc network get ${bridge} ipv4.address; ip -br addr show ${bridge}; lxc profile device list default`,
      ]);
      assert.equal(show.code, 0, show.stdout + show.stderr);
      const shown = linesOf(last.name, show.stdout);
      assert.ok(
        shown.some((l) => l.startsWith(`${bridge},bridge,YES,`) && l.endsWith(',CREATED')),
        shown.join('\n'),
      );
      assert.ok(
        shown.some((l) => l.startsWith('data,dir,') && l.endsWith(',CREATED')),
        shown.join('\n'),
      );
      assert.ok(shown.includes(`${subnet}.1/24`), shown.join('\n'));
      assert.ok(
        shown.some((l) => l.startsWith(bridge) && l.includes(`${subnet}.1/24`)),
        shown.join('\n'),
      );
      assert.ok(shown.includes('eth0') && shown.includes('root'), shown.join('\n'));

      const again = await mcOnLab(lab, ['deploy', ...FLAGS]);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /^No changes: /m);

      // FAN asked for: no network listed, and the initiator has an IPv4 default route. Refused before anything.
      const first = lab.hosts[0] as NamespaceHost;
      await execa('ip', ['-n', first.netns, 'route', 'add', 'default', 'dev', 'enp5s0']);
      writeInventory(lab, [...LXD_ONLY, FLOOR_50]);
      const fan = await mcOnLab(lab, ['plan']);
      assert.equal(fan.code, 2, fan.stdout + fan.stderr);
      for (const name of names) {
        assert.match(
          fan.stderr,
          new RegExp(
            `^mc: ${name}: \`ip\` here has no fan-map .*LXD cannot set up the FAN bridge lxdfan0 .*cluster\\.lxd\\.networks`,
            'm',
          ),
        );
      }
      t.diagnostic(
        `plan ${plan.ms} ms, failed deploy ${failed.ms} ms, resuming deploy ${resumed.ms} ms, again ${again.ms} ms, FAN refused ${fan.ms} ms`,
      );
    } finally {
      await lab.stop();
    }
  });
});
