import type { Insertable } from 'kysely';
import type { UsageEventsTable } from '../schema.js';

/**
 * One allowed request's usage, as the record stage hands it over: counts and identifiers of
 * configuration (route template, alias, provider), never content or a user identity.
 * Structurally the pipeline's `UsageEventInput`.
 */
export interface UsageEvent {
  readonly requestId: string;
  /** Epoch milliseconds. */
  readonly occurredAt: number;
  readonly route: string;
  readonly modelAlias: string;
  readonly provider: string;
  readonly upstreamModel: string;
  readonly status: number;
  readonly outcome: string | null;
  readonly promptTokens: number | null;
  readonly completionTokens: number | null;
  readonly latencyMs: number;
  readonly streamed: boolean;
}

export interface StoredUsageEvent extends UsageEvent {
  readonly id: number;
}

/** Longest text kept per column: identifiers, not documents. */
const MAX_TEXT = 512;

/**
 * Turns an event into a row that both engines accept alike. PostgreSQL rejects what SQLite
 * silently stores (a fractional integer, a NUL byte in text), and one such value would fail
 * its whole batch, so values are made valid here rather than refused there.
 */
export function toRow(event: UsageEvent): Insertable<UsageEventsTable> {
  return {
    request_id: text(event.requestId),
    occurred_at: int(event.occurredAt) ?? 0,
    route: text(event.route),
    model_alias: text(event.modelAlias),
    provider: text(event.provider),
    upstream_model: text(event.upstreamModel),
    status: int(event.status) ?? 0,
    outcome: event.outcome === null ? null : text(event.outcome),
    prompt_tokens: int32(event.promptTokens),
    completion_tokens: int32(event.completionTokens),
    latency_ms: int32(event.latencyMs) ?? 0,
    streamed: event.streamed ? 1 : 0,
  };
}

function text(value: string): string {
  // PostgreSQL text cannot hold NUL.
  return String(value).replaceAll('\0', '').slice(0, MAX_TEXT);
}

function int(value: number | null): number | null {
  return value === null || !Number.isFinite(value) ? null : Math.round(value);
}

/** PostgreSQL `integer` is 32-bit; a count beyond it is clamped, not a failed batch. */
function int32(value: number | null): number | null {
  const n = int(value);
  return n === null ? null : Math.min(Math.max(n, 0), 2_147_483_647);
}
