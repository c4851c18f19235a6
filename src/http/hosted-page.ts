import { createHash } from 'node:crypto';
import { PROVIDER_DISPLAY_NAMES } from '../providers/providers.js';
import type { ConnectWebviewRecord } from '../connect-webviews/index.js';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

// The page's only script and style, fixed text: the Content-Security-Policy allows exactly these by hash.
const HOSTED_PAGE_SCRIPT = `
      const form = document.getElementById('login');
      const message = document.getElementById('message');
      const redirect = form.dataset.redirect;
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const button = document.getElementById('submit');
        button.disabled = true;
        message.className = 'message';
        message.textContent = 'Connecting…';
        try {
          const response = await fetch('/connect_webviews/view/complete', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(Object.fromEntries(new FormData(form))),
          });
          const body = await response.json();
          if (body.ok) {
            if (redirect) { window.location.assign(redirect); return; }
            form.replaceChildren(Object.assign(document.createElement('p'), {
              className: 'message success', id: 'message', textContent: 'Connected! You can close this window.',
            }));
            return;
          }
          message.className = 'message error';
          message.textContent = body.error.message;
          document.getElementById('password').value = '';
        } catch {
          message.className = 'message error';
          message.textContent = 'Could not reach the server: try again.';
        }
        button.disabled = false;
      });
`;

const HOSTED_PAGE_STYLE = `
  body { font-family: system-ui, sans-serif; max-width: 24rem; margin: 3rem auto; padding: 0 1rem; color: #1d1d1f; }
  h1 { font-size: 1.4rem; }
  form { display: grid; gap: 0.9rem; }
  label { display: grid; gap: 0.3rem; font-size: 0.9rem; }
  input, select, button { font: inherit; padding: 0.55rem; border: 1px solid #bbb; border-radius: 6px; }
  button { background: #1d4ed8; color: white; border: none; cursor: pointer; }
  button:disabled { opacity: 0.6; }
  .hint { margin: 0; font-size: 0.8rem; color: #666; }
  .message.error { color: #b91c1c; }
  .message.success { color: #15803d; }
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Where the hosted page is served: its errors are answered as a page too (SeamExceptionFilter). */
export const HOSTED_PAGE_PATH = 'connect_webviews/view';

/** What every hosted-page answer carries: nothing but its own script and style runs, and no one frames it. */
export const HOSTED_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': [
    "default-src 'none'",
    `script-src ${sha256(HOSTED_PAGE_SCRIPT)}`,
    `style-src ${sha256(HOSTED_PAGE_STYLE)}`,
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // The page's URL carries its token: no other site is ever sent it. Same-origin, so that the form's post
  // carries its real Origin (under no-referrer a browser sends `Origin: null`), which the server checks.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** A readable page for an error on a hosted-page route (a bad link, say), where JSON would be no use. */
export function hostedErrorPage(message: string): string {
  return layout('Something went wrong', `<p class="message error">${escapeHtml(message)}</p>`);
}

/** What the no-JavaScript form shows once its login succeeded (without a `custom_redirect_url`). */
export function hostedSuccessPage(): string {
  return layout('Connected', '<p class="message success">Connected! You can close this window.</p>');
}

/**
 * The hosted Connect Webview page: the end user picks a provider, types email and password, submits. With
 * JavaScript the page posts JSON to `/connect_webviews/view/complete` and shows the outcome, or redirects to
 * the webview's `custom_redirect_url`; without it the form itself posts (never a GET, which would put the
 * password in the URL) to this page's path, which answers with the outcome. Sandbox accounts log in with the
 * password 1234. `error`: the last attempt's refusal, shown above the form.
 */
export function hostedPage(webview: ConnectWebviewRecord | undefined, error?: string): string {
  if (!webview)
    return layout(
      'Connect Webview not found',
      '<p class="message error">This Connect Webview does not exist, was deleted, or its link has expired.</p>',
    );
  if (webview.status === 'authorized') {
    return layout(
      'Already connected',
      '<p class="message success">This Connect Webview is already completed. You can close this window.</p>',
    );
  }
  const options = webview.accepted_providers
    .map((p) => `<option value="${escapeHtml(p)}">${escapeHtml(PROVIDER_DISPLAY_NAMES[p])}</option>`)
    .join('');
  // In an attribute, where escaped text is decoded; inside <script> it would not be.
  const redirect = webview.custom_redirect_url ? ` data-redirect="${escapeHtml(webview.custom_redirect_url)}"` : '';
  return layout(
    'Connect your account',
    `<form id="login" method="post" action="/${HOSTED_PAGE_PATH}"${redirect}>
      <input type="hidden" name="connect_webview_id" value="${escapeHtml(webview.connect_webview_id)}">
      ${webview.auth_token === undefined ? '' : `<input type="hidden" name="auth_token" value="${escapeHtml(webview.auth_token)}">`}
      <label>Provider <select name="provider" id="provider">${options}</select></label>
      <label>Email <input type="email" name="email" id="email" required autocomplete="username"></label>
      <label>Password
        <input type="password" name="password" id="password" required autocomplete="current-password"></label>
      <button type="submit" id="submit">Connect</button>
      <p class="hint">Sandbox: any email, password <code>1234</code>.</p>
      <p id="message" class="message${error ? ' error' : ''}" role="status" aria-live="polite">${error ? escapeHtml(error) : ''}</p>
    </form>
    <script>${HOSTED_PAGE_SCRIPT}</script>`,
  );
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${HOSTED_PAGE_STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>`;
}
