import type { Kysely } from 'kysely';
import type { Database } from '../../store/tables.js';
import { mapBounded } from './map-bounded.js';
import { formatPlatform, type Platform } from './registry/platform.js';
import type { RegistryClient, RepositoryRef } from './registry/registry-client.js';

/**
 * When images were pushed, as far as an OCI registry tells: the distribution API has no
 * push time, so the image configuration's `created` stands for it (the build time; a
 * re-tag of an old image keeps its old time). It is read once per digest and platform and
 * kept in the database: a digest's content never changes, so neither does its `created`.
 */
export interface PushTimes {
  /** `created` of every digest, null where the configuration does not say; missing ones read from the registry. */
  of(repo: RepositoryRef, digests: readonly string[], platform: Platform, signal: AbortSignal): Promise<Map<string, Date | null>>;
}

/** Rows read per query: well under SQLite's bound on parameters. */
const CHUNK = 500;
/** Image configurations read at once from one registry. */
const READ_CONCURRENCY = 8;

export function createPushTimes(db: Kysely<Database>, client: RegistryClient): PushTimes {
  return {
    async of(repo, digests, platform, signal) {
      const key = formatPlatform(platform);
      const times = new Map<string, Date | null>();
      const unique = [...new Set(digests)];
      for (let start = 0; start < unique.length; start += CHUNK) {
        const rows = await db
          .selectFrom('image_created')
          .select(['digest', 'created_at'])
          .where('platform', '=', key)
          .where('digest', 'in', unique.slice(start, start + CHUNK))
          .execute();
        for (const row of rows) times.set(row.digest, row.created_at === null ? null : new Date(Number(row.created_at)));
      }
      const unknown = unique.filter((digest) => !times.has(digest));
      const read = await mapBounded(unknown, READ_CONCURRENCY, (digest) => client.imageCreated(repo, digest, platform, signal));
      const rows = unknown.map((digest, i) => ({ digest, platform: key, created_at: read[i]?.getTime() ?? null }));
      for (let start = 0; start < rows.length; start += CHUNK) {
        await db
          .insertInto('image_created')
          .values(rows.slice(start, start + CHUNK))
          .onConflict((conflict) => conflict.doNothing())
          .execute();
      }
      unknown.forEach((digest, i) => times.set(digest, read[i] ?? null));
      return times;
    },
  };
}
