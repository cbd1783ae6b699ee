// The compatibility suite, first half (test/playbook/compat-suite.ts): modules and task keywords.
import { compatPlaybooks, compatSuite } from './compat-suite.js';

compatSuite('01-15', compatPlaybooks(1, 15), 23);
