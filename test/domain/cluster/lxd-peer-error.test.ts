// A cluster-wide LXD create that failed on a peer: the member the error names, in each LXD version's wording.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failingPeer } from '../../../src/domain/cluster/lxd-peer-error.js';
import type { MemberDesign } from '../../../src/domain/cluster/types.js';

function member(host: string, address: string): MemberDesign {
  return {
    host,
    address: { value: address, source: 'inventory', reason: 'under test' },
    localDisk: null,
    cephDisks: [],
    uplinkInterface: null,
    underlayIp: null,
  };
}

const MEMBERS = [member('n1', '10.77.65.11'), member('n2', '10.77.65.12'), member('n3', '10.77.65.13')];
const V6 = [member('a', 'fd42::1'), member('b', 'fd42::2')];

describe('failingPeer', () => {
  it('LXD 5.0 names the peer by address and port', () => {
    const message =
      '`lxc network create br1 --type=bridge` failed (exit 1): Error: failed to notify peer 10.77.65.13:8443: Network interface "br1" already exists';
    assert.equal(failingPeer(message, MEMBERS), 'n3');
  });

  it('LXD 5.21 names it by member name and address', () => {
    const message =
      'Error: Failed to notify peer n2 at 10.77.65.12:8443: Parent interface "enp9s0" not found';
    assert.equal(failingPeer(message, MEMBERS), 'n2');
  });

  it('LXD 6.x quotes both', () => {
    const message = 'Error: Failed notifying cluster member "n3" at "10.77.65.13:8443": Pool already exists';
    assert.equal(failingPeer(message, MEMBERS), 'n3');
  });

  it('an IPv6 address in brackets', () => {
    assert.equal(failingPeer('Error: failed to notify peer [fd42::2]:8443: boom', V6), 'b');
  });

  it('nothing when the error names no peer, or a peer that is not a member', () => {
    assert.equal(failingPeer('Error: Network interface "br1" already exists', MEMBERS), undefined);
    assert.equal(failingPeer('Error: failed to notify peer 10.9.9.9:8443: boom', MEMBERS), undefined);
  });
});
