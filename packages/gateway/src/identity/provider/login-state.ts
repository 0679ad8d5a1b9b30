import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { gatewayError } from '../../errors.js';

/**
 * Where a login stands, kept server-side in the oidc-provider Interaction (its `result`, under
 * `rampart`, saved through the store adapter): never in a hidden field or a cookie. A result
 * without `login` grants nothing, so even a resumed half-done login is refused by the provider.
 */
export interface LoginState {
  /** Compared with the token every POST carries (a form field or `X-CSRF-Token`). */
  readonly csrf: string;
  readonly step:
    'credentials' | 'second-factor' | 'enrol-totp' | 'recovery-codes' | 'offer-passkey';
  readonly accountId?: string;
  readonly amr?: readonly string[];
  /** The outstanding WebAuthn challenge, spent by the first verification that reads it. */
  readonly challenge?: string;
  readonly enrolment?: { readonly uri: string; readonly secret: string };
}

export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * The interaction named by the path, found through its cookie (a request from another browser
 * has none), and its login state (a fresh one on the first visit). Throws `auth.login_expired`.
 */
export async function loadLogin(
  provider: Provider,
  request: FastifyRequest<{ Params: { uid: string } }>,
  reply: FastifyReply,
): Promise<{ interaction: Interaction; state: LoginState; fresh: boolean }> {
  const interaction: Interaction | undefined = await provider
    .interactionDetails(request.raw, reply.raw)
    .catch(() => undefined);
  if (interaction === undefined || interaction.uid !== request.params.uid) {
    throw gatewayError(
      'auth.login_expired',
      'This sign-in attempt has expired; start again from the app.',
    );
  }
  const saved = (interaction.result as { rampart?: LoginState } | undefined)?.rampart;
  return {
    interaction,
    state: saved ?? { csrf: randomBytes(24).toString('base64url'), step: 'credentials' },
    fresh: saved === undefined,
  };
}

/** Stores the state in the interaction, keeping the interaction's expiry. */
export async function saveLogin(interaction: Interaction, state: LoginState): Promise<void> {
  interaction.result = { rampart: state };
  await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
}

/**
 * CSRF protection for every POST: the interaction's token (constant-time compare) and, when the
 * browser sends `Origin`, the gateway's own origin. Throws `auth.login_forbidden`.
 */
export function checkPost(request: FastifyRequest, state: LoginState, ownOrigin: string): void {
  const origin = request.headers.origin;
  const token =
    request.headers['x-csrf-token'] ??
    (request.body as Record<string, unknown> | undefined)?.['csrf'];
  const ok =
    (origin === undefined || origin === ownOrigin) &&
    typeof token === 'string' &&
    Buffer.byteLength(token) === Buffer.byteLength(state.csrf) &&
    timingSafeEqual(Buffer.from(token), Buffer.from(state.csrf));
  if (!ok) throw gatewayError('auth.login_forbidden', 'Reload the sign-in page from the app.');
}
