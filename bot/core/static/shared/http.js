/* fetch helpers shared by the support page's widget and the agent console: JSON in, JSON out, same origin. */

/**
 * POSTs `body` as JSON with the page's own cookies.
 * @param {string} url
 * @param {object} [body] sent as JSON ({} when omitted)
 * @param {Object<string, string>} [headers] extra request headers (e.g. the console's X-CSRF-Token)
 * @returns {Promise<{status: number, ok: boolean, data: *}>} data is the parsed answer, null when it is not JSON;
 *   rejects only when the request itself fails (offline)
 */
export function postJson(url, body, headers) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: Object.assign({ "Content-Type": "application/json" }, headers || {}),
    body: JSON.stringify(body || {})
  }).then(function (response) {
    return response.json().catch(function () { return null; }).then(function (data) {
      return { status: response.status, ok: response.ok, data: data };
    });
  });
}

/**
 * GETs JSON, never from the browser's cache.
 * @param {string} url
 * @param {Object<string, string>} [headers] extra request headers (e.g. the web chat's X-Conversation-Key)
 * @returns {Promise<*>} the parsed answer; null when the answer is not 2xx or not JSON; rejects when offline
 */
export function getJson(url, headers) {
  return fetch(url, { headers: Object.assign({ Accept: "application/json" }, headers || {}), cache: "no-store" })
    .then(function (response) { return response.ok ? response.json().catch(function () { return null; }) : null; });
}
