/** The dispatcher suite (dispatcher-suite.ts) on SQLite. */
import { dispatcherSuite } from './dispatcher-suite.js';

dispatcherSuite('sqlite');
