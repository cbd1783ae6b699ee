// The compatibility suite (test/playbook/compat-suite.ts), playbooks 17 to 20: ansible-playbook and mc playbook
// side by side on the same sshd hosts. The suite is split into small files so that each stays well under the
// runner's time limit on a loaded machine, and they run side by side.
import { compatPlaybooks, compatSuite } from './compat-suite.js';

compatSuite('17-20', compatPlaybooks(17, 20), 44);
