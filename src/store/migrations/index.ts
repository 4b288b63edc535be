import type { Migration } from 'kysely';
import * as initial from './2026-11-27-initial.js';
import * as advisories from './2026-11-28-advisories.js';
import * as inventories from './2026-11-29-inventories.js';
import * as findingPath from './2026-11-30-finding-path.js';
import * as revisionNotify from './2026-12-01-revision-notify.js';
import * as tagCollation from './2026-12-02-tag-collation.js';
import * as events from './2026-12-07-events.js';
import * as subscriptions from './2026-12-07-subscriptions.js';
import * as configCreatedBy from './2026-12-08-config-created-by.js';
import * as advisoryRematch from './2026-12-09-advisory-rematch.js';
import * as repositorySelection from './2026-12-10-repository-selection.js';

/** Every migration, bundled in the code and applied in key order at start. */
export const migrations: Record<string, Migration> = {
  '2026-11-27-initial': initial,
  '2026-11-28-advisories': advisories,
  '2026-11-29-inventories': inventories,
  '2026-11-30-finding-path': findingPath,
  '2026-12-01-revision-notify': revisionNotify,
  '2026-12-02-tag-collation': tagCollation,
  '2026-12-07-events': events,
  '2026-12-07-subscriptions': subscriptions,
  '2026-12-08-config-created-by': configCreatedBy,
  '2026-12-09-advisory-rematch': advisoryRematch,
  '2026-12-10-repository-selection': repositorySelection,
};
