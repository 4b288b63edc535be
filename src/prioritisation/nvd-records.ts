import type { Severity } from '../domain/severity.js';
import { isCveId } from './cve-key.js';
import { EnrichmentSourceError } from './source-error.js';

/**
 * NVD's CVE records in the CVE API 2.0 JSON format: an API answer
 * (`{ format: "NVD_CVE", version: "2.0", vulnerabilities: [{ cve }] }`) or one bare `cve`
 * object (as per-CVE mirrors of the API store them). Of each record only the CVSS base
 * score and vector are kept: `metrics.cvssMetricV31` / `cvssMetricV40` (v3.0 when neither).
 */

export interface NvdCvssRow {
  cve: string;
  severity: Severity;
  score: number;
  vector: string;
  /** `lastModified`, Unix ms. */
  modified: number;
}

interface Metric {
  type: unknown;
  cvssData: { baseScore: number; vectorString: string };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The qualitative rating of a CVSS v3/v4 base score (the specifications' table; 0.0 is None). */
export function severityOfScore(score: number): Severity {
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  if (score > 0) return 'LOW';
  return 'INFORMATIONAL';
}

function metricsOf(metrics: Record<string, unknown>, key: string): Metric[] {
  const list = metrics[key];
  if (!Array.isArray(list)) return [];
  return list.filter((item): item is Metric => {
    if (!isRecord(item) || !isRecord(item['cvssData'])) return false;
    const data = item['cvssData'];
    return typeof data['baseScore'] === 'number' && data['baseScore'] >= 0 && data['baseScore'] <= 10 && typeof data['vectorString'] === 'string';
  });
}

/**
 * NVD's own (Primary) v3.1 score first, as NVD analyses in v3.1; then a Primary v4.0 score;
 * then the CNA's (Secondary) v3.1 and v4.0; v3.0 last.
 */
function chooseMetric(metrics: Record<string, unknown>): Metric | null {
  const v31 = metricsOf(metrics, 'cvssMetricV31');
  const v40 = metricsOf(metrics, 'cvssMetricV40');
  const v30 = metricsOf(metrics, 'cvssMetricV30');
  const primary = (list: Metric[]) => list.find((metric) => metric.type === 'Primary');
  return primary(v31) ?? primary(v40) ?? v31[0] ?? v40[0] ?? primary(v30) ?? v30[0] ?? null;
}

function parseTime(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  // The API writes UTC times without a zone ("2025-04-03T20:53:22.977").
  const ms = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(ms) ? null : ms;
}

function rowOf(cve: unknown, where: string): NvdCvssRow | null {
  if (!isRecord(cve) || typeof cve['id'] !== 'string' || !isCveId(cve['id'])) throw new EnrichmentSourceError(`${where} has no CVE "id"`, false);
  const modified = parseTime(cve['lastModified']);
  if (modified === null) throw new EnrichmentSourceError(`${where} (${cve['id']}) has no valid "lastModified"`, false);
  const metric = isRecord(cve['metrics']) ? chooseMetric(cve['metrics']) : null;
  if (metric === null) return null;
  const score = metric.cvssData.baseScore;
  return { cve: cve['id'], severity: severityOfScore(score), score, vector: metric.cvssData.vectorString, modified };
}

/** The records of one document that carry a CVSS v3/v4 base score; records without one are counted as skipped. */
export function parseNvdDocument(text: string): { rows: NvdCvssRow[]; skipped: number } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EnrichmentSourceError(`NVD document is not JSON: ${error instanceof Error ? error.message : String(error)}`, false);
  }
  if (!isRecord(json)) throw new EnrichmentSourceError('NVD document is not a JSON object', false);
  const records = Array.isArray(json['vulnerabilities'])
    ? json['vulnerabilities'].map((item: unknown, index) => ({ cve: isRecord(item) ? item['cve'] : undefined, where: `NVD vulnerabilities[${index}].cve` }))
    : 'id' in json
      ? [{ cve: json, where: 'NVD record' }]
      : null;
  if (records === null) throw new EnrichmentSourceError('NVD document is neither a CVE API 2.0 answer ("vulnerabilities") nor a CVE record ("id")', false);
  const rows: NvdCvssRow[] = [];
  let skipped = 0;
  for (const record of records) {
    const row = rowOf(record.cve, record.where);
    if (row) rows.push(row);
    else skipped++;
  }
  return { rows, skipped };
}
