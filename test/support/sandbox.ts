import type { ServerProcess } from './server-process.js';

/** The sandbox-only endpoints this service adds (the SDK has no method for them): plain JSON POSTs. */
export function sandboxClient(server: ServerProcess, apiKey = server.sandboxApiKey!) {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  return {
    completeWebview: (connect_webview_id: string, email: string, extra: Record<string, string> = {}) =>
      post('/connect_webviews/simulate/complete', { connect_webview_id, email, ...extra }),
    disconnectAccount: (connected_account_id: string) =>
      post('/connected_accounts/simulate/disconnect', { connected_account_id }),
  };
}
