// A host's link cut in each deploy phase, on the namespace lab (test/support/deploy-netns-faults.ts).
import { describeRealDeployFaults } from '../support/deploy-netns-faults.js';

describeRealDeployFaults('network-cut', [
  { phase: 'install', host: 'micro3', during: 'snap install lxd', step: /install lxd/ },
  { phase: 'bootstrap', host: 'micro1', during: 'lxd init', step: /bootstrap the LXD cluster/ },
  { phase: 'join', host: 'micro2', during: 'lxd init', step: /join LXD/ },
  { phase: 'storage', host: 'micro1', during: 'microceph pool set-rf', step: /set Ceph replication/ },
  {
    phase: 'configure',
    host: 'micro1',
    during: 'lxc storage create remote',
    step: /define on micro1 storage pool remote \(ceph\)/,
  },
]);
