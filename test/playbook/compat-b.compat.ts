// The compatibility suite, second half (not in npm test: run with npm run test:compat) (test/playbook/compat-suite.ts): handlers, blocks, plays, variables.
import { compatPlaybooks, compatSuite } from './compat-suite.js';

compatSuite('16-30', compatPlaybooks(16, 30), 24);
