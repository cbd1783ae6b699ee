// The MicroCloud engine on the namespace lab: a joiner's sshd killed as its `microcloud preseed` starts (the
// initiator's session then waits lookup_timeout for it in vain). test/support/deploy-netns-faults.ts.
import { describeRealDeployFaults } from '../support/deploy-netns-faults.js';

describeRealDeployFaults(
  'sshd-killed',
  [{ phase: 'form', host: 'micro2', during: 'microcloud preseed', step: /microcloud preseed/ }],
  'microcloud',
);
