import { z } from 'zod';
import './meta.js';

/**
 * The `authz` section: roles and what each may do on `/v1` (the authorize stage). A role is a
 * list of permissions; a request is allowed when one permission of one of the caller's roles
 * grants its endpoint, its model alias and every feature it uses, at the authentication
 * strength the permission asks for. Anything not granted is refused: a role that is not listed
 * here grants nothing, and an empty section refuses every authenticated request.
 */

/** The `/v1` endpoints a permission can grant (pipeline/exchange.ts `Endpoint`, minus 405s). */
export const AUTHZ_ENDPOINTS = ['chat', 'embeddings', 'models'] as const;
export type AuthzEndpoint = (typeof AUTHZ_ENDPOINTS)[number];

/**
 * Features a chat request can use, each decided from the request body alone
 * (pipeline/authorize/features.ts). Chosen because each costs or exposes noticeably more than
 * a plain text completion: `stream` holds a connection and an upstream slot open, `tools`
 * lets the model drive the caller's functions, `images` and `audio` are expensive inputs (and
 * outputs) that carry personal data, `logprobs` helps extract a model.
 */
export const AUTHZ_FEATURES = ['audio', 'images', 'logprobs', 'stream', 'tools'] as const;
export type AuthzFeature = (typeof AUTHZ_FEATURES)[number];

/** Allowed in role names and alias names: what a claim or a config key can carry. */
const name = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/, 'expected letters, digits and . _ : @ / -');

const permissionSchema = z.strictObject({
  endpoints: z.array(z.enum(AUTHZ_ENDPOINTS)).min(1).meta({
    description:
      '`/v1` endpoints this permission grants: `chat` (`/v1/chat/completions`), `embeddings`, `models` (`GET /v1/models`, which lists only the aliases the caller may use).',
  }),
  aliases: z
    .array(z.union([z.literal('*'), name]))
    .default([])
    .meta({
      description:
        'Model aliases (keys of `models`) this permission grants on its endpoints, or `*` for every alias. Empty: none (enough for a `models`-only permission). An alias that is not configured is refused at start-up.',
    }),
  features: z.array(z.enum(AUTHZ_FEATURES)).default([]).meta({
    description:
      'Features a request may use under this permission: `stream` (`stream: true`), `tools` (`tools` or legacy `functions`), `images` (image content parts), `audio` (audio input parts, `modalities: [audio]` or `audio` output), `logprobs` (`logprobs` or `top_logprobs`). A request needs one permission that grants all the features it uses. Empty: plain requests only.',
  }),
  mfa: z.boolean().default(false).meta({
    description:
      "Requires multi-factor authentication: the access token's `acr` is one of `authz.mfa.acrValues`, or its `amr` names `mfa` or two factors of different kinds (RFC 8176: something known, had, or inherent). Otherwise 403 `authz.mfa_required` with an RFC 9470 step-up challenge. A service key never satisfies it.",
  }),
});

export const authzSchema = z.strictObject({
  roles: z.record(name, z.array(permissionSchema).min(1)).default({}).meta({
    description:
      "Roles and their permissions: `role: [ { endpoints, aliases, features, mfa }, … ]`. The caller's roles come from its access token (`auth.issuers[].claims.roles`) or its service key. Deny by default: a request is allowed only when one permission of one role grants its endpoint, alias and every feature it uses. Applies only when `/v1` is authenticated (`auth.issuers` or `auth.serviceKeys.enabled`); an anonymous `/v1` is not authorized at all.",
  }),
  mfa: z
    .strictObject({
      acrValues: z
        .array(
          z
            .string()
            .max(2048)
            .regex(
              /^[\x21\x23-\x5b\x5d-\x7e]+$/,
              'expected printable ASCII without spaces, quotes or backslashes (an acr value is a URI or a short name)',
            ),
        )
        .min(1)
        .default([
          'urn:rampart:acr:mfa',
          'urn:rampart:acr:phr',
          'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
        ])
        .meta({
          description:
            "`acr` values that count as multi-factor for `mfa: true`; the step-up challenge names them all in `acr_values`, in this order. Add your issuer's (Auth0 and Okta use the PAPE multi-factor URI; Entra and Keycloak use their own).",
        }),
    })
    .prefault({}),
});
