// Real LXD, join phase: the link cut, for longer than LXD's own raft waits, once raft added the joiner (the
// leader replicates to it): the join's last transaction never completes (test/support/lxd-faults.ts).
import { describeLxdFault } from '../support/lxd-faults.js';

describeLxdFault('join', 'long-cut-raft-added');
