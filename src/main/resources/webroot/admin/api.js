// The admin page's only way to the node: the REST API under /api/v1 (docs/http-api.md), with the
// API key the operator typed, kept in sessionStorage (gone when the tab closes) and sent as
// Authorization: Bearer.

const BASE = '/api/v1';
const KEY_ITEM = 'liveroom.admin.apiKey';

/** An answer of the API that is not a success: HTTP status, the error code and its message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  /** What the operator reads: "UNAUTHORIZED: unknown API key". */
  toString() {
    return `${this.code}: ${this.message}`;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY_ITEM);
}

export function setApiKey(key) {
  if (key) {
    sessionStorage.setItem(KEY_ITEM, key);
  } else {
    sessionStorage.removeItem(KEY_ITEM);
  }
}

/** Listeners told when the API refuses the key (401), so the page can ask for another one. */
const refusedListeners = [];
export function onKeyRefused(listener) {
  refusedListeners.push(listener);
}

/**
 * Calls the API: request('GET', '/rooms', { query: { state: 'live' } }) or
 * request('PATCH', '/rooms/r1', { body: {...} }). Resolves with the parsed JSON body; rejects with
 * an ApiError for an error answer, and for a network failure (code NETWORK).
 */
export async function request(method, path, { query, body, key = apiKey() } = {}) {
  let url = BASE + path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query || {})) {
    if (value != null && value !== '') {
      params.set(name, String(value));
    }
  }
  if ([...params].length > 0) {
    url += '?' + params;
  }
  const headers = { Accept: 'application/json' };
  if (key) {
    headers.Authorization = 'Bearer ' + key;
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', `${method} ${url} did not reach the node (${e.message})`);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: reported below with the status
  }
  if (!response.ok) {
    const error = json && json.error;
    const failure = error && error.code
      ? new ApiError(response.status, error.code, error.message || '')
      : new ApiError(response.status, 'HTTP_' + response.status, `${method} ${url} answered ${response.status}`);
    if (response.status === 401) {
      refusedListeners.forEach((listener) => listener(failure));
    }
    throw failure;
  }
  if (json === null && text) {
    throw new ApiError(response.status, 'BAD_RESPONSE', `${method} ${url} answered something that is not JSON`);
  }
  return json;
}

/** Encodes one path segment (room ids are [A-Za-z0-9_-], but the operator may type anything). */
export function seg(value) {
  return encodeURIComponent(value);
}
