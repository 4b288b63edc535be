import type { Severity } from '../domain/severity.js';
import type { ExportTool, ExportedFinding, ImageFindings } from './export-inputs.js';

/** The parts of a SARIF 2.1.0 log this service writes (https://docs.oasis-open.org/sarif/sarif/v2.1.0/). */
export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: [SarifRun];
}

interface SarifRun {
  tool: { driver: { name: string; version: string; semanticVersion: string; rules: SarifRule[] } };
  results: SarifResult[];
}

type SarifLevel = 'error' | 'warning' | 'note';

interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  helpUri?: string;
  help: { text: string; markdown: string };
  defaultConfiguration: { level: SarifLevel };
  properties: { 'security-severity': string; precision: 'very-high'; tags: string[] };
}

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: { text: string };
  locations: [{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: 1 } }; message: { text: string } }];
  properties: { image: string; digest: string | null; package: string | null; installedVersion: string | null; fixedVersion: string | null };
}

const SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/**
 * GitHub code scanning ranks alerts by `security-severity` (a CVSS-like score as a
 * string); without a CVSS score, the score of the severity's band as other scanners
 * write it: CRITICAL 9.5, HIGH 8.0, MEDIUM 5.5, LOW 2.0.
 */
const BAND_SCORES: Readonly<Record<Severity, number>> = { CRITICAL: 9.5, HIGH: 8.0, MEDIUM: 5.5, LOW: 2.0, INFORMATIONAL: 0.0, UNDEFINED: 0.0 };
const LEVELS: Readonly<Record<Severity, SarifLevel>> = { CRITICAL: 'error', HIGH: 'error', MEDIUM: 'warning', LOW: 'note', INFORMATIONAL: 'note', UNDEFINED: 'note' };

/**
 * Findings as a SARIF 2.1.0 log that GitHub code scanning accepts: one rule per
 * vulnerability (its highest severity and CVSS score across packages), one result per
 * package per image, located at the file the package was read from (else the image).
 */
export function sarifLog(images: readonly ImageFindings[], tool: ExportTool): SarifLog {
  const rules = new Map<string, { rule: SarifRule; index: number; score: number }>();
  const results: SarifResult[] = [];
  for (const { image, findings } of images) {
    for (const finding of findings) {
      const entry = ruleFor(rules, finding);
      results.push({
        ruleId: finding.name,
        ruleIndex: entry.index,
        level: LEVELS[finding.severity],
        message: { text: resultText(image.name, finding) },
        locations: [
          {
            physicalLocation: { artifactLocation: { uri: locationOf(image.name, finding) }, region: { startLine: 1 } },
            message: { text: `${image.name}: ${finding.package ?? 'unknown package'}@${finding.version ?? 'unknown version'}` },
          },
        ],
        properties: { image: image.name, digest: image.digest, package: finding.package, installedVersion: finding.version, fixedVersion: finding.fixedVersion },
      });
    }
  }
  return {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [{ tool: { driver: { name: tool.name, version: tool.version, semanticVersion: tool.version, rules: [...rules.values()].map((entry) => entry.rule) } }, results }],
  };
}

function ruleFor(rules: Map<string, { rule: SarifRule; index: number; score: number }>, finding: ExportedFinding): { rule: SarifRule; index: number } {
  const score = finding.cvss?.score ?? BAND_SCORES[finding.severity];
  const existing = rules.get(finding.name);
  if (existing) {
    // One vulnerability may be rated differently per package (distributions rate their own): the rule carries the worst.
    if (score > existing.score) {
      existing.score = score;
      existing.rule.properties['security-severity'] = score.toFixed(1);
      existing.rule.defaultConfiguration.level = LEVELS[finding.severity];
    }
    return existing;
  }
  const summary = `${finding.name}${finding.package ? ` in ${finding.package}` : ''}`;
  const description = finding.description?.trim() || summary;
  const rule: SarifRule = {
    id: finding.name,
    name: ruleName(finding.name),
    shortDescription: { text: summary },
    fullDescription: { text: description },
    ...(finding.uri ? { helpUri: finding.uri } : {}),
    help: {
      text: `${finding.name}: ${description}${finding.uri ? `\n${finding.uri}` : ''}`,
      markdown: `**${finding.name}** (${finding.severity})\n\n${description}${finding.uri ? `\n\n[${finding.uri}](${finding.uri})` : ''}`,
    },
    defaultConfiguration: { level: LEVELS[finding.severity] },
    properties: { 'security-severity': score.toFixed(1), precision: 'very-high', tags: ['vulnerability', 'security', finding.severity] },
  };
  const entry = { rule, index: rules.size, score };
  rules.set(finding.name, entry);
  return entry;
}

/** SARIF's rule `name` is an identifier-like label: `CVE-2024-1234` becomes `Cve20241234`. */
function ruleName(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part[0]?.toUpperCase() + part.slice(1).toLowerCase())
    .join('');
}

function resultText(image: string, finding: ExportedFinding): string {
  return [
    `Package: ${finding.package ?? 'unknown'}`,
    `Installed Version: ${finding.version ?? 'unknown'}`,
    `Vulnerability: ${finding.name}`,
    `Severity: ${finding.severity}`,
    `Fixed Version: ${finding.fixedVersion ?? 'none'}`,
    `Image: ${image}`,
  ].join('\n');
}

/** A relative URI (GitHub refuses absolute file paths): the package's file in the image, else the image's name. */
function locationOf(image: string, finding: ExportedFinding): string {
  const path = finding.path?.replace(/ \(.*\)$/, '');
  return encodeURI(path && path.length > 0 ? path : image);
}
