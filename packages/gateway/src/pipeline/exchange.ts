import type { GatewayErrorCode } from '../errors.js';
import type { ChatStream, JsonObject, Usage } from '../providers/types.js';
import type { ModelRoute } from './parse/router.js';
import type { ChatRequest, EmbeddingsRequest } from './parse/schemas.js';

/** The `/v1` endpoints, named once: stages branch on this, never on a URL. */
export type Endpoint = 'chat' | 'embeddings' | 'models' | 'method_not_allowed';

/**
 * Who is calling, as the authenticate stage verified it from an access token; what authorize
 * and meter key on. Never logged as a whole (the subject is personal data).
 */
export interface Principal {
  /** `sub`, unique within the issuer. */
  readonly subject: string;
  /** `iss` of the verified token. */
  readonly issuer: string;
  /** The tenant the token's claims map to (config), if any. */
  readonly tenant: string | undefined;
  /** Roles the token's claims map to (config); authorize decides what they may do. */
  readonly roles: readonly string[];
  /** Authentication context class (`acr`), for routes that demand MFA. */
  readonly acr: string | undefined;
  /** Authentication methods (`amr`), e.g. `pwd`, `otp`, `hwk`. */
  readonly amr: readonly string[];
  /** RFC 7638 thumbprint of the DPoP key the token is bound to (`cnf.jkt`), when it is. */
  readonly deviceJkt: string | undefined;
  /** `jti`, for revocation. */
  readonly tokenId: string | undefined;
  /** `sid`: the sign-in session the token belongs to (the embedded provider puts its grant id there). */
  readonly sessionId: string | undefined;
  /** `iat` in seconds since the epoch: a subject's revocation refuses tokens issued before it. */
  readonly issuedAt: number | undefined;
  /** What the caller presented: an access token, or a service key (`rk_…`, server-to-server). */
  readonly credential: 'access_token' | 'service_key';
  /**
   * Service keys only: the aliases the key is limited to, on top of what its roles grant
   * (authorize allows the intersection). Undefined: whatever the roles grant.
   */
  readonly aliases?: readonly string[] | undefined;
  /** `client_id`: the app the token was issued to (RFC 9068). */
  readonly clientId: string | undefined;
}

/**
 * The attest stage's finding: `attested` by a platform (per-request evidence, or a device key
 * attested at registration and still valid), `unattested`, or `unavailable` when evidence could
 * not be checked and the policy let the request through (preferred). `downgradedFrom` names the
 * alias the client asked for when the policy served another (`onUnattested: downgrade`).
 */
export interface Integrity {
  readonly status: 'attested' | 'unattested' | 'unavailable';
  readonly platform?: string;
  readonly downgradedFrom?: string;
}

/** The validated client request, by endpoint (set by the parse stage). */
export type ParsedRequest =
  | { readonly kind: 'chat'; readonly body: ChatRequest }
  | { readonly kind: 'embeddings'; readonly body: EmbeddingsRequest };

/**
 * What the stages learn about one `/v1` request, created in its first hook and handed to every
 * phase of every stage. Each slot is written by the stage named beside it and read by later
 * ones; stages that land later (authenticate: subject and device; attest: integrity; guards:
 * verdicts) add their slots here. Nothing in it is logged as is: it holds the prompt.
 */
export interface Exchange {
  readonly requestId: string;
  readonly endpoint: Endpoint;
  /** The route template (`/v1/chat/completions`): a bounded label, never the raw URL. */
  readonly routeTemplate: string;
  /** `performance.now()` when the exchange began. */
  readonly startedAt: number;
  /**
   * Aborted when the client goes away or the shutdown grace runs out; the reason is a
   * RampartError (`request.client_closed`, `server.shutting_down`). Upstream calls use it.
   */
  readonly signal: AbortSignal;
  /** authenticate: the verified caller; undefined while `/v1` is anonymous. */
  principal: Principal | undefined;
  /** authenticate: a fresh DPoP server nonce the answer carries in `DPoP-Nonce` (RFC 9449 section 8.2). */
  dpopNonce: string | undefined;
  /**
   * Headers the answer carries, success or refusal (meter: `RateLimit`, `RateLimit-Policy`,
   * `x-ratelimit-*`), lower-case names. Undefined when no stage set any.
   */
  responseHeaders: Record<string, string> | undefined;
  /**
   * attest: base64url SHA-256 of the body bytes. `null` asks the body reader (plugin.ts) to
   * compute it, which it does only then; undefined when nobody asked.
   */
  bodySha256: string | null | undefined;
  /** attest: whether this request came from an attested install (undefined when not asked). */
  integrity: Integrity | undefined;
  /** parse: the validated body. */
  request: ParsedRequest | undefined;
  /** parse: what the alias resolved to. */
  route: ModelRoute | undefined;
  /** parse, then input guards: the body to send upstream (upstream model name, not the alias). */
  upstreamBody: JsonObject | undefined;
  /** proxy: the upstream stream, while one is open. */
  upstreamStream: ChatStream | undefined;
  /** True once a streamed response started. */
  streamed: boolean;
  /** proxy: token usage as far as it is known (a cut stream knows part of it, or nothing). */
  usage: Usage | undefined;
  /** The catalogue code the exchange ended with: a refusal, or a failure after the first byte. */
  outcome: GatewayErrorCode | undefined;
  /** The final HTTP status, set when the exchange ends (499 when the client left first). */
  status: number | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    exchange: Exchange | null;
  }
  interface FastifyContextConfig {
    /** Which `/v1` endpoint a route serves (routes.ts); absent outside `/v1`. */
    endpoint?: Endpoint;
  }
}

export function newExchange(
  requestId: string,
  endpoint: Endpoint,
  routeTemplate: string,
  signal: AbortSignal,
  startedAt = performance.now(),
): Exchange {
  return {
    requestId,
    endpoint,
    routeTemplate,
    startedAt,
    signal,
    principal: undefined,
    dpopNonce: undefined,
    responseHeaders: undefined,
    bodySha256: undefined,
    integrity: undefined,
    request: undefined,
    route: undefined,
    upstreamBody: undefined,
    upstreamStream: undefined,
    streamed: false,
    usage: undefined,
    outcome: undefined,
    status: undefined,
  };
}
