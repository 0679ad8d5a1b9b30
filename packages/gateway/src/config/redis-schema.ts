import { z } from 'zod';
import './meta.js';

/**
 * The `redis` section: the one Redis every stage shares (DESIGN.md: shared counters, replay
 * caches and revocation broadcasts between replicas). Unset: each replica keeps that state in
 * memory, which is right for one replica and wrong for several.
 *
 * The URL may hold a password, so it is handled like `database.url`: its value is never echoed
 * by a config error or written to a log (`redis/connection.ts` describes it without the
 * password, and the logger scrubs the URL shape), and the operator is told to put it in the
 * environment (`RAMPART_REDIS__URL`) rather than the file.
 */
export const redisSchema = z.strictObject({
  url: z
    .string()
    .regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL (leave unset for no Redis)')
    .optional()
    .meta({
      description:
        '`redis://[:password@]host:port[/db]` or `rediss://…` (TLS). When set, the DPoP replay cache and the meter counters live in Redis (shared by replicas), and revocations are broadcast to every replica by pub/sub. Put the password in the environment (`RAMPART_REDIS__URL`), not the file. `/readyz` fails while Redis is unreachable.',
      defaultText: 'unset (state in memory: one replica)',
    }),
  keyPrefix: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9:_.-]+$/, 'expected letters, digits and : _ . -')
    .default('rampart:')
    .meta({
      description:
        'Prefix of every key and channel Rampart uses, so that several gateways (or other applications) can share one Redis.',
    }),
  connectTimeoutMs: z.number().int().min(100).max(60_000).default(5_000).meta({
    description:
      'Longest wait for a connection to Redis, at start-up (the gateway refuses to start after it) and on each reconnect.',
  }),
  commandTimeoutMs: z.number().int().min(50).max(60_000).default(1_000).meta({
    description:
      'Longest wait for one Redis command. A command that times out, or that is issued while Redis is unreachable, fails at once instead of queueing: a DPoP proof is then refused (503 `auth.replay_cache_unavailable`) rather than admitted unchecked.',
  }),
  maxReconnectDelayMs: z.number().int().min(100).max(60_000).default(2_000).meta({
    description:
      'After a lost connection Redis is retried with a growing delay (100 ms more per attempt) capped at this; retrying never stops, and `/readyz` reports the outage meanwhile.',
  }),
});
