import type { Credentials } from '@rampart/testkit';
import type { LightMyRequestResponse } from 'fastify';
import { chatBody, type PipelineTestApp } from '../pipeline.test-helpers.js';

/** Requests and readings shared by the meter's in-process tests. Not shipped. */

export const PUBLIC_URL = 'https://rampart.test';
export const CHAT = '/v1/chat/completions';
export const EMBED = '/v1/embeddings';

/** One POST with fresh DPoP credentials; `ip` sets the client address the socket shows. */
export async function send(
  app: PipelineTestApp,
  who: Credentials,
  options: { url?: string; body?: Record<string, unknown>; ip?: string } = {},
): Promise<LightMyRequestResponse> {
  const url = options.url ?? CHAT;
  return app.app.inject({
    method: 'POST',
    url,
    headers: await who.headers('POST', url),
    payload: options.body ?? (url === EMBED ? { model: 'embed', input: 'hi' } : chatBody()),
    ...(options.ip === undefined ? {} : { remoteAddress: options.ip }),
  });
}

export async function statuses(
  app: PipelineTestApp,
  who: Credentials,
  count: number,
  options: Parameters<typeof send>[2] = {},
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await send(app, who, options)).statusCode);
  return out;
}

export async function decisions(app: PipelineTestApp): Promise<Record<string, number>> {
  const metric = app.metrics.registry.getSingleMetric('rampart_meter_decisions_total');
  const out: Record<string, number> = {};
  for (const value of (await metric?.get())?.values ?? []) {
    out[`${String(value.labels['limit'])}/${String(value.labels['outcome'])}`] = value.value;
  }
  return out;
}

export const perUser = { name: 'per-user', key: ['subject'], requests: 3, windowSeconds: 60 };
