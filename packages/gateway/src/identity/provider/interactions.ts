import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { gatewayError } from '../../errors.js';
import type { AccountService, AccountView, CredentialOutcome } from '../accounts/service.js';
import { combineAmr, acrFor } from './acr.js';
import { API_SCOPE, LOGIN_PATH } from './constants.js';
import { installLoginHttp } from './login-http.js';
import {
  checkPost,
  loadLogin,
  saveLogin,
  type Interaction,
  type LoginState,
} from './login-state.js';
import {
  credentialsPage,
  enrolTotpPage,
  offerPasskeyPage,
  recoveryCodesPage,
  secondFactorPage,
} from './pages.js';

export interface InteractionDeps {
  /** The provider instance of the moment (rebuilt when the keys change: install.ts). */
  readonly provider: () => Provider;
  readonly accounts: AccountService;
  /** `server.publicUrl`: a POST's `Origin`, when sent, must be its origin. */
  readonly issuer: string;
  readonly audience: string;
  /** Schemes and origins the login may finally redirect to (CSP `form-action`). */
  readonly redirectTargets: readonly string[];
}

/**
 * The login pages as Fastify routes under `/login/<uid>` (the interaction URL oidc-provider
 * redirects to): username and password or a passkey; then TOTP or a recovery code when the
 * account has TOTP; forced TOTP enrolment when the account must enrol; then an optional passkey
 * registration. Every POST needs the interaction's CSRF token and, when the browser sends one,
 * a same-origin `Origin`. Pages carry a strict CSP and no third-party asset.
 */
export function installInteractions(app: FastifyInstance, deps: InteractionDeps): void {
  const { provider, accounts } = deps;
  const ownOrigin = new URL(deps.issuer).origin;

  void app.register((scope, _options, done) => {
    installLoginHttp(scope, deps.redirectTargets);

    const html = (reply: FastifyReply, body: string, status = 200) =>
      reply.status(status).type('text/html; charset=utf-8').send(body);

    const load = (request: FastifyRequest<{ Params: { uid: string } }>, reply: FastifyReply) =>
      loadLogin(provider(), request, reply);

    const form = (interaction: Interaction, state: LoginState) => ({
      uid: interaction.uid,
      csrf: state.csrf,
    });

    /** Renders the page of the current step. */
    const render = (interaction: Interaction, state: LoginState, message?: string): string => {
      const context = form(interaction, state);
      switch (state.step) {
        case 'second-factor':
          return secondFactorPage(context, message);
        case 'enrol-totp':
          return enrolTotpPage(context, state.enrolment ?? { uri: '', secret: '' }, message);
        case 'offer-passkey':
          return offerPasskeyPage(context, message);
        case 'recovery-codes':
          return recoveryCodesPage(context, []);
        default:
          return credentialsPage(context, message);
      }
    };

    /** Ends the login: a fresh grant (its id is the token's `sid`), then back to the provider. */
    const finish = async (
      request: FastifyRequest,
      reply: FastifyReply,
      interaction: Interaction,
      state: LoginState,
    ) => {
      const accountId = state.accountId as string;
      const amr = [...(state.amr ?? [])];
      const current = provider();
      const grant = new current.Grant({
        accountId,
        clientId: String(interaction.params['client_id']),
      });
      const scope = interaction.params['scope'];
      const requested = new Set(typeof scope === 'string' ? scope.split(' ') : []);
      const oidcScopes = ['openid', 'offline_access', API_SCOPE].filter((scope) =>
        requested.has(scope),
      );
      if (oidcScopes.length > 0) grant.addOIDCScope(oidcScopes.join(' '));
      grant.addResourceScope(deps.audience, API_SCOPE);
      const grantId = await grant.save();
      return current.interactionResult(
        request.raw,
        reply.raw,
        { login: { accountId, acr: acrFor(amr), amr, remember: false }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    };

    /** After the factors: forced enrolment, then the passkey offer, then the end. */
    const afterFactors = async (
      account: AccountView,
      amr: readonly string[],
      state: LoginState,
    ): Promise<LoginState> => {
      const next = { csrf: state.csrf, accountId: account.id, amr };
      if (account.mustEnrollTotp && !account.totpEnrolled) {
        const enrolment = await accounts.beginTotpEnrolment(account.id);
        return {
          ...next,
          step: 'enrol-totp',
          enrolment: { uri: enrolment.uri, secret: enrolment.secret },
        };
      }
      return { ...next, step: 'offer-passkey' };
    };

    /** Applies a credential outcome: a throttled or invalid one re-renders the step. */
    const outcome = (
      reply: FastifyReply,
      interaction: Interaction,
      state: LoginState,
      result: CredentialOutcome,
      invalidMessage: string,
    ) => {
      if (result.status === 'throttled') {
        reply.header('retry-after', String(result.retryAfterSeconds));
        return html(
          reply,
          render(
            interaction,
            state,
            `Too many attempts. Try again in ${result.retryAfterSeconds} seconds.`,
          ),
          429,
        );
      }
      return html(reply, render(interaction, state, invalidMessage), 401);
    };

    type Req = FastifyRequest<{
      Params: { uid: string; step: string };
      Body: Record<string, unknown> | undefined;
    }>;
    /** A form field; missing, not a string or longer than `max`: empty (checked as wrong). */
    const field = (request: Req, name: string, max: number): string => {
      const value = request.body?.[name];
      return typeof value === 'string' && value.length <= max ? value : '';
    };

    scope.get<{ Params: { uid: string } }>(`${LOGIN_PATH}/:uid`, async (request, reply) => {
      const loaded = await load(request, reply);
      if (loaded.fresh) await saveLogin(loaded.interaction, loaded.state);
      return html(reply, render(loaded.interaction, loaded.state));
    });

    scope.post(`${LOGIN_PATH}/:uid/:step`, async (request: Req, reply) => {
      const loaded = await load(request, reply);
      const { interaction } = loaded;
      const state = loaded.state;
      checkPost(request, state, ownOrigin);
      const source = { ip: request.ip };
      const { step } = request.params;
      const expect = (...steps: LoginState['step'][]) => {
        if (!steps.includes(state.step))
          throw gatewayError(
            'auth.login_expired',
            'This step of the sign-in is not the current one; reload the page.',
          );
      };

      switch (step) {
        case 'password': {
          expect('credentials');
          const result = await accounts.verifyPassword(
            field(request, 'username', 256),
            field(request, 'password', 1024),
            source,
          );
          if (result.status !== 'valid')
            return outcome(reply, interaction, state, result, 'Wrong username or password.');
          if (result.account.totpEnrolled) {
            const next: LoginState = {
              csrf: state.csrf,
              step: 'second-factor',
              accountId: result.account.id,
              amr: result.amr,
            };
            await saveLogin(interaction, next);
            return reply.redirect(`${LOGIN_PATH}/${interaction.uid}`, 303);
          }
          await saveLogin(interaction, await afterFactors(result.account, result.amr, state));
          return reply.redirect(`${LOGIN_PATH}/${interaction.uid}`, 303);
        }
        case 'second-factor': {
          expect('second-factor');
          const result = await accounts.verifySecondFactor(
            state.accountId as string,
            field(request, 'code', 64),
            source,
          );
          if (result.status !== 'valid')
            return outcome(reply, interaction, state, result, 'That code is not valid.');
          await saveLogin(
            interaction,
            await afterFactors(result.account, combineAmr(state.amr ?? [], result.amr), state),
          );
          return reply.redirect(`${LOGIN_PATH}/${interaction.uid}`, 303);
        }
        case 'enrol-totp': {
          expect('enrol-totp');
          const codes = await accounts.confirmTotpEnrolment(
            state.accountId as string,
            field(request, 'code', 16),
          );
          if (codes === undefined)
            return html(reply, render(interaction, state, 'That code is not valid.'), 401);
          // The confirmation proved possession of the new authenticator: a second factor.
          const next: LoginState = {
            csrf: state.csrf,
            step: 'recovery-codes',
            accountId: state.accountId as string,
            amr: combineAmr(state.amr ?? [], ['otp']),
          };
          await saveLogin(interaction, next);
          return html(reply, recoveryCodesPage(form(interaction, next), codes));
        }
        case 'continue': {
          expect('recovery-codes', 'offer-passkey');
          if (state.step === 'recovery-codes') {
            const account = await accounts.findAccount(state.accountId as string);
            if (account !== undefined && account.passkeys === 0) {
              await saveLogin(interaction, { ...state, step: 'offer-passkey' });
              return reply.redirect(`${LOGIN_PATH}/${interaction.uid}`, 303);
            }
          }
          return reply.redirect(await finish(request, reply, interaction, state), 303);
        }
        case 'passkey-login-options': {
          expect('credentials');
          const options = await accounts.passkeyAuthenticationOptions();
          await saveLogin(interaction, { ...state, challenge: String(options['challenge']) });
          return reply.send(options);
        }
        case 'passkey-login': {
          expect('credentials');
          if (state.challenge === undefined)
            throw gatewayError('auth.passkey_rejected', 'Start the passkey sign-in again.');
          const spent: LoginState = { csrf: state.csrf, step: 'credentials' };
          await saveLogin(interaction, spent);
          const result = await accounts.verifyPasskeyAuthentication(
            request.body ?? {},
            state.challenge,
            source,
          );
          if (result.status === 'throttled') {
            reply.header('retry-after', String(result.retryAfterSeconds));
            throw gatewayError(
              'auth.login_throttled',
              `Too many attempts. Try again in ${result.retryAfterSeconds} seconds.`,
            );
          }
          if (result.status !== 'valid')
            throw gatewayError('auth.passkey_rejected', 'The passkey was not accepted.');
          const next = await afterFactors(result.account, result.amr, spent);
          if (next.step === 'offer-passkey') {
            // A passkey login registers no further passkey: it ends here.
            return reply.send({ redirect: await finish(request, reply, interaction, next) });
          }
          await saveLogin(interaction, next);
          return reply.send({ redirect: `${LOGIN_PATH}/${interaction.uid}` });
        }
        case 'passkey-register-options': {
          expect('offer-passkey');
          const options = await accounts.passkeyRegistrationOptions(state.accountId as string);
          await saveLogin(interaction, { ...state, challenge: String(options['challenge']) });
          return reply.send(options);
        }
        case 'passkey-register': {
          expect('offer-passkey');
          if (state.challenge === undefined)
            throw gatewayError('auth.passkey_rejected', 'Start the passkey registration again.');
          const { challenge, ...spent } = state;
          await saveLogin(interaction, spent);
          const ok = await accounts.verifyPasskeyRegistration(
            state.accountId as string,
            request.body ?? {},
            challenge,
          );
          if (!ok)
            throw gatewayError('auth.passkey_rejected', 'The passkey could not be registered.');
          return reply.send({ redirect: await finish(request, reply, interaction, spent) });
        }
        default:
          throw gatewayError('route.not_found', 'No such sign-in step.');
      }
    });
    done();
  });
}
