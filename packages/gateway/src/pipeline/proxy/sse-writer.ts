import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { SSE_HEADERS } from './sse.js';

/**
 * Writes SSE text straight to the socket as it arrives (one write per upstream read), honouring
 * backpressure; cheaper than piping a Readable, which matters per event on a stream. Fastify's
 * response listeners stay in place, so the record stage still runs when the response finishes.
 */
export async function writeSse(reply: FastifyReply, events: AsyncIterable<string>): Promise<void> {
  const headers = { ...reply.getHeaders(), ...SSE_HEADERS };
  reply.hijack();
  const res = reply.raw;
  // Fastify's header type admits numbers where Node's does not; the values came from Node's own.
  res.writeHead(200, headers as OutgoingHttpHeaders);
  for await (const text of events) {
    if (res.destroyed) break;
    if (!res.write(text)) await drained(res);
  }
  if (!res.destroyed) res.end();
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
