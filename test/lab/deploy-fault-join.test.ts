// A fault in the join phase of mc deploy on the embedded lab (test/support/deploy-faults.ts).
import { describeDeployFault } from '../support/deploy-faults.js';

describeDeployFault('join');
