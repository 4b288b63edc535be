/**
 * The database a store runs on, for the few statements written differently on each:
 * PostgreSQL claims work `FOR UPDATE SKIP LOCKED` and folds some writes into one
 * statement; SQLite has one writer at a time and neither.
 */
export type StoreDialect = 'sqlite' | 'postgres';
