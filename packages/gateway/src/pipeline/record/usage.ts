import type { UsageEvent } from '../../store/index.js';

/** One allowed request's usage: counts and configuration identifiers, never content. */
export type UsageEventInput = UsageEvent;

/** Synchronous, O(1) on the request path: the store batches writes behind it. */
export interface UsageSink {
  add(event: UsageEventInput): void;
}
