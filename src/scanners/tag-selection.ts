import { isTagGlob, parseDuration, type ScanConfig, tagMatches } from '../domain/scan-config.js';

/** A tagged image of one repository as a listing shows it; `pushedAt` null when unknown. */
export interface TagCandidate {
  tag: string;
  digest: string;
  pushedAt: Date | null;
}

export type TagRule = Pick<ScanConfig, 'tags' | 'exclude' | 'newest' | 'pushedWithin'>;

/** Whether the rule needs each tag's push time (ECR's `imagePushedAt`, an image config's `created`). */
export function needsPushTimes(rule: TagRule): boolean {
  return (rule.newest ?? null) !== null || (rule.pushedWithin ?? null) !== null;
}

/** Whether a tag passes `tags` and `exclude`, which need nothing but its name. */
export function tagSelected(rule: Pick<TagRule, 'tags' | 'exclude'>, tag: string): boolean {
  if (rule.exclude?.some((entry) => tagMatches(entry, tag))) return false;
  return rule.tags === null || rule.tags.some((entry) => tagMatches(entry, tag));
}

/** Exact (glob-free) tags the rule names that the listing lacks, excluded ones aside. */
export function missingExactTags(rule: Pick<TagRule, 'tags' | 'exclude'>, listed: ReadonlySet<string>): string[] {
  return (rule.tags ?? []).filter((entry) => !isTagGlob(entry) && !listed.has(entry) && tagSelected(rule, entry));
}

/**
 * One repository's selection: `tags` (or every tag) minus `exclude`, then those pushed
 * within `pushedWithin` of `now`, then the `newest` most recently pushed. A tag whose push
 * time is unknown counts as the oldest: it never passes `pushedWithin` and comes last for
 * `newest`. Ties go to the tag that sorts first, so the choice is stable between runs.
 * Untagged images never reach here: listings only name tagged ones.
 */
export function selectTags(candidates: readonly TagCandidate[], rule: TagRule, now: Date): TagCandidate[] {
  const seen = new Set<string>();
  let chosen = candidates.filter((candidate) => {
    if (seen.has(candidate.tag) || !tagSelected(rule, candidate.tag)) return false;
    seen.add(candidate.tag);
    return true;
  });
  const withinMs = rule.pushedWithin ? parseDuration(rule.pushedWithin) : null;
  if (withinMs !== null) {
    const since = now.getTime() - withinMs;
    chosen = chosen.filter((candidate) => candidate.pushedAt !== null && candidate.pushedAt.getTime() >= since);
  }
  if (typeof rule.newest === 'number') chosen = [...chosen].sort(newestFirst).slice(0, rule.newest);
  return chosen.sort((a, b) => compareText(a.tag, b.tag));
}

function newestFirst(a: TagCandidate, b: TagCandidate): number {
  const byTime = (b.pushedAt?.getTime() ?? -Infinity) - (a.pushedAt?.getTime() ?? -Infinity);
  return byTime !== 0 && !Number.isNaN(byTime) ? byTime : compareText(a.tag, b.tag);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
