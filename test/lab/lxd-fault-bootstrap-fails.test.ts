// Real LXD, bootstrap phase: command-fails (test/support/lxd-faults.ts).
import { describeLxdFault } from '../support/lxd-faults.js';

describeLxdFault('bootstrap', 'command-fails');
