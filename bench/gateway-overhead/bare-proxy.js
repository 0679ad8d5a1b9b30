/**
 * The physical-limit baseline: the least a Node HTTP proxy can do. Plain node:http, a keep-alive
 * agent, request and response bodies piped through untouched. No parsing, no logging, no checks.
 *
 *   node bench/gateway-overhead/bare-proxy.js --port 9000 --upstream http://127.0.0.1:9001
 */
import { Agent, createServer, request } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { port: { type: 'string' }, upstream: { type: 'string' } },
});
const upstream = new URL(values.upstream ?? 'http://127.0.0.1:9001');
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
// Hop-by-hop headers belong to one connection and are not forwarded (RFC 9110, 7.6.1).
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** @param {import('node:http').IncomingHttpHeaders} headers */
function endToEnd(headers) {
  /** @type {import('node:http').OutgoingHttpHeaders} */
  const out = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP.has(name)) out[name] = value;
  return out;
}

const server = createServer((req, res) => {
  const headers = { ...endToEnd(req.headers), host: upstream.host };
  const options = { hostname: upstream.hostname, port: upstream.port, agent, headers };
  const up = request({ ...options, method: req.method, path: req.url }, (upRes) => {
    res.writeHead(upRes.statusCode ?? 502, endToEnd(upRes.headers));
    upRes.pipe(res);
  });
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('bad gateway');
  });
  req.pipe(up);
});

server.listen(Number(values.port ?? 9000), '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${values.port ?? 9000}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(0));
