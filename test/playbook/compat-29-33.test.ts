// The compatibility suite (test/playbook/compat-suite.ts), playbooks 29 to 33: ansible-playbook and mc playbook
// side by side on the same sshd hosts. The suite is split into small files so that each stays well under the
// runner's time limit on a loaded machine, and they run side by side.
import { compatPlaybooks, compatSuite } from './compat-suite.js';

compatSuite('29 to 33', compatPlaybooks(29, 33), 47);
