import { globMatches } from '../notify/glob.js';

/** Why a finding is ignored: OpenVEX's `not_affected`, or a decision that it does not need fixing. */
export const SUPPRESSION_STATUSES = ['not_affected', 'accepted_risk', 'false_positive', 'will_not_fix'] as const;
export type SuppressionStatus = (typeof SUPPRESSION_STATUSES)[number];

/** OpenVEX 0.2's justification labels for `not_affected`. */
export const VEX_JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
] as const;
export type VexJustification = (typeof VEX_JUSTIFICATIONS)[number];

/** Ids users choose (an ignore file kept in git names its entries) and the ones the service makes. */
export const SUPPRESSION_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';
/** CVE, GHSA, DSA, distribution advisory ids: letters, digits and a few separators. */
export const VULNERABILITY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,127}$';

/** Which findings a suppression covers: the vulnerability, narrowed by any of the rest. */
export interface SuppressionScope {
  /** Matches a finding's name or any of its aliases. */
  vulnerability: string;
  package: string | null;
  configId: string | null;
  /** Glob over the configuration's repository (`*` for any run of characters). */
  repository: string | null;
  /** Glob over the image tag. */
  tag: string | null;
}

export interface SuppressionInput extends SuppressionScope {
  status: SuppressionStatus;
  /** Only with `not_affected`; optional there as in OpenVEX, where the reason can be the impact statement. */
  justification: VexJustification | null;
  reason: string;
  expiresAt: Date | null;
}

export interface Suppression extends SuppressionInput {
  id: string;
  /** The name of the token that created it; null without tokens. */
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** When its expiry took effect; null while it is active (or has no expiry). */
  expiredAt: Date | null;
}

/** A rule across fields that a schema cannot say, naming the field. */
export class SuppressionRuleError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'SuppressionRuleError';
  }
}

/** Checks what the schema cannot: justification only with not_affected, an expiry in the future. */
export function checkSuppression(input: SuppressionInput, now: Date): void {
  if (input.justification !== null && input.status !== 'not_affected') {
    throw new SuppressionRuleError('justification', `justification is only for status not_affected, not ${input.status}`);
  }
  if (input.expiresAt !== null && input.expiresAt.getTime() <= now.getTime()) {
    throw new SuppressionRuleError('expiresAt', 'expiresAt must be in the future');
  }
}

/** What a suppression is matched against: a finding with the image and configuration it is in. */
export interface CoverableFinding {
  name: string;
  aliases: readonly string[];
  /** Empty when the finding names no package. */
  package: string;
  configId: string;
  repository: string;
  tag: string;
}

export function covers(scope: SuppressionScope, finding: CoverableFinding): boolean {
  if (scope.vulnerability !== finding.name && !finding.aliases.includes(scope.vulnerability)) return false;
  if (scope.package !== null && scope.package !== finding.package) return false;
  if (scope.configId !== null && scope.configId !== finding.configId) return false;
  if (scope.repository !== null && !globMatches(scope.repository, finding.repository)) return false;
  return scope.tag === null || globMatches(scope.tag, finding.tag);
}

/** Whether it still covers findings at `now`: not expired, nor due to expire. */
export function isActive(suppression: Pick<Suppression, 'expiresAt' | 'expiredAt'>, now: Date): boolean {
  return suppression.expiredAt === null && (suppression.expiresAt === null || suppression.expiresAt.getTime() > now.getTime());
}

/**
 * Active suppressions indexed by vulnerability id, answering which one covers a finding.
 * When several do, the oldest wins (then the smallest id), so the answer is stable.
 */
export function suppressionIndex<S extends SuppressionScope & { id: string; createdAt: Date }>(suppressions: readonly S[]): (finding: CoverableFinding) => S | null {
  const byVulnerability = new Map<string, S[]>();
  for (const suppression of suppressions) {
    const list = byVulnerability.get(suppression.vulnerability) ?? [];
    list.push(suppression);
    byVulnerability.set(suppression.vulnerability, list);
  }
  return (finding) => {
    let best: S | null = null;
    for (const id of [finding.name, ...finding.aliases]) {
      for (const suppression of byVulnerability.get(id) ?? []) {
        if (!covers(suppression, finding)) continue;
        if (best === null || isOlder(suppression, best)) best = suppression;
      }
    }
    return best;
  };
}

function isOlder(a: { id: string; createdAt: Date }, b: { id: string; createdAt: Date }): boolean {
  const diff = a.createdAt.getTime() - b.createdAt.getTime();
  return diff < 0 || (diff === 0 && a.id < b.id);
}
