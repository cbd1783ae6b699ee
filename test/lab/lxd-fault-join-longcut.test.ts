// Real LXD, join phase: the link cut for longer than LXD's own raft wait (test/support/lxd-faults.ts).
import { describeLxdFault } from '../support/lxd-faults.js';

describeLxdFault('join', 'long-network-cut');
