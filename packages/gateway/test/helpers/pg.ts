import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { serviceUrl, skipReason } from './services.js';

const VARIABLE = 'RAMPART_TEST_PG_URL';
const EXAMPLE = 'postgres://postgres@127.0.0.1:5432/test';

/** The PostgreSQL URL for tests, or undefined (skip); throws under CI=true when unset. */
export function testPgUrl(): string | undefined {
  return serviceUrl(VARIABLE, 'PostgreSQL', EXAMPLE);
}

/**
 * A describe block that gets its own fresh schema `t_<random>`, so that test files can run in
 * parallel against one database. Tests needing more isolation may use schemas named
 * `<schema>_<suffix>`: every schema with that prefix is dropped after the block.
 * Without RAMPART_TEST_PG_URL the block's tests are registered as skipped, with the reason.
 */
export function describeWithPg(name: string, fn: (url: string, schema: string) => void): void {
  const url = testPgUrl();
  if (url === undefined) {
    const reason = skipReason(name, VARIABLE, EXAMPLE);
    describe.skip(`${name} (skipped: ${reason})`, () => fn('', 't_skipped'));
    return;
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  describe(name, () => {
    beforeAll(async () => {
      await withClient(url, (client) => client.query(`create schema "${schema}"`));
    });
    afterAll(async () => {
      await dropSchemas(url, schema);
    });
    fn(url, schema);
  });
}

/** Drops `schema` and every `<schema>_…` schema a test derived from it. */
export async function dropSchemas(url: string, schema: string): Promise<void> {
  await withClient(url, async (client) => {
    const { rows } = await client.query<{ nspname: string }>(
      'select nspname from pg_namespace where nspname = $1 or starts_with(nspname, $2)',
      [schema, `${schema}_`],
    );
    for (const row of rows) {
      await client.query(`drop schema if exists ${pg.escapeIdentifier(row.nspname)} cascade`);
    }
  });
}

export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
