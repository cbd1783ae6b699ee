// A fault in the configure phase of mc deploy on the embedded lab (test/support/deploy-faults.ts).
import { describeDeployFault } from '../support/deploy-faults.js';

describeDeployFault('configure');
