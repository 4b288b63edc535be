import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { EventFinding, EventType } from '../../src/domain/event.js';
import type { Severity } from '../../src/domain/severity.js';
import { appendEvents, type NewEvent } from '../../src/store/events-repo.js';
import type { Database } from '../../src/store/tables.js';

/** A finding event as a scan commit writes it. */
export function findingEvent(configId: string, runId: string, name: string, severity: Severity, extra: Partial<EventFinding> & { type?: EventType; tag?: string } = {}): NewEvent {
  return {
    type: extra.type ?? 'finding.new',
    configId,
    runId,
    tag: extra.tag ?? 'latest',
    digest: 'sha256:' + 'a'.repeat(64),
    severity,
    detail: {
      finding: {
        name,
        severity,
        package: extra.package ?? 'openssl',
        version: extra.version ?? '3.0.11-1',
        fixedVersion: extra.fixedVersion ?? null,
        uri: extra.uri ?? `https://security-tracker.debian.org/tracker/${name}`,
        cvss: extra.cvss ?? null,
        aliases: [],
        path: null,
      },
    },
  };
}

/** Commits one scan run's events in one transaction, as a scan commit does; returns the run id. */
export async function commitRun(db: Kysely<Database>, events: (runId: string) => NewEvent[], now = new Date()): Promise<string> {
  const runId = randomUUID();
  await db.transaction().execute((trx) => appendEvents(trx, events(runId), now.getTime()));
  return runId;
}
