import {
  PostgresDialect,
  PostgresIntrospector,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadataOptions,
  type Kysely,
  type TableMetadata,
} from 'kysely';

/**
 * PostgreSQL with an introspector that looks only at the connection's current schema.
 *
 * Kysely's Migrator asks the introspector for every table to learn whether its own tables
 * exist, and the stock PostgreSQL introspector lists every column of every table in the whole
 * database, calling `pg_get_serial_sequence` on each. In a database shared by several schemas
 * (replicas of other deployments, other applications, one schema per test file) that is slow,
 * and it fails with "schema … does not exist" (3F000) when another schema is dropped while the
 * query runs. The gateway's tables live in one schema (`current_schema()`, which the pool's
 * search_path sets), so that is the only one it needs to see.
 */
export class CurrentSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}

class CurrentSchemaIntrospector extends PostgresIntrospector {
  readonly #db: Kysely<unknown>;

  constructor(db: Kysely<unknown>) {
    super(db);
    this.#db = db;
  }

  /** Tables and views of the current schema, without columns (the Migrator needs names only). */
  override async getTables(options?: DatabaseMetadataOptions): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string; is_view: boolean }>`
      select table_name as name, table_schema as schema, table_type = 'VIEW' as is_view
      from information_schema.tables
      where table_schema = current_schema()
      order by table_name`.execute(this.#db);
    return rows
      .filter(
        (row) => options?.withInternalKyselyTables === true || !row.name.startsWith('kysely_'),
      )
      .map((row) => ({ name: row.name, schema: row.schema, isView: row.is_view, columns: [] }));
  }
}
