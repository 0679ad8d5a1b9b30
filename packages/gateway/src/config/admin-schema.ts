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
      "Whether an admin must have signed in with more than one factor: by the same rule as `authz.roles` permissions with `mfa: true`: the token's `acr` is one of `authz.mfa.acrValues`, or its `amr` names `mfa` or two factors of different kinds (403 `authz.mfa_required` otherwise). Turn off only for an issuer that cannot express MFA in its tokens.",
  }),
});
