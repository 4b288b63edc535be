import type { Kysely } from 'kysely';
import type { Clock } from '../../../clock.js';
import type { ImageScanOutcome } from '../../scanner.js';
import type { Database } from '../../../store/tables.js';
import type { Analyser } from '../analysers/analyser.js';
import { analyserVersions } from '../analysers/registry.js';
import { matchOutcome } from '../builtin-scanner.js';
import { createInventoryCache } from '../inventory-cache.js';
import type { AdvisoryLookup } from '../osv/advisory-lookup.js';
import { DEFAULT_PLATFORM, formatPlatform, parsePlatform } from '../registry/platform.js';

/** Matches an image digest's stored inventory again, as a scan would: no registry request. */
export type StoredMatch = (digest: string, platform: string | null) => Promise<ImageScanOutcome | null>;

export function createStoredMatch(db: Kysely<Database>, options: { analysers: readonly Analyser[]; advisories: AdvisoryLookup; clock: Clock }): StoredMatch {
  const inventories = createInventoryCache(db, { clock: options.clock });
  const versions = analyserVersions(options.analysers);
  return async (digest, platform) => {
    const key = { digest, platform: formatPlatform(platform ? parsePlatform(platform) : DEFAULT_PLATFORM), analysers: versions };
    const inventory = await inventories.get(key);
    // None under the current analysers (taken by older ones, or pruned), or nothing analysed:
    // the configuration's next scan takes the image again; a guess here could only be wrong.
    if (!inventory || (inventory.packages.length === 0 && inventory.unsupported.length > 0)) return null;
    return matchOutcome(inventory, options.advisories);
  };
}
