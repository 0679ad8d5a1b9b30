import type { Kysely } from 'kysely';
import { fromSqlBool, type Database } from '../schema.js';
import { toRow, type StoredUsageEvent, type UsageEvent } from './event.js';

/** Rows per INSERT: far below both engines' bound-parameter limits (12 columns each). */
const CHUNK = 500;
const MAX_RECENT = 1_000;

/** Where the UsageRecorder writes; the repository is one, a test double is another. */
export interface UsageWriter {
  record(events: readonly UsageEvent[]): Promise<void>;
}

export class UsageRepository implements UsageWriter {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts the events in as few statements as the engines allow, all or none. */
  async record(events: readonly UsageEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map(toRow);
    if (rows.length <= CHUNK) {
      await this.db.insertInto('usage_events').values(rows).execute();
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      for (let start = 0; start < rows.length; start += CHUNK) {
        await trx
          .insertInto('usage_events')
          .values(rows.slice(start, start + CHUNK))
          .execute();
      }
    });
  }

  /** The newest events first, at most `limit` (capped at 1000). */
  async recent(limit: number): Promise<StoredUsageEvent[]> {
    const bounded = Math.min(Math.max(Math.trunc(limit), 0), MAX_RECENT);
    if (bounded === 0) return [];
    const rows = await this.db
      .selectFrom('usage_events')
      .selectAll()
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .limit(bounded)
      .execute();
    return rows.map((row) => ({
      id: Number(row.id),
      requestId: row.request_id,
      occurredAt: Number(row.occurred_at),
      route: row.route,
      modelAlias: row.model_alias,
      provider: row.provider,
      upstreamModel: row.upstream_model,
      status: row.status,
      outcome: row.outcome,
      promptTokens: row.prompt_tokens,
      completionTokens: row.completion_tokens,
      latencyMs: row.latency_ms,
      streamed: fromSqlBool(row.streamed),
    }));
  }

  /** How many events occurred at or after `since` (epoch milliseconds). */
  async countSince(since: number): Promise<number> {
    const row = await this.db
      .selectFrom('usage_events')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('occurred_at', '>=', since)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
