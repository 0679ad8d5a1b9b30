import { z } from 'zod';
import './meta.js';

/** The `admin` section: who may use the admin API (`/admin/v1`) and with which authentication. */
export const adminSchema = z.strictObject({
  role: z.string().min(1).max(256).default('admin').meta({
    description:
      'The role (from `auth.issuers[].claims.roles`) a caller of the admin API must hold (403 `authz.admin_required` otherwise).',
  }),
  requireMfa: z.boolean().default(true).meta({
    description:
      "Whether an admin must have signed in with more than one factor: the token's `acr` is one of `admin.mfaAcrValues`, or its `amr` names at least two methods (403 `authz.mfa_required` otherwise). Turn off only for an issuer that cannot express MFA in its tokens.",
  }),
  mfaAcrValues: z
    .array(z.string().min(1).max(256))
    .min(1)
    .default(['urn:rampart:acr:mfa', 'urn:rampart:acr:phr'])
    .meta({ description: '`acr` values that count as multi-factor authentication.' }),
});
