// Real LXD, bootstrap phase: network-cut (test/support/lxd-faults.ts).
import { describeLxdFault } from '../support/lxd-faults.js';

describeLxdFault('bootstrap', 'network-cut');
