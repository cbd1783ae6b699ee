// Real LXD, join phase: sshd-killed (test/support/lxd-faults.ts).
import { describeLxdFault } from '../support/lxd-faults.js';

describeLxdFault('join', 'sshd-killed');
