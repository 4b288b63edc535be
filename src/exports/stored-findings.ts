import type { StoredFinding } from '../domain/finding.js';
import type { ImageFindings } from './export-inputs.js';

/**
 * A configuration's stored findings as SARIF and CSV take them: grouped by image tag, each
 * image named `registry/repository:tag` (`repository` being `registry/repository` already).
 */
export function imageFindingsOf(repository: string, findings: readonly StoredFinding[]): ImageFindings[] {
  const byTag = new Map<string, ImageFindings & { findings: StoredFinding[] }>();
  for (const finding of findings) {
    let image = byTag.get(finding.tag);
    if (!image) {
      image = { image: { name: `${repository}:${finding.tag}`, digest: finding.digest }, findings: [] };
      byTag.set(finding.tag, image);
    }
    image.findings.push(finding);
  }
  return [...byTag.values()].sort((a, b) => (a.image.name < b.image.name ? -1 : a.image.name > b.image.name ? 1 : 0));
}
