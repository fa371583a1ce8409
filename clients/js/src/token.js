/*
 * Token lifetime: when to refresh a JWT. The payload is decoded only to read `exp`; the server
 * verifies the token, the client never does.
 */

/** How long before `exp` a token is refreshed by default. */
export const REFRESH_LEAD_MS = 30000;
/** For short-lived tokens: refresh once this share of the lifetime has passed, if that is earlier. */
export const REFRESH_AT_LIFETIME = 0.8;

function base64UrlDecode(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  if (typeof atob === 'function') {
    const bin = atob(b64);
    if (typeof TextDecoder === 'undefined') {
      return bin;
    }
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) {
      bytes[i] = bin.charCodeAt(i);
    }
    return new TextDecoder().decode(bytes);
  }
  return Buffer.from(b64, 'base64').toString('utf8'); // Node without atob (before 16)
}

/**
 * The `exp` of a JWT in epoch milliseconds, or null when the token is not a JWT or has no numeric
 * `exp` (such a token is never refreshed).
 * @param {string} token
 * @returns {number|null}
 */
export function jwtExpMs(token) {
  if (typeof token !== 'string') {
    return null;
  }
  const parts = token.split('.');
  if (parts.length !== 3) {
    return null;
  }
  try {
    const payload = JSON.parse(base64UrlDecode(parts[1]));
    return payload && typeof payload.exp === 'number' && isFinite(payload.exp) ? payload.exp * 1000 : null;
  } catch (e) {
    return null;
  }
}

/**
 * An `exp` from a server reply as epoch milliseconds: PROTOCOL.md times are milliseconds, but a
 * value that can only be JWT seconds (before the year 5138 in ms) is read as seconds.
 */
export function expToMs(exp) {
  if (typeof exp !== 'number' || !isFinite(exp)) {
    return null;
  }
  return exp < 1e11 ? exp * 1000 : exp;
}

/** Refreshes are at least this far apart, so a token function that returns expiring tokens cannot spin. */
export const MIN_REFRESH_DELAY_MS = 500;

/**
 * How long to wait before refreshing a token that expires at `expMs`, received at `nowMs`:
 * `leadMs` before exp, but for short-lived tokens (where that would be before 80% of the remaining
 * lifetime) at REFRESH_AT_LIFETIME of it: a 1 h token is refreshed 30 s before exp, a 60 s token
 * after 48 s, a 5 s token after 4 s. At least MIN_REFRESH_DELAY_MS.
 */
export function refreshDelayMs(expMs, nowMs, leadMs = REFRESH_LEAD_MS) {
  const life = expMs - nowMs;
  return Math.max(MIN_REFRESH_DELAY_MS, Math.floor(Math.max(life - leadMs, life * REFRESH_AT_LIFETIME)));
}
