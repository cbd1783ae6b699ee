// The MicroCloud engine on the namespace lab: a joiner's link cut while its `microcloud preseed` runs (the
// preseed goes on; its answer never reaches mc). test/support/deploy-netns-faults.ts.
import { describeRealDeployFaults } from '../support/deploy-netns-faults.js';

describeRealDeployFaults(
  'network-cut',
  [{ phase: 'form', host: 'micro3', during: 'microcloud preseed', step: /microcloud preseed/ }],
  'microcloud',
);
