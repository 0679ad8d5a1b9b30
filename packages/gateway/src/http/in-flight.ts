import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
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

/**
 * Kept as a symbol-keyed property of the socket and the response rather than in WeakMaps:
 * two WeakMap entries per request cost about 35 µs of CPU each (mostly the garbage collector's
 * ephemeron work), measured as gateway CPU per 1,000 requests under load.
 */
const IN_FLIGHT = Symbol('rampart.inFlight');
type Carrier = { [IN_FLIGHT]?: InFlight | undefined };

/** The carrier view of a socket or response (the symbol property is ours alone). */
function carrier(target: Socket | ServerResponse | null): Carrier | null {
  return target as Carrier | null;
}

export function inFlightOn(socket: Socket): InFlight | undefined {
  return carrier(socket)?.[IN_FLIGHT];
}

export function inFlightOf(res: ServerResponse): InFlight | undefined {
  return carrier(res)?.[IN_FLIGHT];
}

/** Marks `res` as the request its socket is serving; `release` when the response closes. */
export function trackInFlight(requestId: string, res: ServerResponse): InFlight {
  const entry: InFlight = { requestId, res };
  const socket = carrier(res.socket);
  if (socket !== null) socket[IN_FLIGHT] = entry;
  (carrier(res) as Carrier)[IN_FLIGHT] = entry;
  return entry;
}

export function releaseInFlight(entry: InFlight): void {
  const socket = carrier(entry.res.socket);
  // Set to undefined, never deleted: deleting would turn the socket into a slow dictionary.
  if (socket !== null && socket[IN_FLIGHT] === entry) socket[IN_FLIGHT] = undefined;
}
