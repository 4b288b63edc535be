import { isCveId } from './cve-key.js';
import { EnrichmentSourceError } from './source-error.js';

/**
 * CISA's Known Exploited Vulnerabilities catalogue in its published JSON form
 * (`known_exploited_vulnerabilities.json`, schema `known_exploited_vulnerabilities_schema.json`):
 * `{ title, catalogVersion, dateReleased, count, vulnerabilities: [{ cveID, dateAdded,
 * dueDate, knownRansomwareCampaignUse, … }] }`. Only what prioritisation uses is kept.
 */

export interface KevRow {
  cve: string;
  dateAdded: string;
  dueDate: string | null;
  ransomware: boolean;
}

export interface KevCatalogue {
  catalogVersion: string | null;
  entries: KevRow[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseKevCatalogue(text: string): KevCatalogue {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EnrichmentSourceError(`KEV catalogue is not JSON: ${error instanceof Error ? error.message : String(error)}`, false);
  }
  if (!isRecord(json) || !Array.isArray(json['vulnerabilities'])) {
    throw new EnrichmentSourceError('KEV catalogue has no "vulnerabilities" array', false);
  }
  const entries = json['vulnerabilities'].map((item: unknown, index): KevRow => {
    const where = `KEV catalogue vulnerabilities[${index}]`;
    if (!isRecord(item)) throw new EnrichmentSourceError(`${where} is not an object`, false);
    const { cveID, dateAdded, dueDate, knownRansomwareCampaignUse } = item;
    if (typeof cveID !== 'string' || !isCveId(cveID)) throw new EnrichmentSourceError(`${where}.cveID is not a CVE id`, false);
    if (typeof dateAdded !== 'string' || !DATE.test(dateAdded)) throw new EnrichmentSourceError(`${where}.dateAdded is not a YYYY-MM-DD date`, false);
    if (dueDate !== undefined && dueDate !== null && (typeof dueDate !== 'string' || !DATE.test(dueDate))) {
      throw new EnrichmentSourceError(`${where}.dueDate is not a YYYY-MM-DD date`, false);
    }
    return { cve: cveID, dateAdded, dueDate: typeof dueDate === 'string' ? dueDate : null, ransomware: knownRansomwareCampaignUse === 'Known' };
  });
  const version = json['catalogVersion'];
  return { catalogVersion: typeof version === 'string' ? version : null, entries };
}
