import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createSimLab, getMachine } from '../../../src/lab/sim/index.js';
import { ok, oneLine, sh } from './helpers.js';

describe('snap (§7, §10.1)', () => {
  it('installs with channel and cohort and prints snapd’s confirmation without a terminal', async () => {
    const world = createSimLab({ hosts: 1 });
    const result = await sh(
      world,
      'micro1',
      'sudo snap install microceph --channel=squid/stable --cohort="+"',
    );
    assert.equal(result.exitCode, 0);
    // Over plain ssh stdout is no terminal, so the verified badge is `**` (§10.1).
    assert.equal(
      result.stdout,
      'microceph (squid/stable) 19.2.0+snapab139d4a1f from Canonical** installed\n',
    );
    const tty = await sh(world, 'micro1', 'snap install microovn --channel=24.03/stable', '', { tty: true });
    assert.equal(tty.stdout, 'microovn (24.03/stable) 24.03.2+snapa2c59c105b from Canonical** installed\n');
    const unicode = await sh(world, 'micro1', 'snap install lxd --unicode=always');
    assert.equal(unicode.stdout, 'lxd (5.21/stable) 5.21.3-c5ae129 from Canonical✓ installed\n');
  });

  it('lists installed snaps like §10.1, with bases pulled in and in-cohort,held notes', async () => {
    const world = createSimLab({ hosts: 1 });
    await ok(world, 'micro1', 'snap install microceph --channel=squid/stable --cohort="+"');
    await ok(world, 'micro1', 'snap install microovn --channel=24.03/stable --cohort="+"');
    await ok(world, 'micro1', 'snap install lxd --channel=5.21/stable --cohort="+"');
    await ok(world, 'micro1', 'snap install microcloud --channel=2/stable --cohort="+"');
    const hold = await ok(world, 'micro1', 'snap refresh --hold lxd microceph microovn microcloud');
    assert.equal(
      hold,
      'General refreshes of "lxd", "microceph", "microovn", "microcloud" held indefinitely\n',
    );
    const lines = (await ok(world, 'micro1', 'snap list')).trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^Name\s+Version\s+Rev\s+Tracking\s+Publisher\s+Notes$/);
    const rows = new Map(lines.slice(1).map((line) => [line.split(/\s+/)[0], line.split(/\s+/)]));
    assert.deepEqual(rows.get('lxd'), [
      'lxd',
      '5.21.3-c5ae129',
      '33110',
      '5.21/stable',
      'canonical**',
      'in-cohort,held',
    ]);
    assert.deepEqual(rows.get('microceph'), [
      'microceph',
      '19.2.0+snapab139d4a1f',
      '1393',
      'squid/stable',
      'canonical**',
      'in-cohort,held',
    ]);
    assert.deepEqual(rows.get('microovn'), [
      'microovn',
      '24.03.2+snapa2c59c105b',
      '667',
      '24.03/stable',
      'canonical**',
      'in-cohort,held',
    ]);
    assert.deepEqual(rows.get('microcloud'), [
      'microcloud',
      '2.1.0-3e8b183',
      '1144',
      '2/stable',
      'canonical**',
      'in-cohort,held',
    ]);
    assert.deepEqual(rows.get('core24')?.slice(3), ['latest/stable', 'canonical**', 'base']);
    assert.deepEqual(rows.get('snapd')?.at(-1), 'snapd');
    // Columns are aligned by Go's tabwriter: every row starts its Version column at the same offset.
    const versionColumn = (lines[0] ?? '').indexOf('Version');
    const notesColumn = (lines[0] ?? '').indexOf('Notes');
    for (const line of lines.slice(1)) {
      const fields = line.split(/\s+/);
      assert.equal(line.indexOf(fields[1] as string, fields[0]?.length), versionColumn, line);
      assert.equal(line.lastIndexOf(fields.at(-1) as string), notesColumn, line);
    }
  });

  it('answers an already installed snap the way snapd does: stderr, exit 0, no channel switch', async () => {
    const world = createSimLab({ hosts: 1, release: '22.04' });
    // 22.04 images ship lxd 5.0 (§7): installing 5.21 does nothing.
    const again = await sh(world, 'micro1', 'snap install lxd --channel=5.21/stable');
    assert.equal(again.exitCode, 0);
    assert.equal(again.stdout, '');
    assert.equal(again.stderr, `snap "lxd" is already installed, see 'snap help refresh'\n`);
    assert.equal(getMachine(world, 'micro1').snaps.find((s) => s.name === 'lxd')?.tracking, '5.0/stable');
    const refreshed = await ok(world, 'micro1', 'snap refresh lxd --channel=5.21/stable');
    assert.equal(refreshed, 'lxd (5.21/stable) 5.21.3-c5ae129 from Canonical** refreshed\n');
    const many = await ok(world, 'micro1', 'snap install lxd microovn');
    assert.match(many, /^lxd already installed$/m);
  });

  it('fails for unknown snaps and unavailable channels with snapd’s wording', async () => {
    const world = createSimLab({ hosts: 1 });
    const unknown = await sh(world, 'micro1', 'snap install microcephh');
    assert.equal(unknown.exitCode, 1);
    assert.equal(unknown.stderr, 'error: snap "microcephh" not found\n');
    const track = await sh(world, 'micro1', 'snap install lxd --channel=5.99/stable');
    assert.equal(track.exitCode, 1);
    const text = oneLine(track.stderr);
    assert.ok(
      text.startsWith(
        'error: snap "lxd" is not available on 5.99/stable but is available to install on the following tracks:',
      ),
      text,
    );
    assert.match(text, /5\.21\/stable snap install --channel=5\.21 lxd/);
    assert.ok(
      text.endsWith(
        "Please be mindful that different tracks may include different features. Get more information with 'snap info lxd'.",
      ),
    );
    // Continuation lines are indented under the `error: ` prefix (go/doc fill, 7 columns).
    assert.match(track.stderr, /\n {7}\S/);
    const risk = await sh(world, 'micro1', 'snap install microceph --channel=quincy/stable');
    assert.match(
      oneLine(risk.stderr),
      /^error: snap "microceph" is not available on quincy\/stable but is available to install on the following tracks:/,
    );
    const two = await sh(world, 'micro1', 'snap install lxd microceph --channel=latest/stable');
    assert.equal(two.stderr, 'error: a single snap name is needed to specify channel flags\n');
    const badFlag = await sh(world, 'micro1', 'snap install --chanel=5.21 lxd');
    assert.equal(badFlag.stderr, "error: unknown flag `chanel'\n");
  });

  it('follows a closed risk to the next more stable one, as the store does', async () => {
    const world = createSimLab({ hosts: 1 });
    // 24.03/edge and beta are closed: edge follows candidate; a track with only stable follows stable.
    const edge = await ok(world, 'micro1', 'snap install microovn --channel=24.03/edge');
    assert.equal(edge, 'microovn (24.03/edge) 24.03.3+snap5e2a91c7d4 from Canonical** installed\n');
    const beta = await ok(world, 'micro1', 'snap install microcloud --channel=3/beta');
    assert.equal(beta, 'microcloud (3/beta) 3.2-2b6b3d1 from Canonical** installed\n');
  });

  it('keeps cohort members on the cohort revision while the store moves on (§7)', async () => {
    const world = createSimLab({ hosts: 2 });
    await ok(world, 'micro1', 'snap install lxd --channel=5.21/stable --cohort="+"');
    // A new 5.21/stable revision is released after the cohort was taken.
    await world.clock.sleep(60_000);
    for (const channel of world.state.store.channels) {
      if (channel.snap === 'lxd' && channel.track === '5.21' && channel.risk === 'stable') {
        channel.history.push({
          revision: channel.architecture === 'amd64' ? 34001 : 34002,
          version: '5.21.4-d3adb33',
          releasedAt: new Date(world.clock.now()).toISOString(),
          sizeBytes: 110_000_000,
          daemonVersion: '5.21.4',
        });
      }
    }
    await world.clock.sleep(1000);
    await ok(world, 'micro2', 'snap install lxd --channel=5.21/stable --cohort="+"');
    const withoutCohort = createSimLab({ hosts: 1 });
    assert.equal(getMachine(world, 'micro2').snaps.find((s) => s.name === 'lxd')?.revision, 33110);
    assert.equal(getMachine(world, 'micro1').snaps.find((s) => s.name === 'lxd')?.revision, 33110);
    // Without the cohort the second host would have drifted to the new revision.
    withoutCohort.state.store = world.state.store;
    await withoutCohort.clock.sleep(120_000);
    await ok(withoutCohort, 'micro1', 'snap install lxd --channel=5.21/stable');
    assert.equal(getMachine(withoutCohort, 'micro1').snaps.find((s) => s.name === 'lxd')?.revision, 34001);
  });

  it('refuses state changes without root, as snapd does', async () => {
    const world = createSimLab({ hosts: 1 });
    const denied = await sh(world, 'micro1', 'snap install lxd', '', { uid: 1000 });
    assert.equal(denied.exitCode, 1);
    assert.equal(denied.stderr, 'error: access denied (try with sudo)\n');
    const viaSudo = await sh(world, 'micro1', 'sudo snap install lxd', '', { uid: 1000 });
    assert.equal(viaSudo.exitCode, 0);
  });

  it('connects plugs, lists services and restarts daemons', async () => {
    const world = createSimLab({ hosts: 1 });
    await ok(world, 'micro1', 'snap install microceph --channel=squid/stable');
    assert.equal(await ok(world, 'micro1', 'snap connect microceph:dm-crypt'), '');
    const noPlug = await sh(world, 'micro1', 'snap connect microceph:dm-cryptt');
    assert.equal(noPlug.stderr, 'error: snap "microceph" has no plug named "dm-cryptt"\n');
    const notInstalled = await sh(world, 'micro1', 'snap connect microovn:network-control');
    assert.equal(notInstalled.stderr, 'error: snap "microovn" is not installed\n');
    const services = (await ok(world, 'micro1', 'snap services microceph')).split('\n');
    assert.match(services[0] ?? '', /^Service\s+Startup\s+Current\s+Notes$/);
    assert.ok(services.some((l) => /^microceph\.daemon\s+enabled\s+active\s+-$/.test(l)));
    assert.ok(services.some((l) => /^microceph\.osd\s+disabled\s+inactive\s+-$/.test(l)));
    assert.equal(await ok(world, 'micro1', 'snap restart microceph.daemon'), 'Restarted.\n');
    const info = await ok(world, 'micro1', 'snap info microceph');
    assert.match(info, /^tracking:\s+squid\/stable$/m);
    assert.match(info, /^ {2}squid\/stable:\s+19\.2\.0\+snapab139d4a1f 2025-02-10 \(1393\) 96MB -$/m);
  });

  it('exposes snap commands only once the snap is installed (bash exit 127)', async () => {
    const world = createSimLab({ hosts: 1 });
    const missing = await sh(world, 'micro1', 'microceph status');
    assert.equal(missing.exitCode, 127);
    assert.equal(missing.stderr, 'bash: line 1: microceph: command not found\n');
    const absolute = await sh(world, 'micro1', '/snap/bin/microovn status');
    assert.equal(absolute.exitCode, 127);
    assert.equal(absolute.stderr, 'bash: line 1: /snap/bin/microovn: No such file or directory\n');
    await ok(world, 'micro1', 'snap install microceph lxd');
    const viaSnapBin = await sh(world, 'micro1', '/snap/bin/microceph status');
    assert.equal(viaSnapBin.stderr, 'Error: Database is not yet initialized\n');
    const wrongDir = await sh(world, 'micro1', '/usr/bin/microceph status');
    assert.equal(wrongDir.exitCode, 127);
    // A command the installed snap really has, but the simulator does not model.
    const ceph = await sh(world, 'micro1', 'microceph.ceph status');
    assert.equal(ceph.exitCode, 127);
    assert.equal(ceph.notModelled, true);
  });
});
