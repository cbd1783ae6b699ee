// Real LXD, bootstrap phase: sshd-killed (test/support/lxd-faults.ts).
import { describeLxdFault } from '../support/lxd-faults.js';

describeLxdFault('bootstrap', 'sshd-killed');
