// The compatibility suite, first half (not in npm test: run with npm run test:compat) (test/playbook/compat-suite.ts): modules and task keywords.
import { compatPlaybooks, compatSuite } from './compat-suite.js';

compatSuite('01-15', compatPlaybooks(1, 15), 23);
