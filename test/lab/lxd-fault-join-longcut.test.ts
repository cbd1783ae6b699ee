// Real LXD, join phase: the link cut, for longer than LXD's own raft waits, once the joiner reset its database
// for raft: its LXD stays hung in the join, the leader keeps it pending (test/support/lxd-faults.ts).
import { describeLxdFault } from '../support/lxd-faults.js';

describeLxdFault('join', 'long-cut-raft-reset');
