import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { GatewayErrorCode } from '../errors.js';

/**
 * The request a socket is serving right now, so that a refusal Node raises on the socket (a
 * request timeout while the body is still arriving) can be told apart from a fresh parse error:
 * it ends that request's exchange first and is logged as that request's answer.
 */
export interface InFlight {
  readonly requestId: string;
  readonly res: ServerResponse;
  /** Set by the pipeline for `/v1`: ends the exchange as refused (done phases awaited). */
  refuse?: (status: number, code: GatewayErrorCode) => Promise<void>;
  /** Set when the answer was written on the socket, outside the response object. */
  answeredAtSocket?: { readonly status: number; readonly code: GatewayErrorCode };
}

const bySocket = new WeakMap<Socket, InFlight>();
// By response too: a response may have let go of its socket by the time it closes.
const byResponse = new WeakMap<ServerResponse, InFlight>();

export function inFlightOn(socket: Socket): InFlight | undefined {
  return bySocket.get(socket);
}

export function inFlightOf(res: ServerResponse): InFlight | undefined {
  return byResponse.get(res);
}

export function installInFlightTracking(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    const socket = request.raw.socket;
    const entry: InFlight = { requestId: request.id, res: reply.raw };
    bySocket.set(socket, entry);
    byResponse.set(reply.raw, entry);
    reply.raw.once('close', () => {
      if (bySocket.get(socket) === entry) bySocket.delete(socket);
    });
    done();
  });
}
