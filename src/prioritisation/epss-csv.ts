import { isCveId } from './cve-key.js';
import { EnrichmentSourceError } from './source-error.js';

/**
 * FIRST's daily EPSS file (`epss_scores-YYYY-MM-DD.csv.gz`, `epss_scores-current.csv.gz`),
 * decompressed: a comment line `#model_version:v2025.03.14,score_date:2026-06-15T12:55:00Z`
 * (the time sometimes written `+0000`), a header `cve,epss,percentile`, then one row per CVE.
 */

export interface EpssRow {
  cve: string;
  score: number;
  percentile: number;
}

export interface EpssFile {
  modelVersion: string | null;
  /** YYYY-MM-DD of `score_date`. */
  scoreDate: string | null;
  rows: EpssRow[];
}

function probability(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : null;
}

function parseComment(line: string): Pick<EpssFile, 'modelVersion' | 'scoreDate'> {
  const fields = new Map<string, string>();
  for (const part of line.slice(1).split(',')) {
    const colon = part.indexOf(':');
    if (colon > 0) fields.set(part.slice(0, colon).trim(), part.slice(colon + 1).trim());
  }
  const date = /^\d{4}-\d{2}-\d{2}/.exec(fields.get('score_date') ?? '');
  return { modelVersion: fields.get('model_version') ?? null, scoreDate: date ? date[0] : null };
}

export function parseEpssCsv(text: string): EpssFile {
  const lines = text.split('\n');
  let index = 0;
  let meta: Pick<EpssFile, 'modelVersion' | 'scoreDate'> = { modelVersion: null, scoreDate: null };
  if (lines[0]?.startsWith('#')) {
    meta = parseComment(lines[0].trimEnd());
    index = 1;
  }
  const header = (lines[index] ?? '').trim().toLowerCase();
  if (header !== 'cve,epss,percentile') throw new EnrichmentSourceError(`EPSS file line ${index + 1} is not the header "cve,epss,percentile"`, false);
  const rows: EpssRow[] = [];
  for (let n = index + 1; n < lines.length; n++) {
    const line = (lines[n] as string).trimEnd();
    if (line === '') continue;
    const [cve, score, percentile, extra] = line.split(',');
    const scoreValue = probability(score);
    const percentileValue = probability(percentile);
    if (cve === undefined || !isCveId(cve) || scoreValue === null || percentileValue === null || extra !== undefined) {
      throw new EnrichmentSourceError(`EPSS file line ${n + 1} is not "CVE id,score,percentile" with scores from 0 to 1`, false);
    }
    rows.push({ cve, score: scoreValue, percentile: percentileValue });
  }
  return { ...meta, rows };
}
