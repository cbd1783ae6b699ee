// Real LXD, configure phase (cluster.lxd's dir pool and bridge): sshd-killed (test/support/lxd-faults.ts).
import { describeLxdFault } from '../support/lxd-faults.js';

describeLxdFault('configure', 'sshd-killed');
