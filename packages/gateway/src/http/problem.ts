import { isRampartError, type RampartError } from '@rampart/core';
import { gatewayError, type GatewayErrorCode } from '../errors.js';

/**
 * RFC 9457 problem documents. Every HTTP error Rampart sends is one of these, carrying the stable
 * `code`. An `error` member mirrors it in the OpenAI error shape so that OpenAI SDKs in apps
 * surface a useful message instead of a parse failure.
 */
export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly requestId: string;
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly code: string | null;
    readonly param: string | null;
  };
  readonly [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function problemType(code: string): string {
  return `urn:rampart:error:${code}`;
}

/**
 * An extension that becomes the `WWW-Authenticate` response header (sendProblem), not a member
 * of the document: a challenge is protocol, and the document already says what went wrong.
 */
export const WWW_AUTHENTICATE = 'wwwAuthenticate';

/** An extension that becomes the `DPoP-Nonce` response header (RFC 9449 section 9), likewise. */
export const DPOP_NONCE = 'dpopNonce';

export function toProblem(error: RampartError, requestId: string): ProblemDocument {
  const members: Record<string, unknown> = { ...error.extensions };
  delete members[WWW_AUTHENTICATE];
  delete members[DPOP_NONCE];
  return {
    ...members,
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    requestId,
    error: {
      message: error.message,
      ...(openAiFields(error.extensions['error']) ?? {
        type: error.code.split('.')[0] ?? 'error',
        code: error.code,
        param: null,
      }),
    },
  };
}

/**
 * An `error` extension supplies OpenAI's own `type`, `code` and `param` for the `error` member
 * (an upstream error the client caused: providers/http/upstream-errors.ts puts only allowlisted
 * values there), so SDKs and apps see what they would see from OpenAI: a field the upstream did
 * not give (or gave outside the allowlist) is null, as OpenAI sends it, not Rampart's code.
 * Without the extension, `type` is the code's family and `code` Rampart's code.
 */
function openAiFields(
  value: unknown,
): { type: string; code: string | null; param: string | null } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (key: string) => {
    const item = (value as Record<string, unknown>)[key];
    return typeof item === 'string' ? item : null;
  };
  return {
    type: field('type') ?? 'invalid_request_error',
    code: field('code'),
    param: field('param'),
  };
}

/** Any thrown value as a RampartError; unknown faults become `internal.error` with no detail leaked. */
export function asRampartError(error: unknown): RampartError {
  if (isRampartError(error)) return error;
  return gatewayError('internal.error', 'An unexpected error occurred.', { cause: error });
}

/** Serialized problem for places that write raw sockets or SSE (no Fastify reply available). */
export function problemJson(code: GatewayErrorCode, requestId: string, detail?: string): string {
  return JSON.stringify(toProblem(gatewayError(code, detail), requestId));
}
