// Real LXD, join phase: network-cut (test/support/lxd-faults.ts).
import { describeLxdFault } from '../support/lxd-faults.js';

describeLxdFault('join', 'network-cut');
