import type { Suppression, SuppressionInput } from '../triage/suppression.js';

/** A suppression to write under a given id: created when new, replaced when it differs. */
export interface SuppressionPut extends SuppressionInput {
  id: string;
}

/** What a batch of puts did, by id. */
export interface SuppressionPutResult {
  created: string[];
  updated: string[];
  unchanged: string[];
}

/**
 * Suppressions and the findings they cover. Every change recomputes which findings are
 * suppressed, their images' counts, and writes `suppression.*` events, in one transaction.
 */
export interface SuppressionStore {
  /** `createdBy`: the token's name. Undefined when a suppression with the id exists already. */
  createSuppression(input: SuppressionPut, createdBy: string | null, now: Date): Promise<Suppression | undefined>;
  /** Creates or replaces each, in one transaction (an import or an ignore file). */
  putSuppressions(inputs: SuppressionPut[], createdBy: string | null, now: Date): Promise<SuppressionPutResult>;
  listSuppressions(): Promise<Suppression[]>;
  getSuppression(id: string): Promise<Suppression | undefined>;
  /** Replaces its fields (id, creator and creation time stay); undefined when unknown. */
  updateSuppression(id: string, input: SuppressionInput, now: Date): Promise<Suppression | undefined>;
  /** False when unknown. */
  deleteSuppression(id: string, now: Date): Promise<boolean>;
  /** Applies every expiry due by `now`; returns how many suppressions expired. */
  expireSuppressions(now: Date): Promise<number>;
  /** When the next active suppression expires, for the expiry timer. */
  nextSuppressionExpiry(): Promise<Date | null>;
}
