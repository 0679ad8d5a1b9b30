import type { TotpEnrolment } from '../accounts/service.js';

/**
 * The login pages: small, server-rendered HTML with labels, a language and headings, no
 * third-party asset and no inline script or style (the CSP in interactions.ts forbids both).
 * JavaScript (login.js with @simplewebauthn/browser, both same-origin) is needed only for the
 * passkey ceremony; everything else is a plain form POST. Every value is escaped.
 */

/** Where the static assets are served (interactions.ts). */
export const ASSET_PATH = '/login/assets';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

interface FormContext {
  /** The interaction uid: forms post to `/login/<uid>/<step>`. */
  readonly uid: string;
  /** The interaction's CSRF token (kept server-side, compared on every POST). */
  readonly csrf: string;
}

function page(title: string, body: string, options: { readonly passkeys?: boolean } = {}): string {
  const scripts = options.passkeys
    ? `<script src="${ASSET_PATH}/webauthn.js" defer></script><script src="${ASSET_PATH}/login.js" defer></script>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${ASSET_PATH}/login.css">
${scripts}
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>`;
}

function notice(message: string | undefined): string {
  return message === undefined ? '' : `<p role="alert" class="notice">${escapeHtml(message)}</p>`;
}

function form(context: FormContext, step: string, fields: string, submit: string): string {
  return `<form method="post" action="/login/${escapeHtml(context.uid)}/${step}">
<input type="hidden" name="csrf" value="${escapeHtml(context.csrf)}">
${fields}
<button type="submit">${escapeHtml(submit)}</button>
</form>`;
}

/** The passkey button: login.js runs the ceremony; without JavaScript it stays hidden. */
function passkeyButton(context: FormContext, action: 'login' | 'register', label: string): string {
  return `<div class="passkey" hidden data-passkey="${action}" data-uid="${escapeHtml(context.uid)}" data-csrf="${escapeHtml(context.csrf)}">
<button type="button">${escapeHtml(label)}</button>
<p role="status" aria-live="polite"></p>
</div>`;
}

/** First step: username and password, or a passkey (which needs no username). */
export function credentialsPage(context: FormContext, message?: string): string {
  const fields = `<p><label for="username">Username</label>
<input id="username" name="username" autocomplete="username webauthn" required maxlength="256"></p>
<p><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"></p>`;
  return page(
    'Sign in',
    `${notice(message)}${form(context, 'password', fields, 'Sign in')}
${passkeyButton(context, 'login', 'Sign in with a passkey')}`,
    { passkeys: true },
  );
}

/** Second factor for an account with TOTP: a code from the app, or a recovery code. */
export function secondFactorPage(context: FormContext, message?: string): string {
  const fields = `<p><label for="code">Code from your authenticator app, or a recovery code</label>
<input id="code" name="code" autocomplete="one-time-code" required maxlength="64"></p>`;
  return page(
    'Two-step verification',
    `${notice(message)}${form(context, 'second-factor', fields, 'Verify')}`,
  );
}

/** Forced TOTP enrolment: the secret is shown once, as a key URI and as text. */
export function enrolTotpPage(
  context: FormContext,
  enrolment: TotpEnrolment,
  message?: string,
): string {
  const fields = `<p>Your account requires an authenticator app. Add this key to it, then enter the code it shows.</p>
<p>Key: <code>${escapeHtml(enrolment.secret)}</code></p>
<p>Or open: <a href="${escapeHtml(enrolment.uri)}">${escapeHtml(enrolment.uri)}</a></p>
<p><label for="code">Code from your authenticator app</label>
<input id="code" name="code" autocomplete="one-time-code" inputmode="numeric" required maxlength="16"></p>`;
  return page(
    'Set up two-step verification',
    `${notice(message)}${form(context, 'enrol-totp', fields, 'Confirm')}`,
  );
}

/** Recovery codes, shown once after enrolment. */
export function recoveryCodesPage(context: FormContext, codes: readonly string[]): string {
  const list = codes.map((code) => `<li><code>${escapeHtml(code)}</code></li>`).join('\n');
  const shown =
    codes.length === 0
      ? '<p>Your recovery codes were shown once and are not shown again.</p>'
      : `<p>Each code works once, if you lose your authenticator. They are not shown again.</p>
<ul>${list}</ul>`;
  return page(
    'Save your recovery codes',
    `${shown}
${form(context, 'continue', '', 'Continue')}`,
  );
}

/** After a login that used no passkey: offer to register one (optional). */
export function offerPasskeyPage(context: FormContext, message?: string): string {
  return page(
    'Add a passkey?',
    `${notice(message)}<p>A passkey signs you in with Face ID, Touch ID, your fingerprint or your device PIN, and cannot be phished.</p>
${passkeyButton(context, 'register', 'Add a passkey')}
${form(context, 'continue', '', 'Not now')}`,
    { passkeys: true },
  );
}

/** An error the provider or a login step reports; the text is ours or oidc-provider's, escaped. */
export function renderErrorPage(error: string, description?: string): string {
  return page(
    'Sign-in error',
    `<p role="alert">${escapeHtml(description ?? error)}</p><p>Return to the app and try again.</p>`,
  );
}

/** The same-origin script for the passkey ceremony (served as login.js). */
export const LOGIN_SCRIPT = `'use strict';
(function () {
  var browser = window.SimpleWebAuthnBrowser;
  document.querySelectorAll('[data-passkey]').forEach(function (box) {
    if (!browser || !browser.browserSupportsWebAuthn()) return;
    box.hidden = false;
    var action = box.getAttribute('data-passkey');
    var base = '/login/' + encodeURIComponent(box.getAttribute('data-uid')) + '/passkey-' + action;
    var status = box.querySelector('[role=status]');
    function post(url, body) {
      return fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': box.getAttribute('data-csrf') },
        body: JSON.stringify(body || {})
      }).then(function (response) {
        return response.json().then(function (json) {
          if (!response.ok) throw new Error(json.detail || 'The passkey was not accepted.');
          return json;
        });
      });
    }
    box.querySelector('button').addEventListener('click', function () {
      status.textContent = '';
      post(base + '-options')
        .then(function (optionsJSON) {
          return action === 'login'
            ? browser.startAuthentication({ optionsJSON: optionsJSON })
            : browser.startRegistration({ optionsJSON: optionsJSON });
        })
        .then(function (response) { return post(base, response); })
        .then(function (result) { window.location.assign(result.redirect); })
        .catch(function (error) { status.textContent = error.message || 'The passkey was not accepted.'; });
    });
  });
})();
`;

/** The pages' stylesheet (served as login.css): readable, nothing more. */
export const LOGIN_STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:1rem;color:#111;background:#fff}
main{max-width:28rem;margin:2rem auto}
label{display:block;font-weight:600}
input{font:inherit;width:100%;box-sizing:border-box;padding:.5rem;margin:.25rem 0 .75rem}
button{font:inherit;padding:.5rem 1rem;margin:.25rem 0}
.notice{border-left:4px solid #b00;padding-left:.75rem}
code{word-break:break-all}
`;
