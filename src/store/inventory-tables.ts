import type { Generated } from 'kysely';

/**
 * Row types of the built-in scanner's inventory table (migration 2026-11-29-inventories).
 * Times are Unix milliseconds.
 */
export interface ImageInventoriesTable {
  /** What the configuration's tag points at: an image manifest, or an index. */
  digest: string;
  /** `os/architecture[/variant]` the inventory was taken for. */
  platform: string;
  /** `name=version` of every analyser, sorted and comma-separated. */
  analysers: string;
  /** The platform's image manifest the layers came from. */
  manifest_digest: string;
  /** JSON of the inventory: distribution, packages, analysers, unsupported notes. */
  inventory: string;
  created_at: number;
  used_at: number;
}

/** The package index's names: the name advisories use, in an ecosystem (migration 2026-12-11-inventory-postings). */
export interface InventoryPackageKeysTable {
  id: Generated<number>;
  /** The name advisories use: the source package where the ecosystem's records name sources. */
  package: string;
  /** The package's ecosystem with its release, as inventories spell it: `Debian:12`, `npm`. */
  ecosystem: string;
}

/** One row per indexing transaction. */
export interface InventoryIndexBatchesTable {
  id: Generated<number>;
  created_at: number;
}

/** The package index's digests, numbered; `batch` is the last batch that indexed the digest. */
export interface InventoryDigestsTable {
  id: Generated<number>;
  digest: string;
  batch: number;
}

/** Per package and batch, the digests of that batch's inventories holding the package. */
export interface InventoryPostingsTable {
  key_id: number;
  batch: number;
  /** Comma-separated inventory_digests ids. */
  digests: string;
}

/** When an image was built, from its configuration's `created` (migration 2026-12-10-repository-selection). */
export interface ImageCreatedTable {
  digest: string;
  platform: string;
  /** Unix milliseconds; null when the configuration does not say. */
  created_at: number | null;
}

/** Inventories stored and not yet indexed (migration 2026-12-11-inventory-postings). */
export interface InventoryIndexQueueTable {
  digest: string;
  platform: string;
  analysers: string;
  /** The inventory's created_at: stored again since, it is queued again. */
  created_at: number;
  /** What the index records of it: JSON [[ecosystem, [names]], …]; null: read it from the inventory. */
  keys: string | null;
}

export interface InventoryTables {
  image_created: ImageCreatedTable;
  image_inventories: ImageInventoriesTable;
  inventory_index_queue: InventoryIndexQueueTable;
  inventory_package_keys: InventoryPackageKeysTable;
  inventory_index_batches: InventoryIndexBatchesTable;
  inventory_digests: InventoryDigestsTable;
  inventory_postings: InventoryPostingsTable;
}
