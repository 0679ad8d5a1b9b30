import type { ServerResponse } from 'node:http';
import { gatewayError } from '../errors.js';

/**
 * Per-exchange abort signals: aborted when the client goes away before the response is
 * complete, or when the gateway's shutdown grace runs out — so no upstream tokens are spent on
 * an answer nobody will read.
 *
 * The shutdown signal gets one listener for all exchanges, not one each: a listener per request
 * on a shared signal is what printed MaxListenersExceededWarning at 11 concurrent requests, and
 * AbortSignal.any, which avoids it, was several times dearer per request.
 */
export class ExchangeSignals {
  readonly #open = new Set<AbortController>();
  readonly #shutdown: AbortSignal;

  constructor(shutdown: AbortSignal) {
    this.#shutdown = shutdown;
    shutdown.addEventListener(
      'abort',
      () => {
        for (const controller of this.#open) controller.abort(shutdown.reason);
        this.#open.clear();
      },
      { once: true },
    );
  }

  /**
   * A signal for one response. The caller calls `closed` from the response's close listener
   * (one listener per request, shared with the exchange's end, is what the hot path affords).
   */
  forResponse(res: ServerResponse): { readonly signal: AbortSignal; closed(): void } {
    const controller = new AbortController();
    if (this.#shutdown.aborted) {
      controller.abort(this.#shutdown.reason);
      return { signal: controller.signal, closed: () => undefined };
    }
    this.#open.add(controller);
    return {
      signal: controller.signal,
      closed: () => {
        this.#open.delete(controller);
        if (!res.writableFinished) {
          controller.abort(
            gatewayError('request.client_closed', 'The client closed the connection.'),
          );
        }
      },
    };
  }
}
