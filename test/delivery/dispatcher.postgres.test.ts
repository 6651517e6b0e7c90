/** The dispatcher suite (dispatcher-suite.ts) on PostgreSQL, a fresh schema per test. */
import { describe } from 'vitest';
import { PG_SKIP_REASON, PG_TEST_URL } from '../helpers/pg.js';
import { dispatcherSuite } from './dispatcher-suite.js';

// Skipped only without HOOKLANE_TEST_DATABASE_URL (plain `npm test`); .ci/run always sets it and fails if PostgreSQL is unreachable.
describe.skipIf(PG_TEST_URL === undefined)(
  `on PostgreSQL${PG_TEST_URL === undefined ? ` (${PG_SKIP_REASON})` : ''}`,
  () => {
    dispatcherSuite('postgres');
  },
);
