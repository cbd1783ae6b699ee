// A fault in the storage phase of mc deploy on the embedded lab (test/support/deploy-faults.ts).
import { describeDeployFault } from '../support/deploy-faults.js';

describeDeployFault('storage');
