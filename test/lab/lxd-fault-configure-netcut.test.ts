// Real LXD, configure phase (cluster.lxd's dir pool and bridge): network-cut (test/support/lxd-faults.ts).
import { describeLxdFault } from '../support/lxd-faults.js';

describeLxdFault('configure', 'network-cut');
