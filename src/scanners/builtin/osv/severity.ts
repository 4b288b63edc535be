import cvssCalculator from 'ae-cvss-calculator';
import type { Cvss } from '../../../domain/finding.js';
import { normaliseSeverity, type Severity } from '../../../domain/severity.js';
import type { OsvSeverity } from './osv-record.js';

/**
 * CVSS vectors to scores and NVD's severity buckets. Scores are computed from the vector
 * (base metrics), never taken from a number a record states, and a vector that does not
 * parse gives no severity rather than a guessed one.
 */

// The package is CommonJS without named-export hints; its classes hang off the default export.
const { Cvss2, Cvss3P0, Cvss3P1, Cvss4P0 } = cvssCalculator;

export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';

export interface CvssScore {
  version: CvssVersion;
  vector: string;
  score: number;
}

// Newer specifications first: when a record carries several vectors, the newest is preferred.
const VERSION_RANK: Readonly<Record<CvssVersion, number>> = { '4.0': 4, '3.1': 3, '3.0': 2, '2.0': 1 };

interface ScoredVector {
  isBaseFullyDefined(): boolean;
  calculateScores(): { base?: number | undefined; overall: number };
}

function vectorOf(text: string): { version: CvssVersion; build: () => ScoredVector; vector: string } | null {
  const vector = text.trim().replace(/^\((.*)\)$/, '$1');
  if (vector.startsWith('CVSS:4.0/')) return { version: '4.0', vector, build: () => new Cvss4P0(vector) };
  if (vector.startsWith('CVSS:3.1/')) return { version: '3.1', vector, build: () => new Cvss3P1(vector) };
  if (vector.startsWith('CVSS:3.0/')) return { version: '3.0', vector, build: () => new Cvss3P0(vector) };
  // Version 2 vectors carry no prefix (`AV:N/AC:L/Au:N/C:P/I:P/A:P`); some writers add one.
  const v2 = vector.replace(/^CVSS:2\.0\//, '');
  if (/^AV:[LAN]\/AC:[HML]\/Au:[MSN]\//.test(v2)) return { version: '2.0', vector: v2, build: () => new Cvss2(v2) };
  return null;
}

// Vectors repeat across thousands of records and parsing one costs tens of microseconds;
// a bounded memo keeps matching a large inventory cheap without growing without end.
const SCORE_MEMO_LIMIT = 10_000;
const scoreMemo = new Map<string, CvssScore | null>();

/** The base score of a CVSS v2, v3.0, v3.1 or v4.0 vector; null when it does not parse or lacks base metrics. */
export function scoreCvssVector(text: string): CvssScore | null {
  const known = scoreMemo.get(text);
  if (known !== undefined) return known;
  const scored = computeScore(text);
  if (scoreMemo.size >= SCORE_MEMO_LIMIT) scoreMemo.clear();
  scoreMemo.set(text, scored);
  return scored;
}

function computeScore(text: string): CvssScore | null {
  const parsed = vectorOf(text);
  if (parsed === null) return null;
  try {
    const cvss = parsed.build();
    if (!cvss.isBaseFullyDefined()) return null;
    const scores = cvss.calculateScores();
    const score = scores.base ?? scores.overall;
    if (!Number.isFinite(score) || score < 0 || score > 10) return null;
    return { version: parsed.version, vector: parsed.vector, score };
  } catch {
    // The calculator throws on unknown metrics or values: an unusable vector, not our failure.
    return null;
  }
}

/**
 * NVD's qualitative ratings. v3.x and v4.0: 0.1–3.9 LOW, 4.0–6.9 MEDIUM, 7.0–8.9 HIGH,
 * 9.0–10.0 CRITICAL, and 0.0 NONE, which this service reports as INFORMATIONAL (the
 * bucket ECR uses for findings without impact). v2: 0–3.9 LOW, 4.0–6.9 MEDIUM, 7.0–10 HIGH.
 */
export function cvssSeverity(cvss: Pick<CvssScore, 'version' | 'score'>): Severity {
  const { score } = cvss;
  if (cvss.version === '2.0') return score >= 7 ? 'HIGH' : score >= 4 ? 'MEDIUM' : 'LOW';
  if (score === 0) return 'INFORMATIONAL';
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  return 'LOW';
}

const CVSS_TYPES = new Set(['CVSS_V2', 'CVSS_V3', 'CVSS_V4']);

/** The best CVSS vector among OSV severity entries: the newest specification, then the highest score. */
export function bestCvss(entries: readonly OsvSeverity[]): CvssScore | null {
  let best: CvssScore | null = null;
  for (const entry of entries) {
    if (!CVSS_TYPES.has(entry.type)) continue;
    const scored = scoreCvssVector(entry.score);
    if (scored === null) continue;
    if (
      best === null ||
      VERSION_RANK[scored.version] > VERSION_RANK[best.version] ||
      (VERSION_RANK[scored.version] === VERSION_RANK[best.version] && scored.score > best.score)
    ) {
      best = scored;
    }
  }
  return best;
}

/**
 * A severity the database states in words: GitHub's `database_specific.severity`
 * (MODERATE → MEDIUM) or Ubuntu's priority entries. Null when there is none or it is
 * not one of the known words.
 */
export function statedSeverity(databaseSeverity: string | null, entries: readonly OsvSeverity[]): Severity | null {
  const candidates = [databaseSeverity, ...entries.filter((entry) => entry.type === 'Ubuntu').map((entry) => entry.score)];
  for (const candidate of candidates) {
    if (candidate === null) continue;
    const severity = normaliseSeverity(candidate);
    if (severity !== 'UNDEFINED') return severity;
  }
  return null;
}

export function toFindingCvss(score: CvssScore | null): Cvss | null {
  return score === null ? null : { score: score.score, vector: score.vector };
}
