/**
 * Sending requests: one correctness check per target before it is measured, and the load runs
 * themselves, each in a fresh load-worker.js process pinned to the load core.
 */
import { fileURLToPath } from 'node:url';
import { reserveCounters, signRequestHeaders } from './app-attest-client.js';
import { CPU, spawnPinned } from './procs.js';

const WORKER = fileURLToPath(new URL('./load-worker.js', import.meta.url));
const MESSAGES = [{ role: 'user', content: 'Hello' }];

/** @param {boolean} stream */
export function requestBody(stream) {
  return JSON.stringify({
    model: 'bench',
    messages: MESSAGES,
    ...(stream ? { stream: true } : {}),
  });
}

/**
 * @typedef {import('./servers.js').Target} Target
 * @typedef {{
 *   connections: number, durationS: number, ok: number, non2xx: number, errors: number,
 *   timeouts: number, rps: number, proofs?: { signed: number, used: number, signingS: number },
 *   latencyMs: { p50: number, p90: number, p99: number, mean: number, max: number },
 *   bytesPerResponse: { min: number, max: number } | null
 * }} LoadResult
 */

/**
 * @param {Target} target  with `appAttest`, its counter moves past the ones this run may use
 * @param {{
 *   stream: boolean, connections: number, duration: number, warmup: number, expectedRps: number
 * }} options  expectedRps: an upper bound of the rate, to size the pool of DPoP proofs
 * @returns {Promise<LoadResult>}
 */
export async function runLoad(target, { stream, connections, duration, warmup, expectedRps }) {
  // Half as many again as the bound says, since a proof must never be short (or reused).
  const proofs = Math.ceil(expectedRps * (warmup + duration) * 1.5) + 1000;
  const firstCounter =
    target.appAttest === undefined ? undefined : reserveCounters(target.appAttest, proofs);
  const spec = {
    ...target,
    body: requestBody(stream),
    connections,
    duration,
    warmup,
    proofs,
    ...(firstCounter === undefined ? {} : { firstCounter }),
  };
  const child = spawnPinned(CPU.load, process.execPath, [WORKER, JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (/** @type {Buffer} */ chunk) => (stdout += chunk.toString()));
  child.stderr?.on('data', (/** @type {Buffer} */ chunk) => (stderr += chunk.toString()));
  /** @type {number | null} */
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`load generator failed (exit ${code}): ${stderr.trim()}`);
  return JSON.parse(stdout);
}

/**
 * Checks that a target answers a real completion, as JSON and as a stream, before any load is
 * sent: a benchmark of error responses is worthless. The streamed deltas must join up to the
 * JSON answer's content, which proves the stream arrived whole.
 * @param {Target} target
 * @returns {Promise<string | undefined>} what is wrong, or undefined when all is well
 */
export async function verifyTarget(target) {
  /** @param {string} body @returns {Promise<Record<string, string>>} */
  const headersFor = async (body) => {
    const { dpop, appAttest } = target;
    const signed =
      dpop === undefined
        ? {}
        : (
            await signRequestHeaders({
              dpop,
              ...(appAttest === undefined
                ? {}
                : { appAttest, firstCounter: reserveCounters(appAttest, 1) }),
              body,
              count: 1,
            })
          )[0];
    return { 'content-type': 'application/json', ...target.headers, ...signed };
  };
  try {
    const plain = await fetch(target.url, {
      method: 'POST',
      headers: await headersFor(requestBody(false)),
      body: requestBody(false),
    });
    const text = await plain.text();
    if (plain.status !== 200) return `JSON request: status ${plain.status}: ${text.slice(0, 300)}`;
    const content = JSON.parse(text)?.choices?.[0]?.message?.content;
    if (typeof content !== 'string' || content === '') {
      return `JSON request: no choices[0].message.content in ${text.slice(0, 300)}`;
    }
    const streamed = await fetch(target.url, {
      method: 'POST',
      headers: await headersFor(requestBody(true)),
      body: requestBody(true),
    });
    const events = await streamed.text();
    if (streamed.status !== 200) {
      return `stream request: status ${streamed.status}: ${events.slice(0, 300)}`;
    }
    if (!/^text\/event-stream/.test(streamed.headers.get('content-type') ?? '')) {
      return `stream request: content-type ${streamed.headers.get('content-type')}`;
    }
    if (!/data:\s*\[DONE\]\s*$/.test(events)) {
      return `stream request: does not end with "data: [DONE]": …${events.slice(-200)}`;
    }
    const joined = deltas(events);
    if (joined !== content) return `stream request: deltas join to ${JSON.stringify(joined)}`;
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** @param {string} events an SSE body of chat.completion.chunk events */
function deltas(events) {
  let joined = '';
  for (const line of events.split(/\r?\n/)) {
    const data = /^data:\s*(\{.*)$/.exec(line)?.[1];
    if (data === undefined) continue;
    const delta = JSON.parse(data)?.choices?.[0]?.delta?.content;
    if (typeof delta === 'string') joined += delta;
  }
  return joined;
}
