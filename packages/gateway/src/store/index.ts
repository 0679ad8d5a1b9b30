/**
 * The gateway's store: one Kysely database on SQLite (embedded) or PostgreSQL (replicas),
 * migrated at start-up, with repositories per concern.
 */
export { openStore, type Store, type StoreSettings } from './open.js';
export type { StoreLogger } from './log.js';
export { MIGRATIONS } from './migrations/index.js';
export { fromSqlBool, type Database, type Engine, type UsageEventsTable } from './schema.js';
export { SQLITE_FILE, SQLITE_MEMORY_URL } from './sqlite.js';
export type { StoredUsageEvent, UsageEvent } from './usage/event.js';
export {
  UsageRecorder,
  type UsageRecorderOptions,
  type UsageRecorderStats,
} from './usage/recorder.js';
export { UsageRepository, type UsageWriter } from './usage/repository.js';
