// A host's sshd killed in each deploy phase, on the namespace lab (test/support/deploy-netns-faults.ts).
import { describeRealDeployFaults } from '../support/deploy-netns-faults.js';

describeRealDeployFaults('sshd-killed', [
  { phase: 'install', host: 'micro2', during: 'snap install microovn', step: /install microovn/ },
  { phase: 'bootstrap', host: 'micro1', during: 'microceph cluster bootstrap', step: /bootstrap microceph/ },
  // The MicroOVN join, where a dropped connection once left the next deploy hanging.
  { phase: 'join', host: 'micro3', during: /^curl .*microovn.*\/core\/control$/, step: /join microovn/ },
  { phase: 'storage', host: 'micro1', during: 'microceph disk add', step: /add OSD/ },
  {
    phase: 'configure',
    host: 'micro1',
    during: 'lxc network create default',
    step: /create network default/,
  },
]);
