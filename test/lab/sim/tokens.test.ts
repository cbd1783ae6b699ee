import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createSimLab, encodeJoinToken, type World } from '../../../src/lab/sim/index.js';
import { installStack, ok, sh, tokenJson } from './helpers.js';

async function twoClusters(): Promise<World> {
  const world = createSimLab({ hosts: ['micro1', 'micro2', 'micro3', 'other1'] });
  for (const host of ['micro1', 'micro2', 'micro3', 'other1'])
    await installStack(world, host, { microcloud: false });
  await ok(world, 'micro1', 'microceph cluster bootstrap');
  await ok(world, 'other1', 'microceph cluster bootstrap');
  return world;
}

/** A token that sends the joiner to micro1's MicroCeph with the given secret and fingerprint. */
function tokenForMicro1(secret: string, fingerprint: string): string {
  return encodeJoinToken({ secret, fingerprint, join_addresses: ['10.1.123.11:7443'] });
}

describe('join tokens (§1.3, §10.7)', () => {
  it('accepts a token once, for the name it was issued to', async () => {
    const world = await twoClusters();
    const token = (await ok(world, 'micro1', 'microceph cluster add micro2')).trim();
    const wrongHost = await sh(world, 'micro3', `microceph cluster join ${token}`);
    assert.equal(wrongHost.exitCode, 1);
    assert.equal(
      wrongHost.stderr,
      'Error: 1 join attempts were unsuccessful. Last error: Joining server certificate SAN does not contain join token name\n',
    );
    await ok(world, 'micro2', `microceph cluster join ${token}`);
    // The record is deleted on use: a second use finds nothing.
    const reused = await sh(world, 'micro3', `microceph cluster join ${token}`);
    assert.equal(
      reused.stderr,
      'Error: 1 join attempts were unsuccessful. Last error: CoreTokenRecord not found\n',
    );
    // Reinstalling the snap does not remove the member: its address is still taken. The token now lists
    // both members, and the joiner tries each (micro2 itself no longer answers for the cluster).
    await ok(world, 'micro2', 'snap remove microceph');
    await ok(world, 'micro2', 'snap install microceph --channel=squid/stable');
    const fresh = (await ok(world, 'micro1', 'microceph cluster add micro2')).trim();
    const rejoin = await sh(world, 'micro2', `microceph cluster join ${fresh}`);
    assert.equal(
      rejoin.stderr,
      'Error: 2 join attempts were unsuccessful. Last error: Remote with address "10.1.123.12:7443" exists\n',
    );
  });

  it('rejects an expired token and honours --timeout', async () => {
    const world = await twoClusters();
    const token = (await ok(world, 'micro1', 'microceph cluster add micro2 --timeout 10m')).trim();
    await world.clock.sleep(11 * 60_000);
    const expired = await sh(world, 'micro2', `microceph cluster join ${token}`);
    assert.equal(expired.stderr, 'Error: 1 join attempts were unsuccessful. Last error: Token expired\n');
    const badTimeout = await sh(world, 'micro1', 'microceph cluster add micro3 -t soon');
    assert.equal(badTimeout.stderr, 'Error: Invalid value for timeout flag: time: invalid duration "soon"\n');
  });

  it('only the issuing cluster accepts its tokens', async () => {
    const world = await twoClusters();
    const foreign = (await ok(world, 'other1', 'microceph cluster add micro2')).trim();
    const payload = tokenJson(foreign) as { secret: string; fingerprint: string };
    // A token carrying the other cluster's fingerprint but pointing at micro1: the certificate does not
    // match, the address is skipped, and the loop ends without an error to report.
    const forged = tokenForMicro1(payload.secret, payload.fingerprint);
    const mismatch = await sh(world, 'micro2', `microceph cluster join ${forged}`);
    assert.equal(mismatch.stderr, 'Error: 1 join attempts were unsuccessful. Last error: %!w(<nil>)\n');
    const ours = tokenJson((await ok(world, 'micro1', 'microceph cluster add micro3')).trim()) as {
      fingerprint: string;
    };
    const wrongSecret = tokenForMicro1(payload.secret, ours.fingerprint);
    const unknown = await sh(world, 'micro3', `microceph cluster join ${wrongSecret}`);
    assert.equal(
      unknown.stderr,
      'Error: 1 join attempts were unsuccessful. Last error: CoreTokenRecord not found\n',
    );
    // The foreign token still works where it belongs.
    await ok(world, 'micro2', `microceph cluster join ${foreign}`);
  });

  it('reports malformed tokens with Go’s decoder errors', async () => {
    const world = await twoClusters();
    const notBase64 = await sh(world, 'micro2', 'microceph cluster join not-a-token!');
    assert.equal(notBase64.stderr, 'Error: illegal base64 data at input byte 3\n');
    const notJson = await sh(
      world,
      'micro2',
      `microceph cluster join ${Buffer.from('hello').toString('base64')}`,
    );
    assert.equal(notJson.stderr, "Error: invalid character 'h' looking for beginning of value\n");
  });

  it('refuses a second token for the same name while the first is valid', async () => {
    const world = await twoClusters();
    await ok(world, 'micro1', 'microceph cluster add micro2');
    const again = await sh(world, 'micro1', 'microceph cluster add micro2');
    assert.equal(
      again.stderr,
      'Error: Failed to create "core_token_records" entry: UNIQUE constraint failed: core_token_records.name\n',
    );
  });

  it('MicroOVN wraps token errors in its own message', async () => {
    const world = createSimLab({ hosts: 1 });
    await ok(world, 'micro1', 'snap install microovn --channel=24.03/stable');
    const before = await sh(world, 'micro1', 'microovn cluster add micro2');
    assert.equal(
      before.stderr,
      'Error: unable to add server to microcluster, name "micro2" is taken:\nDatabase is not yet initialized\n',
    );
  });
});

describe('service commands before bootstrap', () => {
  it('fail with the database status, as microcluster answers (mcl IsOpen)', async () => {
    const world = createSimLab({ hosts: 1 });
    await installStack(world, 'micro1');
    const cases: [string, string][] = [
      ['microceph status', 'Error: Database is not yet initialized\n'],
      ['microceph cluster list', 'Error: Database is not yet initialized\n'],
      ['microceph cluster add micro2', 'Error: Database is not yet initialized\n'],
      ['microceph disk add /dev/sda', 'Error: Database is not yet initialized\n'],
      [
        'microceph disk list',
        'Error: internal error: unable to fetch configured disks: Database is not yet initialized\n',
      ],
      ['microceph pool set-rf --size 1 ""', 'Error: Database is not yet initialized\n'],
      ['microovn status', 'Error: Database is not yet initialized\n'],
      ['microovn cluster list', 'Error: Database is not yet initialized\n'],
      ['microcloud cluster list', '⨯ Error: Database is not yet initialized\n'],
      ['microcloud status', "⨯ Error: MicroCloud is uninitialized, run 'microcloud init' first\n"],
    ];
    for (const [line, stderr] of cases) {
      const result = await sh(world, 'micro1', line);
      assert.equal(result.exitCode, 1, line);
      assert.equal(result.stderr, stderr, line);
      assert.equal(result.stdout, '', line);
    }
  });

  it('cobra prints help for wrong argument counts (exit 0) and errors for unknown commands and flags', async () => {
    const world = createSimLab({ hosts: 1 });
    await ok(world, 'micro1', 'snap install microceph');
    const help = await sh(world, 'micro1', 'microceph cluster join');
    assert.equal(help.exitCode, 0);
    assert.match(help.stdout, /Usage:\n {2}microceph cluster join <TOKEN> \[flags\]/);
    const unknown = await sh(world, 'micro1', 'microceph cluster frobnicate');
    assert.equal(
      unknown.stderr,
      `Error: unknown command "frobnicate" for "microceph cluster"\nRun 'microceph cluster --help' for usage.\n`,
    );
    const flag = await sh(world, 'micro1', 'microceph cluster bootstrap --microceph-address 10.1.123.11');
    assert.equal(flag.stderr, 'Error: unknown flag: --microceph-address\n');
  });
});
