/**
 * The mock upstream server: plain node:http, because it is the baseline the gateway's overhead
 * is measured against and must cost next to nothing per request. No logging, no framework; the
 * per-request work is reading the body, one JSON.parse, and gluing a head to a prepared tail.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { isObject, parseBody, readBody, type ParsedBody } from './body.js';
import { errorBody, guessDialect } from './dialect.js';
import { playFault } from './faults.js';
import { MOCK_DEFAULTS, mergeOptions } from './options.js';
import { render, type Rendered } from './render.js';
import { sendJson } from './respond.js';
import { ROUTES } from './routes.js';
import {
  MOCK_FAULTS,
  isMockFault,
  type MockFault,
  type MockUpstream,
  type MockUpstreamOptions,
  type RecordedRequest,
} from './types.js';

/**
 * Request bodies above this are refused with 413 (and not kept in memory). Above the gateway's
 * default chat body limit (28 MiB: one 20 MB image as base64), so the mock takes what it admits.
 */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

const FAULT_MODEL_PREFIX = 'fault:';

/** What a server that refuses unknown fields answers (option `refuseFields`). */
function unknownFieldBody(field: string): string {
  return JSON.stringify({
    error: {
      message: `Unknown field ${JSON.stringify(field)}: extra inputs are not permitted.`,
      type: 'invalid_request_error',
      param: field,
      code: null,
    },
  });
}

export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  let state = render(mergeOptions(MOCK_DEFAULTS, options));
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  // Ids stay unique across mocks that run at once (one per test file) as well as within one.
  const idPrefix = `mock${randomBytes(3).toString('hex')}`;
  let count = 0;

  const record = (req: IncomingMessage, body: unknown): void => {
    const limit = state.options.recordLimit;
    if (limit === 0) return;
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
    while (requests.length > limit) requests.shift();
  };

  const dispatch = (
    req: IncomingMessage,
    res: ServerResponse,
    parsed: ParsedBody,
    current: Rendered,
  ): void => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const pathname = query === -1 ? url : url.slice(0, query);
    const found = ROUTES.get(pathname);
    const route = found?.method === req.method ? found : undefined;
    const dialect = route?.dialect ?? guessDialect(pathname, req.headers['anthropic-version']);
    const body = isObject(parsed.value) ? parsed.value : undefined;
    const id = idPrefix + (++count).toString(36);

    let fault: MockFault | undefined = current.options.fault;
    const model = body?.model;
    if (typeof model === 'string' && model.startsWith(FAULT_MODEL_PREFIX)) {
      const name = model.slice(FAULT_MODEL_PREFIX.length);
      if (!isMockFault(name)) {
        const message = `Unknown mock fault "${name}"; use one of: ${MOCK_FAULTS.join(', ')}`;
        return sendJson(res, 400, errorBody(dialect, 400, message));
      }
      fault = name;
    }
    if (fault !== undefined) {
      const stream = body === undefined ? undefined : route?.stream?.(body, current, id);
      return playFault(fault, { res, dialect, responses: current.faults, stream });
    }
    if (route === undefined) {
      const message =
        dialect === 'anthropic' ? 'Not Found' : `Invalid URL (${req.method} ${pathname})`;
      return sendJson(res, 404, errorBody(dialect, 404, message));
    }
    if (route.method === 'GET') {
      return route.handle({ res, headers: req.headers, body: body ?? {}, state: current, id });
    }
    if (!parsed.json) {
      const message =
        parsed.value === undefined
          ? 'The request has no body.'
          : 'The request body is not valid JSON.';
      return sendJson(res, 400, errorBody(dialect, 400, message));
    }
    if (body === undefined) {
      return sendJson(res, 400, errorBody(dialect, 400, 'The request body must be a JSON object.'));
    }
    const refused = current.options.refuseFields.find((field) => Object.hasOwn(body, field));
    if (refused !== undefined) return sendJson(res, 422, unknownFieldBody(refused));
    route.handle({ res, headers: req.headers, body, state: current, id });
  };

  const tooLarge = (req: IncomingMessage, res: ServerResponse): void => {
    record(req, undefined);
    const pathname = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const dialect = guessDialect(pathname, req.headers['anthropic-version']);
    const message = `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`;
    sendJson(res, 413, errorBody(dialect, 413, message));
  };

  const server = createServer((req, res) => {
    // The snapshot for this request: setOptions during a slow answer does not change it.
    const current = state;
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) {
      // Answer without reading; Node discards the rest of the body after the response.
      return tooLarge(req, res);
    }
    readBody(req, MAX_BODY_BYTES, (raw, over) => {
      if (over) return tooLarge(req, res);
      const parsed = parseBody(raw);
      record(req, parsed.value);
      const latency = current.options.latencyMs;
      if (latency === 0) return dispatch(req, res, parsed, current);
      const timer = setTimeout(dispatch, latency, req, res, parsed, current);
      res.once('close', () => clearTimeout(timer));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('mock upstream: the server has no TCP address');
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    requests,
    setOptions(patch) {
      state = render(mergeOptions(state.options, patch));
    },
    setFault(fault) {
      state = render(mergeOptions(state.options, { fault }));
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // server.close() waits for open connections; hung and streaming ones would never end.
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
