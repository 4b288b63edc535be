import { AnalyserError, type AnalyserResult } from './analyser.js';

/**
 * One analyser's failure on one image: what it reads is there but cannot be trusted, so
 * nothing it would have found is reported, the note says why, and its files are unsettled. The other analysers of
 * the image go on, and the note keeps the image from passing for clean. Anything but an
 * `AnalyserError` is a bug and is thrown on.
 */
export function failedAnalysis(what: string, err: unknown, paths: readonly string[]): AnalyserResult {
  if (!(err instanceof AnalyserError)) throw err;
  return { found: true, packages: [], notes: [`${what} are not reported: ${err.message}`], unsettled: [...paths] };
}

/** Notes are for people: past this many, the rest are counted, not listed. */
export const MAX_NOTES_PER_ANALYSER = 20;

export function boundedNotes(notes: readonly string[], what: string): string[] {
  if (notes.length <= MAX_NOTES_PER_ANALYSER) return [...notes];
  return [...notes.slice(0, MAX_NOTES_PER_ANALYSER), `… and ${notes.length - MAX_NOTES_PER_ANALYSER} more ${what}`];
}
