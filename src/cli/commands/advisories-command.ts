import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { loadConfig } from '../../config.js';
import { osvDataDir } from '../../scanners/builtin/osv/osv-data-dir.js';
import { importOsvSources, type SourceOutcome } from '../../scanners/builtin/osv/osv-importer.js';
import { openDatabase } from '../../store/open-store.js';
import type { ApiClient } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { formatTable } from '../table.js';

export const ADVISORIES_HELP = `Usage:
  ecrscan advisories [--json]          each advisory source: last import, errors, records, staleness
  ecrscan advisories import            have the server import its ECRSCAN_OSV_SOURCES and its
                                       KEV, EPSS and NVD sources now
  ecrscan advisories import SOURCE     import a directory, zip or https URL of OSV records straight
                                       into the database at DATABASE_URL (no server needed);
                                       running services re-match stored inventories from it

Options: --url URL (or ECRSCANAPI_URL), --json (the API's JSON)`;

const SourceRow = Type.Object({
  source: Type.String(),
  lastImport: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  ecosystems: Type.Record(Type.String(), Type.Integer()),
  newestModified: Type.Union([Type.String(), Type.Null()]),
  stale: Type.Boolean(),
});
const EnrichmentRow = Type.Object({
  source: Type.String(),
  kind: Type.String(),
  lastImport: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  records: Type.Integer(),
  dataVersion: Type.Union([Type.String(), Type.Null()]),
  stale: Type.Boolean(),
});
const Status = Type.Object({ sources: Type.Array(SourceRow), enrichment: Type.Optional(Type.Array(EnrichmentRow)), pendingChanges: Type.Integer() });
type Status = Static<typeof Status>;

const Outcome = Type.Object({
  source: Type.String(),
  ok: Type.Boolean(),
  imported: Type.Optional(Type.Integer()),
  unchanged: Type.Optional(Type.Integer()),
  withdrawn: Type.Optional(Type.Integer()),
  invalid: Type.Optional(Type.Integer()),
  notModified: Type.Optional(Type.Boolean()),
  error: Type.Optional(Type.String()),
});
type Outcome = Static<typeof Outcome>;
const EnrichmentOutcome = Type.Object({
  source: Type.String(),
  kind: Type.String(),
  ok: Type.Boolean(),
  notModified: Type.Optional(Type.Boolean()),
  records: Type.Optional(Type.Integer()),
  events: Type.Optional(Type.Integer()),
  error: Type.Optional(Type.String()),
});
type EnrichmentOutcome = Static<typeof EnrichmentOutcome>;
const Outcomes = Type.Object({ sources: Type.Array(Outcome), enrichment: Type.Optional(Type.Array(EnrichmentOutcome)) });

export async function advisoriesCommand(client: ApiClient, args: string[], json: boolean, env: NodeJS.ProcessEnv, out: (text: string) => void): Promise<void> {
  const [sub, source, ...rest] = args;
  if (sub === undefined) return showStatus(client, json, out);
  if (sub !== 'import') throw new CliError(`unknown advisories command "${sub}"; run "ecrscan advisories --help"`, 2);
  if (rest.length > 0) throw new CliError('advisories import takes at most one SOURCE', 2);
  const { sources: outcomes, enrichment } = source === undefined ? await importOnServer(client) : { sources: await importDirectly(source, env), enrichment: [] };
  // A file imported straight into the database is an OSV source: there is no enrichment to report.
  if (json) return out(JSON.stringify(source === undefined ? { sources: outcomes, enrichment } : { sources: outcomes }));
  out([...outcomes.map(describeOutcome), ...enrichment.map(describeEnrichment)].join('\n'));
  const failed = [...outcomes, ...enrichment].find((outcome) => !outcome.ok);
  if (failed) throw new CliError(`import of ${failed.source} failed: ${failed.error ?? 'unknown error'}`);
}

async function showStatus(client: ApiClient, json: boolean, out: (text: string) => void): Promise<void> {
  const { body, text } = await client.request('GET', '/advisories');
  if (json) return out(text);
  if (!Value.Check(Status, body)) throw new CliError('the server answered with an unexpected advisory status');
  out(renderStatus(body));
}

function renderStatus(status: Status): string {
  const enrichment = status.enrichment ?? [];
  const osv = renderOsvStatus(status);
  if (enrichment.length === 0) return osv;
  const rows = enrichment.map((source) => {
    const state = source.lastError ? `FAILED: ${source.lastError}` : source.stale ? 'STALE' : 'OK';
    return [source.kind.toUpperCase(), source.source, source.lastImport ?? 'never', source.dataVersion ?? '-', String(source.records), state];
  });
  return `${osv}\n\n${formatTable(['KIND', 'SOURCE', 'LAST IMPORT', 'DATA VERSION', 'RECORDS', 'STATE'], rows)}`;
}

function renderOsvStatus(status: Status): string {
  if (status.sources.length === 0) return 'no advisory sources: set ECRSCAN_OSV_SOURCES or run "ecrscan advisories import SOURCE"';
  const rows = status.sources.map((source) => {
    const records = Object.values(source.ecosystems).reduce((sum, n) => sum + n, 0);
    const state = source.lastError ? `FAILED: ${source.lastError}` : source.stale ? 'STALE' : 'OK';
    return [source.source, source.lastImport ?? 'never', source.newestModified ?? '-', String(records), state];
  });
  return `${formatTable(['SOURCE', 'LAST IMPORT', 'NEWEST RECORD', 'ADVISORIES', 'STATE'], rows)}\n\nChanges waiting for re-match: ${status.pendingChanges}`;
}

async function importOnServer(client: ApiClient): Promise<{ sources: Outcome[]; enrichment: EnrichmentOutcome[] }> {
  const { body } = await client.request('POST', '/advisories/import');
  if (!Value.Check(Outcomes, body)) throw new CliError('the server answered with an unexpected import report');
  return { sources: body.sources, enrichment: body.enrichment ?? [] };
}

function describeEnrichment(outcome: EnrichmentOutcome): string {
  const label = `${outcome.source} (${outcome.kind.toUpperCase()})`;
  if (!outcome.ok) return `${label}: FAILED: ${outcome.error ?? 'unknown error'}`;
  if (outcome.notModified) return `${label}: unchanged since the last import`;
  return `${label}: ${outcome.records ?? 0} records, ${outcome.events ?? 0} findings changed`;
}

async function importDirectly(source: string, env: NodeJS.ProcessEnv): Promise<Outcome[]> {
  const config = loadConfig(env);
  let opened;
  try {
    opened = await openDatabase(config.databaseUrl, { poolSize: 2 });
  } catch (err) {
    throw new CliError(`cannot open the database: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    const outcomes = await importOsvSources(opened.db, [source], { dataDir: osvDataDir(config.databaseUrl) });
    return outcomes.map(outcomeOf);
  } finally {
    await opened.store.close();
  }
}

function outcomeOf(outcome: SourceOutcome): Outcome {
  if (!outcome.ok) return { source: outcome.source, ok: false, error: outcome.error };
  const { imported, unchanged, withdrawn, invalid, notModified } = outcome.report;
  return { source: outcome.source, ok: true, imported, unchanged, withdrawn, invalid, notModified };
}

function describeOutcome(outcome: Outcome): string {
  if (!outcome.ok) return `${outcome.source}: FAILED: ${outcome.error ?? 'unknown error'}`;
  if (outcome.notModified) return `${outcome.source}: unchanged since the last import`;
  return `${outcome.source}: ${outcome.imported ?? 0} imported (${outcome.withdrawn ?? 0} withdrawn), ${outcome.unchanged ?? 0} unchanged, ${outcome.invalid ?? 0} invalid`;
}
