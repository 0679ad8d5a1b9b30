import { errorFactory, type ErrorCatalogue } from '@rampart/core';

/**
 * The gateway's error catalogue: every code a client, an operator or an audit event can see.
 * Codes are never reused or renamed; docs/errors.md is generated from this table and CI fails
 * when it is stale. Details passed at throw sites must never carry a secret, token, prompt or PII.
 */
export const GATEWAY_ERRORS = {
  'config.invalid': {
    status: 500,
    title: 'Invalid configuration',
    doc: 'The configuration failed validation at start-up; the message names the key and the fix.',
  },
  'config.insecure': {
    status: 500,
    title: 'Insecure configuration refused',
    doc: 'The configuration combines options that would expose the gateway unsafely; the message names the key and the fix.',
  },
  'config.secret_missing': {
    status: 500,
    title: 'Secret not available',
    doc: 'A secret the configuration names is unset, empty or unreadable: a provider key (`apiKeyEnv`, `apiKeyFile`), a key source (`keys.<name>.file`, `keys.<name>.env`) or the TLS key pair. `problems` lists each with its key and fix. Checked before anything is opened; `rampart config check` reports the same. A provider marked `optional: true` is left out with a warning instead.',
  },
  'request.malformed_json': {
    status: 400,
    title: 'Malformed JSON body',
    doc: 'The request body is not valid JSON. Send a single JSON object.',
  },
  'request.unsupported_media_type': {
    status: 415,
    title: 'Unsupported content type',
    doc: 'The endpoint accepts only `application/json` bodies.',
  },
  'request.body_too_large': {
    status: 413,
    title: 'Request body too large',
    doc: "The body exceeds the route's limit (`limits.maxChatBodyBytes` for chat completions, `limits.maxBodyBytes` for the rest); send less or raise the limit.",
  },
  'request.headers_too_large': {
    status: 431,
    title: 'Request headers too large',
    doc: 'Too many headers or too many header bytes (`limits.maxHeaderCount`, `limits.maxHeaderBytes`).',
  },
  'request.invalid_parameter': {
    status: 400,
    title: 'Invalid request parameter',
    doc: 'A body field has the wrong type, is out of range or is unknown where unknown fields are refused; `errors` lists each path.',
  },
  'request.unsupported_by_provider': {
    status: 400,
    title: 'Not supported by this provider',
    doc: "Valid OpenAI that the model's provider type cannot honour (a parameter, content part, part field or tool type), refused rather than dropped silently; `errors` names each path. docs/parameters.md lists what each provider type translates and refuses, docs/anthropic.md the content parts. Use a model on another provider, or leave it out.",
  },
  'request.timeout': {
    status: 408,
    title: 'Request timed out',
    doc: 'The client did not send the whole request within `server.requestTimeoutMs`.',
  },
  'request.bad_request': {
    status: 400,
    title: 'Invalid request line or headers',
    doc: 'The HTTP request could not be parsed.',
  },
  'request.invalid_host': {
    status: 400,
    title: 'Missing or repeated Host header',
    doc: 'An HTTP/1.1 request must carry exactly one `Host` header (RFC 9112, section 3.2); two are refused rather than guessed between, since proxies may pick differently.',
  },
  'request.unsupported_content_encoding': {
    status: 415,
    title: 'Unsupported content encoding',
    doc: 'The body carries a `Content-Encoding` other than `identity`; send it uncompressed. (Refused rather than decompressed: a compressed body would escape the size bounds.)',
  },
  'request.expectation_failed': {
    status: 417,
    title: 'Expectation failed',
    doc: 'The `Expect` header asks for something other than `100-continue`, the only expectation HTTP defines.',
  },
  'request.client_closed': {
    status: 499,
    title: 'Client closed the request',
    doc: 'The client went away before the answer was complete; the upstream call was cancelled so no more tokens are spent. Seen in logs and metrics only.',
  },
  'attest.required': {
    status: 403,
    title: 'Attestation required',
    doc: "The route's attestation policy (`attestation.policy`) requires a request from a genuine, attested install of your app, and this one carried no valid attestation (no App Attest assertion or App Check token, and the device key was not attested with Android key attestation or Play Integrity within `attestation.attestedTtlSeconds`). docs/attestation.md shows what the app must send.",
  },
  'attest.malformed': {
    status: 400,
    title: 'Attestation evidence malformed',
    doc: 'The attestation object, assertion, certificate chain or token could not be decoded within its bounds (size, CBOR or JWT shape, format). `detail` names the platform and reason.',
  },
  'attest.signature_invalid': {
    status: 403,
    title: 'Attestation signature invalid',
    doc: 'A signature in the evidence does not verify: the assertion over the client data, a token signed by a key the platform does not publish, or a Play Integrity token that does not decrypt with your key.',
  },
  'attest.chain_untrusted': {
    status: 403,
    title: 'Attestation chain untrusted',
    doc: "The certificate chain does not lead to the platform's pinned root (Apple App Attestation Root CA, Google's hardware attestation roots).",
  },
  'attest.certificate_expired': {
    status: 403,
    title: 'Attestation certificate expired',
    doc: 'A certificate of the chain is outside its validity period (expired or not yet valid).',
  },
  'attest.certificate_revoked': {
    status: 403,
    title: 'Attestation certificate revoked',
    doc: "A certificate of the Android key attestation chain is listed as revoked or suspended in Google's attestation status list.",
  },
  'attest.challenge_mismatch': {
    status: 403,
    title: 'Attestation not bound to this request',
    doc: "The evidence does not carry the challenge, nonce or request binding it must (the challenge issued by `POST /attest/v1/challenges`, or this request's method, URL, body and DPoP proof).",
  },
  'attest.challenge_invalid': {
    status: 403,
    title: 'Challenge unknown or used',
    doc: 'The challenge is unknown, expired, already used, or was issued to another subject or device key. Ask for a new one.',
  },
  'attest.app_mismatch': {
    status: 403,
    title: 'Attestation for another app',
    doc: 'The evidence names an app this gateway does not accept: another bundle id or team id, package name, signing certificate, Firebase app id or project, or an App Attest environment not allowed (`attestation.appleAppAttest.environments`).',
  },
  'attest.counter_replay': {
    status: 403,
    title: 'Attestation counter replayed',
    doc: "The App Attest counter did not increase: the assertion was replayed, or the attestation was not the key's first use.",
  },
  'attest.replayed': {
    status: 403,
    title: 'Attestation token replayed',
    doc: 'The App Check token was already used and `attestation.firebaseAppCheck.replayProtection` accepts each token once.',
  },
  'attest.stale': {
    status: 403,
    title: 'Attestation evidence stale',
    doc: 'The token is too old or dated in the future (Play Integrity `timestampMillis`, App Check `exp`/`iat`).',
  },
  'attest.device_integrity': {
    status: 403,
    title: 'Device integrity insufficient',
    doc: 'The platform says the device or install falls short of the policy: device integrity label, licensing, Play Protect, risky apps, keystore security level, or verified boot state.',
  },
  'attest.key_unknown': {
    status: 403,
    title: 'Attested key unknown',
    doc: 'The App Attest key id is not registered, or was registered by another subject or device key. Register the key first (`POST /attest/v1/apple-app-attest`).',
  },
  'attest.device_key_required': {
    status: 403,
    title: 'Device key required',
    doc: "Attestation binds to the DPoP key of the caller's access token; this credential has none (a bearer token or a service key).",
  },
  'attest.platform_not_configured': {
    status: 404,
    title: 'Attestation platform not configured',
    doc: 'This gateway does not verify that platform: its `attestation.<platform>` section is not configured.',
  },
  'attest.unavailable': {
    status: 503,
    title: 'Attestation cannot be checked now',
    doc: "The evidence could not be verified right now (the platform's key set or revocation list cannot be fetched, the replay store or database cannot answer), so it is refused (fail closed). Retry shortly.",
  },
  'auth.token_missing': {
    status: 401,
    title: 'Access token required',
    doc: 'The request carries no `Authorization: Bearer <access token>` (or `DPoP <token>`) header, or another scheme. Log in and send the access token your issuer gave the app; the `WWW-Authenticate` header names the schemes accepted.',
  },
  'auth.token_too_large': {
    status: 401,
    title: 'Access token too large',
    doc: 'The access token is longer than `auth.maxTokenBytes`; it is refused before it is decoded.',
  },
  'auth.token_malformed': {
    status: 401,
    title: 'Malformed access token',
    doc: 'The access token is not a signed JWT in compact form (three base64url parts, a JSON header and payload, a signature): truncated, stripped of its signature, or not a JWT at all.',
  },
  'auth.token_invalid': {
    status: 401,
    title: 'Invalid access token',
    doc: "The access token failed verification against its issuer's pinned keys and rules: a bad signature, an algorithm the issuer is not configured for (`none` and HS* never are), a key id not in the issuer's JWKS, an audience not in `auth.issuers[].audiences`, or a missing `sub` or `exp`. Headers such as `jku`, `x5u` or `jwk` are never trusted. Get a new token.",
  },
  'auth.token_expired': {
    status: 401,
    title: 'Access token expired',
    doc: "The access token's `exp` is past (beyond `clockSkewSeconds`). Refresh it and retry.",
  },
  'auth.token_not_yet_valid': {
    status: 401,
    title: 'Access token not yet valid',
    doc: "The access token's `nbf` or `iat` lies in the future beyond the issuer's `clockSkewSeconds`: a clock is wrong, on the device's issuer or on the gateway.",
  },
  'auth.issuer_unknown': {
    status: 401,
    title: 'Token issuer not trusted',
    doc: "The access token's `iss` is not listed in `auth.issuers`.",
  },
  'auth.issuer_unavailable': {
    status: 503,
    title: 'Token issuer unavailable',
    doc: "The issuer's JWKS (`auth.issuers[].jwksUri`) could not be fetched or was not a valid key set, so the token could be neither accepted nor refused; the gateway fails closed. Retry later; the operator should check the issuer's reachability.",
  },
  'auth.dpop_required': {
    status: 401,
    title: 'DPoP proof required',
    doc: 'The access token is bound to a device key (`cnf.jkt`), so it must be sent as `Authorization: DPoP <token>` together with a `DPoP` proof header (RFC 9449), not as a Bearer token.',
  },
  'auth.dpop_invalid': {
    status: 401,
    title: 'Invalid DPoP proof',
    doc: "The `DPoP` proof is missing, repeated or fails RFC 9449's checks: `typ` `dpop+jwt`, an algorithm of `auth.dpop.algorithms`, a public `jwk` whose signature verifies, `htm` and `htu` naming this request's method and URL under `server.publicUrl`, an `iat` within `auth.dpop.maxAgeSeconds` (plus the issuer's clock skew), an `ath` that hashes this access token, a `jti`, and a key whose thumbprint is the token's `cnf.jkt`. Sign a fresh proof for each request with the key the token is bound to.",
  },
  'auth.dpop_replayed': {
    status: 401,
    title: 'DPoP proof replayed',
    doc: 'A DPoP proof with this `jti` was already presented with this key within its validity window; a proof is good for one request. Sign a fresh one.',
  },
  'auth.replay_cache_full': {
    status: 503,
    title: 'Replay cache full',
    doc: 'The in-memory DPoP replay cache holds `auth.dpop.maxReplayEntries` proofs still inside their window, so a new one cannot be remembered and is refused rather than risking a replay. Retry shortly; raise the bound if this is real traffic.',
  },
  'auth.replay_cache_unavailable': {
    status: 503,
    title: 'Replay cache unavailable',
    doc: 'The shared DPoP replay cache (Redis, `redis.url`) could not be reached within `redis.commandTimeoutMs`, so the proof could be neither accepted nor refused as a replay; the gateway fails closed. Retry shortly; the operator should check Redis (`/readyz` reports it).',
  },
  'auth.dpop_nonce_required': {
    status: 401,
    title: 'DPoP nonce required',
    doc: 'The DPoP proof carries no server nonce, or one that is no longer accepted (`auth.dpop.nonce.required`, RFC 9449 section 9). The response carries `WWW-Authenticate: DPoP error="use_dpop_nonce"` and the nonce to use in `DPoP-Nonce`: sign a new proof with it as the `nonce` claim and retry.',
  },
  'auth.dev_token_refused': {
    status: 400,
    title: 'Development tokens are for demo mode only',
    doc: '`rampart token --dev` mints a 5-minute bearer token only in demo mode (no provider configured, `auth.mode: required`); once a provider is configured such tokens are neither minted nor accepted (their issuer is unknown). Apps get tokens through OAuth 2.0 (docs/identity.md), servers use service keys.',
  },
  'auth.token_revoked': {
    status: 401,
    title: 'Token revoked',
    doc: 'The access token was valid but has been revoked: its device key (`cnf.jkt`), its session (`sid`), or every token its subject held before a given moment was revoked by an administrator (`/admin/v1`, `rampart admin`). Sign in again; a revoked device must enrol a new key.',
  },
  'authz.admin_required': {
    status: 403,
    title: 'Administrator role required',
    doc: 'The admin API (`/admin/v1`) needs a token carrying the `admin.role` role.',
  },
  'auth.service_key_invalid': {
    status: 401,
    title: 'Invalid service key',
    doc: 'The `rk_…` service key is malformed, unknown, or its secret does not match (one answer for all three, so that a caller learns nothing about which key ids exist); or service keys are not enabled (`auth.serviceKeys.enabled`); or it was sent with the `DPoP` scheme or a `DPoP` header — service keys are bearer credentials for server-to-server callers, never for mobile apps. Use the key exactly as `rampart admin create-key` printed it, as `Authorization: Bearer rk_…`.',
  },
  'auth.service_key_expired': {
    status: 401,
    title: 'Service key expired',
    doc: 'The service key is genuine but past its `expires_at`. Only a caller holding the right secret gets this answer. Create a new key (`rampart admin create-key`) and revoke the old one.',
  },
  'auth.service_key_revoked': {
    status: 401,
    title: 'Service key revoked',
    doc: 'The service key is genuine but was revoked (`rampart admin revoke-key`). Only a caller holding the right secret gets this answer. Revocation takes effect on the next request (see `auth.serviceKeys.cacheTtlMs`).',
  },
  'authz.endpoint_forbidden': {
    status: 403,
    title: 'Endpoint not allowed',
    doc: "None of the caller's roles grants this endpoint (`chat`, `embeddings` or `models` in `authz.roles.<role>[].endpoints`). Authorization denies by default: a role that is not configured grants nothing. Refused before the body is read.",
  },
  'authz.alias_forbidden': {
    status: 403,
    title: 'Model not allowed',
    doc: "None of the caller's roles grants this model alias on this endpoint (`authz.roles.<role>[].aliases`), or the service key is limited to other aliases. The answer is the same whether the alias exists or not, so a caller without rights learns nothing about which models are configured.",
  },
  'authz.feature_forbidden': {
    status: 403,
    title: 'Feature not allowed',
    doc: 'The request uses a feature (`stream`, `tools`, `images`, `audio`, `logprobs`) that no permission granting this endpoint and alias to the caller allows (`authz.roles.<role>[].features`). The detail names the features the request used.',
  },
  'authz.mfa_required': {
    status: 403,
    title: 'Multi-factor authentication required',
    doc: 'The permission that would allow this request requires multi-factor authentication (`mfa: true`) and the access token does not show it: its `acr` is not one of `authz.mfa.acrValues` and its `amr` names neither `mfa` nor two factors of different kinds. The `WWW-Authenticate` header carries an RFC 9470 step-up challenge (`error="insufficient_user_authentication"`, `acr_values`): authenticate again with a second factor and retry with the new token. A service key never satisfies it. The admin API (`/admin/v1`) refuses with it too, by the same rule, when `admin.requireMfa` is on.',
  },
  'admin.not_found': {
    status: 404,
    title: 'Not found',
    doc: "No such user, device or session in the administrator's tenant. Whether it exists in another tenant is not told.",
  },
  'admin.invalid_request': {
    status: 400,
    title: 'Invalid admin request',
    doc: 'A path segment or query parameter of an admin API request is missing, too long or malformed; the detail names which.',
  },
  'admin.invalid_body': {
    status: 400,
    title: 'Invalid admin request body',
    doc: 'The JSON body of an admin API request (`POST /admin/v1/accounts`, `PATCH /admin/v1/accounts/{username}`, `POST /admin/v1/service-keys`) is missing, not JSON, has an unknown field, a field of the wrong type or beyond its bound, or asks for what this configuration cannot give: a role not in `authz.roles`, a model alias not configured or not granted by the roles, a lifetime beyond `auth.serviceKeys.maxLifetimeDays`. The detail (and `problems`, for a service key) names each field and the fix. Bodies are read only after the administrator is authenticated and are at most 16 KiB.',
  },
  'admin.role_forbidden': {
    status: 403,
    title: 'Role not grantable',
    doc: 'A new account or service key would carry a role the administrator may not grant. An administrator grants only the roles it holds itself and the `/v1` roles configured in `authz.roles`, so it can never create a principal stronger than itself. The detail names the refused roles.',
  },
  'admin.tenant_forbidden': {
    status: 403,
    title: 'Other tenant',
    doc: "The body names a tenant other than the administrator's own. An administrator creates accounts and service keys only in its own tenant (an administrator without a tenant: only without one); leave `tenant` out. The answer is the same whichever tenant was named, existing or not.",
  },
  'auth.login_expired': {
    status: 400,
    title: 'Login expired',
    doc: 'The login page was used outside its sign-in attempt: the attempt expired (10 minutes), its cookie is missing, or the step was already done. Return to the app and start the login again.',
  },
  'auth.login_forbidden': {
    status: 403,
    title: 'Login request refused',
    doc: "A login form or passkey request came without the sign-in attempt's CSRF token, or from another origin than `server.publicUrl`. Reload the login page from the app.",
  },
  'auth.login_throttled': {
    status: 429,
    title: 'Too many login attempts',
    doc: 'The account or the address made too many failed attempts; nothing was checked. `Retry-After` says when to try again.',
  },
  'auth.passkey_rejected': {
    status: 401,
    title: 'Passkey not accepted',
    doc: 'The passkey ceremony did not verify (unknown credential, no user verification, wrong challenge or origin). Try again, or sign in another way.',
  },
  'route.not_found': {
    status: 404,
    title: 'Not found',
    doc: 'No route answers this method and path.',
  },
  'route.method_not_allowed': {
    status: 405,
    title: 'Method not allowed',
    doc: 'The path exists but not for this HTTP method.',
  },
  'cors.origin_denied': {
    status: 403,
    title: 'Origin not allowed',
    doc: 'A browser request came from an origin not listed in `server.cors.origins`.',
  },
  'meter.rate_limited': {
    status: 429,
    title: 'Rate limit reached',
    doc: 'A request window of `meter.limits` is used up for this caller (or device, app, tenant, IP or model, as the limit is keyed). `limit` names it; wait `Retry-After` seconds. The `RateLimit` and `RateLimit-Policy` headers say the quota and when the window resets.',
  },
  'meter.concurrency_limited': {
    status: 429,
    title: 'Too many open streams',
    doc: 'The caller already holds as many open streams as a `concurrentStreams` limit of `meter.limits` allows; `limit` names it. Finish or close a stream, then retry.',
  },
  'meter.unavailable': {
    status: 503,
    title: 'Rate limiting unavailable',
    doc: 'The counter store (Redis) could not answer, and the limit fails closed (`failOpen: false`, the default), so the request was not admitted unchecked. Retry shortly; operators see `rampart_meter_decisions_total{outcome="unavailable"}`.',
  },
  'meter.cap_exceeded': {
    status: 400,
    title: 'Request beyond a cap',
    doc: 'The request asks for more than a cap of `meter.caps` allows this caller on this model: `max_tokens` or `max_completion_tokens` (when the cap refuses rather than clamps), `n`, `top_logprobs`, `tools` (tool and function definitions together) or `messages` (characters of prompt text; 400 as OpenAI answers an over-long prompt). `parameter` names it, `max` the most allowed, `cap` the cap. Ask for less and retry.',
  },
  'meter.logprobs_forbidden': {
    status: 400,
    title: 'Log probabilities not available',
    doc: 'The request asks for log probabilities (`logprobs: true` or `top_logprobs`) and a cap of `meter.caps` refuses them for this caller on this model (they make the model cheaper to copy); `cap` names it. Send the request without them.',
  },
  'model.unknown_alias': {
    status: 404,
    title: 'Unknown model',
    doc: 'The `model` names no alias in the configuration; `GET /v1/models` lists the ones you may use.',
  },
  'model.wrong_kind': {
    status: 400,
    title: 'Model does not serve this endpoint',
    doc: 'The alias exists but is configured for another endpoint (chat versus embeddings).',
  },
  'upstream.timeout': {
    status: 504,
    title: 'Upstream timed out',
    doc: 'The AI provider did not answer within the provider timeout, or answered 408.',
  },
  'upstream.unreachable': {
    status: 502,
    title: 'Upstream unreachable',
    doc: 'The AI provider refused or dropped the connection.',
  },
  'upstream.server_error': {
    status: 502,
    title: 'Upstream failed',
    doc: "The AI provider answered with a 5xx status (Anthropic's 529 `overloaded_error` included).",
  },
  'upstream.rate_limited': {
    status: 503,
    title: 'Upstream rate limited',
    doc: 'The AI provider answered 429 (other than for an exhausted quota, which is `upstream.quota_exceeded`); retry after the `Retry-After` delay.',
  },
  'upstream.rejected': {
    status: 502,
    title: 'Upstream rejected the request',
    doc: 'The AI provider answered with a 4xx status that names neither a fault of the request nor a part of the configuration (405, 409, 415, 451, …; see docs/upstream-errors.md). (Earlier versions sent this code for every upstream 4xx other than 429.)',
  },
  'upstream.request_invalid': {
    status: 400,
    title: 'Upstream refused the request as invalid',
    doc: "The AI provider answered 400 or 422: something in the request is wrong for this model (an invalid image, tool schema or parameter value). Not worth retrying unchanged. `error.type`, `error.code` and `error.param` carry the provider's own values when they are documented OpenAI values (docs/upstream-errors.md).",
  },
  'upstream.context_length_exceeded': {
    status: 400,
    title: 'Context window exceeded',
    doc: "The AI provider answered 400 with code `context_length_exceeded`: the messages plus the requested completion do not fit the model's context window. Shorten the conversation or lower `max_tokens`; `error.code` is `context_length_exceeded` as with OpenAI (docs/upstream-errors.md).",
  },
  'upstream.content_filtered': {
    status: 400,
    title: 'Refused by the provider content policy',
    doc: "The AI provider's content policy refused the request (OpenAI `content_policy_violation`, `invalid_prompt`, Azure `content_filter`, …); `error.code` carries that value (docs/upstream-errors.md).",
  },
  'upstream.request_too_large': {
    status: 413,
    title: 'Request too large for the upstream',
    doc: 'The AI provider answered 413 (Anthropic `request_too_large`): send less, for example fewer or smaller images (docs/upstream-errors.md).',
  },
  'upstream.auth_failed': {
    status: 502,
    title: 'Upstream refused the provider key',
    doc: 'The AI provider answered 401 (OpenAI `invalid_api_key`, Anthropic `authentication_error`): the key named by `providers.<name>.apiKeyEnv` or `apiKeyFile` is wrong, revoked or for another organisation. An operator fix; the app cannot fix it (docs/upstream-errors.md).',
  },
  'upstream.permission_denied': {
    status: 502,
    title: 'Provider key lacks permission',
    doc: 'The AI provider answered 403 (Anthropic `permission_error`, OpenAI `unsupported_country_region_territory`): the provider key may not use this model or endpoint, or not from where the gateway runs. An operator fix (docs/upstream-errors.md).',
  },
  'upstream.model_not_found': {
    status: 502,
    title: 'Upstream model not found',
    doc: 'The AI provider answered 404 or 410, or code `model_not_found`: `models.<alias>.model` names a model the provider does not have (or no longer has, or the key cannot see), or `providers.<name>.baseUrl` points at no such endpoint. An operator fix (docs/upstream-errors.md).',
  },
  'upstream.quota_exceeded': {
    status: 502,
    title: 'Provider quota exhausted',
    doc: "The provider account behind the gateway is out of quota or credit: OpenAI's 429 `insufficient_quota` (or `billing_hard_limit_reached`), Anthropic's 402 `billing_error`. Retrying does not help; the operator must top up or raise the limit (docs/upstream-errors.md).",
  },
  'upstream.malformed_response': {
    status: 502,
    title: 'Malformed upstream response',
    doc: 'The AI provider answered with a body that is not the JSON or event stream its API promises.',
  },
  'upstream.response_too_large': {
    status: 502,
    title: 'Upstream response too large',
    doc: 'The AI provider answer exceeds `providers.<name>.maxResponseBytes`.',
  },
  'upstream.stream_interrupted': {
    status: 502,
    title: 'Upstream stream interrupted',
    doc: 'The AI provider event stream ended or failed before completion; sent as a terminal SSE `error` event.',
  },
  'server.shutting_down': {
    status: 503,
    title: 'Shutting down',
    doc: 'The gateway is draining for shutdown; retry against another replica.',
  },
  'server.not_ready': {
    status: 503,
    title: 'Not ready',
    doc: 'A dependency (the database, or Redis when `redis.url` is set) is not reachable; `/readyz` reports which.',
  },
  'store.unavailable': {
    status: 503,
    title: 'Database unavailable',
    doc: 'The database could not be opened or reached (the SQLite file under `dataDir`, or `database.url` — named without its password), or the store is closed.',
  },
  'store.migration_failed': {
    status: 500,
    title: 'Database migration failed',
    doc: 'A schema migration failed at start-up, or the database was migrated by a newer Rampart; the message names the migration. Fix the cause (or upgrade) and restart.',
  },
  'redis.unavailable': {
    status: 503,
    title: 'Redis unavailable',
    doc: 'Redis (`redis.url`, named without its password) could not be reached within `redis.connectTimeoutMs` at start-up, or the connection is closed. Start Redis or fix the URL.',
  },
  'keys.unreadable': {
    status: 500,
    title: 'Key not readable',
    doc: 'A key file or environment variable named as a key source is missing, empty, too large or unreadable; the message names it (see docs/keys.md).',
  },
  'keys.insecure_permissions': {
    status: 500,
    title: 'Key file permissions too open',
    doc: 'A key file, or the `keys/` directory, is accessible by group or others; the message names it. Fix: `chmod 600 FILE` (`chmod 700` for the directory).',
  },
  'keys.invalid': {
    status: 500,
    title: 'Invalid key',
    doc: 'A key file or variable is not a valid Rampart key set or JWK of the expected type; the message names the source and the field, never the key material (see docs/keys.md).',
  },
  'keys.read_only': {
    status: 409,
    title: 'Key supplied externally',
    doc: 'Rotation was asked for a key read from a file or environment variable; Rampart never rewrites those, so rotate it where it is stored (see docs/keys.md).',
  },
  'account.invalid': {
    status: 400,
    title: 'Invalid account field',
    doc: 'A username, role or tenant given to create an account is malformed: usernames are 1–64 letters, digits, marks or `._@+-` (compared case-insensitively after NFKC), roles and tenants 1–64 of `a-z 0-9 _ -` starting with a letter. The message names the field.',
  },
  'account.username_taken': {
    status: 409,
    title: 'Username taken',
    doc: 'An account with this username (compared after NFKC and case folding) already exists.',
  },
  'account.password_rejected': {
    status: 400,
    title: 'Password rejected',
    doc: 'The new password is shorter than `accounts.minPasswordLength`, longer than 1024 bytes, equal to the username, or one of the most common passwords. Choose a longer passphrase.',
  },
  'account.unavailable': {
    status: 404,
    title: 'Account unavailable',
    doc: 'The account named by an enrolment step (TOTP or passkey) does not exist or is disabled.',
  },
  'account.totp_already_enrolled': {
    status: 409,
    title: 'TOTP already enrolled',
    doc: 'TOTP enrolment was started for an account that has a confirmed TOTP secret; a second-factor secret is never replaced by a login step.',
  },
  'internal.error': {
    status: 500,
    title: 'Internal error',
    doc: 'An unexpected fault; the request id in the response finds it in the logs.',
  },
} as const satisfies ErrorCatalogue<string>;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

export const gatewayError = errorFactory<GatewayErrorCode>(GATEWAY_ERRORS);
