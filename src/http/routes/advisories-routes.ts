import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import { AppError } from '../../errors.js';
import type { AdvisoryControl } from '../../scanners/builtin/osv/advisory-control.js';
import type { AdvisorySourceStatus } from '../../scanners/builtin/osv/advisory-status.js';
import { displaySource, type SourceOutcome } from '../../scanners/builtin/osv/osv-importer.js';
import type { PrioritisationOutcome } from '../../prioritisation/prioritisation-import.js';
import type { PrioritisationSourceStatus } from '../../prioritisation/prioritisation-status.js';
import { NoQuery, Problem } from '../schemas.js';

const Timestamp = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

const SourceStatus = Type.Object(
  {
    source: Type.String({ description: 'the source, a URL without credentials or query' }),
    lastImport: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when the last import completed (records written, or the source found unchanged)' }),
    lastAttempt: Timestamp,
    lastError: Type.Union([Type.String(), Type.Null()], { description: 'why the last attempt failed; null when it succeeded' }),
    ecosystems: Type.Record(Type.String(), Type.Integer(), { description: 'advisories not withdrawn, by ecosystem as records name it' }),
    withdrawn: Type.Integer(),
    newestModified: Timestamp,
    ageSeconds: Type.Union([Type.Integer(), Type.Null()], { description: 'time since lastImport' }),
    stale: Type.Boolean({ description: 'never imported, or older than ECRSCAN_ADVISORY_MAX_AGE' }),
  },
  { additionalProperties: false, title: 'AdvisorySource' },
);

const EnrichmentStatus = Type.Object(
  {
    source: Type.String({ description: 'the source, a URL without credentials or query' }),
    kind: Type.Union([Type.Literal('kev'), Type.Literal('epss'), Type.Literal('nvd')], { description: "CISA's KEV catalogue, FIRST's EPSS scores or NVD CVE records" }),
    lastImport: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when the last import completed (data written, or the source found unchanged)' }),
    lastAttempt: Timestamp,
    lastError: Type.Union([Type.String(), Type.Null()], { description: 'why the last attempt failed; null when it succeeded' }),
    records: Type.Integer({ minimum: 0, description: 'KEV listings, EPSS scores or NVD CVSS scores held from it' }),
    dataVersion: Type.Union([Type.String(), Type.Null()], { description: 'the KEV catalogVersion, or the EPSS model_version and score date' }),
    ageSeconds: Type.Union([Type.Integer(), Type.Null()], { description: 'time since lastImport' }),
    stale: Type.Boolean({ description: 'never imported, or older than ECRSCAN_ADVISORY_MAX_AGE' }),
  },
  { additionalProperties: false, title: 'EnrichmentSource' },
);

const AdvisoriesRepresentation = Type.Object(
  {
    sources: Type.Array(SourceStatus),
    enrichment: Type.Array(EnrichmentStatus, { description: 'prioritisation sources: ECRSCAN_KEV_SOURCE, ECRSCAN_EPSS_SOURCE, ECRSCAN_NVD_SOURCES' }),
    pendingChanges: Type.Integer({ minimum: 0, description: 'advisory changes whose re-match of stored inventories has not finished' }),
    maxAgeSeconds: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false, title: 'Advisories' },
);
type AdvisoriesRepresentation = Static<typeof AdvisoriesRepresentation>;

const ImportOutcome = Type.Object(
  {
    source: Type.String(),
    ok: Type.Boolean(),
    read: Type.Optional(Type.Integer()),
    imported: Type.Optional(Type.Integer({ description: 'records written: new, changed or withdrawn' })),
    unchanged: Type.Optional(Type.Integer()),
    withdrawn: Type.Optional(Type.Integer()),
    invalid: Type.Optional(Type.Integer()),
    notModified: Type.Optional(Type.Boolean({ description: 'the whole source was unchanged and not read' })),
    error: Type.Optional(Type.String()),
  },
  { additionalProperties: false, title: 'AdvisoryImportOutcome' },
);
const EnrichmentOutcome = Type.Object(
  {
    source: Type.String(),
    kind: Type.Union([Type.Literal('kev'), Type.Literal('epss'), Type.Literal('nvd')]),
    ok: Type.Boolean(),
    notModified: Type.Optional(Type.Boolean({ description: 'unchanged (HTTP 304 or the same checksum): nothing was written' })),
    records: Type.Optional(Type.Integer({ description: 'rows written' })),
    events: Type.Optional(Type.Integer({ description: 'finding.changed events the new data caused' })),
    error: Type.Optional(Type.String()),
  },
  { additionalProperties: false, title: 'EnrichmentImportOutcome' },
);
const ImportRepresentation = Type.Object({ sources: Type.Array(ImportOutcome), enrichment: Type.Array(EnrichmentOutcome) }, { additionalProperties: false, title: 'AdvisoryImport' });
type ImportRepresentation = Static<typeof ImportRepresentation>;

export function registerAdvisoryRoutes(app: FastifyInstance, advisories: AdvisoryControl): void {
  app.get('/advisories', {
    schema: {
      querystring: NoQuery,
      operationId: 'getAdvisories',
      tags: ['advisories'],
      summary: 'The advisory data of the built-in scanner, per source',
      description:
        'Per source: the last successful import, the last attempt and its error, advisories per ecosystem, the newest `modified` and whether the data is stale; the same for the prioritisation sources (KEV, EPSS, NVD) under `enrichment`.',
      response: { 200: AdvisoriesRepresentation },
    },
    handler: async (): Promise<AdvisoriesRepresentation> => {
      const status = await advisories.status();
      return { ...status, sources: status.sources.map(sourceJson), enrichment: status.enrichment.map(enrichmentJson) };
    },
  });

  app.post('/advisories/import', {
    // Imports change what every built-in scan reports: an administrator's call.
    config: { access: 'admin' },
    schema: {
      querystring: NoQuery,
      operationId: 'importAdvisories',
      tags: ['advisories'],
      summary: 'Import the configured advisory sources now',
      description:
        'Imports every source of `ECRSCAN_OSV_SOURCES` and the prioritisation sources (after an import in progress) and answers with each outcome once done. Stored inventories the changes concern are re-matched right after.',
      response: { 200: ImportRepresentation, 409: Problem },
    },
    handler: async (): Promise<ImportRepresentation> => {
      const running = advisories.importNow();
      if (running === null) throw new AppError('NO_ADVISORY_SOURCES', 'ECRSCAN_OSV_SOURCES names no advisory source to import, nor do the prioritisation sources');
      const { osv, enrichment } = await running;
      return { sources: osv.map(outcomeJson), enrichment: enrichment.map(enrichmentOutcomeJson) };
    },
  });
}

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

function sourceJson(source: AdvisorySourceStatus): AdvisoriesRepresentation['sources'][number] {
  return { ...source, lastImport: iso(source.lastImport), lastAttempt: iso(source.lastAttempt), newestModified: iso(source.newestModified) };
}

function enrichmentJson(source: PrioritisationSourceStatus): AdvisoriesRepresentation['enrichment'][number] {
  return { ...source, lastImport: iso(source.lastImport), lastAttempt: iso(source.lastAttempt) };
}

function enrichmentOutcomeJson(outcome: PrioritisationOutcome): ImportRepresentation['enrichment'][number] {
  if (!outcome.ok) return { source: outcome.source, kind: outcome.kind, ok: false, error: outcome.error };
  return { source: outcome.source, kind: outcome.kind, ok: true, notModified: outcome.notModified, records: outcome.records, events: outcome.events };
}

function outcomeJson(outcome: SourceOutcome): ImportRepresentation['sources'][number] {
  const source = displaySource(outcome.source);
  if (!outcome.ok) return { source, ok: false, error: outcome.error };
  const { read, imported, unchanged, withdrawn, invalid, notModified } = outcome.report;
  return { source, ok: true, read, imported, unchanged, withdrawn, invalid, notModified };
}
