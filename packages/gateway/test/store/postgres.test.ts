import { expect, it } from 'vitest';
import { MIGRATIONS, openStore } from '../../src/store/index.js';
import { describeWithPg, withClient } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';
import { captureLogger, usageEvent } from './engines.js';

describeWithPg('postgres store', (url, schema) => {
  it('keeps each schema to itself: tables, rows and migration history', async () => {
    const dataDir = tempDir();
    const a = await openStore({ url, dataDir, schema: `${schema}_a` });
    const b = await openStore({ url, dataDir, schema: `${schema}_b` });
    try {
      await a.usage.record([usageEvent(), usageEvent()]);
      expect(await a.usage.countSince(0)).toBe(2);
      expect(await b.usage.countSince(0)).toBe(0);
      const tables = await withClient(url, (client) =>
        client.query<{ table_schema: string; table_name: string }>(
          `select table_schema, table_name from information_schema.tables
           where table_schema in ($1, $2, 'public') and table_name in ('usage_events', 'kysely_migration')
           order by 1, 2`,
          [`${schema}_a`, `${schema}_b`],
        ),
      );
      expect(tables.rows.filter((row) => row.table_schema === 'public')).toEqual([]);
      expect(tables.rows).toHaveLength(4);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('introspects only its own schema, so another schema dropped meanwhile cannot fail a start', async () => {
    const dataDir = tempDir();
    const store = await openStore({ url, dataDir, schema: `${schema}_own` });
    try {
      await withClient(url, (client) =>
        client.query(
          `create schema if not exists "${schema}_other"; create table if not exists "${schema}_other".elsewhere (id serial)`,
        ),
      );
      const tables = await store.db.introspection.getTables({ withInternalKyselyTables: true });
      expect(new Set(tables.map((table) => table.schema))).toEqual(new Set([`${schema}_own`]));
      expect(tables.map((table) => table.name)).toContain('kysely_migration');
      expect(tables.map((table) => table.name)).not.toContain('elsewhere');
      // Kysely's own tables are hidden unless asked for, as with the stock introspector.
      const visible = await store.db.introspection.getTables();
      expect(visible.map((table) => table.name)).not.toContain('kysely_migration');
      expect(visible.map((table) => table.name)).toContain('usage_events');
    } finally {
      await store.close();
    }
  });

  it('replicas starting together migrate a new schema once', async () => {
    const dataDir = tempDir();
    const settings = { url, dataDir, schema: `${schema}_together` };
    const stores = await Promise.all([
      openStore(settings),
      openStore(settings),
      openStore(settings),
    ]);
    try {
      const { rows } = await withClient(url, (client) =>
        client.query(`select count(*)::int as n from "${schema}_together".kysely_migration`),
      );
      // One row per migration: each ran once, not once per replica.
      expect(rows[0]).toEqual({ n: Object.keys(MIGRATIONS).length });
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('never logs or throws the password of database.url', async () => {
    // Trust authentication ignores the password, so the store opens and logs as usual.
    const withPassword = new URL(url);
    withPassword.password = 'hunter2-Secret';
    const logger = captureLogger();
    const store = await openStore(
      { url: withPassword.toString(), dataDir: tempDir(), schema: `${schema}_secret` },
      logger,
    );
    await store.close();
    const output = [...logger.lines, JSON.stringify(store)].join('\n');
    expect(output).toContain('store opened');
    expect(output).not.toContain('hunter2');
  });
});
