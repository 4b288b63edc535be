import { performance } from 'node:perf_hooks';
import { presentedToken } from '../src/http/auth.js';
import { type ApiToken, findToken, sha256Of } from '../src/http/tokens.js';
import { median } from './support/measure.js';
import type { BenchRow } from './support/table.js';

/**
 * What checking a token costs each request: the header parsed (bearer, or Basic decoded)
 * and the token's SHA-256 compared in constant time with every configured token's, so the
 * cost grows with the number of tokens, whichever matches. Medians of 7 runs of 10,000
 * checks, with the matching token last in the list (the check reads them all anyway).
 */

const CHECKS = 10_000;
const RUNS = 7;

function tokensOf(count: number): ApiToken[] {
  return Array.from({ length: count }, (_, index) => ({ name: `token-${index}`, role: 'read' as const, sha256: sha256Of(`a-token-of-thirty-two-chars-${String(index).padStart(4, '0')}`) }));
}

function microsecondsPerCheck(tokens: readonly ApiToken[], header: string): number {
  const runs: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    for (let check = 0; check < CHECKS; check += 1) {
      const presented = presentedToken(header);
      if (presented === null || findToken(tokens, presented) === null) throw new Error('the auth benchmark presented a token the list does not hold');
    }
    runs.push(((performance.now() - started) * 1000) / CHECKS);
  }
  return median(runs);
}

export async function benchAuth(): Promise<readonly BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const count of [1, 50, 1000]) {
    const tokens = tokensOf(count);
    const last = `a-token-of-thirty-two-chars-${String(count - 1).padStart(4, '0')}`;
    const schemes: Array<[string, string]> = [
      ['Bearer', `Bearer ${last}`],
      ['Basic', `Basic ${Buffer.from(`feeds:${last}`).toString('base64')}`],
    ];
    for (const [scheme, header] of schemes) {
      rows.push({ name: `token check, ${scheme}, ${count} token${count === 1 ? '' : 's'} configured`, microseconds: Number(microsecondsPerCheck(tokens, header).toFixed(2)) });
    }
  }
  return rows;
}
